package cloudwatch

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"golang.org/x/time/rate"
)

// fakeLogs is a CloudWatch Logs server speaking JSON 1.1 over HTTP, holding
// flow-log events in memory: enough of FilterLogEvents, StartQuery,
// GetQueryResults, StopQuery and DescribeLogGroups for the real SDK client.
type fakeLogs struct {
	mu     sync.Mutex
	groups map[string][]fakeEvent // sorted by timestamp, then stream

	pageSize    int           // FilterLogEvents events per page (default 10,000)
	emptyEvery  int           // every emptyEvery-th page of a listing is empty yet carries a token
	latency     time.Duration // added to every request
	limiter     *rate.Limiter // requests beyond it are throttled; nil = no limit
	repeatToken bool          // FilterLogEvents hands out the same token forever
	failAfter   atomic.Int64  // > 0: every request after this many fails with AccessDeniedException
	denied      bool          // every request fails with AccessDeniedException
	resultsPage int           // GetQueryResults results per page (default 10,000)
	running     int           // GetQueryResults answers Running this many times per query
	failQueries bool          // queries end Failed

	queries map[string]*fakeQuery
	nextID  int

	requests  atomic.Int64
	throttled atomic.Int64
	ops       map[string]int
	// firstPages are the [start, end] of every FilterLogEvents listing begun
	// (requests without a token): which slices were fetched.
	firstPages []string
	// maxResults is the most results any query returned.
	maxResults int
}

type fakeEvent struct {
	stream string
	ts     int64 // Unix ms
	msg    string
	id     string
}

type fakeQuery struct {
	rows  []fakeEvent
	polls int
}

func newFake(groups map[string][]fakeEvent) *fakeLogs {
	for g := range groups {
		sortEvents(groups[g])
	}
	return &fakeLogs{groups: groups, queries: map[string]*fakeQuery{}, ops: map[string]int{}}
}

func sortEvents(evs []fakeEvent) {
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].ts != evs[j].ts {
			return evs[i].ts < evs[j].ts
		}
		return evs[i].stream < evs[j].stream
	})
}

// serve starts the fake on a loopback port and returns a real SDK client
// pointed at it.
func (f *fakeLogs) serve(t testing.TB) *cloudwatchlogs.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newClient(srv.URL, 200*time.Millisecond)
}

func newClient(url string, maxBackoff time.Duration) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = maxBackoff
		}),
	})
}

// fetched reports whether a listing of [from, to] was begun since the last reset.
func (f *fakeLogs) fetched(span string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.firstPages, span)
}

func (f *fakeLogs) resetFetched() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.firstPages = nil
}

