package cloudwatch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/investigator/investigator/ingest"
)

// puller is one pull's shared state.
type puller struct {
	api API
	o   Options
	gov *governor
}

// fetch stages one slice in a local file: its messages one per line, or for
// a slice without events the format's header line alone, which ingests as a
// file of zero records and so marks the slice done in the manifest.
func (p *puller) fetch(ctx context.Context, s slice) (f fetched) {
	f.slice = s
	if err := ctx.Err(); err != nil {
		f.err = err
		return f
	}
	file, err := os.CreateTemp(p.o.TempDir, "cwlogs-*.log")
	if err != nil {
		f.err = fmt.Errorf("cloudwatch: stage a slice: %w", err)
		return f
	}
	f.path = file.Name()
	w := &lineWriter{w: bufio.NewWriterSize(file, 1<<20)}
	if p.o.Insights {
		f.splits, err = p.query(ctx, s, s.from/1000, s.to/1000, w)
	} else {
		err = p.filter(ctx, s, w)
	}
	f.events = w.n
	if err == nil && w.n == 0 {
		fields := p.o.Fields
		if fields == nil {
			fields = ingest.DefaultFields()
		}
		w.line(strings.Join(ingest.FieldNames(fields), " "))
	}
	if err == nil {
		err = w.w.Flush()
	}
	if cerr := file.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		f.discard()
		f.path = ""
		f.err = fmt.Errorf("%s: %w", s.source, err)
	}
	return f
}

// filter fetches every page of FilterLogEvents for the slice. A page may be
// empty and still carry a token; only a missing token ends the slice. A token
// seen before ends it with an error rather than a loop.
func (p *puller) filter(ctx context.Context, s slice, w *lineWriter) error {
	in := cloudwatchlogs.FilterLogEventsInput{
		StartTime:      aws.Int64(s.from),
		EndTime:        aws.Int64(s.to - 1), // inclusive: the next slice starts at s.to
		LogStreamNames: s.streams,
	}
	if p.o.pageLimit > 0 {
		in.Limit = aws.Int32(p.o.pageLimit)
	}
	if isARN(p.o.LogGroup) {
		in.LogGroupIdentifier = aws.String(strings.TrimSuffix(p.o.LogGroup, ":*"))
	} else {
		in.LogGroupName = aws.String(p.o.LogGroup)
	}
	tokens := map[string]bool{}
	for page := 1; ; page++ {
		var out *cloudwatchlogs.FilterLogEventsOutput
		req := in
		err := p.gov.call(ctx, func(ctx context.Context) (err error) {
			out, err = p.api.FilterLogEvents(ctx, &req, p.gov.option)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range out.Events {
			// Each event belongs to exactly one slice, whatever the service does at the edges.
			if ts := aws.ToInt64(e.Timestamp); e.Timestamp != nil && (ts < s.from || ts >= s.to) {
				continue
			}
			w.line(aws.ToString(e.Message))
		}
		if err := w.err(); err != nil {
			return err
		}
		tok := aws.ToString(out.NextToken)
		if tok == "" {
			return nil
		}
		if tokens[tok] {
			return fmt.Errorf("FilterLogEvents returned page %d's nextToken a second time: stopping rather than looping (%d events fetched for this slice)", page, w.n)
		}
		tokens[tok] = true
		in.NextToken = aws.String(tok)
	}
}

func isARN(group string) bool { return strings.HasPrefix(group, "arn:") }

// lineWriter writes messages one per line and counts them.
type lineWriter struct {
	w    *bufio.Writer
	n    int64
	werr error
}

func (l *lineWriter) line(msg string) {
	msg = strings.TrimRight(msg, "\r\n")
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	if _, err := l.w.WriteString(msg); err != nil && l.werr == nil {
		l.werr = err
	}
	if err := l.w.WriteByte('\n'); err != nil && l.werr == nil {
		l.werr = err
	}
	l.n++
}

func (l *lineWriter) err() error {
	if l.werr != nil {
		return fmt.Errorf("write the staged slice: %w", l.werr)
	}
	return nil
}
