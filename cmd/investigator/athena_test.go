package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// athenaFake answers the Athena calls one pull makes: the table's columns,
// one query that succeeds at once, and its rows.
type athenaFake struct {
	mu      sync.Mutex
	queries []string
	// lake: the table is Amazon Security Lake's VPC flow table, whose
	// columns are OCSF structs; the results are what its query gives.
	lake bool
}

// lakeColumns are the columns of a Security Lake VPC flow table, as the
// catalog describes them.
var lakeColumns = [][2]string{
	{"metadata", "struct<product:struct<version:string,name:string,vendor_name:string>,version:string>"},
	{"cloud", "struct<account:struct<uid:string>,region:string,zone:string,provider:string>"},
	{"src_endpoint", "struct<port:int,ip:string,interface_uid:string,vpc_uid:string>"},
	{"dst_endpoint", "struct<port:int,ip:string,interface_uid:string,vpc_uid:string>"},
	{"connection_info", "struct<protocol_num:int,direction:string>"},
	{"traffic", "struct<packets:bigint,bytes:bigint>"},
	{"start_time", "bigint"}, {"end_time", "bigint"}, {"status_code", "string"}, {"class_uid", "int"}, {"action", "string"},
}

func (f *athenaFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	json.NewDecoder(r.Body).Decode(&in)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	cols := []string{"version", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status"}
	if f.lake {
		cols = append(cols, "ocsf_version")
	}
	var out any
	switch op {
	case "GetTableMetadata":
		var c []map[string]string
		for _, n := range cols {
			c = append(c, map[string]string{"Name": n, "Type": "string"})
		}
		meta := map[string]any{"Name": "flows", "Columns": c}
		if f.lake {
			c = nil
			for _, n := range lakeColumns {
				c = append(c, map[string]string{"Name": n[0], "Type": n[1]})
			}
			meta["Columns"] = c
			meta["PartitionKeys"] = []map[string]string{{"Name": "region", "Type": "string"}, {"Name": "accountid", "Type": "string"}, {"Name": "eventday", "Type": "string"}}
		}
		out = map[string]any{"TableMetadata": meta}
	case "StartQueryExecution":
		f.mu.Lock()
		f.queries = append(f.queries, in["QueryString"].(string))
		f.mu.Unlock()
		out = map[string]any{"QueryExecutionId": "q-1"}
	case "GetQueryExecution":
		out = map[string]any{"QueryExecution": map[string]any{"QueryExecutionId": "q-1", "Status": map[string]any{"State": "SUCCEEDED"},
			"Statistics": map[string]any{"DataScannedInBytes": 1024}}}
	case "GetQueryResults":
		rows := [][]string{cols,
			{"2", "45.61.9.9", "10.0.1.10", "40001", "22", "6", "2", "120", "1700000000", "1700000060", "REJECT", "OK"},
			{"2", "10.0.1.10", "45.61.9.9", "22", "40001", "6", "2", "120", "1700000060", "1700000120", "ACCEPT", "OK"},
		}
		if f.lake {
			rows[1], rows[2] = append(rows[1], "1.1.0"), append(rows[2], "1.1.0")
		}
		var rs []map[string]any
		for _, row := range rows {
			var data []map[string]string
			for _, v := range row {
				data = append(data, map[string]string{"VarCharValue": v})
			}
			rs = append(rs, map[string]any{"Data": data})
		}
		var info []map[string]string
		for _, n := range cols {
			info = append(info, map[string]string{"Name": n, "Type": "varchar"})
		}
		out = map[string]any{"ResultSet": map[string]any{"Rows": rs, "ResultSetMetadata": map[string]any{"ColumnInfo": info}}}
	default:
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// TestAthenaThroughTheCLI: --athena-table turns the case's window and focus
// into a query, and the same pull again starts no query.
func TestAthenaThroughTheCLI(t *testing.T) {
	fake := &athenaFake{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ATHENA": srv.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	c := newCLI(t)
	c.mustRun("case", "new", "fleet", "--instance-ip", "10.0.1.10")
	args := []string{"ingest", "fleet", "--athena-table", "vpclogs.flows", "--athena-output", "s3://results/", "--start", "1699999000", "--end", "1700001000"}
	r := c.mustRun(args...)
	if !strings.Contains(r.stdout, "pulling    athena vpclogs.flows") || !strings.Contains(r.stdout, "2 records from") {
		t.Fatalf("ingest --athena-table:\n%s%s", r.stdout, r.stderr)
	}
	if len(fake.queries) != 1 || !strings.Contains(fake.queries[0], "'10.0.1.10'") || !strings.Contains(fake.queries[0], "BETWEEN 1699999000 AND 1700001000") {
		t.Fatalf("queries: %q", fake.queries)
	}
	c.mustRun(args...)
	if len(fake.queries) != 1 {
		t.Fatalf("the same pull started another query: %q", fake.queries)
	}
}

// TestAthenaSecurityLakeThroughTheCLI: a Security Lake table is pulled with
// its OCSF paths as the AWS fields; the summary and the case's manifest say
// the records came from OCSF.
func TestAthenaSecurityLakeThroughTheCLI(t *testing.T) {
	fake := &athenaFake{lake: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ATHENA": srv.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	c := newCLI(t)
	c.mustRun("case", "new", "lake", "--instance-ip", "10.0.1.10")
	table := "amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_vpc_flow_2_0"
	r := c.mustRun("ingest", "lake", "--athena-table", table, "--athena-output", "s3://results/", "--start", "1699999000", "--end", "1700001000")
	if !strings.Contains(r.stdout, "Security Lake OCSF table (OCSF 1.1.0), query q-1: 2 rows, 2 records") || !strings.Contains(r.stdout, "2 records from") {
		t.Fatalf("ingest --athena-table:\n%s%s", r.stdout, r.stderr)
	}
	if len(fake.queries) != 1 {
		t.Fatalf("queries: %q", fake.queries)
	}
	for _, want := range []string{`"src_endpoint"."ip" AS "srcaddr"`, `"start_time" BETWEEN 1699999000000 AND 1700001000999`,
		`"src_endpoint"."ip" IN ('10.0.1.10')`, `"eventday" BETWEEN '20231114' AND '20231114'`} {
		if !strings.Contains(fake.queries[0], want) {
			t.Errorf("query lacks %q:\n%s", want, fake.queries[0])
		}
	}
	show := c.mustRun("case", "show", "lake")
	if !strings.Contains(show.stdout, "ocsf") || !strings.Contains(show.stdout, "athena:"+table+" query q-1") {
		t.Errorf("case show:\n%s", show.stdout)
	}
}