func (f *fakeLogs) op(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[name]
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	if !ok {
		fakeError(w, "UnknownOperationException", "no X-Amz-Target")
		return
	}
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	n := f.requests.Add(1)
	if f.limiter != nil && !f.limiter.Allow() {
		f.throttled.Add(1)
		fakeError(w, "ThrottlingException", "Rate exceeded")
		return
	}
	if fa := f.failAfter.Load(); f.denied || fa > 0 && n > fa {
		fakeError(w, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/test is not authorized to perform: logs:"+op)
		return
	}
	f.mu.Lock()
	f.ops[op]++
	f.mu.Unlock()
	var out any
	var code, msg string
	switch op {
	case "FilterLogEvents":
		out, code, msg = f.filterLogEvents(r)
	case "StartQuery":
		out, code, msg = f.startQuery(r)
	case "GetQueryResults":
		out, code, msg = f.getQueryResults(r)
	case "StopQuery":
		out = map[string]any{"success": true}
	case "DescribeLogGroups":
		out, code, msg = f.describeLogGroups(r)
	default:
		code, msg = "UnknownOperationException", op
	}
	if code != "" {
		fakeError(w, code, msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func fakeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func decode(r *http.Request, v any) (string, string) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return "SerializationException", err.Error()
	}
	return "", ""
}

// group finds a log group by name or ARN.
func (f *fakeLogs) group(name string) ([]fakeEvent, bool) {
	if i := strings.Index(name, ":log-group:"); i >= 0 {
		name = strings.TrimSuffix(name[i+len(":log-group:"):], ":*")
	}
	evs, ok := f.groups[name]
	return evs, ok
}

// window is the events stamped in [from, to] ms, of the streams named (all when none).
func window(evs []fakeEvent, from, to int64, streams []string) []fakeEvent {
	lo := sort.Search(len(evs), func(i int) bool { return evs[i].ts >= from })
	hi := sort.Search(len(evs), func(i int) bool { return evs[i].ts > to })
	evs = evs[lo:hi]
	if len(streams) == 0 {
		return evs
	}
	var out []fakeEvent
	for _, e := range evs {
		if slices.Contains(streams, e.stream) {
			out = append(out, e)
		}
	}
	return out
}

type jsonEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (f *fakeLogs) filterLogEvents(r *http.Request) (any, string, string) {
	var req struct {
		LogGroupName       string   `json:"logGroupName"`
		LogGroupIdentifier string   `json:"logGroupIdentifier"`
		LogStreamNames     []string `json:"logStreamNames"`
		StartTime          *int64   `json:"startTime"`
		EndTime            *int64   `json:"endTime"`
		NextToken          string   `json:"nextToken"`
		Limit              int      `json:"limit"`
	}
	if code, msg := decode(r, &req); code != "" {
		return nil, code, msg
	}
	name := req.LogGroupName
	if name == "" {
		name = req.LogGroupIdentifier
	}
	evs, ok := f.group(name)
	if !ok {
		return nil, "ResourceNotFoundException", "The specified log group does not exist."
	}
	from, to := int64(0), int64(1<<62)
	if req.StartTime != nil {
		from = *req.StartTime
	}
	if req.EndTime != nil {
		to = *req.EndTime
	}
	evs = window(evs, from, to, req.LogStreamNames)
	pos, page := 0, 0
	if req.NextToken == "" {
		f.mu.Lock()
		f.firstPages = append(f.firstPages, fmt.Sprintf("%d-%d", from, to))
		f.mu.Unlock()
	} else if !f.repeatToken {
		if _, err := fmt.Sscanf(req.NextToken, "%d.%d", &pos, &page); err != nil || pos > len(evs) {
			return nil, "InvalidParameterException", "bad token"
		}
	}
	next := func(p int) *string {
		if f.repeatToken {
			return aws.String("same-token")
		}
		return aws.String(fmt.Sprintf("%d.%d", p, page+1))
	}
	out := struct {
		Events             []jsonEvent `json:"events"`
		NextToken          *string     `json:"nextToken,omitempty"`
		SearchedLogStreams []any       `json:"searchedLogStreams"`
	}{Events: []jsonEvent{}, SearchedLogStreams: []any{}}
	if f.emptyEvery > 0 && page%f.emptyEvery == f.emptyEvery-1 {
		out.NextToken = next(pos) // an empty page that does not end the listing
		return out, "", ""
	}
	size := f.pageSize
	if size <= 0 {
		size = 10_000
	}
	if req.Limit > 0 {
		size = min(size, req.Limit)
	}
	end := min(pos+size, len(evs))
	for _, e := range evs[pos:end] {
		out.Events = append(out.Events, jsonEvent{e.stream, e.ts, e.msg, e.ts + 500, e.id})
	}
	if end < len(evs) || f.repeatToken {
		out.NextToken = next(end)
	}
	return out, "", ""
}

var (
	limitRE   = regexp.MustCompile(`\|\s*limit\s+(\d+)`)
	streamsRE = regexp.MustCompile(`filter @logStream in \[([^\]]*)\]`)
)

func (f *fakeLogs) startQuery(r *http.Request) (any, string, string) {
	var req struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
		StartTime           int64    `json:"startTime"`
		EndTime             int64    `json:"endTime"`
		QueryString         string   `json:"queryString"`
		Limit               int      `json:"limit"`
	}
	if code, msg := decode(r, &req); code != "" {
		return nil, code, msg
	}
	name := req.LogGroupName
	if name == "" && len(req.LogGroupIdentifiers) > 0 {
		name = req.LogGroupIdentifiers[0]
	}
	evs, ok := f.group(name)
	if !ok {
		return nil, "ResourceNotFoundException", "Log group '" + name + "' does not exist for account ID '123456789012'"
	}
	if !strings.Contains(req.QueryString, "sort @timestamp asc") {
		return nil, "MalformedQueryException", "the fake sorts only by @timestamp asc"
	}
	limit := 10_000
	if m := limitRE.FindStringSubmatch(req.QueryString); m != nil {
		limit, _ = strconv.Atoi(m[1])
	}
	if req.Limit > 0 {
		limit = min(limit, req.Limit)
	}
	var streams []string
	if m := streamsRE.FindStringSubmatch(req.QueryString); m != nil {
		for s := range strings.SplitSeq(m[1], ",") {
			u, err := strconv.Unquote(strings.TrimSpace(s))
			if err != nil {
				return nil, "MalformedQueryException", err.Error()
			}
			streams = append(streams, u)
		}
	}
	// Both ends inclusive, the end read as an instant: the harsher reading.
	rows := window(evs, req.StartTime*1000, req.EndTime*1000, streams)
	rows = slices.Clone(rows[:min(limit, len(rows))])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("q-%d", f.nextID)
	f.queries[id] = &fakeQuery{rows: rows}
	f.maxResults = max(f.maxResults, len(rows))
	return map[string]string{"queryId": id}, "", ""
}

func (f *fakeLogs) getQueryResults(r *http.Request) (any, string, string) {
	var req struct {
		QueryID   string `json:"queryId"`
		NextToken string `json:"nextToken"`
		MaxItems  int    `json:"maxItems"`
	}
	if code, msg := decode(r, &req); code != "" {
		return nil, code, msg
	}
	f.mu.Lock()
	q, ok := f.queries[req.QueryID]
	if ok && req.NextToken == "" {
		q.polls++
	}
	f.mu.Unlock()
	if !ok {
		return nil, "ResourceNotFoundException", "Query does not exist."
	}
	type field struct {
		Field string `json:"field"`
		Value string `json:"value"`
	}
	out := struct {
		Results    [][]field      `json:"results"`
		Statistics map[string]any `json:"statistics"`
		Status     string         `json:"status"`
		NextToken  string         `json:"nextToken,omitempty"`
	}{Results: [][]field{}, Status: "Complete", Statistics: map[string]any{"recordsMatched": float64(len(q.rows))}}
	switch {
	case q.polls <= f.running:
		out.Status = "Running"
		return out, "", ""
	case f.failQueries:
		out.Status = "Failed"
		return out, "", ""
	}
	size := f.resultsPage
	if size <= 0 {
		size = 10_000
	}
	if req.MaxItems > 0 {
		size = min(size, req.MaxItems)
	}
	pos := 0
	if req.NextToken != "" {
		pos, _ = strconv.Atoi(req.NextToken)
	}
	end := min(pos+size, len(q.rows))
	for _, e := range q.rows[pos:end] {
		out.Results = append(out.Results, []field{
			{"@timestamp", time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")},
			{"@message", e.msg},
			{"@ptr", e.id},
		})
	}
	if end < len(q.rows) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, "", ""
}

func (f *fakeLogs) describeLogGroups(r *http.Request) (any, string, string) {
	var req struct {
		Prefix string `json:"logGroupNamePrefix"`
		Limit  int    `json:"limit"`
	}
	if code, msg := decode(r, &req); code != "" {
		return nil, code, msg
	}
	var names []string
	for g := range f.groups {
		if strings.HasPrefix(g, req.Prefix) {
			names = append(names, g)
		}
	}
	slices.Sort(names)
	if req.Limit > 0 && len(names) > req.Limit {
		names = names[:req.Limit]
	}
	type group struct {
		Name string `json:"logGroupName"`
		ARN  string `json:"arn"`
	}
	out := struct {
		LogGroups []group `json:"logGroups"`
	}{LogGroups: []group{}}
	for _, n := range names {
		out.LogGroups = append(out.LogGroups, group{n, "arn:aws:logs:us-east-1:123456789012:log-group:" + n + ":*"})
	}
	return out, "", ""
}

// flowGen makes flow-log events in the default version 2 format.
type flowGen struct {
	r       *rand.Rand
	streams []string // log stream names: ENI id + "-all"
	n       int
}

func newFlowGen(seed uint64, streams int) *flowGen {
	g := &flowGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := range streams {
		g.streams = append(g.streams, fmt.Sprintf("eni-0a1b2c3d4e5f6%04d-all", i+1))
	}
	return g
}

// event is a flow record stamped at ts (ms) whose start is up to a minute
// before it, as flow-log events are stamped after their capture window.
func (g *flowGen) event(ts int64) fakeEvent {
	g.n++
	stream := g.streams[g.r.IntN(len(g.streams))]
	eni := strings.TrimSuffix(stream, "-all")
	start := ts/1000 - g.r.Int64N(61)
	msg := fmt.Sprintf("2 123456789012 %s 10.0.%d.%d 198.51.100.%d %d %d 6 %d %d %d %d %s OK",
		eni, g.r.IntN(4), 1+g.r.IntN(250), 1+g.r.IntN(250), 1024+g.r.IntN(60000), []int{22, 80, 443, 3389, 5432}[g.r.IntN(5)],
		1+g.r.IntN(50), 40+g.r.IntN(100000), start, start+60, []string{"ACCEPT", "REJECT"}[g.r.IntN(2)])
	return fakeEvent{stream: stream, ts: ts, msg: msg, id: fmt.Sprintf("%020d%06d", ts, g.n)}
}

// events makes n events at random times in [from, to) ms, plus one on each
// side of every boundary given: at b and at b-1 ms.
func (g *flowGen) events(from, to int64, n int, boundaries ...int64) []fakeEvent {
	var out []fakeEvent
	for range n {
		out = append(out, g.event(from+g.r.Int64N(to-from)))
	}
	for _, b := range boundaries {
		out = append(out, g.event(b), g.event(b-1))
	}
	sortEvents(out)
	return out
}
