package queries

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

// gapLines: the focus's traffic on two interfaces, each with one silence of
// more than 15 minutes, interleaved so that the case as a whole is never
// silent that long; and an interface that never carries the focus's traffic,
// silent for an hour.
var gapLines = []string{
	"5 1 eni-a 45.61.9.9 10.0.1.10 50001 22 6 2 120 1700000000 1700000060 REJECT OK - - - -", // a: 0m
	"5 1 eni-b 45.61.9.9 10.0.1.10 50002 22 6 2 120 1700000600 1700000660 REJECT OK - - - -", // b: 10m
	"5 1 eni-b 45.61.9.9 10.0.1.10 50003 22 6 2 120 1700001200 1700001260 REJECT OK - - - -", // b: 20m
	"5 1 eni-a 45.61.9.9 10.0.1.10 50004 22 6 2 120 1700001800 1700001860 REJECT OK - - - -", // a: 30m, 29m after its last
	"5 1 eni-b 45.61.9.9 10.0.1.10 50005 22 6 2 120 1700002400 1700002460 REJECT OK - - - -", // b: 40m, 19m after its last
	"5 1 eni-x 10.0.3.3 10.0.3.4 40000 5432 6 2 120 1700000000 1700000060 ACCEPT OK - - - -",
	"5 1 eni-x 10.0.3.3 10.0.3.4 40001 5432 6 2 120 1700003600 1700003660 ACCEPT OK - - - -",
}

func gapCase(t *testing.T, focus bool) *store.Case {
	t.Helper()
	c := emptyCase(t)
	if focus {
		if _, err := c.AddFocus(context.Background(), []store.FocusIP{{Addr: netip.MustParseAddr("10.0.1.10"), Source: "test"}}); err != nil {
			t.Fatal(err)
		}
	}
	ingestText(t, c, v5Header+"\n"+strings.Join(gapLines, "\n")+"\n")
	return c
}

// coverageTotals sums the coverage analysis's gaps and takes its longest.
func coverageTotals(t *testing.T, c *store.Case) (int64, time.Duration) {
	t.Helper()
	var n int64
	var longest time.Duration
	for _, r := range run(t, c, "coverage", nil) {
		n += r["gaps"].(int64)
		if s, ok := r["longest_gap"].(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				t.Fatal(err)
			}
			longest = max(longest, d)
		}
	}
	return n, longest
}

func TestOverviewGapsAreTheCoverageAnalysis(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		focus   bool
		gaps    int64
		longest time.Duration
		peers   int64
	}{
		// The focus's interfaces: a's 29m and b's 19m. Over the whole case
		// no silence is longer than 9m.
		{"focus", true, 2, 29 * time.Minute, 3},
		// Without a focus every interface, x's hour too.
		{"no focus", false, 3, 59 * time.Minute, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := gapCase(t, tc.focus)
			before, err := Overview(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if before.Peers != tc.peers || before.Gap != 15*time.Minute {
				t.Errorf("peers %d gap %s", before.Peers, before.Gap)
			}
			// Stale derived tables: the interfaces' minutes are not known
			// yet.
			if before.GapsKnown {
				t.Errorf("before a rebuild: gaps known %v", before.GapsKnown)
			}
			n, longest := coverageTotals(t, c) // rebuilds the derived tables
			if n != tc.gaps || longest != tc.longest {
				t.Fatalf("coverage analysis: %d gaps, longest %s; want %d, %s", n, longest, tc.gaps, tc.longest)
			}
			got, err := Overview(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if !got.GapsKnown || got.Gaps != n || got.LongestGap != longest {
				t.Errorf("overview: known %v, %d gaps, longest %s; the coverage analysis says %d, %s", got.GapsKnown, got.Gaps, got.LongestGap, n, longest)
			}
			if before.GapsKnown && (before.Gaps != n || before.LongestGap != longest) {
				t.Errorf("overview before the rebuild: %d gaps, longest %s", before.Gaps, before.LongestGap)
			}
		})
	}
}

func TestOverviewEmptyCase(t *testing.T) {
	o, err := Overview(context.Background(), emptyCase(t))
	if err != nil {
		t.Fatal(err)
	}
	if o != (OverviewCounts{Gap: 15 * time.Minute, GapsKnown: true}) {
		t.Errorf("empty case: %+v", o)
	}
}
