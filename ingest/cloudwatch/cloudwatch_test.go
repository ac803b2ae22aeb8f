package cloudwatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/store"
)

const group = "/vpc/flow-logs"

// The test data: events over four hours, the window inside them.
var (
	t0    = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	t1    = t0.Add(4 * time.Hour)
	start = t0.Add(30 * time.Minute)
	end   = t0.Add(3*time.Hour + 20*time.Minute)
)

func newCase(t testing.TB) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), "t", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pull runs one pull into c in an ingest of its own, with the window of o.
func pull(t testing.TB, ctx context.Context, c *store.Case, api API, o Options) (Summary, error) {
	t.Helper()
	s, e := o.Start, o.End
	in, err := ingest.Begin(ctx, c, ingest.Options{Start: &s, End: &e, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sum, perr := Pull(ctx, api, in, o)
	if err := in.Finish(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	return sum, perr
}

// testOptions pulls the window fast: tests do not wait on the real quota.
func testOptions() Options {
	return Options{LogGroup: group, Start: start, End: end, Slice: 30 * time.Minute, Rate: 1000, poll: time.Millisecond}
}

// tuple is what a record is compared by.
func tuple(start, src, dst string, sport, dport, bytes string) string {
	return strings.Join([]string{start, src, dst, sport, dport, bytes}, " ")
}

// expected are the tuples of the events' records whose start lies in [from, to].
func expected(evs []fakeEvent, from, to time.Time, streams ...string) []string {
	var out []string
	for _, e := range evs {
		f := strings.Fields(e.msg)
		st, _ := strconv.ParseInt(f[10], 10, 64)
		if st < from.Unix() || st > to.Unix() {
			continue
		}
		if len(streams) > 0 && !slices.Contains(streams, e.stream) {
			continue
		}
		out = append(out, tuple(f[10], f[3], f[4], f[5], f[6], f[9]))
	}
	slices.Sort(out)
	return out
}

// stored are the tuples of the records in the case.
func stored(t testing.TB, c *store.Case) []string {
	t.Helper()
	rows, err := c.DB.Query(`SELECT epoch(start)::BIGINT, srcaddr, dstaddr, srcport, dstport, bytes FROM flows`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var st, sport, dport, bytes int64
		var src, dst string
		if err := rows.Scan(&st, &src, &dst, &sport, &dport, &bytes); err != nil {
			t.Fatal(err)
		}
		out = append(out, tuple(fmt.Sprint(st), src, dst, fmt.Sprint(sport), fmt.Sprint(dport), fmt.Sprint(bytes)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func checksum(tuples []string) string {
	h := sha256.New()
	for _, s := range tuples {
		h.Write([]byte(s + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// sameRecords checks that the case holds exactly want, each once.
func sameRecords(t testing.TB, c *store.Case, want []string) {
	t.Helper()
	got := stored(t, c)
	if len(got) != len(want) || checksum(got) != checksum(want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("first difference at %d: got %q, want %q", i, got[i], want[i])
				break
			}
		}
		t.Fatalf("case holds %d records (checksum %s), want %d (checksum %s)", len(got), checksum(got), len(want), checksum(want))
	}
}

func queryInt(t testing.TB, c *store.Case, q string) int64 {
	t.Helper()
	var n int64
	if err := c.DB.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// boundaries are the slice boundaries of o's plan, in ms: test data puts
// events on both sides of each.
func boundaries(t testing.TB, o Options) []int64 {
	t.Helper()
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	plan, _, _, err := planSlices(o)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, s := range plan {
		out = append(out, s.from, s.to)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// flowData is a group of events over [t0, t1) from five streams, with events
// on every boundary of o's plan.
func flowData(t testing.TB, o Options, n int) []fakeEvent {
	return newFlowGen(1, 5).events(t0.UnixMilli(), t1.UnixMilli(), n, boundaries(t, o)...)
}

func TestPlanSlices(t *testing.T) {
	cases := []struct {
		name       string
		o          Options
		unit       int64
		wantSlices int
	}{
		{"hours", Options{LogGroup: "g", Start: start, End: end}, 1, 4},
		{"half hours", Options{LogGroup: "g", Start: start, End: end, Slice: 30 * time.Minute}, 1, 6},
		{"insights", Options{LogGroup: "g", Start: start.Add(1500 * time.Millisecond), End: end.Add(300 * time.Millisecond), Insights: true}, 1000, 38},
		{"short window", Options{LogGroup: "g", Start: start, End: start.Add(time.Minute)}, 1, 1},
		{"odd slice", Options{LogGroup: "g", Start: start, End: end, Slice: 7*time.Minute + 300*time.Millisecond}, 1, 27},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.o.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			plan, from, to, err := planSlices(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan) != tc.wantSlices {
				t.Errorf("%d slices, want %d", len(plan), tc.wantSlices)
			}
			if want := o.Start.Add(-Slack).UnixMilli() / tc.unit * tc.unit; plan[0].from != want || from.UnixMilli() != want {
				t.Errorf("first slice starts at %s, want %s", stamp(plan[0].from), stamp(want))
			}
			if last := plan[len(plan)-1].to - 1; last < o.End.Add(Slack).UnixMilli() || last != to.UnixMilli() {
				t.Errorf("last slice ends at %s, before the end + slack %s", stamp(last), o.End.Add(Slack))
			}
			step := o.Slice.Milliseconds()
			keys := map[string]bool{}
			for i, s := range plan {
				if s.from%tc.unit != 0 || s.to%tc.unit != 0 {
					t.Errorf("slice %d [%d, %d) is not in whole units of %d ms", i, s.from, s.to, tc.unit)
				}
				if i > 0 && s.from != plan[i-1].to {
					t.Errorf("slice %d starts at %s, the previous ended at %s: slices must meet, not overlap", i, stamp(s.from), stamp(plan[i-1].to-1))
				}
				if i > 0 && i < len(plan)-1 && s.from%step != 0 {
					t.Errorf("inner slice %d starts at %s, not on a multiple of %s", i, stamp(s.from), o.Slice)
				}
				if s.to-s.from > step*3/2+tc.unit {
					t.Errorf("slice %d is %s long", i, time.Duration(s.to-s.from)*time.Millisecond)
				}
				if keys[s.key] {
					t.Errorf("key %s twice", s.key)
				}
				keys[s.key] = true
			}
		})
	}
	t.Run("keys and sources", func(t *testing.T) {
		o, _ := Options{LogGroup: "/g", Start: start, End: end, Streams: []string{"b", "a", "b"}, Insights: true}.withDefaults()
		s := newSlice(o, 1000, 2000, o.Streams)
		if s.key != "cwlogs:/g|a,b|1000|1999|insights" {
			t.Errorf("key %q", s.key)
		}
		if s.source != "logs:/g [1970-01-01T00:00:01.000Z .. 1970-01-01T00:00:01.999Z] streams a,b (insights)" {
			t.Errorf("source %q", s.source)
		}
	})
	t.Run("many streams", func(t *testing.T) {
		var streams []string
		for i := range 250 {
			streams = append(streams, fmt.Sprintf("eni-%03d-all", i))
		}
		o, _ := Options{LogGroup: "g", Start: start, End: end, Streams: streams}.withDefaults()
		plan, _, _, _ := planSlices(o)
		if len(plan) != 12 || len(plan[0].streams) != 100 || len(plan[11].streams) != 50 {
			t.Errorf("%d slices for 3 batches of streams", len(plan))
		}
	})
}

func TestOptionsInvalid(t *testing.T) {
	for _, o := range []Options{
		{Start: start, End: end},
		{LogGroup: "g", End: end},
		{LogGroup: "g", Start: end, End: start},
		{LogGroup: "g", Start: start, End: end, InsightsLimit: 200_000},
		{LogGroup: "g", Start: start, End: end, Rate: -1},
		{LogGroup: "g", Start: start, End: end, Slice: time.Millisecond},
	} {
		_, err := Pull(context.Background(), nil, nil, o)
		if err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestPull(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 4000)
	f := newFake(map[string][]fakeEvent{group: evs})
	f.pageSize, f.emptyEvery = 40, 4
	api := f.serve(t)
	c := newCase(t)
	ctx := context.Background()
	want := expected(evs, start, end)

	var progress []Progress
	o.Progress = func(p Progress) { progress = append(progress, p) }
	sum, err := pull(t, ctx, c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, c, want)
	if sum.Records != int64(len(want)) || sum.Skipped != 0 || sum.Slices != 6 || len(sum.Results) != 6 {
		t.Errorf("summary: %s", sum)
	}
	if inRange := len(window(evs, sum.From.UnixMilli(), sum.To.UnixMilli(), nil)); sum.Events != int64(inRange) {
		t.Errorf("%d events fetched, the fake holds %d in %s .. %s", sum.Events, inRange, sum.From, sum.To)
	}
	if sum.OutsideWindow == 0 || sum.Events != sum.Records+sum.OutsideWindow {
		t.Errorf("events %d = records %d + outside the window %d?", sum.Events, sum.Records, sum.OutsideWindow)
	}
	if n := len(progress); n != 6 || progress[n-1].Done != 6 || progress[n-1].Records != sum.Records {
		t.Errorf("progress: %+v", progress)
	}
	if got := queryInt(t, c, `SELECT count(*) FROM ingest_files WHERE dedup_key LIKE 'cwlogs:/vpc/flow-logs||%'`); got != 6 {
		t.Errorf("%d slices in the manifest, want 6", got)
	}
	if sum.Requests != f.requests.Load() {
		t.Errorf("the pull counted %d requests, the fake saw %d", sum.Requests, f.requests.Load())
	}
	for _, r := range sum.Results {
		if r.Status != ingest.Loaded || !strings.HasPrefix(r.Path, "logs:/vpc/flow-logs [2024-05-01T") {
			t.Errorf("slice %s: %s %s", r.Path, r.Status, r.Error)
		}
	}

	// Again: every slice is in the case, nothing is fetched or added.
	before := f.requests.Load()
	o.Progress = nil
	sum, err = pull(t, ctx, c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 6 || sum.Events != 0 || len(sum.Results) != 0 || f.requests.Load() != before || sum.Note == "" {
		t.Errorf("second pull: %s (%d requests)", sum, f.requests.Load()-before)
	}
	sameRecords(t, c, want)
}

func TestPullStreams(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 2000)
	f := newFake(map[string][]fakeEvent{group: evs})
	f.pageSize = 25
	api := f.serve(t)
	streams := []string{"eni-0a1b2c3d4e5f60002-all", "eni-0a1b2c3d4e5f60004-all"}
	for _, insights := range []bool{false, true} {
		t.Run(fmt.Sprint("insights=", insights), func(t *testing.T) {
			c := newCase(t)
			o := o
			o.Streams, o.Insights, o.InsightsLimit = streams, insights, 100
			sum, err := pull(t, context.Background(), c, api, o)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, c, expected(evs, start, end, streams...))
			if !strings.Contains(sum.Results[0].Path, " streams "+strings.Join(streams, ",")) {
				t.Errorf("source %q does not name the streams", sum.Results[0].Path)
			}
		})
	}
}

func TestPullResume(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 3000)
	want := expected(evs, start, end)

	t.Run("cancelled", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: evs})
		f.pageSize, f.emptyEvery = 30, 5
		api := f.serve(t)
		c := newCase(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := o
		o.Concurrency = 2
		o.Progress = func(p Progress) {
			if p.Done == 3 {
				cancel()
			}
		}
		sum, err := pull(t, ctx, c, api, o)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled pull: %v (%s)", err, sum)
		}
		done := queryInt(t, c, `SELECT count(*) FROM ingest_files`)
		if done < 3 || done >= 6 {
			t.Fatalf("%d slices in the case after cancelling at 3", done)
		}
		keys := manifestKeys(t, c)
		f.resetFetched()

		o.Progress = nil
		sum, err = pull(t, context.Background(), c, api, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Skipped != done {
			t.Errorf("resumed pull skipped %d slices, %d were done", sum.Skipped, done)
		}
		refetched(t, f, keys)
		sameRecords(t, c, want)
	})

	t.Run("failed", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: evs})
		f.pageSize = 30
		f.failAfter.Store(40)
		api := f.serve(t)
		c := newCase(t)
		o := o
		o.Concurrency = 1
		sum, err := pull(t, context.Background(), c, api, o)
		if err == nil || !strings.Contains(err.Error(), "logs:FilterLogEvents") {
			t.Fatalf("pull failing mid-way: %v", err)
		}
		if len(sum.Results) == 0 || len(sum.Results) == 6 {
			t.Fatalf("%d slices ingested before the failure", len(sum.Results))
		}
		keys := manifestKeys(t, c)
		f.failAfter.Store(0)
		f.resetFetched()
		sum, err = pull(t, context.Background(), c, api, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Skipped != int64(len(keys)) {
			t.Errorf("resumed pull skipped %d slices, %d were done", sum.Skipped, len(keys))
		}
		refetched(t, f, keys)
		sameRecords(t, c, want)
	})
}

func manifestKeys(t testing.TB, c *store.Case) []string {
	t.Helper()
	rows, err := c.DB.Query(`SELECT dedup_key FROM ingest_files`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	return keys
}

// refetched fails when the fake began a listing of a slice the manifest had.
func refetched(t testing.TB, f *fakeLogs, keys []string) {
	t.Helper()
	for _, k := range keys {
		parts := strings.Split(k, "|")
		span := parts[2] + "-" + parts[3]
		if f.fetched(span) {
			t.Errorf("slice %s was in the case and was fetched again", k)
		}
	}
}

func TestPullThrottled(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 2000)
	f := newFake(map[string][]fakeEvent{group: evs})
	f.pageSize = 100
	f.limiter = rate.NewLimiter(20, 2)
	api := f.serve(t)
	c := newCase(t)
	o.Rate = 200
	minRate := o.Rate
	o.Progress = func(p Progress) { minRate = min(minRate, p.Rate) }
	sum, err := pull(t, context.Background(), c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, c, expected(evs, start, end))
	if f.throttled.Load() == 0 || sum.Throttled != f.throttled.Load() {
		t.Errorf("the fake throttled %d requests, the pull saw %d", f.throttled.Load(), sum.Throttled)
	}
	if minRate > 25 {
		t.Errorf("the rate never came down from %g (lowest %g) while throttled", o.Rate, minRate)
	}
	t.Logf("%s; rate down to %.1f/s", sum, minRate)
}

func TestPullInsights(t *testing.T) {
	o := testOptions()
	o.Insights, o.InsightsLimit, o.Slice = true, 60, 20*time.Minute
	evs := flowData(t, o, 3000)
	f := newFake(map[string][]fakeEvent{group: evs})
	f.running, f.resultsPage = 1, 25
	api := f.serve(t)
	c := newCase(t)
	sum, err := pull(t, context.Background(), c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	want := expected(evs, start, end)
	sameRecords(t, c, want)
	if sum.Splits == 0 || f.maxResults != o.InsightsLimit {
		t.Errorf("no split (%d), or the cap was never reached (most results %d)", sum.Splits, f.maxResults)
	}
	if !strings.HasSuffix(sum.Results[0].Path, "(insights)") {
		t.Errorf("source %q", sum.Results[0].Path)
	}
	t.Logf("%s; %d queries", sum, f.op("StartQuery"))

	// Again: nothing to do.
	queries := f.op("StartQuery")
	sum, err = pull(t, context.Background(), c, api, o)
	if err != nil || sum.Skipped != sum.Slices || f.op("StartQuery") != queries {
		t.Errorf("second pull: %v %s", err, sum)
	}
	sameRecords(t, c, want)
}

func TestPullInsightsErrors(t *testing.T) {
	o := testOptions()
	o.Insights = true
	t.Run("one second over the cap", func(t *testing.T) {
		o := o
		o.InsightsLimit = 50
		g := newFlowGen(2, 3)
		var evs []fakeEvent
		at := start.Add(time.Hour).UnixMilli()
		for i := range 80 {
			evs = append(evs, g.event(at+int64(i)))
		}
		f := newFake(map[string][]fakeEvent{group: evs})
		_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
		if err == nil || !strings.Contains(err.Error(), "single second 2024-05-01T01:30:00Z") {
			t.Fatalf("a second over the cap: %v", err)
		}
		t.Log(err)
	})
	t.Run("failed query", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: flowData(t, o, 100)})
		f.failQueries = true
		_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
		if err == nil || !strings.Contains(err.Error(), "failed") {
			t.Fatalf("failed query: %v", err)
		}
		t.Log(err)
	})
	t.Run("interrupted", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: flowData(t, o, 100)})
		f.running = 1 << 30 // never completes
		c, api := newCase(t), f.serve(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := pull(t, ctx, c, api, o)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("interrupted: %v", err)
		}
		if stopped, started := f.op("StopQuery"), f.op("StartQuery"); stopped == 0 || stopped != started {
			t.Errorf("%d queries started, %d stopped", started, stopped)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: nil})
		f.denied = true
		_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
		var ae *awsenv.Error
		if !errors.As(err, &ae) || ae.Kind != "denied" || !strings.Contains(err.Error(), "logs:StartQuery") {
			t.Fatalf("access denied: %v", err)
		}
		t.Log(err)
	})
}

