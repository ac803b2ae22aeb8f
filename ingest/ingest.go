package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

// Options control an ingest.
type Options struct {
	LogFormat []Field      // format of header-less lines (--log-format)
	Lenient   bool         // keep unknown header fields as text columns
	Start     *time.Time   // keep records whose start is at or after Start
	End       *time.Time   // ... and at or before End
	Command   string       // the command line, recorded in the manifest
	Program   string       // program name and version, recorded in the manifest
	Logger    *slog.Logger // debug timings; nil discards
	// Progress, when set, is told how far the reading of a file has come,
	// every half second while it is read.
	Progress func(ReadProgress)
}

// window is --start/--end as closed bounds for SQL (a missing end is far
// off); ok is false when neither is given.
func (o Options) window() (lo, hi time.Time, ok bool) {
	if o.Start == nil && o.End == nil {
		return lo, hi, false
	}
	lo, hi = time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if o.Start != nil {
		lo = o.Start.UTC()
	}
	if o.End != nil {
		hi = o.End.UTC()
	}
	return lo, hi, true
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Status is what became of one file.
type Status string

// File statuses.
const (
	Loaded    Status = "loaded"
	Duplicate Status = "duplicate" // the same content was ingested before: nothing added
	Refused   Status = "refused"   // not a flow log, or a format we cannot read
	Failed    Status = "failed"    // an I/O or database error
)

// FileResult is the outcome of one file.
type FileResult struct {
	Path          string        `json:"path"`
	Status        Status        `json:"status"`
	Error         string        `json:"error,omitempty"`
	FileID        int64         `json:"file_id,omitempty"`
	DuplicateOf   string        `json:"duplicate_of,omitempty"`
	Compression   string        `json:"compression,omitempty"`
	Shape         Shape         `json:"shape,omitempty"`
	Delimiter     string        `json:"delimiter,omitempty"` // csv-header: "," or "\t"
	Fields        []string      `json:"fields,omitempty"`
	Size          int64         `json:"size"`
	SHA256        string        `json:"sha256,omitempty"`
	Records       int64         `json:"records"`
	Rejected      int64         `json:"rejected"`
	OutsideWindow int64         `json:"outside_window"`
	NoData        int64         `json:"nodata"`
	SkipData      int64         `json:"skipdata"`
	First         *time.Time    `json:"first_start,omitempty"`
	Last          *time.Time    `json:"last_end,omitempty"`
	Duration      time.Duration `json:"duration_ns"`
	// ControlMessages, LogGroups and LogStreams are what CloudWatch Logs
	// subscription payloads said: health checks skipped, where the records came from.
	ControlMessages int64    `json:"control_messages,omitempty"`
	LogGroups       []string `json:"log_groups,omitempty"`
	LogStreams      []string `json:"log_streams,omitempty"`
	// OCSFVersion is the OCSF version (metadata.version) of an ocsf file's records.
	OCSFVersion string `json:"ocsf_version,omitempty"`
	// Rejects are the first few rejected lines, for the report.
	Rejects []Reject `json:"rejects,omitempty"`
	err     error
}

// Err is the error behind a refused or failed file.
func (r FileResult) Err() error { return r.err }

// Reject is a line that did not parse.
type Reject struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

// Ingester loads files into one case, under one manifest entry.
type Ingester struct {
	c        *store.Case
	opts     Options
	ingestID int64
}

// Begin records a new ingest in the case's manifest.
func Begin(ctx context.Context, c *store.Case, o Options) (*Ingester, error) {
	in := &Ingester{c: c, opts: o}
	err := c.DB.QueryRowContext(ctx, `INSERT INTO ingests (started_at, command, program, window_start, window_end)
		VALUES (now()::TIMESTAMP, ?, ?, ?, ?) RETURNING id`, o.Command, o.Program, utcPtr(o.Start), utcPtr(o.End)).Scan(&in.ingestID)
	if err != nil {
		return nil, fmt.Errorf("ingest: begin: %w", err)
	}
	return in, nil
}

// ID is the ingest's id in the manifest: the ingest_id of the files it loads.
func (in *Ingester) ID() int64 { return in.ingestID }

// Finish marks the ingest done and adds its files' records to the derived
// tables the analyses read (store.Case.Derive), so that the first answer
// after an ingest does not wait for them. An ingest stopped before Finish
// leaves them stale, never wrong: the next analysis brings them up to date.
func (in *Ingester) Finish(ctx context.Context) error {
	_, err := in.c.DB.ExecContext(ctx, `UPDATE ingests SET finished_at = now()::TIMESTAMP WHERE id = ?`, in.ingestID)
	if err != nil {
		return fmt.Errorf("ingest: finish: %w", err)
	}
	if _, err := in.c.Derive(ctx); err != nil {
		return fmt.Errorf("ingest: finish: %w", err)
	}
	return nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// Item is one unit of input to ingest: a local file, an object downloaded
// from S3, or a batch of records fetched from an API and written to a file.
type Item struct {
	Path   string  // the local file to read
	Source string  // what the manifest records as its origin; default: the absolute path
	Key    string  // the dedup key (an S3 object's bucket/key/ETag, a log slice); default: sha256 of the content
	Fields []Field // the format of header-less lines, when the source knows it; default: Options.LogFormat
	// Shape and OCSFVersion, when set, are what the manifest records as the
	// records' shape and OCSF version, for a source that had them in another
	// shape than the file it wrote: an Athena pull of an Amazon Security
	// Lake table is ShapeOCSF (and the OCSF version its records named),
	// though the file read is flow-log text.
	Shape       Shape
	OCSFVersion string
}

// File ingests one local file in one transaction: all of its good records
// and its rejects land together, or nothing does.
func (in *Ingester) File(ctx context.Context, path string) FileResult {
	return in.Item(ctx, Item{Path: path})
}

// Seen reports whether an item with this dedup key is already in the case,
// and where it came from: sources check it before fetching anything.
func (in *Ingester) Seen(ctx context.Context, key string) (source string, seen bool, err error) {
	err = in.c.DB.QueryRowContext(ctx, `SELECT source FROM ingest_files WHERE dedup_key = ?`, key).Scan(&source)
	switch {
	case err == nil:
		return source, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	}
	return "", false, fmt.Errorf("ingest: manifest: %w", err)
}

// Item ingests one item in one transaction, as File does.
func (in *Ingester) Item(ctx context.Context, it Item) FileResult { return in.item(ctx, it, 0) }

// item is Item; a fileID other than 0 is the file id to load it under (one
// that Items took for it in a batch that then left it out).
func (in *Ingester) item(ctx context.Context, it Item, fileID int64) FileResult {
	start := time.Now()
	res := FileResult{Path: it.Source}
	if res.Path == "" {
		res.Path = it.Path
		if abs, err := filepath.Abs(it.Path); err == nil {
			res.Path = abs
		}
	}
	fail := func(st Status, err error) FileResult {
		res.Status, res.err, res.Error = st, err, usererr.Message(err)
		res.Duration = time.Since(start)
		return res
	}
	duplicate := func(key string) (FileResult, bool, error) {
		prior, seen, err := in.Seen(ctx, key)
		if err != nil || !seen {
			return res, false, err
		}
		res.Status, res.DuplicateOf = Duplicate, prior
		res.Duration = time.Since(start)
		return res, true, nil
	}
	if it.Key != "" {
		if r, dup, err := duplicate(it.Key); err != nil {
			return fail(Failed, err)
		} else if dup {
			return r
		}
	}

	format := it.Fields
	if format == nil {
		format = in.opts.LogFormat
	}
	det, sum, size, err := inspect(it.Path, DetectOptions{LogFormat: format, Lenient: in.opts.Lenient})
	res.Size, res.SHA256 = size, sum
	if err != nil {
		var nf *NotFlowLogError
		var fn *FormatNeededError
		var uf *UnknownFieldError
		if errors.As(err, &nf) || errors.As(err, &fn) || errors.As(err, &uf) || !isIOError(err) {
			return fail(Refused, err)
		}
		return fail(Failed, err)
	}
	res.Compression, res.Shape, res.Delimiter = det.Compression, det.Shape, det.Delim
	res.Fields = FieldNames(det.Fields)
	if it.Shape != "" {
		res.Shape, res.OCSFVersion = it.Shape, it.OCSFVersion
	}

	key := it.Key
	if key == "" {
		key = "sha256:" + sum
		if r, dup, err := duplicate(key); err != nil {
			return fail(Failed, err)
		} else if dup {
			return r
		}
	}

	l := &load{in: in, path: it.Path, source: res.Path, det: det, key: key, size: size, sha: sum, shape: res.Shape, ocsfVersion: res.OCSFVersion, givenID: fileID}
	if in.opts.Progress != nil {
		stop := watchRead(it.Path, size, progressEvery, func(p ReadProgress) {
			p.Path = res.Path
			in.opts.Progress(p)
		})
		defer stop()
	}
	if err := l.run(ctx, &res); err != nil {
		var nf *NotFlowLogError
		var uf *UnknownFieldError
		if errors.As(err, &nf) || errors.As(err, &uf) {
			return fail(Refused, err)
		}
		return fail(Failed, err)
	}
	res.Status = Loaded
	res.Duration = time.Since(start)
	return res
}

// inspect hashes the file and detects its shape.
func inspect(path string, o DetectOptions) (Detected, string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return Detected{}, "", 0, ioError{err}
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return Detected{}, "", 0, ioError{fmt.Errorf("read %s: %w", path, err)}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Detected{}, sum, size, ioError{err}
	}
	det, err := Detect(f, o)
	return det, sum, size, err
}

type ioError struct{ error }

func (e ioError) Unwrap() error { return e.error }

func isIOError(err error) bool {
	var ie ioError
	return errors.As(err, &ie)
}

// RefusedResult is the result for an input that never became a file to read.
func RefusedResult(path string, err error) FileResult {
	return FileResult{Path: path, Status: Refused, Error: usererr.Message(err), err: err}
}
