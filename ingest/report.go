package ingest

import (
	"fmt"

	"github.com/investigator/investigator/internal/format"
)

// Report is what became of the file, for people, as the command line prints
// it and the workbench logs it: the outcome, then the first rejected lines
// with their numbers and reasons.
func (r FileResult) Report() []string {
	switch r.Status {
	case Loaded:
		msg := fmt.Sprintf("loaded     %s: %s", r.Path, format.Nouns(r.Records, "record"))
		if r.Rejected > 0 {
			msg += ", " + format.Nouns(r.Rejected, "rejected line")
		}
		if r.OutsideWindow > 0 {
			msg += ", " + format.Count(r.OutsideWindow) + " outside the window"
		}
		if r.ControlMessages > 0 {
			msg += ", " + format.Nouns(r.ControlMessages, "control message") + " skipped"
		}
		shape := string(r.Shape)
		if r.Delimiter != "" {
			shape += ", " + delimName(r.Delimiter[0]) + "-separated"
		}
		if r.OCSFVersion != "" {
			shape += ", OCSF " + r.OCSFVersion
		}
		if r.Compression == "gzip" {
			shape += ", gzip"
		}
		lines := []string{msg + " (" + shape + ")"}
		for _, rj := range r.Rejects {
			if r.Shape == ShapeSubscription {
				lines = append(lines, "  "+rj.Reason) // it names the object and the event
				continue
			}
			lines = append(lines, fmt.Sprintf("  line %d: %s", rj.Line, rj.Reason))
		}
		if more := r.Rejected - int64(len(r.Rejects)); more > 0 {
			lines = append(lines, "  ... and "+format.Count(more)+" more")
		}
		return lines
	case Duplicate:
		return []string{fmt.Sprintf("unchanged  %s: already ingested (same content as %s)", r.Path, r.DuplicateOf)}
	case Refused:
		return []string{fmt.Sprintf("refused    %s: %s", r.Path, r.Error)}
	}
	return []string{fmt.Sprintf("failed     %s: %s", r.Path, r.Error)}
}

// Totals add up the outcomes of the files of an ingest.
type Totals struct {
	Loaded     int   `json:"loaded"`
	Duplicates int   `json:"duplicates"`
	Refused    int   `json:"refused"`
	Failed     int   `json:"failed"`
	Records    int64 `json:"records"`
	Rejected   int64 `json:"rejected_lines"`
}

// Add counts one file's outcome.
func (t *Totals) Add(r FileResult) {
	switch r.Status {
	case Loaded:
		t.Loaded++
	case Duplicate:
		t.Duplicates++
	case Refused:
		t.Refused++
	default:
		t.Failed++
	}
	t.Records += r.Records
	t.Rejected += r.Rejected
}

// String is the totals as one line: "5 records from 2 files (0 already
// ingested, 1 refused, 0 failed, 1 rejected line)".
func (t Totals) String() string {
	return fmt.Sprintf("%s from %s (%d already ingested, %d refused, %d failed, %s)",
		format.Nouns(t.Records, "record"), format.Nouns(int64(t.Loaded), "file"), t.Duplicates, t.Refused, t.Failed, format.Nouns(t.Rejected, "rejected line"))
}
