package queries

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// RunEvidence is the evidence of rows of a stored run: keys are 1-based row
// numbers or COLUMN=VALUE, which takes every row whose column shows that
// value (none: the whole result).
func RunEvidence(ctx context.Context, c *store.Case, runID string, keys []string) (store.Evidence, error) {
	r, err := StoredRun(ctx, c, runID)
	if err != nil {
		return store.Evidence{}, err
	}
	rows, err := RowNumbers(r, keys)
	if err != nil {
		return store.Evidence{}, err
	}
	return store.Evidence{RunID: r.RunID, Analysis: r.Analysis, Version: r.Version, SHA256: r.SHA256, Rows: rows}, nil
}

// RowNumbers resolves row keys (see RunEvidence) against a result.
func RowNumbers(r *Result, keys []string) ([]int, error) {
	out := []int{}
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if n, err := strconv.Atoi(k); err == nil {
			if n < 1 || n > len(r.Rows) {
				return nil, &store.RecordError{Field: "row", Value: k, Reason: fmt.Sprintf("is not a row of run %s (%s), which has %d", r.RunID, r.Analysis, len(r.Rows))}
			}
			out = append(out, n)
			continue
		}
		col, val, ok := strings.Cut(k, "=")
		i := slices.IndexFunc(r.Columns, func(c Column) bool { return c.Name == strings.TrimSpace(col) })
		if !ok || i < 0 {
			return nil, &store.RecordError{Field: "row", Value: k, Reason: fmt.Sprintf("is neither a row number nor COLUMN=VALUE with a column of %s (%s)",
				r.Analysis, strings.Join(r.ColumnNames(), ", "))}
		}
		found := false
		for n, row := range r.Rows {
			if cellText(row[i]) == val {
				out, found = append(out, n+1), true
			}
		}
		if !found {
			return nil, &store.RecordError{Field: "row", Value: k, Reason: fmt.Sprintf("matches no row of run %s (%s)", r.RunID, r.Analysis)}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// cellText is a result value as the tables show it.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	default:
		return fmt.Sprint(v)
	}
}

// Event is one entry of the case's timeline: at its event time where it
// has one (a finding's first seen, the span of the records an ingest
// brought, a silence), else when the case recorded it.
type Event struct {
	At       time.Time  `json:"at"`
	End      *time.Time `json:"end,omitempty"`
	Recorded time.Time  `json:"recorded_at"`
	Kind     string     `json:"kind"` // finding, status, note, ingest, run, gap
	Ref      string     `json:"ref"`  // F-3, N-2, the run id, ingest 4, the interface
	Title    string     `json:"title"`
	Severity string     `json:"severity,omitempty"`
	Status   string     `json:"status,omitempty"`
	By       string     `json:"by,omitempty"`
}

// Event kinds.
const (
	EventFinding = "finding"
	EventStatus  = "status"
	EventNote    = "note"
	EventIngest  = "ingest"
	EventRun     = "run"
	EventGap     = "gap"
)

// TimelineOptions choose the events.
type TimelineOptions struct {
	// Dismissed keeps the dismissed findings and their notes.
	Dismissed bool
	// Gap is the shortest silence shown, as the coverage-gaps analysis's
	// gap parameter takes it ("15m", "1h"); "" is TimelineGap.
	Gap string
}

// TimelineGap is the shortest silence a timeline shows by default: longer
// than the coverage analysis's 15 minutes, so that a timeline of sparse
// traffic stays readable.
const TimelineGap = "1h"

// CaseTimeline is the case's events in time order, and whether its coverage
// gaps are known (they are not while a case with a focus has derived tables
// out of date; see Overview).
type CaseTimeline struct {
	Events    []Event `json:"events"`
	Gap       string  `json:"gap"` // the shortest silence shown
	GapsKnown bool    `json:"gaps_known"`
}

