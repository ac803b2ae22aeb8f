package queries

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// OverviewCounts are what a case's overview counts beyond the store's summary.
type OverviewCounts struct {
	// Peers are the addresses of the case that are not its focus.
	Peers int64
	// Gaps are the silences longer than Gap between the records of one
	// interface, summed over the interfaces, exactly as the coverage analysis
	// counts them with its default gap; LongestGap is the longest of them.
	Gaps       int64
	LongestGap time.Duration
	Gap        time.Duration
	// GapsKnown is false when the case has a focus and its derived tables are
	// out of date: the interfaces the coverage analysis looks at (those that
	// carried the focus's traffic) are then not known until they are rebuilt,
	// and Gaps and LongestGap are zero.
	GapsKnown bool
}

// Overview counts the case's peers and its coverage gaps. It only reads, so
// it works on a case opened read-only.
func Overview(ctx context.Context, c *store.Case) (OverviewCounts, error) {
	var o OverviewCounts
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM addresses a WHERE NOT EXISTS (SELECT 1 FROM focus_ips f WHERE f.addr = a.addr)`).
		Scan(&o.Peers); err != nil {
		return o, fmt.Errorf("queries: overview: peers: %w", err)
	}
	a, err := embedded("coverage")
	if err != nil {
		return o, err
	}
	params, err := a.Bind(nil, time.Now())
	if err != nil {
		return o, fmt.Errorf("queries: overview: %w", err)
	}
	gap, ok := params["gap"].(duckdb.Interval)
	if !ok {
		return o, fmt.Errorf("queries: overview: the coverage analysis's gap is a %T, not an interval", params["gap"])
	}
	o.Gap = time.Duration(gap.Days)*24*time.Hour + time.Duration(gap.Micros)*time.Microsecond
	if known, err := gapsKnown(ctx, c); err != nil || !known {
		return o, err
	}
	// The analysis's page shows at most its limit of interfaces; the overview
	// counts them all.
	params["limit"] = int64(math.MaxInt32)
	var longest sql.NullFloat64
	if err := c.DB.QueryRowContext(ctx, "SELECT coalesce(sum(gaps), 0)::BIGINT, epoch(max(longest_gap)) FROM (\n"+a.Body+"\n)", namedArgs(params)...).
		Scan(&o.Gaps, &longest); err != nil {
		return o, fmt.Errorf("queries: overview: coverage gaps: %w", err)
	}
	o.LongestGap = time.Duration(math.Round(longest.Float64 * float64(time.Second)))
	o.GapsKnown = true
	return o, nil
}

// gapsKnown reports whether the coverage analyses can answer now: they
// read every interface's minutes, and with a focus the interfaces
// case_flows names, which must be up to date (a case without records has
// no gaps).
func gapsKnown(ctx context.Context, c *store.Case) (bool, error) {
	var focus, empty bool
	if err := c.DB.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM focus_ips), NOT EXISTS (SELECT 1 FROM flow_records)`).Scan(&focus, &empty); err != nil {
		return false, fmt.Errorf("queries: %w", err)
	}
	d, err := c.DerivedState(ctx)
	if err != nil {
		return false, err
	}
	return empty || !slices.Contains(d.Stale, "case_interface_minutes") && (!focus || !slices.Contains(d.Stale, "case_flows")), nil
}

// namedArgs are an analysis's bound parameters as the driver takes them.
func namedArgs(params map[string]any) []any {
	args := make([]any, 0, len(params))
	for name, v := range params {
		args = append(args, sql.Named(name, v))
	}
	return args
}

// embedded is one of the embedded analyses, which the read model shares
// (the overview counts gaps as the coverage analysis does, the timeline
// shows coverage-gaps' silences).
func embedded(name string) (Analysis, error) {
	b, err := fs.ReadFile(files, name+".sql")
	if err != nil {
		return Analysis{}, fmt.Errorf("queries: %w", err)
	}
	return ParseAnalysis(name, string(b))
}
