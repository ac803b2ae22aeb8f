package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// Amazon Security Lake stores VPC flow logs as OCSF 1.x Network Activity
// records (class_uid 4001): Parquet with nested structs (src_endpoint,
// dst_endpoint, connection_info, traffic, cloud, metadata, unmapped), or the
// same objects as JSON. The engine reads them (read_parquet, read_json) and
// SQL maps each path back onto the AWS field names.

// ShapeOCSF is an OCSF Network Activity file as Security Lake writes it.
const ShapeOCSF Shape = "ocsf"

// OCSFConv is how the value of an OCSF path becomes its AWS field's.
type OCSFConv string

// The conversions of OCSF values.
const (
	OCSFAsIs        OCSFConv = ""             // the value as it is
	OCSFMillis      OCSFConv = "ms"           // epoch milliseconds: a time
	OCSFDateTime    OCSFConv = "dt"           // an ISO 8601 string (or a timestamp): a time
	OCSFVersion     OCSFConv = "version"      // metadata.product.version ("5", "5.0"): the flow log's version
	OCSFUpper       OCSFConv = "upper"        // upper-cased (status_code: OK, NODATA, SKIPDATA)
	OCSFAction      OCSFConv = "action"       // Allowed → ACCEPT; Denied, Blocked → REJECT; Unknown → NULL
	OCSFActionID    OCSFConv = "action_id"    // 1 → ACCEPT, 2 → REJECT
	OCSFDirection   OCSFConv = "direction"    // Inbound → ingress, Outbound → egress; Unknown, Lateral, Other → NULL
	OCSFDirectionID OCSFConv = "direction_id" // 1 → ingress, 2 → egress
	OCSFBoundary    OCSFConv = "boundary"     // "Same VPC" … "Internet Gateway" → traffic-path 1 … 8
	OCSFBoundaryID  OCSFConv = "boundary_id"  // 4 … 11 → traffic-path 1 … 8
	OCSFFirst       OCSFConv = "first"        // the first element of a list (intermediate_ips)
)

// OCSFPath is one OCSF place a field's value may be found ("src_endpoint.ip"),
// with how its value becomes the field's.
type OCSFPath struct {
	Path string
	Conv OCSFConv
}

// OCSFField is an AWS field and the OCSF paths its value may come from, in
// order: the first that has a value wins.
type OCSFField struct {
	Field string // the AWS field name ("srcaddr", "log-status")
	Paths []OCSFPath
}

// ocsfFields maps AWS fields onto OCSF paths, the first present wins.
var ocsfFields = []OCSFField{
	{"version", []OCSFPath{{"metadata.product.version", OCSFVersion}}},
	{"account-id", []OCSFPath{{"cloud.account.uid", OCSFAsIs}, {"cloud.account_uid", OCSFAsIs}}},
	{"interface-id", []OCSFPath{{"src_endpoint.interface_uid", OCSFAsIs}, {"dst_endpoint.interface_uid", OCSFAsIs}}},
	{"srcaddr", []OCSFPath{{"src_endpoint.ip", OCSFAsIs}}},
	{"dstaddr", []OCSFPath{{"dst_endpoint.ip", OCSFAsIs}}},
	{"srcport", []OCSFPath{{"src_endpoint.port", OCSFAsIs}}},
	{"dstport", []OCSFPath{{"dst_endpoint.port", OCSFAsIs}}},
	{"protocol", []OCSFPath{{"connection_info.protocol_num", OCSFAsIs}}},
	{"packets", []OCSFPath{{"traffic.packets", OCSFAsIs}}},
	{"bytes", []OCSFPath{{"traffic.bytes", OCSFAsIs}}},
	{"start", []OCSFPath{{"start_time", OCSFMillis}, {"start_time_dt", OCSFDateTime}}},
	{"end", []OCSFPath{{"end_time", OCSFMillis}, {"end_time_dt", OCSFDateTime}}},
	{"action", []OCSFPath{{"action", OCSFAction}, {"disposition", OCSFAction}, {"action_id", OCSFActionID}, {"disposition_id", OCSFActionID}}},
	{"log-status", []OCSFPath{{"status_code", OCSFUpper}}},
	{"vpc-id", []OCSFPath{{"src_endpoint.vpc_uid", OCSFAsIs}, {"dst_endpoint.vpc_uid", OCSFAsIs}}},
	{"subnet-id", []OCSFPath{{"src_endpoint.subnet_uid", OCSFAsIs}, {"dst_endpoint.subnet_uid", OCSFAsIs}}},
	{"instance-id", []OCSFPath{{"src_endpoint.instance_uid", OCSFAsIs}, {"dst_endpoint.instance_uid", OCSFAsIs}}},
	{"tcp-flags", []OCSFPath{{"connection_info.tcp_flags", OCSFAsIs}}},
	{"type", []OCSFPath{{"connection_info.protocol_ver", OCSFAsIs}}},
	{"pkt-srcaddr", []OCSFPath{{"src_endpoint.intermediate_ips", OCSFFirst}}},
	{"pkt-dstaddr", []OCSFPath{{"dst_endpoint.intermediate_ips", OCSFFirst}}},
	{"region", []OCSFPath{{"cloud.region", OCSFAsIs}}},
	{"az-id", []OCSFPath{{"cloud.zone", OCSFAsIs}}},
	{"pkt-src-aws-service", []OCSFPath{{"src_endpoint.svc_name", OCSFAsIs}}},
	{"pkt-dst-aws-service", []OCSFPath{{"dst_endpoint.svc_name", OCSFAsIs}}},
	{"flow-direction", []OCSFPath{{"connection_info.direction", OCSFDirection}, {"connection_info.direction_id", OCSFDirectionID}}},
	{"traffic-path", []OCSFPath{{"connection_info.boundary_id", OCSFBoundaryID}, {"connection_info.boundary", OCSFBoundary}}},
}

