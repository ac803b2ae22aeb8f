package queries

import (
	"context"
	"testing"
)

func TestRunHistory(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	first := runResult(t, c, "ssh-inbound", nil, false)
	runResult(t, c, "traffic-summary", nil, false)
	last := runResult(t, c, "ssh-inbound", nil, true)
	for _, tc := range []struct {
		name, analysis string
		limit          int
		want           []string
	}{
		{"all of one", "ssh-inbound", 0, []string{last.RunID, first.RunID}},
		{"newest", "ssh-inbound", 1, []string{last.RunID}},
		{"limit above", "ssh-inbound", 20, []string{last.RunID, first.RunID}},
		{"never ran", "port-scan", 20, []string{}},
		{"no such analysis", "nope", 5, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, err := RunHistory(ctx, c, tc.analysis, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if runs == nil {
				t.Fatal("nil runs")
			}
			var got []string
			for _, r := range runs {
				if r.Analysis != tc.analysis {
					t.Errorf("run of %s", r.Analysis)
				}
				got = append(got, r.RunID)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[1] != tc.want[1]) {
				t.Errorf("runs %v, want %v", got, tc.want)
			}
		})
	}
	all, err := Runs(ctx, c)
	if err != nil || len(all) != 3 || all[0].RunID != last.RunID {
		t.Fatalf("Runs: %d %v", len(all), err)
	}
}