func TestPullErrors(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 200)
	t.Run("unknown group", func(t *testing.T) {
		for _, insights := range []bool{false, true} {
			f := newFake(map[string][]fakeEvent{group: evs, "/vpc/other": nil, "/aws/lambda/x": nil})
			o := o
			o.LogGroup, o.Insights = "/vpc/flowlogs-typo", insights
			_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{`"/vpc/flowlogs-typo" does not exist`, "us-east-1", "aws logs describe-log-groups --log-group-name-prefix /vpc/", "/vpc/flow-logs, /vpc/other"} {
				if !strings.Contains(msg, want) {
					t.Errorf("insights=%v: %q does not say %q", insights, msg, want)
				}
			}
			t.Log(msg)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: evs})
		f.denied = true
		_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
		if err == nil || !strings.Contains(err.Error(), "needs logs:FilterLogEvents") {
			t.Fatalf("access denied: %v", err)
		}
		t.Log(err)
	})
	t.Run("repeated token", func(t *testing.T) {
		f := newFake(map[string][]fakeEvent{group: evs})
		f.pageSize, f.repeatToken = 10, true
		_, err := pull(t, context.Background(), newCase(t), f.serve(t), o)
		if err == nil || !strings.Contains(err.Error(), "nextToken a second time") {
			t.Fatalf("repeated token: %v", err)
		}
		t.Log(err)
	})
	t.Run("custom format", func(t *testing.T) {
		// Six fields per message: not the default format.
		var custom []fakeEvent
		for _, e := range evs {
			f := strings.Fields(e.msg)
			e.msg = strings.Join([]string{f[0], f[2], f[3], f[4], f[10], f[12]}, " ")
			custom = append(custom, e)
		}
		f := newFake(map[string][]fakeEvent{group: custom})
		api := f.serve(t)
		o := o
		o.Concurrency = 1
		sum, err := pull(t, context.Background(), newCase(t), api, o)
		if err == nil || !strings.Contains(err.Error(), "--log-format") || len(sum.Results) == 0 || sum.Results[0].Status != ingest.Refused {
			t.Fatalf("messages in a format not given: %v (%s)", err, sum)
		}
		t.Log(err)
		if f.op("FilterLogEvents") >= 6 {
			t.Errorf("the pull went on fetching (%d requests) although every slice is refused", f.op("FilterLogEvents"))
		}
		c := newCase(t)
		o.Fields, err = ingest.ParseLogFormat("${version} ${interface-id} ${srcaddr} ${dstaddr} ${start} ${action}", false)
		if err != nil {
			t.Fatal(err)
		}
		sum, err = pull(t, context.Background(), c, api, o)
		if err != nil || sum.Records != int64(len(expected(evs, start, end))) || sum.Rejected != 0 {
			t.Fatalf("with the format: %v (%s)", err, sum)
		}
	})
}