// OCSFFields is how OCSF Network Activity records map back onto AWS's flow-log
// fields: what the ocsf shape reads files with, and what an Athena query of a
// Security Lake table selects. The slice is a copy.
func OCSFFields() []OCSFField {
	out := make([]OCSFField, len(ocsfFields))
	for i, f := range ocsfFields {
		out[i] = OCSFField{Field: f.Field, Paths: slices.Clone(f.Paths)}
	}
	return out
}

// ocsfBoundaries are OCSF's connection_info.boundary values whose AWS
// traffic-path is known (boundary_id 4 to 11 is traffic-path 1 to 8).
var ocsfBoundaries = []string{"Same VPC", "Internet/VPC Gateway", "Virtual Private Gateway", "Intra-region VPC",
	"Inter-region VPC", "Local Gateway", "Gateway VPC", "Internet Gateway"}

// parquetOCSF reports whether a Parquet file's schema (its footer) names
// OCSF's class_uid, src_endpoint and dst_endpoint: the names are plain
// bytes in the footer's Thrift encoding.
func parquetOCSF(r io.Reader) bool {
	ra, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	})
	if !ok {
		return false
	}
	size, err := ra.Seek(0, io.SeekEnd)
	if err != nil || size < 12 {
		return false
	}
	tail := make([]byte, 8)
	if _, err := ra.ReadAt(tail, size-8); err != nil || !bytes.Equal(tail[4:], parquetMagic) {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n == 0 || n > size-12 || n > 64<<20 {
		return false
	}
	meta := make([]byte, n)
	if _, err := ra.ReadAt(meta, size-8-n); err != nil {
		return false
	}
	for _, name := range []string{"class_uid", "src_endpoint", "dst_endpoint"} {
		if !bytes.Contains(meta, []byte(name)) {
			return false
		}
	}
	return true
}

// jsonOCSF reports whether the prefix holds JSON objects (one per line, a
// stream or an array) one of whose first is an OCSF Network Activity
// record: "class_uid": 4001 and a src_endpoint object.
func jsonOCSF(prefix []byte) bool {
	p := bytes.TrimLeft(bytes.TrimPrefix(prefix, bom), " \t\r\n")
	if !bytes.Contains(p, []byte(`"class_uid"`)) {
		return false
	}
	type record struct {
		ClassUID json.RawMessage `json:"class_uid"`
		Src      json.RawMessage `json:"src_endpoint"`
	}
	network := func(o record) bool { return string(o.ClassUID) == "4001" && len(o.Src) > 0 && o.Src[0] == '{' }
	if p[0] == '{' || p[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(p))
		if p[0] == '[' {
			dec.Token() //nolint:errcheck // the array's start, known
		}
		for i := 0; i < 16 && dec.More(); i++ {
			var o record
			if err := dec.Decode(&o); err != nil {
				break
			}
			if network(o) {
				return true
			}
		}
	}
	// JSON lines with a line that is not JSON: judge the lines one by one.
	for i, line := range sniffLines(p, len(prefix) == sniffSize) {
		if i >= 64 {
			break
		}
		var o record
		if line = bytes.TrimSpace(line); len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &o) == nil && network(o) {
			return true
		}
	}
	return false
}

