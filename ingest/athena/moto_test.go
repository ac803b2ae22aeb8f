package athena

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/moto"
)

// motoResults queues canned query results in moto: moto runs no SQL, it
// hands each started query the next result of its queue.
func motoResults(t *testing.T, url string, results ...[][]*string) {
	t.Helper()
	var rs []map[string]any
	for _, rows := range results {
		set := resultSet(nil, rows, "")["ResultSet"].(map[string]any)
		var info []map[string]any
		for _, d := range rows[0] {
			info = append(info, map[string]any{"Name": *d, "Type": "varchar"})
		}
		rs = append(rs, map[string]any{"rows": set["Rows"], "column_info": info})
	}
	post(t, url+"/moto-api/static/athena/query-results", map[string]any{"region": "us-east-1", "results": rs})
}

// post sends a JSON request to moto's own API.
func post(t *testing.T, url string, v any) {
	t.Helper()
	body, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("moto: %s: %s", url, resp.Status)
	}
}

// countingClient records the states the status checks see.
type countingClient struct {
	*athena.Client
	states []string
}

func (c *countingClient) GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	out, err := c.Client.GetQueryExecution(ctx, in, opts...)
	if err == nil {
		c.states = append(c.states, string(out.QueryExecution.Status.State))
	}
	return out, err
}

// motoClient is an Athena client of the moto server at url. moto answers
// GetTableMetadata with a 500, which is not worth retrying; a connection the
// server closed while it was idle is, at once.
func motoClient(url string) *athena.Client {
	return athena.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}, func(o *athena.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			so.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		})
	})
}

// TestMoto runs a pull against moto, an independent implementation of
// Athena's API: the SDK's requests, the query's states, the results with
// their header row, NULLs and '-', and the resume.
func TestMoto(t *testing.T) {
	url := moto.Start(t)
	api := motoClient(url)
	ctx := context.Background()

	// Each query stays QUEUED, then RUNNING, for two status checks.
	post(t, url+"/moto-api/state-manager/set-transition", map[string]any{
		"model_name": "athena::execution", "transition": map[string]any{"progression": "manual", "times": 2}})

	discovery := [][]*string{strs(append([]string{"day"}, tableColumns...)...)}
	data := append([][]*string{}, pages[0]...)
	data = append(data, pages[1]...)
	data = append(data, pages[2]...)
	motoResults(t, url, discovery, data)

	c := newCase(t)
	o := pullOptions()
	o.Workgroup = "" // moto knows only the workgroups created in it
	counting := &countingClient{Client: api}
	sum, err := Pull(ctx, counting, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("pull: %v (%+v)", err, sum)
	}
	// Each of the two queries (column discovery, then the pull) was
	// waited for through its states.
	// (moto 5.2: QUEUED RUNNING RUNNING SUCCEEDED, twice).
	if got := strings.Join(counting.states, " "); strings.Count(got, "SUCCEEDED") != 2 || !strings.HasSuffix(got, "SUCCEEDED") ||
		!strings.Contains(got, "QUEUED RUNNING") {
		t.Errorf("states seen: %s", got)
	}
	if sum.Rows != 7 || sum.Records != 5 || sum.Rejected != 1 || sum.Result.OutsideWindow != 1 || sum.Result.Status != ingest.Loaded {
		t.Fatalf("summary %+v", sum)
	}
	if strings.Join(sum.Columns, " ") != strings.Join(resultCols, " ") {
		t.Errorf("columns %v", sum.Columns)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE log_status = 'NODATA' AND srcaddr IS NULL`); n != 1 {
		t.Errorf("NODATA record: %d", n)
	}

	// moto keeps what it was asked: the query it ran is the plan's.
	out, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(sum.QueryID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.QueryExecution.Query); got != sum.Query {
		t.Errorf("moto ran %q, want %q", got, sum.Query)
	}
	if got := aws.ToString(out.QueryExecution.ResultConfiguration.OutputLocation); got != o.Output+sum.QueryID+".csv" {
		t.Errorf("output location %q", got)
	}

	// The same pull again starts nothing (only the LIMIT 0 discovery, since
	// moto has no GetTableMetadata).
	list := func() int {
		out, err := api.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.QueryExecutionIds)
	}
	before := list()
	motoResults(t, url, discovery)
	again, err := Pull(ctx, api, begin(t, c, o.Start, o.End), o)
	if err != nil || !again.Skipped {
		t.Fatalf("second pull: %+v %v", again, err)
	}
	if after := list(); after != before+1 {
		t.Errorf("%d queries started by the second pull, want 1 (the column discovery)", after-before)
	}
}

// TestMotoSecurityLake: the pull of a Security Lake table against moto,
// which has no catalog: the columns come from the LIMIT 0 query, the rows
// from the query run on a table shaped like Security Lake's (moto runs no
// SQL: its canned result is what the query gives there).
func TestMotoSecurityLake(t *testing.T) {
	url := moto.Start(t)
	api := motoClient(url)
	ctx := context.Background()
	o := lakeOptions()
	o.Workgroup = ""

	var names []string
	for _, c := range append(append([]struct{ name, typ string }{}, lakeColumns...), lakePartitions...) {
		names = append(names, c.name)
	}
	lake, err := detectOCSF(o.Table, nil, names)
	if err != nil {
		t.Fatal(err)
	}
	query, _, _, err := buildOCSFQuery(o, lake)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := lakeEngine(t)(query)
	motoResults(t, url, [][]*string{strs(names...)}, rows)

	c := newCase(t)
	sum, err := Pull(ctx, api, begin(t, c, o.Start, o.End), o)
	if err != nil {
		t.Fatalf("pull: %v (%+v)", err, sum)
	}
	if sum.Query != query || sum.Shape != ingest.ShapeOCSF || sum.OCSFVersion != "1.1.0" || sum.Rows != 7 || sum.Records != 6 || sum.Rejected != 1 {
		t.Fatalf("summary %+v", sum)
	}
	out, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(sum.QueryID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.QueryExecution.Query); got != sum.Query {
		t.Errorf("moto ran %q, want %q", got, sum.Query)
	}
	for _, q := range []string{
		`SELECT count(*) FROM flows WHERE srcaddr = '198.51.100.7' AND action = 'REJECT' AND flow_direction = 'ingress' AND traffic_path = 8 AND version = 5`,
		`SELECT count(*) FROM flows WHERE pkt_srcaddr = '10.0.1.11'`,
		`SELECT count(*) FROM ingest_files WHERE shape = 'ocsf' AND ocsf_version = '1.1.0' AND source = 'athena:` + o.Table + ` query ` + sum.QueryID + `'`,
	} {
		if n := queryInt(t, c, q); n != 1 {
			t.Errorf("%s: %d", q, n)
		}
	}
}
