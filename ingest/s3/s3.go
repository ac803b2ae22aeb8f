// Package s3 pulls a window of VPC flow logs from the S3 bucket they are
// delivered to into a case: completely, quickly and resumably.
//
// AWS delivers flow logs to
//
//	[prefix/]AWSLogs/[o-org/]ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/[HH/]
//
// or, with Hive-compatible prefixes, to
//
//	[prefix/]AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD/[hour=HH/]
//
// or, where Amazon Security Lake holds them (as OCSF Parquet), to
//
//	[prefix/]aws/VPC_FLOW/VERSION/region=REGION/accountId=ACCOUNT/eventDay=YYYYMMDD/
//
// (eventHour=YYYYMMDDHH/ in its first version), the folder naming the
// records' event time. AWS's own delivery writes one object every five
// minutes or so per flow log, named
// ACCOUNT_vpcflowlogs_REGION_fl-…_YYYYMMDDTHHmmZ_hash.log.gz (or
// .log.parquet), where the time is when the file was written. Pull finds
// the layout by listing folders (Delimiter "/") from the given prefix
// downwards, then lists only the day or hour folders the window reaches,
// downloads the objects whose name time is in the window concurrently and
// ingests them as they arrive, in batches while the next ones download
// (ingest.Ingester.Items reads small objects of one shape together), one
// object per manifest entry, keyed by bucket, key and ETag: a pull that
// stopped halfway, run again, skips what landed and fetches the rest.
//
// Pull needs s3:ListBucket on the bucket and s3:GetObject on its objects
// (and kms:Decrypt when they are encrypted with a KMS key). A URL above
// AWSLogs/ is searched for it down to MaxSearchDepth folders; a folder that
// holds AWSLogs/ is taken as the flow logs' prefix and its other folders are
// left alone. Below AWSLogs/ only the account and region folders are listed
// (only those in Options.Accounts and Options.Regions, when given), and in
// an account only its vpcflowlogs/ folder: never the whole bucket.
//
// # The margin
//
// An object's name time is about when it was delivered, so the records in
// it started earlier: by up to the aggregation interval (10 minutes at most)
// plus the 5-minute delivery period and AWS's processing, normally well
// under half an hour. Other writers (this project's demo tree, for one)
// stamp a file with the start of the hour it covers, so its records come up
// to an hour after the stamp. Pull therefore takes every object whose name
// time lies within Margin (default one hour) of the window on either side,
// and lists every day or hour folder that overlaps the window widened by
// Margin: for hourly folders that is the hour before the window's first and
// the hour after its last; for daily folders the day before or after only
// when the window comes within Margin of midnight. The records outside the
// window that these objects carry are dropped by the ingest (its
// Options.Start and End must be the same window). A record in the window
// but delivered more than Margin after its end is missed: a larger Margin
// trades downloads for safety.
package s3

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
)