// duckType is a DuckDB type as DESCRIBE writes it.
type duckType struct {
	kind     string // struct, map, list, scalar
	name     string // the scalar's name
	fields   []string
	children []duckType
}

// parseDuckType reads one type from s: STRUCT(a T, "b c" T), MAP(K, V),
// T[], T[3], and scalars (DECIMAL(18,3) too).
func parseDuckType(s string) (duckType, string) {
	s = strings.TrimLeft(s, " ")
	var t duckType
	switch {
	case strings.HasPrefix(s, "STRUCT("):
		t.kind = "struct"
		s = s[len("STRUCT("):]
		for {
			s = strings.TrimLeft(s, " ,")
			if s == "" || s[0] == ')' {
				break
			}
			var name string
			if s[0] == '"' {
				i := 1
				for i < len(s) {
					if s[i] == '"' {
						if i+1 < len(s) && s[i+1] == '"' {
							name += `"`
							i += 2
							continue
						}
						break
					}
					name += string(s[i])
					i++
				}
				s = s[min(i+1, len(s)):]
			} else {
				i := strings.IndexByte(s, ' ')
				if i < 0 {
					return t, ""
				}
				name, s = s[:i], s[i:]
			}
			var c duckType
			c, s = parseDuckType(s)
			t.fields, t.children = append(t.fields, name), append(t.children, c)
		}
		s = strings.TrimPrefix(s, ")")
	case strings.HasPrefix(s, "MAP("):
		t.kind = "map"
		var k, v duckType
		k, s = parseDuckType(s[len("MAP("):])
		s = strings.TrimLeft(s, " ,")
		v, s = parseDuckType(s)
		t.children = []duckType{k, v}
		s = strings.TrimPrefix(strings.TrimLeft(s, " "), ")")
	default:
		t.kind = "scalar"
		depth, i := 0, 0
	scan:
		for ; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				if depth == 0 {
					break scan
				}
				depth--
			case ',', '[':
				if depth == 0 {
					break scan
				}
			}
		}
		t.name, s = strings.TrimSpace(s[:i]), s[i:]
	}
	for strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			break
		}
		t = duckType{kind: "list", children: []duckType{t}}
		s = s[j+1:]
	}
	return t, s
}

// ocsfColumn is one path of the source: its SQL and its DuckDB type.
type ocsfColumn struct {
	sql string
	typ duckType
}

// flatten records every path of a column: "src_endpoint.ip" and so on.
func flatten(prefix, sql string, t duckType, out map[string]ocsfColumn) {
	out[prefix] = ocsfColumn{sql, t}
	if t.kind == "struct" {
		for i, f := range t.fields {
			flatten(prefix+"."+f, sql+"."+store.QuoteIdent(f), t.children[i], out)
		}
	}
}

func (t duckType) text() bool {
	return t.kind == "scalar" && (t.name == "VARCHAR" || t.name == "JSON")
}

func (t duckType) integer() bool {
	return t.kind == "scalar" && strings.Contains(t.name, "INT")
}