// Events puts the case's findings (and their status changes), notes,
// ingests, analysis runs and coverage gaps on one time axis. It only reads.
func Events(ctx context.Context, c *store.Case, o TimelineOptions) (CaseTimeline, error) {
	if o.Gap == "" {
		o.Gap = TimelineGap
	}
	out := CaseTimeline{Events: []Event{}, Gap: o.Gap}
	findings, err := c.Findings(ctx, store.FindingFilter{WithoutDismissed: !o.Dismissed})
	if err != nil {
		return out, err
	}
	shown := map[string]bool{}
	for _, f := range findings {
		shown[f.ID] = true
		at := f.CreatedAt
		if f.FirstSeen != nil {
			at = *f.FirstSeen
		}
		out.Events = append(out.Events, Event{At: at, End: f.LastSeen, Recorded: f.CreatedAt, Kind: EventFinding, Ref: f.ID, Title: f.Title,
			Severity: string(f.Severity), Status: string(f.Status), By: f.CreatedBy})
	}
	log, err := c.CaseLog(ctx, "")
	if err != nil {
		return out, err
	}
	for _, e := range log {
		if e.Action == "finding.set" && e.Field == "status" && shown[e.EntityID] {
			out.Events = append(out.Events, Event{At: e.At, Recorded: e.At, Kind: EventStatus, Ref: e.EntityID,
				Title: fmt.Sprintf("%s %s → %s", e.EntityID, deref(e.Old), deref(e.New)), Status: deref(e.New), By: e.Analyst})
		}
	}
	notes, err := c.Notes(ctx, nil)
	if err != nil {
		return out, err
	}
	for _, n := range notes {
		if n.Target.Kind == store.OnFinding && !shown[n.Target.ID] {
			continue
		}
		out.Events = append(out.Events, Event{At: n.CreatedAt, Recorded: n.CreatedAt, Kind: EventNote, Ref: n.ID,
			Title: noteHead(n), By: n.CreatedBy})
	}
	if err := ingestEvents(ctx, c, &out); err != nil {
		return out, err
	}
	runs, err := Runs(ctx, c)
	if err != nil {
		return out, err
	}
	for _, r := range runs {
		out.Events = append(out.Events, Event{At: r.RanAt, Recorded: r.RanAt, Kind: EventRun, Ref: r.RunID,
			Title: fmt.Sprintf("%s v%d: %s", r.Analysis, r.Version, format.Nouns(r.Rows, "row")), By: r.Program})
	}
	if err := gapEvents(ctx, c, o.Gap, &out); err != nil {
		return out, err
	}
	slices.SortStableFunc(out.Events, func(a, b Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Ref, b.Ref))
	})
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// noteHead is a note's first line, shortened, with what it is on.
func noteHead(n store.Note) string {
	line, _, _ := strings.Cut(n.Text, "\n")
	if r := []rune(line); len(r) > 100 {
		line = string(r[:100]) + "…"
	}
	if n.Target.Kind == store.OnCase {
		return line
	}
	on := n.Target.ID
	if n.Target.Kind == store.OnFlows {
		on = "flows"
	}
	return fmt.Sprintf("on %s: %s", on, line)
}

// ingestEvents adds one event per ingest that brought files: at the span of
// its records.
func ingestEvents(ctx context.Context, c *store.Case, out *CaseTimeline) error {
	rows, err := c.DB.QueryContext(ctx, `SELECT i.id, i.started_at, i.program, count(f.id), coalesce(sum(f.records), 0)::BIGINT,
			coalesce(sum(f.rejected), 0)::BIGINT, min(f.first_start), max(f.last_end)
		FROM ingests i JOIN ingest_files f ON f.ingest_id = i.id GROUP BY ALL ORDER BY i.id`)
	if err != nil {
		return fmt.Errorf("queries: timeline: ingests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, files, records, rejected int64
		var started time.Time
		var program string
		var first, last sql.NullTime
		if err := rows.Scan(&id, &started, &program, &files, &records, &rejected, &first, &last); err != nil {
			return fmt.Errorf("queries: timeline: ingests: %w", err)
		}
		e := Event{At: started.UTC(), Recorded: started.UTC(), Kind: EventIngest, Ref: fmt.Sprintf("ingest %d", id),
			Title: fmt.Sprintf("%s, %s, %s", format.Nouns(files, "file"), format.Nouns(records, "record"), format.Nouns(rejected, "rejected line")), By: program}
		if first.Valid {
			e.At = first.Time.UTC()
		}
		if last.Valid {
			l := last.Time.UTC()
			e.End = &l
		}
		out.Events = append(out.Events, e)
	}
	return rows.Err()
}

// gapEvents adds the coverage-gaps analysis's silences longer than gap.
func gapEvents(ctx context.Context, c *store.Case, gap string, out *CaseTimeline) error {
	if known, err := gapsKnown(ctx, c); err != nil || !known {
		return err
	}
	a, err := embedded("coverage-gaps")
	if err != nil {
		return err
	}
	params, err := a.Bind(map[string]string{"gap": gap}, time.Now())
	if err != nil {
		return &store.RecordError{Field: "gap", Value: gap, Reason: "is not a duration like 15m, 1h or 2d"}
	}
	rows, err := c.DB.QueryContext(ctx, a.Body, namedArgs(params)...)
	if err != nil {
		return fmt.Errorf("queries: timeline: coverage gaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var iface string
		var from, to time.Time
		var silence any
		if err := rows.Scan(&iface, &from, &to, &silence); err != nil {
			return fmt.Errorf("queries: timeline: coverage gaps: %w", err)
		}
		to = to.UTC()
		out.Events = append(out.Events, Event{At: from.UTC(), End: &to, Recorded: from.UTC(), Kind: EventGap, Ref: iface,
			Title: fmt.Sprintf("no records from %s for %s", iface, to.Sub(from).Round(time.Second))})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("queries: timeline: coverage gaps: %w", err)
	}
	out.GapsKnown = true
	return nil
}