func TestPullEmptyWindow(t *testing.T) {
	o := testOptions()
	f := newFake(map[string][]fakeEvent{group: flowData(t, o, 100)})
	api := f.serve(t)
	c := newCase(t)
	o.Start, o.End = t1.Add(24*time.Hour), t1.Add(26*time.Hour)
	sum, err := pull(t, context.Background(), c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 0 || sum.Empty != sum.Slices || !strings.Contains(sum.Note, "no events in /vpc/flow-logs") {
		t.Errorf("empty window: %s", sum)
	}
	// Empty slices are in the manifest: a second pull fetches nothing.
	before := f.requests.Load()
	sum, err = pull(t, context.Background(), c, api, o)
	if err != nil || sum.Skipped != sum.Slices || f.requests.Load() != before {
		t.Errorf("second pull of an empty window: %v %s", err, sum)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 0 {
		t.Errorf("%d records from an empty window", n)
	}
}

func TestPullByARN(t *testing.T) {
	o := testOptions()
	evs := flowData(t, o, 500)
	f := newFake(map[string][]fakeEvent{group: evs})
	api := f.serve(t)
	for _, insights := range []bool{false, true} {
		c := newCase(t)
		o := o
		o.LogGroup, o.Insights = "arn:aws:logs:us-east-1:123456789012:log-group:"+group+":*", insights
		if _, err := pull(t, context.Background(), c, api, o); err != nil {
			t.Fatal(err)
		}
		sameRecords(t, c, expected(evs, start, end))
	}
}

// TestPullShiftedWindow: a pull of a window shifted by a few minutes (a
// relative window run again) shares the inner slices and fetches only the two
// at its edges.
func TestPullShiftedWindow(t *testing.T) {
	o := testOptions()
	f := newFake(map[string][]fakeEvent{group: flowData(t, o, 500)})
	api := f.serve(t)
	c := newCase(t)
	if _, err := pull(t, context.Background(), c, api, o); err != nil {
		t.Fatal(err)
	}
	o.Start, o.End = o.Start.Add(5*time.Minute), o.End.Add(5*time.Minute)
	sum, err := pull(t, context.Background(), c, api, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Slices != 6 || sum.Skipped != 4 || len(sum.Results) != 2 {
		t.Errorf("shifted window: %s", sum)
	}
}