// ocsfValue is the SQL of a path's value converted for its field, and the
// DuckDB type the shared columnar load then casts from.
func ocsfValue(c ocsfColumn, conv OCSFConv) (string, string) {
	txt := fmt.Sprintf("nullif(trim(%s), '')", c.varchar())
	switch conv {
	case OCSFMillis:
		switch {
		case c.typ.name == "TIMESTAMP":
			return c.sql, "TIMESTAMP"
		case c.typ.name == "TIMESTAMP WITH TIME ZONE":
			return fmt.Sprintf("timezone('UTC', %s)", c.sql), "TIMESTAMP"
		}
		ms := fmt.Sprintf("TRY_CAST(%s AS BIGINT)", txt)
		return fmt.Sprintf("CASE WHEN %s BETWEEN 0 AND 253402300799999 THEN make_timestamp(%s * 1000) END", ms, ms), "TIMESTAMP"
	case OCSFDateTime:
		switch {
		case c.typ.name == "TIMESTAMP":
			return c.sql, "TIMESTAMP"
		case c.typ.name == "TIMESTAMP WITH TIME ZONE":
			return fmt.Sprintf("timezone('UTC', %s)", c.sql), "TIMESTAMP"
		}
		return fmt.Sprintf("timezone('UTC', TRY_CAST(%s AS TIMESTAMPTZ))", txt), "TIMESTAMP"
	case OCSFVersion:
		return fmt.Sprintf("TRY_CAST(TRY_CAST(%s AS DOUBLE) AS UTINYINT)", txt), "UTINYINT"
	case OCSFUpper, OCSFAction, OCSFActionID, OCSFDirection, OCSFDirectionID:
		sql, _ := OCSFValueSQL(conv, txt)
		return sql, "VARCHAR"
	case OCSFBoundary, OCSFBoundaryID:
		sql, _ := OCSFValueSQL(conv, txt)
		return sql, "INTEGER"
	case OCSFFirst:
		if c.typ.kind == "list" {
			return fmt.Sprintf("CAST(%s[1] AS VARCHAR)", c.sql), "VARCHAR"
		}
		return txt, "VARCHAR"
	}
	if c.typ.kind != "scalar" || c.typ.name == "JSON" {
		return c.varchar(), "VARCHAR"
	}
	return c.sql, c.typ.name
}

// OCSFValueSQL is the SQL that maps an OCSF value onto its AWS field's, for
// the conversions that map values (upper, action, action_id, direction,
// direction_id, boundary, boundary_id): txt is the SQL of the value (text, or
// an integer for the _id ones). The SQL is the same in DuckDB and in Athena
// (Trino): CASE, upper, lower and TRY_CAST. ok is false for the other
// conversions, whose SQL depends on the engine and the value's type.
func OCSFValueSQL(conv OCSFConv, txt string) (sql string, ok bool) {
	switch conv {
	case OCSFUpper:
		return fmt.Sprintf("upper(%s)", txt), true
	case OCSFAction:
		return fmt.Sprintf("CASE upper(%s) WHEN 'ALLOWED' THEN 'ACCEPT' WHEN 'ALLOW' THEN 'ACCEPT' WHEN 'ACCEPT' THEN 'ACCEPT' WHEN 'DENIED' THEN 'REJECT' WHEN 'DENY' THEN 'REJECT' WHEN 'BLOCKED' THEN 'REJECT' WHEN 'REJECT' THEN 'REJECT' WHEN 'UNKNOWN' THEN NULL ELSE %s END", txt, txt), true
	case OCSFActionID:
		return fmt.Sprintf("CASE TRY_CAST(%s AS INTEGER) WHEN 1 THEN 'ACCEPT' WHEN 2 THEN 'REJECT' END", txt), true
	case OCSFDirection:
		return fmt.Sprintf("CASE lower(%s) WHEN 'inbound' THEN 'ingress' WHEN 'outbound' THEN 'egress' WHEN 'unknown' THEN NULL WHEN 'lateral' THEN NULL WHEN 'other' THEN NULL ELSE lower(%s) END", txt, txt), true
	case OCSFDirectionID:
		return fmt.Sprintf("CASE TRY_CAST(%s AS INTEGER) WHEN 1 THEN 'ingress' WHEN 2 THEN 'egress' END", txt), true
	case OCSFBoundaryID:
		return fmt.Sprintf("CASE WHEN TRY_CAST(%s AS INTEGER) BETWEEN 4 AND 11 THEN TRY_CAST(%s AS INTEGER) - 3 END", txt, txt), true
	case OCSFBoundary:
		var whens []string
		for i, b := range ocsfBoundaries {
			whens = append(whens, fmt.Sprintf("WHEN %s THEN %d", store.QuoteString(strings.ToLower(b)), i+1))
		}
		return fmt.Sprintf("CASE lower(%s) %s END", txt, strings.Join(whens, " ")), true
	}
	return "", false
}

