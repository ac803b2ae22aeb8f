// Package cloudwatch pulls a window of VPC flow logs from CloudWatch Logs into a
// case: complete, fast and resumable.
//
// The window (with [Slack] on each side) is cut into non-overlapping time
// slices aligned to multiples of the slice length. Each slice is fetched —
// every page of FilterLogEvents, or a Logs Insights query split until it fits
// the result cap — into a staging file, and ingested as one manifest item whose
// dedup key names the log group, the streams and the slice. Before a slice is
// fetched, the manifest is asked whether it is already in the case: a repeated
// pull fetches and adds nothing, and a pull that stopped halfway resumes with
// the slices it had not finished. Slices with no events are recorded too (as a
// file holding only the format's header line, which ingests as zero records),
// so a resumed pull does not fetch them again either.
//
// Resuming means running the same pull again: same log group, streams and
// window, in absolute times (resolve "24h" or "now" once). Slices are cut on a
// grid, so pulls of overlapping windows share their inner slices and skip
// them; but their first and last slices are cut by the windows and differ, and
// the records both of those cover are loaded twice, since a slice's key cannot
// say which part of it another window kept.
//
// Slices are fetched concurrently under one request-rate limiter shared by
// every request the pull makes, retries included; when the service throttles,
// the limiter halves its rate and creeps back up once the throttling stops.
// They are ingested from one goroutine, since a case has one writer.
package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
)

