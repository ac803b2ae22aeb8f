package athena

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
)

// fakeAthena speaks Athena's JSON 1.1 protocol over real HTTP, for the real
// SDK client: StartQueryExecution, GetQueryExecution, GetQueryResults,
// GetTableMetadata and StopQueryExecution.
type fakeAthena struct {
	t *testing.T

	// What it answers.
	states   []string      // the states successive polls of a query see; the last one repeats
	reason   string        // StateChangeReason when the last state is FAILED or CANCELLED
	scanned  int64         // DataScannedInBytes
	columns  []string      // the result's columns
	pages    [][][]*string // the result rows (header first) split into pages: nil is NULL
	table    map[string]any
	errs     map[string]apiErr // an error per operation
	discover []string          // the columns a LIMIT 0 query returns
	// engine, when set, answers each query but the LIMIT 0 discovery by
	// running it: its columns and rows (header first) are the query's
	// result, in one page, in place of columns and pages.
	engine  func(query string) (columns []string, rows [][]*string)
	results map[string]engineResult

	mu      sync.Mutex
	calls   map[string]int
	started []map[string]any // StartQueryExecution requests
	polls   map[string]int
}

type engineResult struct {
	columns []string
	rows    [][]*string
}

type apiErr struct {
	status int
	typ    string
	msg    string
}

func newFake(t *testing.T) *fakeAthena {
	return &fakeAthena{t: t, calls: map[string]int{}, polls: map[string]int{}, errs: map[string]apiErr{}, states: []string{"SUCCEEDED"},
		results: map[string]engineResult{}}
}

// client starts the server and returns a real SDK client talking to it.
func (f *fakeAthena) client() *athena.Client {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return athena.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *athena.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func (f *fakeAthena) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeAthena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonAthena.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		f.t.Errorf("unexpected request %s %s target %q type %q", r.Method, r.URL, target, r.Header.Get("Content-Type"))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("%s: body: %v", op, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if e, ok := f.errs[op]; ok {
		w.WriteHeader(e.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": e.typ, "Message": e.msg})
		return
	}
	var out any
	switch op {
	case "StartQueryExecution":
		f.started = append(f.started, in)
		id := fmt.Sprintf("q-%d", len(f.started))
		if q := in["QueryString"].(string); f.engine != nil && !strings.HasSuffix(q, "LIMIT 0") {
			cols, rows := f.engine(q)
			f.results[id] = engineResult{cols, rows}
		}
		out = map[string]any{"QueryExecutionId": id}
	case "GetQueryExecution":
		id := in["QueryExecutionId"].(string)
		n := f.polls[id]
		f.polls[id]++
		state := f.states[min(n, len(f.states)-1)]
		if f.isDiscovery(id) {
			state = "SUCCEEDED"
		}
		status := map[string]any{"State": state, "SubmissionDateTime": 1.7e9}
		if state == "FAILED" || state == "CANCELLED" {
			status["StateChangeReason"] = f.reason
			status["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1301, "Retryable": false, "ErrorMessage": f.reason}
		}
		out = map[string]any{"QueryExecution": map[string]any{
			"QueryExecutionId": id, "Status": status, "StatementType": "DML",
			"Statistics": map[string]any{"DataScannedInBytes": f.scanned, "EngineExecutionTimeInMillis": 1234},
		}}
	case "GetQueryResults":
		id := in["QueryExecutionId"].(string)
		if f.isDiscovery(id) {
			out = resultSet(f.discover, [][]*string{strs(f.discover...)}, "")
			break
		}
		if r, ok := f.results[id]; ok {
			out = resultSet(r.columns, r.rows, "")
			break
		}
		page := 0
		if tok, _ := in["NextToken"].(string); tok != "" {
			fmt.Sscanf(tok, "page-%d", &page)
		}
		next := ""
		if page+1 < len(f.pages) {
			next = fmt.Sprintf("page-%d", page+1)
		}
		var rows [][]*string
		if page < len(f.pages) {
			rows = f.pages[page]
		}
		out = resultSet(f.columns, rows, next)
	case "GetTableMetadata":
		if f.table == nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": "MetadataException", "Message": "no table configured"})
			return
		}
		out = map[string]any{"TableMetadata": f.table}
	case "StopQueryExecution":
		out = map[string]any{}
	default:
		f.t.Errorf("unexpected operation %s", op)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	json.NewEncoder(w).Encode(out)
}

// isDiscovery reports whether query id is a "LIMIT 0" column discovery.
func (f *fakeAthena) isDiscovery(id string) bool {
	var n int
	fmt.Sscanf(id, "q-%d", &n)
	return n >= 1 && n <= len(f.started) && strings.HasSuffix(f.started[n-1]["QueryString"].(string), "LIMIT 0")
}

func resultSet(columns []string, rows [][]*string, next string) map[string]any {
	var info []map[string]any
	for _, c := range columns {
		info = append(info, map[string]any{"Name": c, "Label": c, "Type": "varchar", "Nullable": "UNKNOWN", "CatalogName": "hive", "Precision": 0, "Scale": 0, "CaseSensitive": true})
	}
	var rs []map[string]any
	for _, r := range rows {
		var data []map[string]any
		for _, v := range r {
			if v == nil {
				data = append(data, map[string]any{})
			} else {
				data = append(data, map[string]any{"VarCharValue": *v})
			}
		}
		rs = append(rs, map[string]any{"Data": data})
	}
	out := map[string]any{"ResultSet": map[string]any{"Rows": rs, "ResultSetMetadata": map[string]any{"ColumnInfo": info}}, "UpdateCount": 0}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// strs makes a row of values; "NULL" is a NULL.
func strs(vs ...string) []*string {
	out := make([]*string, len(vs))
	for i, v := range vs {
		if v != "NULL" {
			out[i] = aws.String(v)
		}
	}
	return out
}

// row splits a space-separated row.
func row(s string) []*string { return strs(strings.Fields(s)...) }

// onlyAPI hides every method of the client but API's.
type onlyAPI struct{ API }
