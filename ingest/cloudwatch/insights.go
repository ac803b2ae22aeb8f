package cloudwatch

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

const (
	// maxPoll is the longest wait between two looks at a running query.
	maxPoll = 5 * time.Second
	// resultsPerPage is the most results GetQueryResults returns at once.
	resultsPerPage = 10_000
)

// query stages the events of the seconds [a, b) of the slice with Logs
// Insights. A query whose results reach the cap is split in two and both
// halves run again, down to a single second: results are never truncated.
// It returns how many splits it made.
//
// StartQuery's times are whole seconds and both ends are inclusive, and
// whether the end second counts as an instant or as a whole second is not
// something to rely on: the query asks for [a, b] and the events stamped at
// b or later are dropped here (they belong to the next slice). Sorted
// ascending, a result set whose last event lies at b or later holds every
// event before b, even when it reached the cap.
func (p *puller) query(ctx context.Context, s slice, a, b int64, w *lineWriter) (int64, error) {
	rows, err := p.runQuery(ctx, s, a, b)
	if err != nil {
		return 0, err
	}
	lo, hi := a*1000, b*1000
	last := int64(math.MinInt64)
	for _, r := range rows {
		last = max(last, r.ts)
	}
	if len(rows) >= p.o.InsightsLimit && last < hi {
		if b-a <= 1 {
			hint := fmt.Sprintf("raise the Insights limit (at most %d) or pull", MaxInsightsLimit)
			if p.o.InsightsLimit >= MaxInsightsLimit {
				hint = "pull"
			}
			return 0, fmt.Errorf("Logs Insights returned its cap of %d results for the single second %s, which cannot be split further: %s without Insights (FilterLogEvents has no cap)",
				p.o.InsightsLimit, time.Unix(a, 0).UTC().Format(time.RFC3339), hint)
		}
		mid := a + (b-a)/2
		n1, err := p.query(ctx, s, a, mid, w)
		if err != nil {
			return 0, err
		}
		n2, err := p.query(ctx, s, mid, b, w)
		if err != nil {
			return 0, err
		}
		return 1 + n1 + n2, nil
	}
	for _, r := range rows {
		if r.ts >= lo && r.ts < hi {
			w.line(r.msg)
		}
	}
	return 0, w.err()
}

// row is one query result.
type row struct {
	ts  int64 // Unix milliseconds
	msg string
}

