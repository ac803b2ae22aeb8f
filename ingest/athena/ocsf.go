package athena

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

// Amazon Security Lake keeps VPC flow logs in a Glue table of OCSF 1.x
// Network Activity records (class_uid 4001), one column per top-level OCSF
// attribute (src_endpoint, dst_endpoint, connection_info, traffic, cloud,
// metadata: structs; start_time, end_time: epoch milliseconds), partitioned
// by region, accountid and eventday (YYYYMMDD). A pull of such a table
// selects the OCSF paths AS the AWS field names, with the mapping the ocsf
// file shape uses (ingest.OCSFFields), so that its results ingest like any
// other Athena pull.

// ocsfVersionColumn is the extra result column that carries the records'
// OCSF version (metadata.version) for the manifest; it is no flow-log field
// and is not written to the results file.
const ocsfVersionColumn = "ocsf_version"

// ocsfKind says what a Security Lake table is, for a dry run.
const ocsfKind = "Amazon Security Lake table of OCSF Network Activity records (class_uid 4001): the query selects OCSF paths as the AWS field names"

// flowTableKind says what any other table is.
const flowTableKind = "flow-log table: AWS's field names as columns"

// ocsfTable is what Prepare knows of a Security Lake table.
type ocsfTable struct {
	// paths holds the type of every path of the table's columns:
	// "src_endpoint", "src_endpoint.ip", and so on.
	paths map[string]hiveType
	// eventday: the table is partitioned by eventday, a YYYYMMDD string.
	eventday bool
	// assumed: the catalog did not say the columns' types (the columns came
	// from a LIMIT 0 query), so Security Lake's documented schema is assumed.
	assumed bool
}

// lakeTableName is a Security Lake table's name:
// amazon_security_lake_table_<region>_<source>_<version>.
var lakeTableName = regexp.MustCompile(`^amazon_security_lake_table_[a-z0-9_]+?_(vpc_flow|cloud_trail_mgmt|lambda_execution|s3_data|route53|sh_findings|eks_audit|waf)_(\d+)_(\d+)$`)

// lakeSources are Security Lake's other AWS sources, by the name its tables
// carry: what their records are.
var lakeSources = map[string]string{
	"cloud_trail_mgmt": "CloudTrail management events (OCSF API Activity, class_uid 6003)",
	"lambda_execution": "CloudTrail data events for Lambda (OCSF API Activity, class_uid 6003)",
	"s3_data":          "CloudTrail data events for S3 (OCSF API Activity, class_uid 6003)",
	"route53":          "Route 53 Resolver query logs (OCSF DNS Activity, class_uid 4003)",
	"sh_findings":      "Security Hub findings (OCSF Detection Finding, class_uid 2004)",
	"eks_audit":        "EKS audit logs (OCSF API Activity, class_uid 6003)",
	"waf":              "AWS WAF logs (OCSF HTTP Activity, class_uid 4002)",
}

// lakeEndpoint is the documented type of src_endpoint and dst_endpoint.
const lakeEndpoint = "struct<port:int,svc_name:string,ip:string,intermediate_ips:array<string>,interface_uid:string,vpc_uid:string,instance_uid:string,subnet_uid:string>"

// lakeSchema is the documented type of each column of Security Lake's VPC
// flow table (AWS source version 2, OCSF 1.1): what Prepare assumes when the
// catalog does not say.
var lakeSchema = map[string]string{
	"metadata":        "struct<product:struct<version:string,name:string,vendor_name:string,feature:struct<name:string>>,profiles:array<string>,version:string>",
	"cloud":           "struct<account:struct<uid:string>,region:string,zone:string,provider:string>",
	"src_endpoint":    lakeEndpoint,
	"dst_endpoint":    lakeEndpoint,
	"connection_info": "struct<protocol_num:int,tcp_flags:int,protocol_ver:string,boundary_id:int,boundary:string,direction_id:int,direction:string>",
	"traffic":         "struct<packets:bigint,bytes:bigint>",
	"time":            "bigint",
	"start_time":      "bigint",
	"end_time":        "bigint",
	"status_code":     "string",
	"action":          "string",
	"action_id":       "int",
	"disposition":     "string",
	"disposition_id":  "int",
	"class_uid":       "int",
	"eventday":        "string",
}

// lakeCloudV1 is the cloud column of source version 1 tables (OCSF
// 1.0.0-rc.2), which named the account cloud.account_uid.
const lakeCloudV1 = "struct<account_uid:string,region:string,zone:string,provider:string>"

