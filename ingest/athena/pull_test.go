package athena

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

func newCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), "t", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func begin(t *testing.T, c *store.Case, start, end time.Time) *ingest.Ingester {
	t.Helper()
	in, err := ingest.Begin(context.Background(), c, ingest.Options{Start: &start, End: &end, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Finish(context.Background()) })
	return in
}

func queryInt(t *testing.T, c *store.Case, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.DB.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The table of the tests: AWS's documented columns up to pkt_dstaddr, a
// column that is no flow-log field, and a projected day partition.
var tableColumns = []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
	"packets", "bytes", "start", "end", "action", "log_status", "vpc_id", "pkt_srcaddr", "pkt_dstaddr", "note"}

func flowTable() map[string]any {
	var cols []map[string]string
	for _, c := range tableColumns {
		cols = append(cols, map[string]string{"Name": c, "Type": "string"})
	}
	return map[string]any{
		"Name": "vpc_flow_logs", "TableType": "EXTERNAL_TABLE", "Columns": cols,
		"PartitionKeys": []map[string]string{{"Name": "day", "Type": "string"}},
		"Parameters": map[string]string{"projection.enabled": "true", "projection.day.type": "date",
			"projection.day.format": "yyyy/MM/dd", "projection.day.range": "2026/01/01,NOW"},
	}
}

// The result: the selected columns (tableColumns without note), a header,
// and seven rows over three pages.
var (
	resultCols = tableColumns[:len(tableColumns)-1]
	s0         = day0.Unix()
	pages      = [][][]*string{
		{
			strs(resultCols...),
			row(fmt.Sprintf("5 123456789012 eni-01 198.51.100.7 10.0.1.10 49152 22 6 10 840 %d %d REJECT OK vpc-01 198.51.100.7 10.0.1.10", s0+100, s0+160)),
			row(fmt.Sprintf("5 123456789012 eni-01 10.0.1.10 203.0.113.9 443 50000 6 20 16800 %d %d ACCEPT OK vpc-01 - -", s0+200, s0+260)),
		},
		{
			row(fmt.Sprintf("5 123456789012 eni-01 NULL NULL NULL NULL NULL NULL NULL %d %d NULL NODATA vpc-01 NULL NULL", s0+300, s0+360)),
			append(row(fmt.Sprintf("5 123456789012 eni-02 2600:1f18:abc:de01::10 2001:db8::1 443 51000 6 5 500 %d %d ACCEPT OK vpc-01", s0+400, s0+460)), aws.String(""), aws.String("")),
		},
		{
			row(fmt.Sprintf("5 123456789012 eni-01 10.0.1.10 192.0.2.1 22 40000 6 1 40 %d %d ACCEPT OK vpc-01 - -", s0-600, s0-540)), // outside the window
			append(row(fmt.Sprintf("5 123456789012 eni-01 10.0.1.10 192.0.2.2 22 40001 6 1 40 %d %d ACCEPT OK", s0+500, s0+560)), aws.String("vpc 01"), aws.String("-"), aws.String("-")),
			row(fmt.Sprintf("5 123456789012 eni-01 10.0.1.11 192.0.2.3 22 40002 6 1 40 %d %d ACCEPT OK vpc-01 - -", s0+600, s0+660)),
		},
	}
)

func pullOptions() Options {
	return Options{
		Table: "flowlogs.vpc_flow_logs", Workgroup: "primary", Output: "s3://results-bucket/athena/",
		Start: day0, End: day3, Focus: addrs("10.0.1.10", "10.0.1.11", "2600:1f18:abc:de01::10"),
		Poll: 5 * time.Millisecond, Now: func() time.Time { return day3.Add(48 * time.Hour) },
	}
}