// varchar is the SQL of the path's value as text: a JSON value (a key whose
// values differ in type from record to record) without its quotes.
func (c ocsfColumn) varchar() string {
	if c.typ.kind == "scalar" && c.typ.name == "JSON" {
		return fmt.Sprintf("json_extract_string(%s, '$')", c.sql)
	}
	return fmt.Sprintf("CAST(%s AS VARCHAR)", c.sql)
}

// ocsf loads an OCSF Network Activity file.
func (l *load) ocsf(ctx context.Context) error {
	src := fmt.Sprintf("read_parquet(%s, file_row_number = true)", store.QuoteString(l.path))
	rowExpr := "s.file_row_number + 1"
	parquet := l.det.parquet
	// engineFailed: the JSON reader gave up on the file (a line that is
	// not JSON): the second attempt judges each line first.
	engineFailed := func(err error) error {
		var de *duckdb.Error
		if parquet || l.det.lineParser || ctx.Err() != nil || !errors.As(err, &de) || de.Type != duckdb.ErrorTypeInvalidInput {
			return nil
		}
		l.in.opts.logger().Debug("ingest: engine cannot read the JSON", "path", l.path, "err", err)
		l.det.lineParser = true
		return errFallback
	}
	if !parquet {
		path, compression := l.path, "uncompressed"
		if l.det.Compression == "gzip" {
			compression = "gzip"
		}
		if l.det.lineParser {
			var rejects []Reject
			var err error
			path, rejects, err = ocsfLines(l.path, l.det.Compression == "gzip")
			if err != nil {
				return err
			}
			defer os.Remove(path)
			compression, rowExpr = "uncompressed", `s."_ingest_line"`
			if err := l.storeRejects(ctx, rejects); err != nil {
				return err
			}
		} else {
			rowExpr = "row_number() OVER ()"
		}
		src = fmt.Sprintf("read_json(%s, format = 'auto', compression = '%s', maximum_object_size = 16777216, sample_size = -1)", store.QuoteString(path), compression)
	}
	rows, err := l.conn.QueryContext(ctx, "DESCRIBE SELECT * FROM "+src)
	if err != nil {
		if fb := engineFailed(err); fb != nil {
			return fb
		}
		return &NotFlowLogError{fmt.Sprintf("the engine cannot read it as OCSF: %v", err)}
	}
	paths := map[string]ocsfColumn{}
	var top []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: describe: %w", err)
		}
		if (name == "file_row_number" && parquet) || (name == "_ingest_line" && l.det.lineParser) {
			continue
		}
		t, _ := parseDuckType(typ)
		flatten(name, "s."+store.QuoteIdent(name), t, paths)
		top = append(top, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingest: describe: %w", err)
	}
	if paths["src_endpoint"].typ.kind != "struct" {
		if !parquet && !l.det.lineParser {
			// values that are not objects (a line "[1,2]") hide the records' structure
			l.det.lineParser = true
			return errFallback
		}
		return &NotFlowLogError{"OCSF records without a src_endpoint object"}
	}

	// Each field: the present paths, the first that has a value wins.
	var cols []sourceColumn
	mapped := map[string]int{}
	addCandidate := func(f Field, name, sql, typ string) {
		if i, ok := mapped[f.Name]; ok {
			c := &cols[i]
			if c.typ == typ {
				c.expr = fmt.Sprintf("coalesce(%s, %s)", c.expr, sql)
				return
			}
			c.expr = fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), CAST(%s AS VARCHAR))", c.expr, sql)
			c.typ = "VARCHAR"
			return
		}
		mapped[f.Name] = len(cols)
		cols = append(cols, sourceColumn{name: name, typ: typ, field: f, expr: sql})
	}
	for _, m := range ocsfFields {
		f, _ := LookupField(m.Field)
		for _, p := range m.Paths {
			c, ok := paths[p.Path]
			if !ok {
				continue
			}
			sql, typ := ocsfValue(c, p.Conv)
			addCandidate(f, p.Path, sql, typ)
		}
	}
	// unmapped: what OCSF has no place for (ECS fields, pkt addresses and
	// the rest): a field of its own when the key names one, else extra text.
	if u, ok := paths["unmapped"]; ok {
		var keys []string
		var keySQL func(k string) string
		switch u.typ.kind {
		case "struct":
			keys = u.typ.fields
			keySQL = func(k string) string { return paths["unmapped."+k].sql }
		case "map":
			krows, err := l.conn.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT unnest(map_keys(s."unmapped")) AS k FROM %s s ORDER BY k`, src))
			if err != nil {
				return fmt.Errorf("ingest: unmapped: %w", err)
			}
			for krows.Next() {
				var k string
				if err := krows.Scan(&k); err != nil {
					krows.Close()
					return fmt.Errorf("ingest: unmapped: %w", err)
				}
				keys = append(keys, k)
			}
			krows.Close()
			if err := krows.Err(); err != nil {
				return fmt.Errorf("ingest: unmapped: %w", err)
			}
			keySQL = func(k string) string { return fmt.Sprintf(`s."unmapped"[%s]`, store.QuoteString(k)) }
		}
		for _, k := range keys {
			f, ok := lookupDelimited(k)
			if !ok {
				if !identifier.MatchString(k) {
					continue
				}
				f = Field{Name: strings.ReplaceAll(strings.ToLower(k), "_", "-"), Kind: KString, Unknown: true}
				if _, known := LookupField(f.Name); known {
					f, _ = LookupField(f.Name)
				}
			}
			sql := keySQL(k)
			if u.typ.kind == "struct" && paths["unmapped."+k].typ.kind != "scalar" {
				sql = fmt.Sprintf("CAST(%s AS VARCHAR)", sql)
			}
			addCandidate(f, "unmapped."+k, fmt.Sprintf("CAST(%s AS VARCHAR)", sql), "VARCHAR")
		}
	}

	// Required values: a record without them is a reject.
	get := func(p string) string {
		if c, ok := paths[p]; ok {
			return c.varchar()
		}
		return "NULL"
	}
	status := "NULL"
	if i, ok := mapped["log-status"]; ok {
		status = cols[i].expr
	}
	noData := fmt.Sprintf("coalesce(%s IN ('NODATA', 'SKIPDATA'), false)", status)
	var checks []string
	if _, ok := paths["class_uid"]; ok {
		checks = append(checks, fmt.Sprintf(`WHEN %s IS NULL THEN 'class_uid: missing'
			WHEN TRY_CAST(%s AS INTEGER) IS DISTINCT FROM 4001 THEN format('class_uid: "{}" is not 4001 (Network Activity)', left(CAST(%s AS VARCHAR), 80))`,
			get("class_uid"), get("class_uid"), get("class_uid")))
	}
	for _, req := range []struct{ field, what string }{{"srcaddr", "src_endpoint.ip"}, {"dstaddr", "dst_endpoint.ip"}} {
		v := "NULL"
		if i, ok := mapped[req.field]; ok {
			v = cols[i].expr
		}
		checks = append(checks, fmt.Sprintf("WHEN nullif(trim(CAST(%s AS VARCHAR)), '') IS NULL AND NOT %s THEN '%s: missing'", v, noData, req.what))
	}
	for _, t := range []struct{ field, ms, dt string }{{"start", "start_time", "start_time_dt"}, {"end", "end_time", "end_time_dt"}} {
		i, ok := mapped[t.field]
		if !ok {
			checks = append(checks, fmt.Sprintf("WHEN TRUE THEN '%s: missing'", t.ms))
			continue
		}
		raw := fmt.Sprintf("coalesce(%s, %s)", get(t.ms), get(t.dt))
		checks = append(checks, fmt.Sprintf(`WHEN %s IS NULL AND %s IS NULL THEN '%s: missing'
			WHEN %s IS NULL THEN format('%s: "{}" is not a time (epoch milliseconds or ISO 8601)', left(%s, 80))`,
			cols[i].expr, raw, t.ms, cols[i].expr, t.ms, raw))
	}
	var rawCols []string
	for _, n := range top {
		rawCols = append(rawCols, fmt.Sprintf("%s := s.%s", store.QuoteIdent(n), store.QuoteIdent(n)))
	}
	// The record order of columns follows the field table.
	slices.SortStableFunc(cols, func(a, b sourceColumn) int { return fieldOrder(a.field) - fieldOrder(b.field) })
	cs := columnarSource{src: src, rowExpr: rowExpr, cols: cols, checks: checks,
		raw: fmt.Sprintf("CAST(to_json(struct_pack(%s)) AS VARCHAR)", strings.Join(rawCols, ", ")),
		stage: []string{fmt.Sprintf("%s AS _ocsf_version", get("metadata.version")),
			fmt.Sprintf("TRY_CAST(%s AS INTEGER) AS _class", get("class_uid"))}}
	cs.staged = func() error {
		var v, other *string
		var network int64
		if err := l.conn.QueryRowContext(ctx, `SELECT string_agg(DISTINCT _ocsf_version, ', ' ORDER BY _ocsf_version),
				count(*) FILTER (_class = 4001), string_agg(DISTINCT CAST(_class AS VARCHAR), ', ' ORDER BY CAST(_class AS VARCHAR)) FILTER (_class <> 4001)
			FROM ingest_stage`).Scan(&v, &network, &other); err != nil {
			return fmt.Errorf("ingest: OCSF version: %w", err)
		}
		if network == 0 && other != nil {
			// OCSF, but not one Network Activity record: another source of Security Lake's (DNS, CloudTrail).
			return &NotFlowLogError{fmt.Sprintf("OCSF records of class %s, not Network Activity (4001, VPC flow logs)", *other)}
		}
		if v != nil {
			l.res.OCSFVersion = *v
		}
		return nil
	}
	if err := l.loadColumnar(ctx, cs); err != nil {
		if fb := engineFailed(err); fb != nil {
			return fb
		}
		return err
	}
	if _, err := l.exec(ctx, `UPDATE ingest_files SET ocsf_version = ? WHERE id = ?`, nullable(l.res.OCSFVersion), l.fileID); err != nil {
		return fmt.Errorf("ingest: manifest: %w", err)
	}
	return nil
}

// ocsfLines copies a JSON-lines file the engine could not read to a
// temporary file the engine can: each line that is a JSON object, with its
// physical line number as "_ingest_line"; every other line is a reject.
func ocsfLines(path string, gz bool) (string, []Reject, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return "", nil, &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		r = zr
	}
	out, err := os.CreateTemp("", "investigator-ocsf-*.json")
	if err != nil {
		return "", nil, fmt.Errorf("ingest: %w", err)
	}
	fail := func(err error) (string, []Reject, error) {
		out.Close()
		os.Remove(out.Name())
		return "", nil, err
	}
	br := bufio.NewReaderSize(r, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	var rejects []Reject
	var buf []byte
	var lineNo, good int64
	for {
		b, long, rerr := readLine(br, buf)
		buf = b
		if rerr != nil && rerr != io.EOF {
			if gz && !isFileError(rerr) {
				rejects = append(rejects, Reject{Line: lineNo + 1, Raw: string(b), Reason: reasonGzipEnd})
				break
			}
			return fail(fmt.Errorf("ingest: read %s: %w", path, rerr))
		}
		if len(b) == 0 && rerr != nil {
			break
		}
		lineNo++
		s := strings.TrimSpace(string(bytes.TrimPrefix(b, bom)))
		switch {
		case s == "":
		case long:
			rejects = append(rejects, Reject{Line: lineNo, Raw: s, Reason: reasonLongLine})
		case textProblem(s) != "":
			rejects = append(rejects, Reject{Line: lineNo, Raw: cleanLine(b), Reason: textProblem(s)})
		case s[0] != '{' || !json.Valid([]byte(s)):
			rejects = append(rejects, Reject{Line: lineNo, Raw: s, Reason: "not a JSON object (an OCSF record)"})
		default:
			good++
			sep := ","
			if strings.TrimSpace(s[1:]) == "}" {
				sep = ""
			}
			fmt.Fprintf(w, "{\"_ingest_line\":%d%s%s\n", lineNo, sep, s[1:])
		}
		if rerr != nil {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return fail(fmt.Errorf("ingest: %w", err))
	}
	if err := out.Close(); err != nil {
		return fail(fmt.Errorf("ingest: %w", err))
	}
	if good == 0 {
		os.Remove(out.Name())
		return "", nil, &NotFlowLogError{"malformed JSON, and no line of it is a JSON object"}
	}
	return out.Name(), rejects, nil
}

// fieldOrder is a field's place in the field table (unknown fields last).
func fieldOrder(f Field) int {
	if i := slices.IndexFunc(fieldTable, func(g Field) bool { return g.Name == f.Name }); i >= 0 {
		return i
	}
	return len(fieldTable)
}
