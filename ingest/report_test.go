package ingest

import (
	"fmt"
	"slices"
	"testing"
)

func TestReport(t *testing.T) {
	loaded := FileResult{Path: "a.log.gz", Status: Loaded, Records: 1200, Rejected: 3, OutsideWindow: 5, Shape: "text", Compression: "gzip",
		Rejects: []Reject{{Line: 2, Reason: "srcport: want 0-65535"}}}
	want := []string{
		"loaded     a.log.gz: 1,200 records, 3 rejected lines, 5 outside the window (text, gzip)",
		"  line 2: srcport: want 0-65535",
		"  ... and 2 more",
	}
	if got := loaded.Report(); !slices.Equal(got, want) {
		t.Errorf("loaded:\n%q\nwant\n%q", got, want)
	}
	refused := RefusedResult("x.html", fmt.Errorf("ingest: %w", &NotFlowLogError{Reason: "HTML"}))
	if got := refused.Report(); !slices.Equal(got, []string{"refused    x.html: not a flow log: HTML"}) {
		t.Errorf("refused: %q", got)
	}
	var tot Totals
	for _, r := range []FileResult{loaded, refused, {Status: Duplicate}, {Status: Failed}, {Status: Loaded, Records: 1}} {
		tot.Add(r)
	}
	if got := tot.String(); got != "1,201 records from 2 files (1 already ingested, 1 refused, 1 failed, 3 rejected lines)" {
		t.Errorf("totals: %s", got)
	}
}