// API is the part of *cloudwatchlogs.Client a pull uses.
type API interface {
	FilterLogEvents(ctx context.Context, params *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	StartQuery(ctx context.Context, params *cloudwatchlogs.StartQueryInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error)
	GetQueryResults(ctx context.Context, params *cloudwatchlogs.GetQueryResultsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetQueryResultsOutput, error)
	StopQuery(ctx context.Context, params *cloudwatchlogs.StopQueryInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StopQueryOutput, error)
	DescribeLogGroups(ctx context.Context, params *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

var _ API = (*cloudwatchlogs.Client)(nil)

// Slack is how far before the window's start and after its end a pull
// fetches: a flow-log event may be stamped up to the end of its capture
// window, later than the record's start. The ingester's window (which must be
// the same as the pull's) drops the records whose start lies outside.
const Slack = 10 * time.Minute

// DeliveryDelay is how far behind real time flow-log events may still be
// arriving in CloudWatch Logs (aggregation interval plus publishing delay).
const DeliveryDelay = 15 * time.Minute

// Defaults and limits.
const (
	DefaultSlice         = time.Hour       // FilterLogEvents
	DefaultInsightsSlice = 5 * time.Minute // Logs Insights
	DefaultConcurrency   = 4
	DefaultRate          = 5.0 // requests per second: the account quota; a throttled request halves it for a while
	DefaultInsightsLimit = 10_000
	MaxInsightsLimit     = 100_000
	// streamsPerRequest is how many stream names FilterLogEvents takes at once.
	streamsPerRequest = 100
	// maxSlices bounds the plan: a tiny slice over a long window is a mistake.
	maxSlices = 1_000_000
)

// Options say what to pull and how.
type Options struct {
	LogGroup string   // the log group's name, or its ARN
	Streams  []string // log stream names (flow logs name them after the ENI: eni-…-all); empty = every stream
	// Start and End are the window, both inclusive, by each record's start.
	// The ingester must carry the same window: it drops the records that
	// the slack before and after brings in.
	Start, End time.Time
	// Fields are the flow log's format (from discovery or --log-format);
	// nil leaves it to the ingester (the default version 2 format unless its
	// Options.LogFormat says otherwise).
	Fields      []ingest.Field
	Slice       time.Duration // length of a slice; default 1h (FilterLogEvents) or 5m (Insights)
	Concurrency int           // slices fetched at once; default 4
	// Rate is the requests per second across the whole pull, retries
	// included; default 5, FilterLogEvents' account quota. Throttling (other
	// clients of the same quota) halves it until the throttling stops.
	Rate          float64
	Insights      bool           // use Logs Insights queries instead of FilterLogEvents
	InsightsLimit int            // results per query, default 10,000, at most 100,000; a slice that reaches it is split
	Progress      func(Progress) // called after each slice, from the goroutine that called Pull
	Profile       string         // the AWS profile in use, for the hints in error messages
	TempDir       string         // where slices are staged before ingest; default os.TempDir()

	// poll is the first wait before asking for a query's results (default
	// 500ms, doubling up to 5s); tests shorten it.
	poll time.Duration
	// pageLimit caps FilterLogEvents' page size (default: the service's,
	// 10,000); tests lower it to page through an emulator.
	pageLimit int32
}

// Progress is reported after each slice.
type Progress struct {
	Slices    int64   // slices in the window
	Done      int64   // slices finished: ingested, or skipped because the case had them
	Skipped   int64   // of Done, already in the case
	Events    int64   // log events fetched so far
	Records   int64   // flow records stored so far
	Requests  int64   // API requests so far, retries included
	Throttled int64   // requests the service throttled
	Rate      float64 // requests per second allowed now (below Options.Rate after throttling)
	Last      string  // the slice just finished
}

// String is the progress in one line, for people.
func (p Progress) String() string {
	return fmt.Sprintf("%d of %d slices, %s events, %s records, %d requests (%d throttled, %.1f/s)",
		p.Done, p.Slices, format.Count(p.Events), format.Count(p.Records), p.Requests, p.Throttled, p.Rate)
}

// Summary is the outcome of a pull.
type Summary struct {
	Slices        int64 // slices in the window
	Skipped       int64 // already in the case: not fetched again
	Empty         int64 // fetched and found without events (recorded all the same)
	Events        int64 // log events fetched
	Records       int64 // flow records stored
	Rejected      int64 // lines that did not parse (in the case's rejects)
	OutsideWindow int64 // records dropped because their start lies outside the window
	Requests      int64 // API requests, retries included
	Throttled     int64 // requests the service throttled (and were retried)
	Splits        int64 // Insights queries that reached the result cap and were split
	// From and To are the time range fetched: the window with the slack.
	From, To time.Time
	// Note says what the numbers alone do not: an empty window, a pull that
	// had nothing left to do.
	Note string
	// Results has one entry per slice ingested by this pull.
	Results []ingest.FileResult
}

// String is a one-line account of the pull.
func (s Summary) String() string {
	msg := fmt.Sprintf("%d slices (%d already in the case, %d empty), %d events, %d records, %d rejected lines, %d outside the window; %d requests, %d throttled",
		s.Slices, s.Skipped, s.Empty, s.Events, s.Records, s.Rejected, s.OutsideWindow, s.Requests, s.Throttled)
	if s.Splits > 0 {
		msg += fmt.Sprintf(", %d Insights splits", s.Splits)
	}
	if s.Note != "" {
		msg += ": " + s.Note
	}
	return msg
}

// slice is one unit of work: a time range of one batch of streams.
type slice struct {
	from, to int64    // Unix milliseconds, [from, to)
	streams  []string // nil = every stream
	key      string   // the manifest's dedup key
	source   string   // the manifest's source
}

// Pull fetches the window's flow-log events from the log group and ingests
// them into the case behind in, one manifest item per slice. It returns what
// it did even when it fails; the slices ingested before a failure stay in the
// case, and the same pull run again fetches only the others.
func Pull(ctx context.Context, api API, in *ingest.Ingester, o Options) (Summary, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	plan, from, to, err := planSlices(o)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Slices: int64(len(plan)), From: from, To: to}

	var todo []slice
	for _, s := range plan {
		_, seen, err := in.Seen(ctx, s.key)
		if err != nil {
			return sum, fmt.Errorf("cloudwatch: %w", err)
		}
		if seen {
			sum.Skipped++
			continue
		}
		todo = append(todo, s)
	}
	p := &puller{api: api, o: o, gov: newGovernor(o.Rate)}
	report := func(last string) {
		if o.Progress == nil {
			return
		}
		o.Progress(Progress{
			Slices: sum.Slices, Done: sum.Skipped + int64(len(sum.Results)), Skipped: sum.Skipped,
			Events: sum.Events, Records: sum.Records,
			Requests: p.gov.requests.Load(), Throttled: p.gov.throttled.Load(), Rate: p.gov.rate(), Last: last,
		})
	}
	if sum.Skipped > 0 {
		report("")
	}
	if len(todo) == 0 {
		sum.Note = "every slice of the window is already in the case: nothing fetched"
		return sum, nil
	}

	// Fetchers feed staged slices to this goroutine, the one writer.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan slice)
	done := make(chan fetched, o.Concurrency)
	go func() {
		defer close(jobs)
		for _, s := range todo {
			select {
			case jobs <- s:
			case <-fctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(o.Concurrency, len(todo)) {
		wg.Go(func() {
			for s := range jobs {
				done <- p.fetch(fctx, s)
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	loaded := 0
	var refused []ingest.FileResult
	for f := range done {
		switch {
		case f.err != nil:
			if !errors.Is(f.err, context.Canceled) || ctx.Err() != nil {
				fail(p.explain(ctx, f.err))
			}
			f.discard()
			continue
		case ctx.Err() != nil:
			// Interrupted: what is staged is fetched again next time.
			fail(interrupted(ctx))
			f.discard()
			continue
		}
		res := in.Item(ctx, ingest.Item{Path: f.path, Source: f.source, Key: f.key, Fields: o.Fields})
		f.discard()
		sum.Events += f.events
		sum.Splits += f.splits
		sum.Results = append(sum.Results, res)
		if f.events == 0 {
			sum.Empty++
		}
		sum.Records += res.Records
		sum.Rejected += res.Rejected
		sum.OutsideWindow += res.OutsideWindow
		switch res.Status {
		case ingest.Loaded:
			loaded++
		case ingest.Duplicate:
			// Another ingest recorded the slice meanwhile: nothing added.
		case ingest.Refused:
			// The first slices refused, none loaded: the format is wrong
			// for all of them; stop rather than fetch the whole window.
			refused = append(refused, res)
			if loaded == 0 {
				fail(fmt.Errorf("cloudwatch: %s: %w", f.source, res.Err()))
			}
		case ingest.Failed:
			if ctx.Err() != nil {
				fail(interrupted(ctx))
			} else {
				fail(fmt.Errorf("cloudwatch: %s: %w", f.source, res.Err()))
			}
		}
		report(f.source)
	}
	sum.Requests, sum.Throttled = p.gov.requests.Load(), p.gov.throttled.Load()
	if firstErr == nil && len(refused) > 0 {
		// Not in the case: the next pull fetches them again.
		firstErr = fmt.Errorf("cloudwatch: %d of %d slices refused, the first %s: %w", len(refused), len(todo), refused[0].Path, refused[0].Err())
	}
	if firstErr != nil {
		return sum, firstErr
	}
	switch {
	case sum.Events == 0 && sum.Skipped == 0:
		sum.Note = fmt.Sprintf("no events in %s between %s and %s (the window with %s on each side)%s: nothing to ingest; check the window, the log group and the streams",
			o.LogGroup, stamp(from.UnixMilli()), stamp(to.UnixMilli()), Slack, streamNote(o.Streams))
	case sum.Events > 0 && sum.Records == 0 && sum.OutsideWindow > 0:
		sum.Note = "events were fetched, but no record's start lies inside the window"
	}
	if recent := time.Now().Add(-DeliveryDelay); o.End.After(recent) {
		if sum.Note != "" {
			sum.Note += "; "
		}
		sum.Note += fmt.Sprintf("the window reaches into the last %s, whose events CloudWatch Logs may still be receiving: the slices are recorded as done, so a later pull of the same window will not fetch what arrives after now", DeliveryDelay)
	}
	return sum, nil
}

// interrupted is the error of a pull whose context ended.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("cloudwatch: pull interrupted (the slices ingested so far stay in the case; the same pull resumes with the rest): %w", ctx.Err())
}

func streamNote(streams []string) string {
	if len(streams) == 0 {
		return ""
	}
	return " in streams " + strings.Join(streams, ", ")
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.LogGroup == "":
		return o, errors.New("cloudwatch: no log group")
	case o.Start.IsZero() || o.End.IsZero():
		return o, errors.New("cloudwatch: the window needs a start and an end")
	case !o.End.After(o.Start):
		return o, fmt.Errorf("cloudwatch: the window's start (%s) must be before its end (%s)", o.Start.UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339))
	case o.InsightsLimit > MaxInsightsLimit:
		return o, fmt.Errorf("cloudwatch: Insights limit %d: Logs Insights returns at most %d results per query", o.InsightsLimit, MaxInsightsLimit)
	case o.Slice < 0 || o.Concurrency < 0 || o.Rate < 0 || o.InsightsLimit < 0:
		return o, errors.New("cloudwatch: slice, concurrency, rate and Insights limit cannot be negative")
	}
	if o.Slice == 0 {
		o.Slice = DefaultSlice
		if o.Insights {
			o.Slice = DefaultInsightsSlice
		}
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.InsightsLimit == 0 {
		o.InsightsLimit = DefaultInsightsLimit
	}
	if o.poll == 0 {
		o.poll = 500 * time.Millisecond
	}
	streams := slices.Clone(o.Streams)
	slices.Sort(streams)
	o.Streams = slices.Compact(streams)
	return o, nil
}

// planSlices cuts the window, widened by Slack, into slices: boundaries on
// multiples of o.Slice since the epoch, so that pulls of overlapping windows
// share their inner slices (the first and last are cut by the window, and
// differ); a head or tail shorter than half a slice joins its
// neighbour rather than costing requests of its own. Insights slices are whole
// seconds. Every batch of streams gets the same cuts.
func planSlices(o Options) ([]slice, time.Time, time.Time, error) {
	unit := int64(1) // ms
	if o.Insights {
		unit = 1000
	}
	step := max(o.Slice.Milliseconds(), 1)
	step = (step + unit - 1) / unit * unit
	from := floorTo(o.Start.Add(-Slack).UnixMilli(), unit)
	to := floorTo(o.End.Add(Slack).UnixMilli(), unit) + unit // exclusive
	if (to-from)/step > maxSlices {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("cloudwatch: %s slices over %s make more than %d slices: use a longer slice", o.Slice, time.Duration(to-from)*time.Millisecond, maxSlices)
	}
	var cuts []int64
	for c := floorTo(from, step) + step; c < to; c += step {
		cuts = append(cuts, c)
	}
	if len(cuts) > 0 && cuts[0]-from < step/2 {
		cuts = cuts[1:]
	}
	if len(cuts) > 0 && to-cuts[len(cuts)-1] < step/2 {
		cuts = cuts[:len(cuts)-1]
	}
	bounds := append(append([]int64{from}, cuts...), to)

	lanes := [][]string{nil}
	if len(o.Streams) > 0 {
		lanes = nil
		for s := range slices.Chunk(o.Streams, streamsPerRequest) {
			lanes = append(lanes, s)
		}
	}
	var out []slice
	for _, streams := range lanes {
		for i := 0; i+1 < len(bounds); i++ {
			out = append(out, newSlice(o, bounds[i], bounds[i+1], streams))
		}
	}
	return out, time.UnixMilli(from).UTC(), time.UnixMilli(to - 1).UTC(), nil
}

// newSlice names a slice: its key is what the manifest remembers it by.
func newSlice(o Options, from, to int64, streams []string) slice {
	joined := strings.Join(streams, ",")
	s := slice{from: from, to: to, streams: streams}
	s.key = fmt.Sprintf("cwlogs:%s|%s|%d|%d", o.LogGroup, joined, from, to-1)
	s.source = fmt.Sprintf("logs:%s [%s .. %s]", o.LogGroup, stamp(from), stamp(to-1))
	if joined != "" {
		s.source += " streams " + joined
	}
	if o.Insights {
		s.key += "|insights"
		s.source += " (insights)"
	}
	return s
}

func floorTo(v, unit int64) int64 {
	q := v / unit
	if v%unit != 0 && v < 0 {
		q--
	}
	return q * unit
}

func stamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// fetched is a slice staged in a local file.
type fetched struct {
	slice
	path   string
	events int64
	splits int64
	err    error
}

func (f fetched) discard() {
	if f.path != "" {
		os.Remove(f.path)
	}
}
