package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/store"
)

// DefaultWindow is how far back a pull from AWS reaches when no start is given.
const DefaultWindow = 24 * time.Hour

// Request is one ingest into a case, as a face was asked for it: files, AWS
// sources, or both.
type Request struct {
	// Items are the files to load, in order (see Expand); Missing are the
	// arguments that named no file, reported as refused.
	Items   []ingest.Item
	Missing []ingest.FileResult
	// Focus is recorded in the case before anything is loaded.
	Focus store.Focus
	// Discover asks EC2 about these instances and records what it says
	// (their addresses, VPC blocks and flow logs) before pulling.
	Discover []string
	// Sources are the AWS sources named by the user. Pull pulls from them,
	// else from the flow logs discovery found (now or earlier, as recorded
	// in the case).
	Sources []Source
	Pull    bool
	// Start and End are the window by record start, as given ("" for none:
	// a pull then takes the DefaultWindow up to Now).
	Start, End string
	Now        time.Time
	// LogFormat is the format of header-less lines; Lenient keeps unknown
	// fields of a header or format.
	LogFormat []ingest.Field
	Lenient   bool
	// Insights, Profile and the Athena settings configure the pulls.
	Insights                      bool
	Profile                       string
	AthenaWorkgroup, AthenaOutput string
	// AWS loads the configuration when the request needs AWS.
	AWS func(context.Context) (aws.Config, error)
	// Command and Program are recorded in the manifest.
	Command, Program string
	Logger           *slog.Logger
}

// Events are what a face is told as an ingest goes on; any may be nil.
type Events struct {
	Began      func(ingestID int64)
	Discovered func(Discovery)
	Window     func(start, end time.Time) // the window of a pull, resolved
	File       func(i, n int, item ingest.Item)
	FileDone   func(ingest.FileResult)
	Reading    func(ingest.ReadProgress) // inside a file, every half second while it is read
	Pulling    func(Source)
	Pulled     func(SourceReport)
	CloudWatch func(cloudwatch.Progress)
	S3         func(s3.Progress)
}

// Report is what an ingest did.
type Report struct {
	IngestID int64               `json:"ingest_id"`
	Files    []ingest.FileResult `json:"files"`
	ingest.Totals
	Seconds float64        `json:"seconds"`
	Window  [2]*time.Time  `json:"window"`
	Sources []SourceReport `json:"sources,omitempty"`
	// Interrupted: the context ended before everything was read; what
	// landed is in the case.
	Interrupted bool `json:"interrupted,omitempty"`
}

// FailedSources counts the sources that failed.
func (r Report) FailedSources() int {
	n := 0
	for _, s := range r.Sources {
		if s.Error != "" {
			n++
		}
	}
	return n
}

// RequestError is a request that cannot be run as given (a bad window,
// nothing to ingest): said to the user, nothing was written.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string       { return e.Msg }
func (e *RequestError) UserMessage() string { return e.Msg }

// ErrNothingToPull is a pull with no source: none named, and no flow log of
// the case's instances that can be read back.
var ErrNothingToPull = errors.New("nothing to pull from: no flow log of the case's instances can be read back, and no log group, S3 location or Athena table was named")

// Window resolves the window as given; a pull without one takes the
// DefaultWindow up to now, resolved once, so a resumed pull asks for the
// same slices. The start must be before the end.
func Window(start, end string, now time.Time, pull bool) (*time.Time, *time.Time, error) {
	s, e, err := when.Window(start, end, now)
	if err != nil {
		return nil, nil, &RequestError{Msg: err.Error()}
	}
	if pull {
		if e == nil {
			n := now.UTC().Truncate(time.Second)
			e = &n
		}
		if s == nil {
			v := e.Add(-DefaultWindow)
			s = &v
		}
	}
	if s != nil && e != nil {
		if err := when.Order(*s, *e); err != nil {
			return nil, nil, &RequestError{Msg: err.Error()}
		}
	}
	return s, e, nil
}