func TestPull(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the results file goes
	f := newFake(t)
	f.states = []string{"QUEUED", "RUNNING", "SUCCEEDED"}
	f.columns, f.pages, f.table, f.scanned = resultCols, pages, flowTable(), 123456789
	api := f.client()
	c := newCase(t)
	ctx := context.Background()
	o := pullOptions()

	sum, err := Pull(ctx, api, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("pull: %v (%+v)", err, sum)
	}
	if sum.Skipped || sum.QueryID != "q-1" || sum.Rows != 7 || sum.Records != 5 || sum.Rejected != 1 || sum.Scanned != 123456789 ||
		sum.Result.OutsideWindow != 1 || sum.Result.NoData != 1 || sum.Result.Status != ingest.Loaded {
		t.Fatalf("summary %+v", sum)
	}
	if len(sum.Rejects) != 1 || sum.Rejects[0].Line != 6 || !strings.Contains(sum.Rejects[0].Reason, `vpc_id: value "vpc 01" has white space`) ||
		!strings.Contains(sum.Rejects[0].Raw, `"vpc 01"`) {
		t.Fatalf("rejects %+v", sum.Rejects)
	}
	if got := sum.String(); !strings.Contains(got, "q-1: 7 rows, 5 records, 1 rejected, 117.7 MiB scanned, 1 outside the window") {
		t.Errorf("String() = %q", got)
	}
	if n := f.count("GetQueryExecution"); n != 3 {
		t.Errorf("%d polls, want 3 (QUEUED, RUNNING, SUCCEEDED)", n)
	}
	if n := f.count("GetQueryResults"); n != 3 {
		t.Errorf("%d result pages read, want 3", n)
	}

	// What Athena was asked.
	req := f.started[0]
	if req["QueryString"] != sum.Query || req["WorkGroup"] != "primary" ||
		req["ResultConfiguration"].(map[string]any)["OutputLocation"] != "s3://results-bucket/athena/" {
		t.Errorf("request %v", req)
	}
	for _, want := range []string{`"vpc_id", "pkt_srcaddr", "pkt_dstaddr"` + "\nFROM", `OR "pkt_dstaddr" IN ('10.0.1.10', '10.0.1.11', '2600:1f18:abc:de01::10'`} {
		if !strings.Contains(sum.Query, want) {
			t.Errorf("query lacks %q:\n%s", want, sum.Query)
		}
	}
	if strings.Contains(sum.Query, "note") {
		t.Errorf("a column that is no flow-log field was selected:\n%s", sum.Query)
	}
	warnings := strings.Join(sum.Warnings, "\n")
	for _, want := range []string{"not flow-log fields are not pulled: note", `partitioned by day`, `"day" BETWEEN '2026/11/20' AND '2026/11/23'`} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q: %s", want, warnings)
		}
	}

	// The case holds exactly the rows inside the window, NULLs as NULL.
	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 5 {
		t.Fatalf("%d flows", n)
	}
	checks := []string{
		`SELECT count(*) FROM flows WHERE srcaddr = '198.51.100.7' AND dstport = 22 AND action = 'REJECT' AND pkt_dstaddr = '10.0.1.10' AND vpc_id = 'vpc-01'`,
		`SELECT count(*) FROM flows WHERE srcaddr = '10.0.1.10' AND dstaddr = '203.0.113.9' AND pkt_srcaddr IS NULL AND bytes = 16800`,
		`SELECT count(*) FROM flows WHERE log_status = 'NODATA' AND srcaddr IS NULL AND action IS NULL AND packets IS NULL`,
		`SELECT count(*) FROM flows WHERE srcaddr = '2600:1f18:abc:de01::10' AND pkt_srcaddr IS NULL AND pkt_dstaddr IS NULL`,
		`SELECT count(*) FROM flows WHERE srcaddr = '10.0.1.11'`,
		fmt.Sprintf(`SELECT count(*) FROM flows WHERE start = to_timestamp(%d)::TIMESTAMP AND "end" = to_timestamp(%d)::TIMESTAMP`, s0+100, s0+160),
		`SELECT count(*) FROM ingest_files WHERE source = 'athena:flowlogs.vpc_flow_logs query q-1' AND dedup_key = '` + sum.Key + `'`,
	}
	for _, q := range checks {
		if n := queryInt(t, c, q); n != 1 {
			t.Errorf("%s: %d", q, n)
		}
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE dstaddr IN ('192.0.2.1', '192.0.2.2')`); n != 0 {
		t.Errorf("rows outside the window or unreadable landed: %d", n)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the results file was left behind: %v", left)
	}

	// The same pull again: recognised before any query starts.
	again, err := Pull(ctx, api, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Skipped || again.Result.Status != ingest.Duplicate || again.Result.DuplicateOf != "athena:flowlogs.vpc_flow_logs query q-1" ||
		again.QueryID != "" || again.Key != sum.Key {
		t.Fatalf("second pull %+v", again)
	}
	if !strings.Contains(again.String(), "already in the case from athena:flowlogs.vpc_flow_logs query q-1") {
		t.Errorf("String() = %q", again.String())
	}
	if n := f.count("StartQueryExecution"); n != 1 {
		t.Fatalf("%d queries started, want 1", n)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 5 {
		t.Fatalf("%d flows after the second pull", n)
	}

	// The same addresses in another order and spelling are the same pull.
	o2 := o
	o2.Focus = addrs("2600:1f18:abc:de01:0:0:0:10", "::ffff:10.0.1.11", "10.0.1.10")
	o2.Table = "FlowLogs.VPC_Flow_Logs"
	if s, err := Pull(ctx, api, begin(t, c, o.Start, o.End), o2); err != nil || !s.Skipped {
		t.Fatalf("reordered focus: %+v %v", s, err)
	}
	// Another window is another pull.
	o3 := o
	o3.End = day3.Add(-time.Hour)
	if s, err := Pull(ctx, api, begin(t, c, o3.Start, o3.End), o3); err != nil || s.Skipped || s.QueryID != "q-2" {
		t.Fatalf("other window: %+v %v", s, err)
	}
}

func TestPullEmptyResult(t *testing.T) {
	f := newFake(t)
	f.columns, f.table = resultCols, flowTable()
	f.pages = [][][]*string{{strs(resultCols...)}}
	c := newCase(t)
	o := pullOptions()
	o.PartitionFilter = "day BETWEEN '2026/11/20' AND '2026/11/23'"
	sum, err := Pull(context.Background(), f.client(), begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("%v %+v", err, sum)
	}
	if sum.Rows != 0 || sum.Records != 0 || sum.Result.Status != ingest.Loaded {
		t.Fatalf("%+v", sum)
	}
	for _, w := range sum.Warnings {
		if strings.Contains(w, "partitioned") {
			t.Errorf("warned about partitions although a filter was given: %s", w)
		}
	}
	// Nothing found is remembered too: the same pull is not run again.
	again, err := Pull(context.Background(), f.client(), begin(t, c, o.Start, o.End), o)
	if err != nil || !again.Skipped || f.count("StartQueryExecution") != 1 {
		t.Fatalf("%+v %v", again, err)
	}
}

// TestPullDiscoversByQuery: without GetTableMetadata, the columns come from
// a LIMIT 0 query.
func TestPullDiscoversByQuery(t *testing.T) {
	f := newFake(t)
	f.columns, f.pages = resultCols, pages
	f.discover = append([]string{"day"}, tableColumns...)
	c := newCase(t)
	o := pullOptions()
	sum, err := Pull(context.Background(), onlyAPI{f.client()}, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("%v %+v", err, sum)
	}
	if f.count("GetTableMetadata") != 0 || f.count("StartQueryExecution") != 2 || sum.QueryID != "q-2" || sum.Records != 5 {
		t.Fatalf("%+v, calls %v", sum, f.calls)
	}
	if q := f.started[0]["QueryString"]; q != `SELECT * FROM "flowlogs"."vpc_flow_logs" LIMIT 0` {
		t.Errorf("discovery query %q", q)
	}
	if strings.Join(sum.Columns, " ") != strings.Join(resultCols, " ") {
		t.Errorf("columns %v", sum.Columns)
	}
}

func TestPullErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fakeAthena, o *Options)
		want   []string // substrings of the error
		is     error
		starts int
	}{
		{name: "query failed", setup: func(f *fakeAthena, o *Options) {
			f.states = []string{"RUNNING", "FAILED"}
			f.reason = "HIVE_BAD_DATA: Error parsing field value 'x' for field 5: For input string: \"x\""
		}, want: []string{"query q-1 on flowlogs.vpc_flow_logs failed: HIVE_BAD_DATA: Error parsing field value"}, starts: 1},
		{name: "query cancelled", setup: func(f *fakeAthena, o *Options) {
			f.states = []string{"CANCELLED"}
			f.reason = "Query cancelled by user"
		}, want: []string{"query q-1 on flowlogs.vpc_flow_logs was cancelled: Query cancelled by user"}, starts: 1},
		{name: "table missing at run time", setup: func(f *fakeAthena, o *Options) {
			f.table = nil // no metadata: columns are given
			o.Columns = resultCols
			f.states = []string{"FAILED"}
			f.reason = "TABLE_NOT_FOUND: line 2:6: Table 'awsdatacatalog.flowlogs.vpc_flow_logs' does not exist"
		}, want: []string{"TABLE_NOT_FOUND", "check the database and table names of flowlogs.vpc_flow_logs"}, is: ErrTableNotFound, starts: 1},
		{name: "table missing in the catalog", setup: func(f *fakeAthena, o *Options) {
			f.errs["GetTableMetadata"] = apiErr{400, "MetadataException", "Table not found: vpc_flow_logs (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException)"}
		}, want: []string{"table not found: flowlogs.vpc_flow_logs in catalog AwsDataCatalog"}, is: ErrTableNotFound},
		{name: "access denied", setup: func(f *fakeAthena, o *Options) {
			f.errs["StartQueryExecution"] = apiErr{400, "AccessDeniedException", "Access denied"}
			o.Profile = "hunt"
		}, want: []string{"access denied to athena:StartQueryExecution for profile hunt"}, starts: 1},
		{name: "access denied naming glue", setup: func(f *fakeAthena, o *Options) {
			f.errs["StartQueryExecution"] = apiErr{400, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: glue:GetTable on resource: arn:aws:glue:us-east-1:123456789012:catalog"}
		}, want: []string{"access denied to glue:GetTable for the default credentials: its IAM policy needs glue:GetTable (Athena needs it to run StartQueryExecution)"}, starts: 1},
		{name: "no output location", setup: func(f *fakeAthena, o *Options) {
			o.Output, o.Workgroup = "", ""
			f.errs["StartQueryExecution"] = apiErr{400, "InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input."}
		}, want: []string{"no location for the query results", "s3://bucket/prefix/", "No output location provided"}, starts: 1},
		{name: "no such column", setup: func(f *fakeAthena, o *Options) { o.Columns = []string{"srcaddr", "dstaddr", "start", "tcp-flags"} },
			want: []string{"table flowlogs.vpc_flow_logs has no column tcp_flags (its columns: version, account_id"}},
		{name: "not a flow-log table", setup: func(f *fakeAthena, o *Options) {
			f.table["Columns"] = []map[string]string{{"Name": "user_id", "Type": "string"}}
		}, want: []string{"has no flow-log columns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.columns, f.pages, f.table = resultCols, pages, flowTable()
			o := pullOptions()
			tt.setup(f, &o)
			c := newCase(t)
			sum, err := Pull(context.Background(), f.client(), begin(t, c, o.Start, o.End), o)
			if err == nil {
				t.Fatalf("no error: %+v", sum)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v: %v", tt.is, err)
			}
			if n := f.count("StartQueryExecution"); n != tt.starts {
				t.Errorf("%d queries started, want %d", n, tt.starts)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 0 {
				t.Errorf("%d files landed", n)
			}
		})
	}
}

// TestPullTimeout: a query still running when the context ends is stopped
// and the error says so.
func TestPullTimeout(t *testing.T) {
	f := newFake(t)
	f.columns, f.pages, f.table = resultCols, pages, flowTable()
	f.states = []string{"RUNNING"}
	c := newCase(t)
	o := pullOptions()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := Pull(ctx, f.client(), begin(t, c, o.Start, o.End), o)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "query q-1 still RUNNING after") {
		t.Fatalf("err = %v", err)
	}
	if f.count("StopQueryExecution") != 1 {
		t.Errorf("the query was not stopped: %v", f.calls)
	}
}

func TestQueryErrorIs(t *testing.T) {
	for reason, missing := range map[string]bool{
		"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.t' does not exist": true,
		"SCHEMA_NOT_FOUND: line 1:15: Schema 'db' does not exist":                true,
		"SEMANTIC_ERROR: line 1:15: Table awsdatacatalog.db.t does not exist":    true,
		"COLUMN_NOT_FOUND: line 1:8: Column 'pkt_srcaddr' cannot be resolved":    false,
	} {
		err := error(&QueryError{QueryID: "q", Table: "db.t", State: types.QueryExecutionStateFailed, Reason: reason})
		if errors.Is(err, ErrTableNotFound) != missing {
			t.Errorf("%s: Is(ErrTableNotFound) = %v", reason, !missing)
		}
	}
	err := &QueryError{QueryID: "q", Table: "db.t", State: types.QueryExecutionStateFailed, Reason: "COLUMN_NOT_FOUND: line 1:8: Column 'pkt_srcaddr' cannot be resolved"}
	if !strings.Contains(err.Error(), "give the table's own flow-log columns") {
		t.Errorf("%v", err)
	}
}