// runQuery starts a query for the seconds [a, b], waits for it to complete
// and reads every page of its results.
func (p *puller) runQuery(ctx context.Context, s slice, a, b int64) ([]row, error) {
	in := &cloudwatchlogs.StartQueryInput{
		StartTime:   aws.Int64(a),
		EndTime:     aws.Int64(b),
		QueryString: aws.String(queryString(s.streams, p.o.InsightsLimit)),
		Limit:       aws.Int32(int32(p.o.InsightsLimit)),
	}
	if isARN(p.o.LogGroup) {
		in.LogGroupIdentifiers = []string{strings.TrimSuffix(p.o.LogGroup, ":*")}
	} else {
		in.LogGroupName = aws.String(p.o.LogGroup)
	}
	var started *cloudwatchlogs.StartQueryOutput
	err := p.gov.call(ctx, func(ctx context.Context) (err error) {
		started, err = p.api.StartQuery(ctx, in, p.gov.option)
		return err
	})
	if err != nil {
		return nil, err
	}
	id := aws.ToString(started.QueryId)
	ended := false
	defer func() {
		if !ended {
			p.stopQuery(ctx, id)
		}
	}()
	span := fmt.Sprintf("%s .. %s", time.Unix(a, 0).UTC().Format(time.RFC3339), time.Unix(b, 0).UTC().Format(time.RFC3339))

	var rows []row
	var token *string
	tokens := map[string]bool{}
	delay := p.o.poll
	for {
		if token == nil {
			if err := sleep(ctx, delay); err != nil {
				return nil, err
			}
			delay = min(2*delay, maxPoll)
		}
		var out *cloudwatchlogs.GetQueryResultsOutput
		req := &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String(id), NextToken: token, MaxItems: aws.Int32(int32(min(p.o.InsightsLimit, resultsPerPage)))}
		err := p.gov.call(ctx, func(ctx context.Context) (err error) {
			out, err = p.api.GetQueryResults(ctx, req, p.gov.option)
			return err
		})
		if err != nil {
			return nil, err
		}
		switch out.Status {
		case types.QueryStatusComplete:
		case types.QueryStatusFailed:
			ended = true
			return nil, fmt.Errorf("Logs Insights query %s (%s) failed; the query was: %s", id, span, strings.ReplaceAll(aws.ToString(in.QueryString), "\n", " "))
		case types.QueryStatusCancelled:
			ended = true
			return nil, fmt.Errorf("Logs Insights query %s (%s) was cancelled by someone else (aws logs stop-query, or the console): run the pull again", id, span)
		case types.QueryStatusTimeout:
			ended = true
			return nil, fmt.Errorf("Logs Insights query %s (%s) timed out (a query may run at most 60 minutes): pull with shorter slices", id, span)
		default: // Scheduled, Running, Unknown: look again later
			if token != nil {
				return nil, fmt.Errorf("Logs Insights query %s (%s) went from Complete to %s while its results were read", id, span, out.Status)
			}
			continue
		}
		ended = true
		for _, fields := range out.Results {
			r, err := parseRow(fields)
			if err != nil {
				return nil, fmt.Errorf("Logs Insights query %s (%s): %w", id, span, err)
			}
			rows = append(rows, r)
		}
		next := aws.ToString(out.NextToken)
		if next == "" {
			return rows, nil
		}
		if tokens[next] {
			return nil, fmt.Errorf("Logs Insights query %s (%s): GetQueryResults returned a nextToken a second time: stopping rather than looping", id, span)
		}
		tokens[next] = true
		token = aws.String(next)
	}
}

// stopQuery stops a query the pull no longer waits for (it was interrupted,
// or failed), so that it does not hold one of the account's concurrent
// queries. Best effort.
func (p *puller) stopQuery(ctx context.Context, id string) {
	if id == "" {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	p.gov.call(sctx, func(ctx context.Context) error { //nolint:errcheck // best effort
		_, err := p.api.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: aws.String(id)}, p.gov.option)
		return err
	})
}

// queryString is the Insights query of a slice: every event's timestamp and
// message, oldest first, capped at limit.
func queryString(streams []string, limit int) string {
	var b strings.Builder
	b.WriteString("fields @timestamp, @message")
	if len(streams) > 0 {
		quoted := make([]string, len(streams))
		for i, s := range streams {
			quoted[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b.WriteString("\n| filter @logStream in [" + strings.Join(quoted, ", ") + "]")
	}
	fmt.Fprintf(&b, "\n| sort @timestamp asc\n| limit %d", limit)
	return b.String()
}

func parseRow(fields []types.ResultField) (row, error) {
	var r row
	var ts string
	var haveTS, haveMsg bool
	for _, f := range fields {
		switch aws.ToString(f.Field) {
		case "@timestamp":
			ts, haveTS = aws.ToString(f.Value), true
		case "@message":
			r.msg, haveMsg = aws.ToString(f.Value), true
		}
	}
	if !haveTS || !haveMsg {
		return r, fmt.Errorf("a result without @timestamp or @message")
	}
	t, err := parseInsightsTime(ts)
	if err != nil {
		return r, err
	}
	r.ts = t
	return r, nil
}

// parseInsightsTime reads @timestamp as Insights writes it ("2024-05-01
// 12:00:00.000", UTC), or as Unix milliseconds (as some emulators do).
func parseInsightsTime(v string) (int64, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("@timestamp %q is not a time", v)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
