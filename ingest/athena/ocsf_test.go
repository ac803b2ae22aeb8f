package athena

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/investigator/investigator/ingest"
)

// The Security Lake table of the tests: Amazon Security Lake's VPC flow
// table of AWS source version 2 (OCSF 1.1.0) as the Glue catalog describes
// it, after AWS's Security Lake documentation.
const (
	lakeDB    = "amazon_security_lake_glue_db_us_east_1"
	lakeTable = "amazon_security_lake_table_us_east_1_vpc_flow_2_0"
)

var lakeColumns = []struct{ name, typ string }{
	{"metadata", "struct<product:struct<version:string,name:string,vendor_name:string,feature:struct<name:string>>,profiles:array<string>,version:string>"},
	{"cloud", "struct<account:struct<uid:string>,region:string,zone:string,provider:string>"},
	{"src_endpoint", lakeEndpoint},
	{"dst_endpoint", lakeEndpoint},
	{"connection_info", "struct<protocol_num:int,tcp_flags:int,protocol_ver:string,boundary_id:int,boundary:string,direction_id:int,direction:string>"},
	{"traffic", "struct<packets:bigint,bytes:bigint>"},
	{"time", "bigint"},
	{"start_time", "bigint"},
	{"end_time", "bigint"},
	{"status_code", "string"},
	{"severity_id", "int"},
	{"severity", "string"},
	{"class_name", "string"},
	{"class_uid", "int"},
	{"category_name", "string"},
	{"category_uid", "int"},
	{"activity_id", "int"},
	{"activity_name", "string"},
	{"type_uid", "bigint"},
	{"type_name", "string"},
	{"action", "string"},
	{"action_id", "int"},
	{"disposition", "string"},
	{"disposition_id", "int"},
	{"unmapped", "map<string,string>"},
}

var lakePartitions = []struct{ name, typ string }{{"region", "string"}, {"accountid", "string"}, {"eventday", "string"}}

// securityLakeTable is the table's metadata as GetTableMetadata returns it.
func securityLakeTable() map[string]any {
	cols := func(cs []struct{ name, typ string }) []map[string]string {
		var out []map[string]string
		for _, c := range cs {
			out = append(out, map[string]string{"Name": c.name, "Type": c.typ})
		}
		return out
	}
	return map[string]any{
		"Name": lakeTable, "TableType": "EXTERNAL_TABLE", "Columns": cols(lakeColumns), "PartitionKeys": cols(lakePartitions),
		"Parameters": map[string]string{"classification": "parquet", "EXTERNAL": "TRUE"},
	}
}

func lakeOptions() Options {
	o := pullOptions()
	o.Table = lakeDB + "." + lakeTable
	return o
}