// detectOCSF tells a Security Lake (OCSF) table from its columns: those of
// the catalog (info) or, without one, the names a LIMIT 0 query returned.
// It returns nil for a table that is not OCSF (no class_uid column), and an
// error for an OCSF table that is not Network Activity: another Security
// Lake source by its name, or a table without src_endpoint and
// dst_endpoint structs.
func detectOCSF(table string, info *tableInfo, discovered []string) (*ocsfTable, error) {
	_, tbl, _ := splitTable(table)
	var names []string
	types := map[string]string{}
	switch {
	case info != nil:
		for _, c := range info.columns {
			n := strings.ToLower(aws.ToString(c.Name))
			names = append(names, n)
			types[n] = aws.ToString(c.Type)
		}
	case discovered != nil:
		for _, n := range discovered {
			names = append(names, strings.ToLower(n))
		}
	default:
		return nil, nil
	}
	if m := lakeTableName.FindStringSubmatch(tbl); m != nil && m[1] != "vpc_flow" {
		return nil, fmt.Errorf("athena: table %s is Amazon Security Lake's table of %s, not of VPC flow logs: give its VPC flow table (OCSF Network Activity, class_uid 4001), named like amazon_security_lake_table_<region>_vpc_flow_%s_%s",
			table, lakeSources[m[1]], m[2], m[3])
	}
	if !slices.Contains(names, "class_uid") {
		return nil, nil
	}

	t := &ocsfTable{paths: map[string]hiveType{}, assumed: info == nil}
	for _, n := range names {
		typ := types[n]
		if info == nil {
			typ = lakeSchema[n]
			if n == "cloud" && strings.HasSuffix(tbl, "_1_0") {
				typ = lakeCloudV1
			}
		}
		if typ == "" {
			continue
		}
		h, err := parseHiveType(typ)
		if err != nil {
			if info == nil {
				return nil, fmt.Errorf("athena: %w", err) // our own schema: a bug
			}
			continue // a type we cannot read is a column we do not use
		}
		h.flatten(n, t.paths)
	}
	if info != nil {
		for _, p := range info.partitions {
			if strings.EqualFold(aws.ToString(p.Name), "eventday") {
				if h, err := parseHiveType(aws.ToString(p.Type)); err == nil && h.text() {
					t.eventday = true
				}
			}
		}
	} else {
		t.eventday = slices.Contains(names, "eventday")
	}

	for _, e := range []string{"src_endpoint", "dst_endpoint"} {
		if t.paths[e].kind != "struct" {
			return nil, fmt.Errorf("athena: table %s holds OCSF records (it has a class_uid column) but no %s struct: it is not OCSF Network Activity; "+
				"expected Amazon Security Lake's VPC flow table (class_uid 4001, e.g. amazon_security_lake_table_us_east_1_vpc_flow_2_0), whose records have src_endpoint and dst_endpoint structs (its columns: %s)",
				table, e, strings.Join(names, ", "))
		}
		if _, ok := t.paths[e+".ip"]; !ok {
			return nil, fmt.Errorf("athena: table %s: OCSF column %s has no ip field (its type: %s): expected Amazon Security Lake's VPC flow table (OCSF Network Activity, class_uid 4001)",
				table, e, t.paths[e])
		}
	}
	st, ok := t.paths["start_time"]
	if !ok {
		return nil, fmt.Errorf("athena: OCSF table %s has no start_time column (epoch milliseconds), which the query's window needs (its columns: %s)", table, strings.Join(names, ", "))
	}
	if !st.integer() && !st.text() {
		return nil, fmt.Errorf("athena: OCSF table %s: start_time is %s, not epoch milliseconds (bigint) as in Security Lake's tables", table, st)
	}
	return t, nil
}