// API is the part of *s3.Client that Pull uses.
type API interface {
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// Defaults of Options.
const (
	DefaultConcurrency = 8
	DefaultMargin      = time.Hour
)

// MaxSearchDepth is how many folders below the URL's prefix Pull looks for
// AWSLogs/ when the prefix is above it; maxSearchListings bounds the
// folders it lists while doing so.
const (
	MaxSearchDepth    = 3
	maxSearchListings = 500
)

// Options say what to pull.
type Options struct {
	// URL is s3://bucket[/prefix] (or arn:aws:s3:::bucket[/prefix], as a
	// flow log's LogDestination reads): the bucket, a prefix above AWSLogs/,
	// the delivery prefix, or any deeper prefix down to one day or hour.
	URL string
	// Start and End are the window, both inclusive, by record start. Both
	// are required; the Ingester's Options must carry the same window (it is
	// what drops the records outside it).
	Start, End time.Time
	// Accounts and Regions restrict the pull to these accounts and regions
	// (optional; they matter when the URL is above the account or region).
	Accounts []string
	Regions  []string
	// Fields is the format of header-less objects (rare in S3; nil selects
	// the Ingester's, by default AWS's default format).
	Fields []ingest.Field
	// Concurrency is the number of concurrent downloads (default 8).
	Concurrency int
	// Batch is the most downloaded objects ingested together, in one
	// Ingester.Items (default ingest.BatchObjects).
	Batch int
	// Margin widens the window by an object's name time (default one hour;
	// see the package documentation).
	Margin time.Duration
	// TempDir is where downloads go (default os.TempDir()); each file is
	// removed once ingested.
	TempDir string
	// Profile names the AWS profile in use, for the hints in error messages.
	Profile string
	// Progress, when set, is called as objects are listed, skipped and
	// ingested; calls never overlap.
	Progress func(Progress)
}

// Progress is how far a pull has come.
type Progress struct {
	Listed     int64  // objects listed in the day and hour folders
	Objects    int64  // of those, delivered within the window (± margin)
	Skipped    int64  // already in the case
	Downloaded int64  // fetched
	Ingested   int64  // done with: loaded, refused or failed
	Failed     int64  // objects that did not land
	Bytes      int64  // bytes downloaded
	Records    int64  // records loaded
	Current    string // the object just skipped or ingested
}

// String is the progress in one line, for people.
func (p Progress) String() string {
	return fmt.Sprintf("%d of %d objects (%d already in the case), %s, %s records",
		p.Ingested+p.Skipped, p.Objects, p.Skipped, format.Bytes(p.Bytes), format.Count(p.Records))
}

// Location is a flow-log delivery folder that the pull found: one account
// and region.
type Location struct {
	Bucket  string
	Prefix  string // [prefix/]AWSLogs/[o-org/]ACCOUNT/vpcflowlogs/REGION/ (or its Hive form)
	Org     string
	Account string
	Region  string
	Hive    bool
	// Lake is Amazon Security Lake's layout (OCSF Parquet objects):
	// aws/VPC_FLOW/VERSION/region=REGION/accountId=ACCOUNT/.
	Lake bool
	// Daily and Hourly say which partitions the listed days had: objects
	// in day folders, hour folders, or (with several flow logs) both.
	Daily, Hourly bool
}

// String shows the location and its layout, e.g.
// s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/YYYY/MM/DD/HH/.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString("s3://" + l.Bucket + "/" + l.Prefix)
	switch {
	case l.Lake && l.Hourly && !l.Daily:
		b.WriteString("eventHour=YYYYMMDDHH/")
	case l.Lake:
		b.WriteString("eventDay=YYYYMMDD/")
	case l.Hive && l.Hourly && !l.Daily:
		b.WriteString("year=YYYY/month=MM/day=DD/hour=HH/")
	case l.Hive:
		b.WriteString("year=YYYY/month=MM/day=DD/")
	case l.Hourly && !l.Daily:
		b.WriteString("YYYY/MM/DD/HH/")
	default:
		b.WriteString("YYYY/MM/DD/")
	}
	switch {
	case l.Daily && l.Hourly:
		b.WriteString(" (daily and hourly partitions)")
	case l.Hourly:
		b.WriteString(" (hourly partitions)")
	case l.Daily:
		b.WriteString(" (daily partitions)")
	default:
		b.WriteString(" (no partition in the window)")
	}
	return b.String()
}

// Summary is what a pull did.
type Summary struct {
	Bucket string
	Prefix string
	// Locations are the delivery folders found (one per account and region).
	Locations []Location
	// Partitions are the day and hour folders listed.
	Partitions []string
	// Requests counts the ListObjectsV2 calls, discovery included.
	Requests int64
	// Listed objects in the partitions; Objects of them delivered within
	// the window (± margin); OutsideWindow the others.
	Listed, Objects, OutsideWindow int64
	// Skipped objects were already in the case; Downloaded were fetched;
	// Failed did not land: the download failed, or the ingest refused the
	// object (not a flow log) or failed.
	Skipped, Downloaded, Failed int64
	// Bytes downloaded; Records loaded and lines Rejected, over the objects
	// ingested.
	Bytes, Records, Rejected int64
	// Results has one entry per object in the window: loaded, duplicate
	// (skipped), refused or failed.
	Results []ingest.FileResult
	// Note says why nothing was ingested when the pull found nothing to
	// ingest: what was listed, and the layout found.
	Note string
}

