package queries

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	if _, err := Prepare(ctx, c); err != nil {
		t.Fatal(err)
	}
	at := func(sec int64) time.Time { return time.Unix(1700000000+sec, 0).UTC() }
	b := func(sec, acc, rej int64) TimeBucket { return TimeBucket{Start: at(sec), Accepted: acc, Rejected: rej} }
	for _, tc := range []struct {
		name        string
		f           TimelineFilter
		first, last time.Time
		bucket      time.Duration
		want        []TimeBucket
	}{
		{"all flows", TimelineFilter{}, at(0), at(960), 100 * time.Second, []TimeBucket{
			b(0, 0, 1), b(100, 0, 1), b(200, 0, 1), b(300, 2, 1), b(400, 1, 0), b(500, 1, 0),
			b(600, 1, 0), b(700, 1, 0), b(800, 0, 1), b(900, 0, 0), // NODATA: a record of neither action
		}},
		{"wide buckets", TimelineFilter{}, at(0), at(960), 500 * time.Second, []TimeBucket{b(0, 3, 4), b(500, 3, 1)}},
		{"window", TimelineFilter{}, at(300), at(500), 100 * time.Second, []TimeBucket{b(300, 2, 1), b(400, 1, 0), b(500, 1, 0)}},
		{"buckets from first", TimelineFilter{}, at(250), at(450), 100 * time.Second, []TimeBucket{b(250, 2, 1), b(350, 1, 0)}},
		{"peer", TimelineFilter{Peer: netip.MustParseAddr("45.61.1.1")}, at(300), at(360), 60 * time.Second, []TimeBucket{b(300, 2, 0)}},
		{"peer with no flows", TimelineFilter{Peer: netip.MustParseAddr("192.0.2.1")}, at(0), at(960), 100 * time.Second, []TimeBucket{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Timeline(ctx, c, tc.f, tc.first, tc.last, tc.bucket)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	t.Run("no bucket", func(t *testing.T) {
		if _, err := Timeline(ctx, c, TimelineFilter{}, at(0), at(1), 0); err == nil {
			t.Error("a zero bucket is not an error")
		}
	})
}