// pathSQL is the Athena SQL of an OCSF path: "src_endpoint"."ip".
func pathSQL(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		parts[i] = store.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// valueSQL is the Athena SQL of one OCSF path's value converted for its
// field (see ingest.OCSFConv), and whether it is an integer; "" when the
// path's type does not fit the conversion.
func valueSQL(path string, typ hiveType, conv ingest.OCSFConv) (string, bool) {
	ref := pathSQL(path)
	if typ.kind == "array" {
		if conv != ingest.OCSFFirst {
			return "", false
		}
		if typ.children[0].text() {
			return fmt.Sprintf("element_at(%s, 1)", ref), false
		}
		return fmt.Sprintf("CAST(element_at(%s, 1) AS VARCHAR)", ref), false
	}
	if typ.kind != "scalar" {
		return "", false
	}
	text := ref
	if !typ.text() {
		text = fmt.Sprintf("CAST(%s AS VARCHAR)", ref)
	}
	switch conv {
	case ingest.OCSFAsIs, ingest.OCSFFirst:
		if typ.integer() {
			return ref, true
		}
		return text, false
	case ingest.OCSFMillis:
		switch {
		case typ.integer():
			return ref + " / 1000", true
		case typ.text():
			return fmt.Sprintf("TRY_CAST(%s AS BIGINT) / 1000", ref), true
		case typ.time():
			return fmt.Sprintf("CAST(to_unixtime(%s) AS BIGINT)", ref), true
		}
		return "", false
	case ingest.OCSFDateTime:
		switch {
		case typ.time():
			return fmt.Sprintf("CAST(to_unixtime(%s) AS BIGINT)", ref), true
		case typ.text():
			return fmt.Sprintf("CAST(to_unixtime(TRY(from_iso8601_timestamp(%s))) AS BIGINT)", ref), true
		}
		return "", false
	case ingest.OCSFVersion:
		if typ.integer() {
			return ref, true
		}
		return fmt.Sprintf("TRY_CAST(TRY_CAST(%s AS DOUBLE) AS INTEGER)", text), true
	case ingest.OCSFActionID, ingest.OCSFDirectionID:
		sql, _ := ingest.OCSFValueSQL(conv, ref)
		return sql, false
	case ingest.OCSFBoundaryID:
		sql, _ := ingest.OCSFValueSQL(conv, ref)
		return sql, true
	case ingest.OCSFBoundary:
		sql, _ := ingest.OCSFValueSQL(conv, text)
		return sql, true
	}
	sql, ok := ingest.OCSFValueSQL(conv, text)
	if !ok {
		return "", false
	}
	return sql, false
}

// fieldSQL is the Athena SQL of a field's value: the first of its OCSF
// paths the table has that holds a value. "" when the table has none.
func (t *ocsfTable) fieldSQL(paths []ingest.OCSFPath) string {
	var exprs []string
	var ints []bool
	for _, p := range paths {
		typ, ok := t.paths[p.Path]
		if !ok {
			continue
		}
		if sql, integer := valueSQL(p.Path, typ, p.Conv); sql != "" {
			exprs, ints = append(exprs, sql), append(ints, integer)
		}
	}
	switch {
	case len(exprs) == 0:
		return ""
	case len(exprs) == 1:
		return exprs[0]
	}
	if slices.Contains(ints, true) && slices.Contains(ints, false) {
		for i, e := range exprs {
			if ints[i] {
				exprs[i] = fmt.Sprintf("CAST(%s AS VARCHAR)", e)
			}
		}
	}
	return "coalesce(" + strings.Join(exprs, ", ") + ")"
}

// mapped are the flow-log columns the table's OCSF paths can fill.
func mapped(t *ocsfTable) []string {
	var out []string
	for _, m := range ingest.OCSFFields() {
		if t.fieldSQL(m.Paths) != "" {
			f, _ := ingest.LookupField(m.Field)
			out = append(out, f.Column())
		}
	}
	return out
}

// eventdayFilter is the condition on Security Lake's eventday partition
// (YYYYMMDD, the day of the event in UTC) that covers the window. It reaches
// deliveryLag past the window's end, as suggestPartitionFilter does: a record
// that starts at the window's end is filed under the day of a later time
// (its end, or when it was delivered) when that falls after midnight.
func eventdayFilter(start, end time.Time) string {
	return fmt.Sprintf("%s BETWEEN %s AND %s", store.QuoteIdent("eventday"),
		store.QuoteString(start.UTC().Format("20060102")), store.QuoteString(end.Add(deliveryLag).UTC().Format("20060102")))
}

// buildOCSFQuery is BuildQuery for a Security Lake table: every field the
// table's OCSF paths can fill (those of o.Columns, when given), selected AS
// the field's column name, and the records' OCSF version; the window on
// start_time in epoch milliseconds; the focus on src_endpoint.ip,
// dst_endpoint.ip and, when selected, the first intermediate_ips; class_uid
// 4001; eventday when the table is partitioned by it. It returns the query,
// the flow-log columns it selects and the partition condition it applies.
func buildOCSFQuery(o Options, t *ocsfTable) (query string, cols []string, partitions string, err error) {
	if err := o.check(); err != nil {
		return "", nil, "", err
	}
	focus, err := normalizeFocus(o.Focus)
	if err != nil {
		return "", nil, "", err
	}
	var want []string
	if len(o.Columns) > 0 {
		if want, err = normalizeColumns(o.Columns); err != nil {
			return "", nil, "", err
		}
	}
	exprs := map[string]string{}
	for _, m := range ingest.OCSFFields() {
		f, _ := ingest.LookupField(m.Field)
		sql := t.fieldSQL(m.Paths)
		if sql == "" {
			if slices.Contains(want, f.Column()) {
				var looked []string
				for _, p := range m.Paths {
					looked = append(looked, p.Path)
				}
				return "", nil, "", fmt.Errorf("athena: OCSF table %s has no %s for column %s", o.Table, strings.Join(looked, " or "), f.Column())
			}
			continue
		}
		exprs[f.Column()] = sql
		if want == nil || slices.Contains(want, f.Column()) {
			cols = append(cols, f.Column())
		}
	}
	for c, e := range map[string]string{"srcaddr": "src_endpoint.ip", "dstaddr": "dst_endpoint.ip"} {
		if exprs[c] == "" {
			return "", nil, "", fmt.Errorf("athena: OCSF table %s: %s is %s, not an address", o.Table, e, t.paths[e])
		}
	}
	for _, c := range want {
		if !slices.Contains(cols, c) {
			return "", nil, "", fmt.Errorf("athena: column %s has no place in OCSF Network Activity records, so not in table %s (the columns it can fill: %s)", c, o.Table, strings.Join(mapped(t), ", "))
		}
	}
	cols, _ = normalizeColumns(cols) // AWS's field order
	db, tbl, _ := splitTable(o.Table)

	var b strings.Builder
	b.WriteString("SELECT")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n  %s AS %s", exprs[c], store.QuoteIdent(c))
	}
	if v, ok := t.paths["metadata.version"]; ok && v.kind == "scalar" {
		sql, _ := valueSQL("metadata.version", v, ingest.OCSFAsIs)
		fmt.Fprintf(&b, ",\n  %s AS %s", sql, store.QuoteIdent(ocsfVersionColumn))
	}
	b.WriteString("\nFROM ")
	if o.Catalog != "" && !strings.EqualFold(o.Catalog, DefaultCatalog) {
		b.WriteString(store.QuoteIdent(strings.ToLower(o.Catalog)) + ".")
	}
	b.WriteString(store.QuoteIdent(db) + "." + store.QuoteIdent(tbl))

	// The window on start_time, in epoch milliseconds: the records whose
	// start in whole seconds (start_time / 1000, what the case keeps) lies
	// in the window, as BuildQuery selects them on a table's start.
	lo, hi := windowBounds(o.Start, o.End)
	startTime := pathSQL("start_time")
	if !t.paths["start_time"].integer() {
		startTime = fmt.Sprintf("TRY_CAST(%s AS BIGINT)", startTime)
	}
	fmt.Fprintf(&b, "\nWHERE %s BETWEEN %d AND %d", startTime, lo*1000, hi*1000+999)
	if c, ok := t.paths["class_uid"]; ok && c.integer() {
		fmt.Fprintf(&b, "\n  AND %s = 4001", pathSQL("class_uid"))
	} else if ok {
		fmt.Fprintf(&b, "\n  AND TRY_CAST(%s AS INTEGER) = 4001", pathSQL("class_uid"))
	}
	if len(focus) > 0 {
		lits := addrLiterals(focus)
		addrCols := []string{"srcaddr", "dstaddr"}
		for _, c := range []string{"pkt_srcaddr", "pkt_dstaddr"} {
			if slices.Contains(cols, c) {
				addrCols = append(addrCols, c)
			}
		}
		for i, c := range addrCols {
			if i == 0 {
				b.WriteString("\n  AND (")
			} else {
				b.WriteString("\n    OR ")
			}
			fmt.Fprintf(&b, "%s IN (%s)", exprs[c], lits)
		}
		b.WriteString(")")
	}
	var conds []string
	if t.eventday {
		ed := eventdayFilter(o.Start, o.End)
		b.WriteString("\n  AND " + ed)
		conds = append(conds, ed)
	}
	if pf := strings.TrimSpace(o.PartitionFilter); pf != "" {
		b.WriteString("\n  AND (" + pf + "\n)")
		conds = append(conds, "("+pf+")")
	}
	return b.String(), cols, strings.Join(conds, " AND "), nil
}
