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
}

func (f *athenaFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	json.NewDecoder(r.Body).Decode(&in)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	cols := []string{"version", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status"}
	var out any
	switch op {
	case "GetTableMetadata":
		var c []map[string]string
		for _, n := range cols {
			c = append(c, map[string]string{"Name": n, "Type": "string"})
		}
		out = map[string]any{"TableMetadata": map[string]any{"Name": "flows", "Columns": c}}
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