// duckType is a Glue type as DuckDB writes it, for the engine that plays
// Athena in the tests.
func duckType(t hiveType) string {
	switch t.kind {
	case "struct":
		var parts []string
		for i, f := range t.fields {
			parts = append(parts, fmt.Sprintf("%q %s", f, duckType(t.children[i])))
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	case "array":
		return duckType(t.children[0]) + "[]"
	case "map":
		return "MAP(" + duckType(t.children[0]) + ", " + duckType(t.children[1]) + ")"
	}
	return map[string]string{"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}[t.name]
}

// lakeRecord is one record of the engine's Security Lake table, as the
// values of its columns in DuckDB SQL.
type lakeRecord struct {
	srcIP, dstIP, srcPkt         string
	srcPort, dstPort             string
	start, end                   int64 // epoch ms
	action, disposition          string
	actionID                     string
	boundaryID, boundary         string
	directionID, direction       string
	status                       string
	class                        string
	packets, bytes               string
	interfaceSrc, interfaceDst   string
	svcSrc, eventday, productVer string
}

func (r lakeRecord) sql() string {
	or := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	ep := func(ip, port, pkt, eni, svc string) string {
		ips := "NULL"
		if pkt != "" {
			ips = "[" + pkt + "]"
		}
		return fmt.Sprintf(`{'port': %s, 'svc_name': %s, 'ip': %s, 'intermediate_ips': %s, 'interface_uid': %s, 'vpc_uid': 'vpc-01', 'instance_uid': NULL, 'subnet_uid': 'subnet-01'}`,
			or(port, "NULL"), or(svc, "'-'"), or(ip, "NULL"), ips, or(eni, "NULL"))
	}
	return fmt.Sprintf(`SELECT
		{'product': {'version': %s, 'name': 'Amazon VPC', 'vendor_name': 'AWS', 'feature': {'name': 'Flowlogs'}}, 'profiles': ['cloud', 'security_control', 'datetime'], 'version': '1.1.0'},
		{'account': {'uid': '123456789012'}, 'region': 'us-east-1', 'zone': 'use1-az1', 'provider': 'AWS'},
		%s, %s,
		{'protocol_num': 6, 'tcp_flags': 19, 'protocol_ver': 'IPv4', 'boundary_id': %s, 'boundary': %s, 'direction_id': %s, 'direction': %s},
		{'packets': %s, 'bytes': %s},
		%d, %d, %d, %s, 1, 'Informational', 'Network Activity', %s, 'Network Activity', 4, 6, 'Traffic', 400106, 'Network Activity: Traffic',
		%s, %s, %s, %s, MAP {'sublocation_type': '-'}, 'us-east-1', '123456789012', %s`,
		or(r.productVer, "'5'"), ep(r.srcIP, r.srcPort, r.srcPkt, or(r.interfaceSrc, "'eni-01'"), r.svcSrc), ep(r.dstIP, r.dstPort, "", r.interfaceDst, ""),
		or(r.boundaryID, "4"), or(r.boundary, "'Same VPC'"), or(r.directionID, "2"), or(r.direction, "'Outbound'"),
		or(r.packets, "10"), or(r.bytes, "840"),
		r.end, r.start, r.end, or(r.status, "'OK'"), or(r.class, "4001"),
		or(r.action, "'Allowed'"), or(r.actionID, "1"), or(r.disposition, "'Allowed'"), or(r.actionID, "1"),
		or(r.eventday, "'"+time.UnixMilli(r.start).UTC().Format("20060102")+"'"))
}

var ms0 = day0.UnixMilli()

// lakeRecords: what the Security Lake table holds; the comments say what
// the pull of lakeOptions makes of each.
var lakeRecords = []lakeRecord{
	// An inbound SSH attempt, denied at the internet gateway: lands.
	{srcIP: "'198.51.100.7'", srcPort: "49152", dstIP: "'10.0.1.10'", dstPort: "22", start: ms0 + 100_000, end: ms0 + 160_000,
		action: "'Denied'", actionID: "2", disposition: "'Blocked'", boundaryID: "11", boundary: "'Internet Gateway'", directionID: "1", direction: "'Inbound'",
		interfaceSrc: "NULL", interfaceDst: "'eni-01'"},
	// Outbound HTTPS: lands.
	{srcIP: "'10.0.1.10'", srcPort: "50000", dstIP: "'203.0.113.9'", dstPort: "443", start: ms0 + 200_000, end: ms0 + 260_000, packets: "20", bytes: "16800"},
	// NAT-ed: the focus is only its first intermediate address: lands.
	{srcIP: "'10.0.9.9'", srcPort: "40000", srcPkt: "'10.0.1.11'", dstIP: "'192.0.2.1'", dstPort: "53", start: ms0 + 300_000, end: ms0 + 360_000, svcSrc: "'AMAZON'"},
	// No action, Blocked disposition, the boundary only by name, IPv6: lands.
	{srcIP: "'2600:1f18:abc:de01::10'", srcPort: "51000", dstIP: "'2001:db8::1'", dstPort: "443", start: ms0 + 400_000, end: ms0 + 460_000,
		action: "NULL", actionID: "NULL", disposition: "'Blocked'", boundaryID: "NULL", boundary: "'Internet Gateway'", directionID: "NULL", direction: "NULL"},
	// The window's last second, milliseconds in: lands.
	{srcIP: "'10.0.1.10'", srcPort: "40001", dstIP: "'192.0.2.2'", dstPort: "22", start: day3.UnixMilli() + 500, end: day3.UnixMilli() + 60_000},
	// A millisecond before the window: not selected.
	{srcIP: "'10.0.1.10'", srcPort: "40002", dstIP: "'192.0.2.3'", dstPort: "22", start: ms0 - 1, end: ms0 + 59_999},
	// Another class in the same table: not selected.
	{srcIP: "'10.0.1.10'", srcPort: "40003", dstIP: "'192.0.2.4'", dstPort: "22", start: ms0 + 500_000, end: ms0 + 560_000, class: "4002"},
	// No focus address: not selected.
	{srcIP: "'10.0.2.2'", srcPort: "40004", dstIP: "'192.0.2.5'", dstPort: "22", start: ms0 + 600_000, end: ms0 + 660_000},
	// A flow-log version that is no number: lands without one.
	{srcIP: "'10.0.1.10'", srcPort: "40005", dstIP: "'192.0.2.6'", dstPort: "80", start: ms0 + 700_000, end: ms0 + 760_000, productVer: "'n/a'"},
	// A value with white space the mapping lets through: a reject of the pull.
	{srcIP: "'10.0.1.10'", srcPort: "40006", dstIP: "'192.0.2.7'", dstPort: "80", start: ms0 + 800_000, end: ms0 + 860_000, direction: "'East West'", directionID: "NULL"},
}

// lakeEngine makes a DuckDB database holding the Security Lake table and
// returns a function that runs an Athena query on it, as the fake's
// engine. Athena's SQL (Trino's) and DuckDB's differ in two places the
// query uses: '/' on integers is integer division in Trino, '//' in DuckDB;
// Trino's element_at(list, 1) (NULL past the end) is DuckDB's list_extract.
func lakeEngine(t *testing.T) func(string) ([]string, [][]*string) {
	t.Helper()
	db := newCase(t).DB
	var cols []string
	for _, c := range append(append([]struct{ name, typ string }{}, lakeColumns...), lakePartitions...) {
		h, err := parseHiveType(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, fmt.Sprintf("%q %s", c.name, duckType(h)))
	}
	var sels []string
	for _, r := range lakeRecords {
		sels = append(sels, r.sql())
	}
	for _, q := range []string{
		"CREATE SCHEMA " + lakeDB,
		fmt.Sprintf("CREATE TABLE %s.%s (%s)", lakeDB, lakeTable, strings.Join(cols, ", ")),
		fmt.Sprintf("INSERT INTO %s.%s %s", lakeDB, lakeTable, strings.Join(sels, " UNION ALL ")),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	return func(query string) ([]string, [][]*string) {
		duck := strings.NewReplacer(" / 1000", " // 1000", "element_at(", "list_extract(").Replace(query)
		return runOn(t, db, duck)
	}
}

// runOn runs a query and returns its columns and its rows as text, a
// header row first, as Athena's results are.
func runOn(t *testing.T, db *sql.DB, query string) ([]string, [][]*string) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Errorf("the engine cannot run the query: %v\n%s", err, query)
		return nil, nil
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := [][]*string{strs(cols...)}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				r[i] = aws.String(v.String)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

func TestBuildOCSFQueryShape(t *testing.T) {
	info := &tableInfo{}
	for _, c := range lakeColumns {
		info.columns = append(info.columns, types.Column{Name: aws.String(c.name), Type: aws.String(c.typ)})
	}
	for _, c := range lakePartitions {
		info.partitions = append(info.partitions, types.Column{Name: aws.String(c.name), Type: aws.String(c.typ)})
	}
	o := lakeOptions()
	o.Focus = addrs("10.0.1.10", "2600:1f18:abc:de01::10")
	lake, err := detectOCSF(o.Table, info, nil)
	if err != nil || lake == nil {
		t.Fatalf("detect: %v %v", lake, err)
	}
	got, cols, filter, err := buildOCSFQuery(o, lake)
	if err != nil {
		t.Fatal(err)
	}
	lits := `('10.0.1.10', '2600:1f18:abc:de01::10', '2600:1f18:0abc:de01:0000:0000:0000:0010')`
	want := `SELECT
  TRY_CAST(TRY_CAST("metadata"."product"."version" AS DOUBLE) AS INTEGER) AS "version",
  "cloud"."account"."uid" AS "account_id",
  coalesce("src_endpoint"."interface_uid", "dst_endpoint"."interface_uid") AS "interface_id",
  "src_endpoint"."ip" AS "srcaddr",
  "dst_endpoint"."ip" AS "dstaddr",
  "src_endpoint"."port" AS "srcport",
  "dst_endpoint"."port" AS "dstport",
  "connection_info"."protocol_num" AS "protocol",
  "traffic"."packets" AS "packets",
  "traffic"."bytes" AS "bytes",
  "start_time" / 1000 AS "start",
  "end_time" / 1000 AS "end",
  coalesce(CASE upper("action") WHEN 'ALLOWED' THEN 'ACCEPT' WHEN 'ALLOW' THEN 'ACCEPT' WHEN 'ACCEPT' THEN 'ACCEPT' WHEN 'DENIED' THEN 'REJECT' WHEN 'DENY' THEN 'REJECT' WHEN 'BLOCKED' THEN 'REJECT' WHEN 'REJECT' THEN 'REJECT' WHEN 'UNKNOWN' THEN NULL ELSE "action" END, ` +
		`CASE upper("disposition") WHEN 'ALLOWED' THEN 'ACCEPT' WHEN 'ALLOW' THEN 'ACCEPT' WHEN 'ACCEPT' THEN 'ACCEPT' WHEN 'DENIED' THEN 'REJECT' WHEN 'DENY' THEN 'REJECT' WHEN 'BLOCKED' THEN 'REJECT' WHEN 'REJECT' THEN 'REJECT' WHEN 'UNKNOWN' THEN NULL ELSE "disposition" END, ` +
		`CASE TRY_CAST("action_id" AS INTEGER) WHEN 1 THEN 'ACCEPT' WHEN 2 THEN 'REJECT' END, CASE TRY_CAST("disposition_id" AS INTEGER) WHEN 1 THEN 'ACCEPT' WHEN 2 THEN 'REJECT' END) AS "action",
  upper("status_code") AS "log_status",
  coalesce("src_endpoint"."vpc_uid", "dst_endpoint"."vpc_uid") AS "vpc_id",
  coalesce("src_endpoint"."subnet_uid", "dst_endpoint"."subnet_uid") AS "subnet_id",
  coalesce("src_endpoint"."instance_uid", "dst_endpoint"."instance_uid") AS "instance_id",
  "connection_info"."tcp_flags" AS "tcp_flags",
  "connection_info"."protocol_ver" AS "type",
  element_at("src_endpoint"."intermediate_ips", 1) AS "pkt_srcaddr",
  element_at("dst_endpoint"."intermediate_ips", 1) AS "pkt_dstaddr",
  "cloud"."region" AS "region",
  "cloud"."zone" AS "az_id",
  "src_endpoint"."svc_name" AS "pkt_src_aws_service",
  "dst_endpoint"."svc_name" AS "pkt_dst_aws_service",
  coalesce(CASE lower("connection_info"."direction") WHEN 'inbound' THEN 'ingress' WHEN 'outbound' THEN 'egress' WHEN 'unknown' THEN NULL WHEN 'lateral' THEN NULL WHEN 'other' THEN NULL ELSE lower("connection_info"."direction") END, ` +
		`CASE TRY_CAST("connection_info"."direction_id" AS INTEGER) WHEN 1 THEN 'ingress' WHEN 2 THEN 'egress' END) AS "flow_direction",
  coalesce(CASE WHEN TRY_CAST("connection_info"."boundary_id" AS INTEGER) BETWEEN 4 AND 11 THEN TRY_CAST("connection_info"."boundary_id" AS INTEGER) - 3 END, ` +
		`CASE lower("connection_info"."boundary") WHEN 'same vpc' THEN 1 WHEN 'internet/vpc gateway' THEN 2 WHEN 'virtual private gateway' THEN 3 WHEN 'intra-region vpc' THEN 4 WHEN 'inter-region vpc' THEN 5 WHEN 'local gateway' THEN 6 WHEN 'gateway vpc' THEN 7 WHEN 'internet gateway' THEN 8 END) AS "traffic_path",
  "metadata"."version" AS "ocsf_version"
FROM "amazon_security_lake_glue_db_us_east_1"."amazon_security_lake_table_us_east_1_vpc_flow_2_0"
WHERE "start_time" BETWEEN 1795132800000 AND 1795391999999
  AND "class_uid" = 4001
  AND ("src_endpoint"."ip" IN ` + lits + `
    OR "dst_endpoint"."ip" IN ` + lits + `
    OR element_at("src_endpoint"."intermediate_ips", 1) IN ` + lits + `
    OR element_at("dst_endpoint"."intermediate_ips", 1) IN ` + lits + `)
  AND "eventday" BETWEEN '20261120' AND '20261123'`
	if got != want {
		t.Fatalf("query:\n%s\nwant:\n%s", got, want)
	}
	if len(cols) != 27 || cols[0] != "version" || cols[26] != "traffic_path" {
		t.Errorf("columns %v", cols)
	}
	if filter != `"eventday" BETWEEN '20261120' AND '20261123'` {
		t.Errorf("partition filter %q", filter)
	}
}

func TestBuildOCSFQuery(t *testing.T) {
	base := func() (*tableInfo, Options) {
		info := &tableInfo{}
		for _, c := range lakeColumns {
			info.columns = append(info.columns, types.Column{Name: aws.String(c.name), Type: aws.String(c.typ)})
		}
		for _, c := range lakePartitions {
			info.partitions = append(info.partitions, types.Column{Name: aws.String(c.name), Type: aws.String(c.typ)})
		}
		o := lakeOptions()
		o.Focus = nil
		return info, o
	}
	setType := func(info *tableInfo, name, typ string) {
		for i, c := range info.columns {
			if aws.ToString(c.Name) == name {
				info.columns[i].Type = aws.String(typ)
			}
		}
	}
	tests := []struct {
		name    string
		edit    func(*tableInfo, *Options)
		want    []string
		notWant []string
		err     string
	}{
		{name: "window in epoch ms, whole seconds inward", edit: func(info *tableInfo, o *Options) {
			o.Start, o.End = day0.Add(1500*time.Millisecond), day3.Add(900*time.Millisecond)
		}, want: []string{`WHERE "start_time" BETWEEN 1795132802000 AND 1795391999999`}},
		{name: "no focus, no address filter", edit: func(*tableInfo, *Options) {}, notWant: []string{" IN ("}},
		{name: "eventday covers the delivery lag past midnight", edit: func(info *tableInfo, o *Options) {
			o.Start, o.End = day0.Add(10*time.Hour), day0.Add(23*time.Hour+30*time.Minute)
		}, want: []string{`"eventday" BETWEEN '20261120' AND '20261121'`}},
		{name: "eventday in UTC", edit: func(info *tableInfo, o *Options) {
			loc := time.FixedZone("X", 10*3600)
			o.Start, o.End = day0.In(loc), day0.Add(time.Hour).In(loc)
		}, want: []string{`"eventday" BETWEEN '20261120' AND '20261120'`}},
		{name: "a table not partitioned by eventday", edit: func(info *tableInfo, o *Options) { info.partitions = nil }, notWant: []string{"eventday"}},
		{name: "partition filter given: with eventday", edit: func(info *tableInfo, o *Options) { o.PartitionFilter = "accountid = '123456789012'" },
			want: []string{"\n  AND \"eventday\" BETWEEN '20261120' AND '20261123'\n  AND (accountid = '123456789012'\n)"}},
		{name: "other catalog", edit: func(info *tableInfo, o *Options) { o.Catalog = "lake" }, want: []string{`FROM "lake"."amazon_security_lake_glue_db_us_east_1".`}},
		{name: "columns asked for", edit: func(info *tableInfo, o *Options) {
			o.Columns = []string{"dstaddr", "srcaddr", "start", "flow-direction"}
		},
			want: []string{"SELECT\n  \"src_endpoint\".\"ip\" AS \"srcaddr\",\n  \"dst_endpoint\".\"ip\" AS \"dstaddr\",\n  \"start_time\" / 1000 AS \"start\",\n  coalesce(CASE lower("}, notWant: []string{`AS "bytes"`}},
		{name: "a column the table cannot fill", edit: func(info *tableInfo, o *Options) { o.Columns = []string{"srcaddr", "ecs-cluster-arn"} },
			err: "athena: column ecs_cluster_arn has no place in OCSF Network Activity records, so not in table amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_vpc_flow_2_0 (the columns it can fill: version, account_id,"},
		{name: "a column the table lacks the path of", edit: func(info *tableInfo, o *Options) {
			setType(info, "traffic", "struct<packets:bigint>")
			o.Columns = []string{"srcaddr", "bytes"}
		}, err: "athena: OCSF table amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_vpc_flow_2_0 has no traffic.bytes for column bytes"},
		{name: "source version 1: cloud.account_uid, disposition only", edit: func(info *tableInfo, o *Options) {
			setType(info, "cloud", lakeCloudV1)
			info.columns = info.columns[:len(info.columns)-5] // no action, action_id, disposition, disposition_id, unmapped
			info.columns = append(info.columns, types.Column{Name: aws.String("disposition"), Type: aws.String("string")})
		}, want: []string{`"cloud"."account_uid" AS "account_id"`, `ELSE "disposition" END AS "action"`}, notWant: []string{`"action_id"`}},
		{name: "string start_time and class_uid", edit: func(info *tableInfo, o *Options) {
			setType(info, "start_time", "string")
			setType(info, "class_uid", "string")
		}, want: []string{`TRY_CAST("start_time" AS BIGINT) / 1000 AS "start"`, `WHERE TRY_CAST("start_time" AS BIGINT) BETWEEN`, `AND TRY_CAST("class_uid" AS INTEGER) = 4001`}},
		{name: "no intermediate_ips", edit: func(info *tableInfo, o *Options) {
			ep := strings.Replace(lakeEndpoint, "intermediate_ips:array<string>,", "", 1)
			setType(info, "src_endpoint", ep)
			setType(info, "dst_endpoint", ep)
			o.Focus = addrs("10.0.1.10")
		}, want: []string{`OR "dst_endpoint"."ip" IN ('10.0.1.10'))`}, notWant: []string{`"pkt_srcaddr"`, "intermediate_ips"}},
		{name: "start_time_dt as well", edit: func(info *tableInfo, o *Options) {
			info.columns = append(info.columns, types.Column{Name: aws.String("start_time_dt"), Type: aws.String("timestamp")})
		}, want: []string{`coalesce("start_time" / 1000, CAST(to_unixtime("start_time_dt") AS BIGINT)) AS "start"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, o := base()
			tt.edit(info, &o)
			lake, err := detectOCSF(o.Table, info, nil)
			if err != nil || lake == nil {
				t.Fatalf("detect: %v %v", lake, err)
			}
			q, _, _, err := buildOCSFQuery(o, lake)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q\n%s", err, tt.err, q)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(q, w) {
					t.Errorf("query lacks %q:\n%s", w, q)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(q, w) {
					t.Errorf("query has %q:\n%s", w, q)
				}
			}
		})
	}
}

// TestPrepareSecurityLake: the dry run of a Security Lake table says what
// the table is, applies the eventday range and warns about no partitions.
func TestPrepareSecurityLake(t *testing.T) {
	f := newFake(t)
	f.table = securityLakeTable()
	plan, err := Prepare(context.Background(), f.client(), lakeOptions())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Shape != ingest.ShapeOCSF || !strings.Contains(plan.Kind, "Amazon Security Lake") || !strings.Contains(plan.Kind, "OCSF Network Activity records (class_uid 4001)") {
		t.Errorf("shape %q, kind %q", plan.Shape, plan.Kind)
	}
	if plan.PartitionFilter != `"eventday" BETWEEN '20261120' AND '20261123'` || plan.SuggestedPartitionFilter != "" ||
		strings.Join(plan.Partitions, " ") != "region accountid eventday" {
		t.Errorf("partitions %v, filter %q, suggested %q", plan.Partitions, plan.PartitionFilter, plan.SuggestedPartitionFilter)
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("warnings: %q", plan.Warnings)
	}
	if len(plan.Columns) != 27 || plan.Key != QueryKey(plan.Query) || !strings.Contains(plan.Query, `"src_endpoint"."ip" AS "srcaddr"`) {
		t.Errorf("plan %+v", plan)
	}
	if n := f.count("StartQueryExecution"); n != 0 {
		t.Errorf("a dry run started %d queries", n)
	}

	// A flow-log table's plan says so too.
	f.table = flowTable()
	plain, err := Prepare(context.Background(), f.client(), pullOptions())
	if err != nil {
		t.Fatal(err)
	}
	if plain.Shape != "" || plain.Kind != flowTableKind || plain.PartitionFilter != "" {
		t.Errorf("flow-log table: shape %q kind %q filter %q", plain.Shape, plain.Kind, plain.PartitionFilter)
	}
}

// TestPullSecurityLake: a pull of a Security Lake table, its query run by
// an engine over a table shaped like Security Lake's, lands the records
// with the AWS fields, and the manifest says they came from OCSF.
func TestPullSecurityLake(t *testing.T) {
	f := newFake(t)
	f.table = securityLakeTable()
	f.engine = lakeEngine(t)
	c := newCase(t)
	o := lakeOptions()
	ctx := context.Background()
	sum, err := Pull(ctx, f.client(), begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("pull: %v (%+v)", err, sum)
	}
	if sum.Shape != ingest.ShapeOCSF || sum.OCSFVersion != "1.1.0" || sum.Rows != 7 || sum.Records != 6 || sum.Rejected != 1 || sum.Result.Status != ingest.Loaded ||
		sum.Result.OutsideWindow != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if len(sum.Rejects) != 1 || !strings.Contains(sum.Rejects[0].Reason, `flow_direction: value "east west" has white space`) {
		t.Errorf("rejects %+v", sum.Rejects)
	}
	if got := sum.String(); !strings.HasPrefix(got, "Security Lake OCSF table (OCSF 1.1.0), query q-1: 7 rows, 6 records, 1 rejected") {
		t.Errorf("String() = %q", got)
	}
	if f.started[0]["QueryString"] != sum.Query {
		t.Errorf("Athena was asked %q", f.started[0]["QueryString"])
	}

	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 6 {
		t.Fatalf("%d flows", n)
	}
	s := func(sec int64) string { return fmt.Sprintf("to_timestamp(%d)::TIMESTAMP", day0.Unix()+sec) }
	checks := []string{
		// Denied inbound at the internet gateway; the interface from dst_endpoint.
		`SELECT count(*) FROM flows WHERE srcaddr = '198.51.100.7' AND dstaddr = '10.0.1.10' AND srcport = 49152 AND dstport = 22 AND protocol = 6
			AND action = 'REJECT' AND flow_direction = 'ingress' AND traffic_path = 8 AND interface_id = 'eni-01' AND log_status = 'OK'
			AND version = 5 AND account_id = '123456789012' AND region = 'us-east-1' AND az_id = 'use1-az1' AND vpc_id = 'vpc-01' AND subnet_id = 'subnet-01'
			AND tcp_flags = 19 AND type = 'IPv4' AND packets = 10 AND bytes = 840 AND instance_id IS NULL AND pkt_srcaddr IS NULL
			AND pkt_src_aws_service IS NULL AND start = ` + s(100) + ` AND "end" = ` + s(160),
		`SELECT count(*) FROM flows WHERE srcaddr = '10.0.1.10' AND dstaddr = '203.0.113.9' AND action = 'ACCEPT' AND flow_direction = 'egress'
			AND traffic_path = 1 AND bytes = 16800 AND start = ` + s(200),
		`SELECT count(*) FROM flows WHERE srcaddr = '10.0.9.9' AND pkt_srcaddr = '10.0.1.11' AND pkt_src_aws_service = 'AMAZON' AND pkt_dstaddr IS NULL`,
		`SELECT count(*) FROM flows WHERE srcaddr = '2600:1f18:abc:de01::10' AND action = 'REJECT' AND traffic_path = 8 AND flow_direction IS NULL`,
		fmt.Sprintf(`SELECT count(*) FROM flows WHERE dstaddr = '192.0.2.2' AND start = to_timestamp(%d)::TIMESTAMP`, day3.Unix()),
		`SELECT count(*) FROM flows WHERE dstaddr = '192.0.2.6' AND version IS NULL`,
		`SELECT count(*) FROM ingest_files WHERE source = 'athena:` + o.Table + ` query q-1' AND shape = 'ocsf' AND ocsf_version = '1.1.0' AND dedup_key = '` + sum.Key + `'`,
	}
	for _, q := range checks {
		if n := queryInt(t, c, q); n != 1 {
			t.Errorf("%s: %d", q, n)
		}
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE dstaddr IN ('192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.7')`); n != 0 {
		t.Errorf("%d records that the query should not have selected (or that are rejects) landed", n)
	}

	// The same pull again: recognised before any query starts.
	again, err := Pull(ctx, f.client(), begin(t, c, o.Start, o.End), o)
	if err != nil || !again.Skipped || again.Shape != ingest.ShapeOCSF || f.count("StartQueryExecution") != 1 {
		t.Fatalf("second pull %+v %v", again, err)
	}
}

// TestPullSecurityLakeDiscovers: without GetTableMetadata, the OCSF columns
// from a LIMIT 0 query, their fields after Security Lake's documented schema.
func TestPullSecurityLakeDiscovers(t *testing.T) {
	f := newFake(t)
	f.engine = lakeEngine(t)
	for _, c := range append(append([]struct{ name, typ string }{}, lakeColumns...), lakePartitions...) {
		f.discover = append(f.discover, c.name)
	}
	c := newCase(t)
	o := lakeOptions()
	sum, err := Pull(context.Background(), onlyAPI{f.client()}, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("%v %+v", err, sum)
	}
	if f.count("GetTableMetadata") != 0 || f.count("StartQueryExecution") != 2 || sum.QueryID != "q-2" || sum.Records != 6 || sum.Shape != ingest.ShapeOCSF {
		t.Fatalf("%+v, calls %v", sum, f.calls)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), "assumes the struct fields of Security Lake's documented VPC flow schema") {
		t.Errorf("warnings %q", sum.Warnings)
	}
	for _, w := range []string{`"eventday" BETWEEN '20261120' AND '20261123'`, `"cloud"."account"."uid" AS "account_id"`, `element_at("src_endpoint"."intermediate_ips", 1) IN (`} {
		if !strings.Contains(sum.Query, w) {
			t.Errorf("query lacks %q:\n%s", w, sum.Query)
		}
	}
}

func TestSecurityLakeErrors(t *testing.T) {
	lakeWith := func(edit func(cols []map[string]string) []map[string]string) map[string]any {
		tbl := securityLakeTable()
		tbl["Columns"] = edit(tbl["Columns"].([]map[string]string))
		return tbl
	}
	drop := func(name string) func([]map[string]string) []map[string]string {
		return func(cols []map[string]string) []map[string]string {
			var out []map[string]string
			for _, c := range cols {
				if c["Name"] != name {
					out = append(out, c)
				}
			}
			return out
		}
	}
	retype := func(name, typ string) func([]map[string]string) []map[string]string {
		return func(cols []map[string]string) []map[string]string {
			for _, c := range cols {
				if c["Name"] == name {
					c["Type"] = typ
				}
			}
			return cols
		}
	}
	tests := []struct {
		name  string
		table string
		meta  map[string]any
		want  []string
	}{
		{name: "CloudTrail", table: lakeDB + ".amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0", meta: securityLakeTable(),
			want: []string{"table amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0 is Amazon Security Lake's table of CloudTrail management events (OCSF API Activity, class_uid 6003), not of VPC flow logs",
				"amazon_security_lake_table_<region>_vpc_flow_2_0"}},
		{name: "Route 53", table: lakeDB + ".amazon_security_lake_table_eu_west_1_route53_1_0", meta: securityLakeTable(),
			want: []string{"Route 53 Resolver query logs (OCSF DNS Activity, class_uid 4003)", "vpc_flow_1_0"}},
		{name: "no src_endpoint", table: "lake.api_activity", meta: lakeWith(drop("src_endpoint")),
			want: []string{"table lake.api_activity holds OCSF records (it has a class_uid column) but no src_endpoint struct", "class_uid 4001", "(its columns: metadata, cloud, dst_endpoint,"}},
		{name: "dst_endpoint not a struct", table: "lake.t", meta: lakeWith(retype("dst_endpoint", "string")), want: []string{"but no dst_endpoint struct"}},
		{name: "src_endpoint without ip", table: "lake.t", meta: lakeWith(retype("src_endpoint", "struct<port:int,uid:string>")),
			want: []string{"table lake.t: OCSF column src_endpoint has no ip field (its type: struct<port:int,uid:string>)"}},
		{name: "no start_time", table: "lake.t", meta: lakeWith(drop("start_time")), want: []string{"OCSF table lake.t has no start_time column (epoch milliseconds)"}},
		{name: "start_time a double", table: "lake.t", meta: lakeWith(retype("start_time", "double")), want: []string{"start_time is double, not epoch milliseconds (bigint)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.table = tt.meta
			o := lakeOptions()
			o.Table = tt.table
			_, err := Prepare(context.Background(), f.client(), o)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if n := f.count("StartQueryExecution"); n != 0 {
				t.Errorf("%d queries started", n)
			}
		})
	}

	// From a LIMIT 0 query's columns too.
	f := newFake(t)
	f.discover = []string{"metadata", "time", "class_uid", "actor", "api", "src_endpoint"}
	o := lakeOptions()
	o.Table = "lake.cloudtrail"
	if _, err := Prepare(context.Background(), onlyAPI{f.client()}, o); err == nil || !strings.Contains(err.Error(), "but no dst_endpoint struct") {
		t.Errorf("err = %v", err)
	}
}

func TestParseHiveType(t *testing.T) {
	for in, want := range map[string]string{
		lakeEndpoint:                            lakeEndpoint,
		"STRUCT<Port:INT, ip : string>":         "struct<port:int,ip:string>",
		"array<struct<a:map<string,bigint>>>":   "array<struct<a:map<string,bigint>>>",
		"decimal(10, 2)":                        "decimal(10,2)",
		"struct<`end`:bigint,`a b`:varchar(3)>": "struct<end:bigint,`a b`:varchar(3)>",
		"struct<>":                              "struct<>",
	} {
		got, err := parseHiveType(in)
		if err != nil || got.String() != want {
			t.Errorf("%q: %v %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "struct<a:int", "struct<:int>", "map<string>", "array<>", "int>", "varchar(x)", "struct<a int>", strings.Repeat("array<", 40) + "int" + strings.Repeat(">", 40)} {
		if got, err := parseHiveType(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
	paths := map[string]hiveType{}
	h, _ := parseHiveType(lakeSchema["metadata"])
	h.flatten("metadata", paths)
	if paths["metadata.product.version"].name != "string" || paths["metadata.product.feature.name"].name != "string" || paths["metadata.profiles"].kind != "array" {
		t.Errorf("paths %v", paths)
	}
}

// FuzzParseHiveType: a type either is refused or reads back the same from
// what String writes.
func FuzzParseHiveType(f *testing.F) {
	for _, c := range lakeColumns {
		f.Add(c.typ)
	}
	f.Add("struct<`a:b`:int,c:array<map<string,decimal(3,1)>>>")
	f.Add("struct<a:struct<b:struct<c:int>>")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHiveType(s)
		if err != nil {
			return
		}
		again, err := parseHiveType(h.String())
		if err != nil || again.String() != h.String() {
			t.Fatalf("%q reads as %q, which reads as %q (%v)", s, h.String(), again.String(), err)
		}
	})
}