// Pull lists the flow-log objects that o.URL holds for the window, and
// downloads and ingests those the case does not have yet. Errors that stop
// the whole pull (no such bucket, access denied, expired credentials) are
// returned with the summary so far; an object that cannot be fetched is a
// Failed result and the others go on. When ctx is cancelled, the objects
// ingested so far stay in the case and a second pull resumes.
func Pull(ctx context.Context, api API, in *ingest.Ingester, o Options) (Summary, error) {
	root, bucket, err := parseURL(o.URL)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Bucket: bucket, Prefix: root.prefix}
	if o.Start.IsZero() || o.End.IsZero() {
		return sum, errors.New("s3: a window is needed: give both a start and an end")
	}
	if o.End.Before(o.Start) {
		return sum, fmt.Errorf("s3: the window ends (%s) before it starts (%s)", o.End.UTC().Format(time.RFC3339), o.Start.UTC().Format(time.RFC3339))
	}
	for _, a := range o.Accounts {
		if !accountRE.MatchString(a) {
			return sum, fmt.Errorf("s3: account %q is not a 12-digit AWS account id", a)
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Margin <= 0 {
		o.Margin = DefaultMargin
	}
	if o.Batch <= 0 {
		o.Batch = ingest.BatchObjects
	}
	tmp, err := os.MkdirTemp(o.TempDir, "investigator-s3-")
	if err != nil {
		return sum, fmt.Errorf("s3: temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p := &puller{
		api: api, in: in, o: o, bucket: bucket, tmp: tmp, sum: &sum,
		lo: o.Start.UTC().Add(-o.Margin), hi: o.End.UTC().Add(o.Margin),
	}
	jobs := make(chan object, o.Concurrency)
	done := make(chan fetched, o.Concurrency)

	var listErr error
	go func() {
		defer close(jobs)
		listErr = p.discover(ctx, root, jobs)
		if listErr != nil {
			cancel(listErr)
		}
	}()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() { p.worker(ctx, jobs, done) })
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	// Downloaded objects wait in pending until the loader is free, and it
	// takes them all (up to o.Batch) in one Ingester.Items: one engine read
	// while the next batch downloads. At most o.Batch objects wait and
	// o.Batch load, beside the downloads in flight: that bounds the
	// temporary files.
	loads := make(chan []fetched) // unbuffered: a batch goes when the loader is free
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		for batch := range loads {
			p.load(ctx, batch)
		}
	}()
	var fatal error
	var pending []fetched
	for recv := done; recv != nil || len(pending) > 0; {
		if ctx.Err() != nil {
			for _, f := range pending {
				os.Remove(f.path)
			}
			pending = nil
		}
		var send chan []fetched
		if len(pending) > 0 {
			send = loads
		}
		from := recv
		if len(pending) >= o.Batch {
			from = nil // enough waiting: until the loader takes them
		}
		var f fetched
		select {
		case send <- pending:
			pending = nil
			continue
		case got, ok := <-from:
			if !ok {
				recv = nil
				continue
			}
			f = got
		}
		switch {
		case ctx.Err() != nil:
			if f.path != "" {
				os.Remove(f.path)
			}
		case f.err != nil && f.fatal:
			fatal = f.err
			cancel(f.err)
		case f.seen:
			p.result(ingest.FileResult{Path: f.obj.source, Status: ingest.Duplicate, DuplicateOf: f.prior, Size: f.obj.size}, false, f.obj.source)
		case f.err != nil:
			p.result(ingest.FileResult{Path: f.obj.source, Status: ingest.Failed, Error: f.err.Error(), Size: f.obj.size}, true, f.obj.source)
		default:
			pending = append(pending, f)
		}
	}
	close(loads)
	<-loaded
	interrupted := func(err error) bool {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	switch {
	case fatal != nil:
		return sum, fatal
	case listErr != nil && !interrupted(listErr):
		return sum, listErr
	case parent.Err() != nil:
		return sum, fmt.Errorf("s3: pull of %s interrupted with %d of %d objects in the case (run it again to fetch the rest): %w",
			o.URL, sum.Skipped+p.prog.Ingested-sum.Failed, sum.Objects, context.Cause(parent))
	case listErr != nil:
		return sum, listErr
	}
	sum.Note = p.note()
	return sum, nil
}

// load ingests a batch of downloaded objects and removes their files.
func (p *puller) load(ctx context.Context, batch []fetched) {
	defer func() {
		for _, f := range batch {
			os.Remove(f.path)
		}
	}()
	if ctx.Err() != nil {
		return
	}
	preps := make([]ingest.Prepared, len(batch))
	for i, f := range batch {
		preps[i] = f.prep
	}
	p.in.LoadPrepared(ctx, preps, ingest.ItemEvents{Done: func(i int, r ingest.FileResult) {
		if ctx.Err() != nil && r.Status == ingest.Failed {
			return // interrupted: the object's transaction rolled back
		}
		p.result(r, r.Status != ingest.Loaded && r.Status != ingest.Duplicate, batch[i].obj.source)
	}})
}

// puller is the state of one Pull.
type puller struct {
	api    API
	in     *ingest.Ingester
	o      Options
	bucket string
	tmp    string
	lo, hi time.Time // the window widened by the margin

	mu       sync.Mutex // guards sum, prog, searched, excluded
	sum      *Summary
	prog     Progress
	searched int // folders listed above AWSLogs/
	excluded []string
}

// result records the outcome of one object in the window.
func (p *puller) result(r ingest.FileResult, failed bool, source string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sum
	s.Results = append(s.Results, r)
	switch {
	case r.Status == ingest.Duplicate:
		s.Skipped++
		p.prog.Skipped++
	case failed:
		s.Failed++
		p.prog.Failed++
		p.prog.Ingested++
	default:
		s.Records += r.Records
		s.Rejected += r.Rejected
		p.prog.Records += r.Records
		p.prog.Ingested++
	}
	p.prog.Current = source
	p.progress()
}

// progress reports, with p.mu held.
func (p *puller) progress() {
	if p.o.Progress != nil {
		p.o.Progress(p.prog)
	}
}

// note explains a pull that found nothing to ingest.
func (p *puller) note() string {
	s := p.sum
	if s.Objects > 0 {
		return ""
	}
	where := "s3://" + s.Bucket + "/" + s.Prefix
	window := fmt.Sprintf("%s – %s", p.o.Start.UTC().Format(time.RFC3339), p.o.End.UTC().Format(time.RFC3339))
	if len(s.Locations) == 0 {
		msg := fmt.Sprintf("nothing matched: found no VPC flow log delivery folder ([prefix/]AWSLogs/[o-org/]ACCOUNT/vpcflowlogs/REGION/, plain or Hive-compatible, or Security Lake's aws/VPC_FLOW/VERSION/region=REGION/accountId=ACCOUNT/) under %s", where)
		if p.searched > 0 {
			msg += fmt.Sprintf(" (searched %d folders, down to %d levels below it)", p.searched, MaxSearchDepth)
		}
		if len(p.excluded) > 0 {
			msg += "; left out by the account and region filters: " + strings.Join(p.excluded, ", ")
		}
		return msg
	}
	locs := make([]string, len(s.Locations))
	for i, l := range s.Locations {
		locs[i] = l.String()
	}
	if len(s.Partitions) == 0 {
		return fmt.Sprintf("nothing matched: the window %s reaches no day or hour folder under %s; found %s",
			window, where, strings.Join(locs, ", "))
	}
	return fmt.Sprintf("nothing matched: listed %d day/hour folders holding %d objects, none delivered within the window %s (± %s); found %s",
		len(s.Partitions), s.Listed, window, p.o.Margin, strings.Join(locs, ", "))
}

// String is a one-line account of the pull.
func (s Summary) String() string {
	msg := fmt.Sprintf("%d objects in the window of %d listed in %d folders (%d already in the case), %d downloaded (%.1f MB), %d records, %d rejected lines, %d failed",
		s.Objects, s.Listed, len(s.Partitions), s.Skipped, s.Downloaded, float64(s.Bytes)/1e6, s.Records, s.Rejected, s.Failed)
	if s.Note != "" {
		msg += "; " + s.Note
	}
	return msg
}
