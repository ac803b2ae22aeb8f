package queries

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/investigator/investigator/store"
)

// TimelineFilter chooses the flows of a timeline.
type TimelineFilter struct {
	// Peer keeps the flows of case_flows with this peer; the zero Addr keeps
	// every record of flows.
	Peer netip.Addr
}

// TimeBucket is one bucket of a timeline: the flows that started in
// [Start, Start+bucket), by action.
type TimeBucket struct {
	Start              time.Time
	Accepted, Rejected int64
}

// Timeline counts the filtered flows that started from first to last by
// action, in buckets of the given width counted from first, in time order.
// Buckets without records are left out; one with records of neither action
// (NODATA, SKIPDATA) has zero counts.
func Timeline(ctx context.Context, c *store.Case, f TimelineFilter, first, last time.Time, bucket time.Duration) ([]TimeBucket, error) {
	if bucket <= 0 {
		return nil, fmt.Errorf("queries: timeline: bucket of %s", bucket)
	}
	source, args := "flows", []any{}
	if f.Peer.IsValid() {
		source, args = "case_flows WHERE peer_ip = ? AND", []any{f.Peer.String()}
	} else {
		source += " WHERE"
	}
	args = append([]any{bucket.Microseconds(), first.UTC()}, append(args, first.UTC(), last.UTC())...)
	rows, err := c.DB.QueryContext(ctx, `SELECT time_bucket(to_microseconds(?::BIGINT), start, ?::TIMESTAMP) AS b,
		count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
		FROM `+source+` start BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP GROUP BY b ORDER BY b`, args...)
	if err != nil {
		return nil, fmt.Errorf("queries: timeline: %w", err)
	}
	defer rows.Close()
	out := []TimeBucket{}
	for rows.Next() {
		var b TimeBucket
		if err := rows.Scan(&b.Start, &b.Accepted, &b.Rejected); err != nil {
			return nil, fmt.Errorf("queries: timeline: %w", err)
		}
		b.Start = b.Start.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: timeline: %w", err)
	}
	return out, nil
}