// Run ingests what the request names into the case, in one ingest of the
// manifest: the focus first, then discovery, the files, and the AWS
// sources one after the other. A file or a source that fails is reported
// and the rest still run; the error is for what stops the whole ingest (a
// bad request, the case, discovery). What the outcome means is the
// report's Failure.
func Run(ctx context.Context, c *store.Case, req Request, ev Events) (Report, error) {
	began := time.Now()
	rep := Report{Files: []ingest.FileResult{}}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	pulling := req.Pull || len(req.Sources) > 0 || len(req.Discover) > 0
	start, end, err := Window(req.Start, req.End, req.Now, pulling)
	if err != nil {
		return rep, err
	}
	rep.Window = [2]*time.Time{start, end}
	focus := req.Focus
	if len(req.Discover) > 0 {
		focus.Instances = nil // discovery records them, with what EC2 says of them
	}
	if err := c.AddFocusSet(ctx, focus); err != nil {
		return rep, err
	}
	var cfg aws.Config
	var discovered *ec2.Result
	if pulling {
		if req.AWS == nil {
			return rep, errors.New("pipeline: no AWS configuration to pull with")
		}
		if cfg, err = req.AWS(ctx); err != nil {
			return rep, err
		}
		if len(req.Discover) > 0 {
			d, err := Discover(ctx, cfg, req.Discover, req.Profile)
			if err != nil {
				return rep, err
			}
			if err := ec2.Record(ctx, c, d.Result); err != nil {
				return rep, err
			}
			if ev.Discovered != nil {
				ev.Discovered(d)
			}
			discovered = &d.Result
		}
	}
	sources := req.Sources
	if pulling && len(sources) == 0 {
		if sources, err = Discovered(ctx, c, discovered); err != nil {
			return rep, err
		}
		if len(sources) == 0 {
			return rep, ErrNothingToPull
		}
	}

	in, err := ingest.Begin(ctx, c, ingest.Options{LogFormat: req.LogFormat, Lenient: req.Lenient, Start: start, End: end,
		Command: req.Command, Program: req.Program, Logger: req.Logger, Progress: ev.Reading})
	if err != nil {
		return rep, err
	}
	rep.IngestID = in.ID()
	if ev.Began != nil {
		ev.Began(rep.IngestID)
	}
	rep.Files = append(rep.Files, req.Missing...)
	// Small objects of one shape are read together (Ingester.Items); each
	// keeps its own result and manifest row.
	in.Items(ctx, req.Items, ingest.ItemEvents{
		Start: func(i int) {
			if ev.File != nil {
				ev.File(i, len(req.Items), req.Items[i])
			}
		},
		Done: func(_ int, r ingest.FileResult) {
			rep.Files = append(rep.Files, r)
			if ev.FileDone != nil {
				ev.FileDone(r)
			}
		},
	})
	if pulling && ctx.Err() == nil {
		if ev.Window != nil {
			ev.Window(*start, *end)
		}
		rep.Sources = All(ctx, cfg, c, in, sources, Options{
			Start: *start, End: *end, Lenient: req.Lenient, Insights: req.Insights, Profile: req.Profile,
			AthenaWorkgroup: req.AthenaWorkgroup, AthenaOutput: req.AthenaOutput,
			CloudWatchProgress: ev.CloudWatch, S3Progress: ev.S3, Pulling: ev.Pulling, Pulled: ev.Pulled,
		})
	}
	if err := in.Finish(ctx); err != nil {
		return rep, err
	}
	for _, r := range rep.Files {
		rep.Add(r)
	}
	for _, s := range rep.Sources {
		rep.Records += s.Records
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Seconds = time.Since(began).Seconds()
	return rep, nil
}

// Failure is why an ingest did not wholly succeed, for people: it was
// interrupted, a file did not land, a source failed, or there was nothing
// to ingest. Nil when all is well (rejected lines are reported, not a
// failure).
type Failure struct{ Msg string }

func (f *Failure) Error() string       { return f.Msg }
func (f *Failure) UserMessage() string { return f.Msg }

// Failure classifies the outcome.
func (r Report) Failure() *Failure {
	switch {
	case r.Interrupted:
		return &Failure{"interrupted; what landed is in the case, and the same ingest resumes where it stopped"}
	case r.Refused+r.Failed > 0:
		return &Failure{fmt.Sprintf("%d of %d files did not land", r.Refused+r.Failed, len(r.Files))}
	case r.FailedSources() > 0:
		return &Failure{fmt.Sprintf("%d of %d AWS sources failed (see above); the same ingest again resumes where it stopped", r.FailedSources(), len(r.Sources))}
	case len(r.Files) == 0 && len(r.Sources) == 0:
		return &Failure{"no files to ingest"}
	}
	return nil
}

// Summary is the ingest's outcome in one line, for people: "5 records from
// 2 files into demo in 0.3s (0 already ingested, 1 refused, 0 failed, 1
// rejected line)", and a hint where the rejected lines are.
func (r Report) Summary(caseName string) []string {
	from := format.Nouns(int64(r.Loaded), "file")
	if len(r.Sources) > 0 {
		from += " and " + format.Nouns(int64(len(r.Sources)), "AWS source")
	}
	lines := []string{fmt.Sprintf("%s from %s into %s in %.1fs (%d already ingested, %d refused, %d failed, %s)",
		format.Nouns(r.Records, "record"), from, caseName, r.Seconds, r.Duplicates, r.Refused, r.Failed, format.Nouns(r.Rejected, "rejected line"))}
	if r.Rejected > 0 {
		lines = append(lines, "Rejected lines are in the case: "+RejectsQuery+";")
	}
	return lines
}

// RejectsQuery lists the rejected lines of a case.
const RejectsQuery = "SELECT * FROM rejects"

// WindowLine says the window of a pull.
func WindowLine(start, end time.Time) string {
	return fmt.Sprintf("Window %s → %s UTC (by record start)", format.Time(start), format.Time(end))
}
