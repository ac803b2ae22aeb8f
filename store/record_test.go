package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newRecordCase(t *testing.T) *Case {
	t.Helper()
	c, err := Create(context.Background(), filepath.Join(t.TempDir(), "r.duckdb"), "r", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A stored run of three rows, as queries.Run records one.
	if _, err := c.DB.Exec(`INSERT INTO analysis_runs (run_id, analysis, version, sha256, params, data_version, started_at, finished_at, row_count, columns, rows, program)
		VALUES ('R-1', 'ssh-inbound', 3, 'abc123', '{}', 'dv', now(), now(), 3, '[]', '[[1],[2],[3]]', 'test')`); err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestFindings(t *testing.T) {
	ctx := context.Background()
	c := newRecordCase(t)
	start, end := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	id, err := c.AddFinding(ctx, "ana", Finding{
		Title: "  SSH brute force from 203.0.113.9  ", Severity: "HIGH", MITRE: []string{"t1110", "T1110"},
		Subjects:  Subjects{Addresses: []string{"203.0.113.9", "::ffff:10.0.1.5", "203.0.113.9"}, Ports: []int{22, 22}, Instances: []string{"i-0123456789abcdef0"}},
		FirstSeen: &start, LastSeen: &end,
		Evidence: []Evidence{{RunID: "R-1", Rows: []int{2, 3, 2}}, {Filter: &FlowsFilter{Addresses: []string{"203.0.113.9"}, Ports: []int{22}}}},
	}, "first seen in the SSH analysis")
	if err != nil || id != "F-1" {
		t.Fatalf("add: %q %v", id, err)
	}
	f, err := c.Finding(ctx, "f-1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "SSH brute force from 203.0.113.9" || f.Severity != SeverityHigh || f.Status != StatusOpen || f.Source != FromAnalyst ||
		strings.Join(f.MITRE, ",") != "T1110" || strings.Join(f.Subjects.Addresses, ",") != "203.0.113.9,10.0.1.5" || len(f.Subjects.Ports) != 1 ||
		!f.FirstSeen.Equal(start) || f.CreatedBy != "ana" {
		t.Fatalf("finding %+v", f)
	}
	if len(f.Evidence) != 2 || f.Evidence[0].Analysis != "ssh-inbound" || f.Evidence[0].Version != 3 || f.Evidence[0].SHA256 != "abc123" ||
		len(f.Evidence[0].Rows) != 2 || f.Evidence[1].Filter == nil || f.Evidence[1].Filter.Ports[0] != 22 {
		t.Fatalf("evidence %+v", f.Evidence)
	}
	if len(f.Notes) != 1 || f.Notes[0].Text != "first seen in the SSH analysis" || f.Notes[0].ID != "N-1" {
		t.Fatalf("notes %+v", f.Notes)
	}

	// Bad input: nothing lands.
	for _, tt := range []struct {
		f    Finding
		want string
	}{
		{Finding{Title: " "}, "title is empty"},
		{Finding{Title: "x", Severity: "urgent"}, `severity "urgent" is not one of`},
		{Finding{Title: "x", Status: "dismissed"}, "needs a reason"},
		{Finding{Title: "x", MITRE: []string{"TA0001"}}, "is not a technique id"},
		{Finding{Title: "x", Subjects: Subjects{Addresses: []string{"10.0.0.300"}}}, `address "10.0.0.300" is not an IPv4 or IPv6 address`},
		{Finding{Title: "x", Subjects: Subjects{Ports: []int{70000}}}, "is not a port number"},
		{Finding{Title: "x", FirstSeen: &end, LastSeen: &start}, "starts (2026-11-20T04:00:00Z) at or after it ends"},
		{Finding{Title: "x", Evidence: []Evidence{{RunID: "R-9"}}}, "the case has no analysis run R-9"},
		{Finding{Title: "x", Evidence: []Evidence{{RunID: "R-1", Rows: []int{4}}}}, `row "4" is not a row of run R-1 (ssh-inbound), which has 3`},
		{Finding{Title: "a\x1b[2Jb"}, "control characters"},
	} {
		if _, err := c.AddFinding(ctx, "ana", tt.f, ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.f, err, tt.want)
		}
	}
	if fs, _ := c.Findings(ctx, FindingFilter{}); len(fs) != 1 {
		t.Fatalf("%d findings after refused adds", len(fs))
	}

	// Changes: each field that changed is one log row with its old value.
	if err := c.SetFinding(ctx, "bob", "F-1", FindingChange{Status: ptr(StatusDismissed)}); err == nil || !strings.Contains(err.Error(), "needs a reason") {
		t.Fatalf("dismiss without a reason: %v", err)
	}
	if err := c.SetFinding(ctx, "bob", "F-1", FindingChange{Status: ptr(StatusDismissed), Reason: ptr("the red team's test"), Severity: ptr(SeverityLow)}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFinding(ctx, "bob", "F-1", FindingChange{Severity: ptr(SeverityLow)}); err != nil { // no change, no log row
		t.Fatal(err)
	}
	if err := c.SetFinding(ctx, "bob", "F-1", FindingChange{Status: ptr(StatusConfirmed)}); err != nil {
		t.Fatal(err)
	}
	f, _ = c.Finding(ctx, "F-1")
	if f.Status != StatusConfirmed || f.Reason != "" || f.Severity != SeverityLow || f.UpdatedBy != "bob" {
		t.Fatalf("after set: %+v", f)
	}
	if err := c.SetFinding(ctx, "bob", "F-7", FindingChange{Title: ptr("x")}); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("set of a missing finding: %v", err)
	}
	if err := c.AddEvidence(ctx, "bob", "F-1", Evidence{RunID: "R-1"}); err != nil {
		t.Fatal(err)
	}
	if f, _ = c.Finding(ctx, "F-1"); len(f.Evidence) != 3 || len(f.Evidence[2].Rows) != 0 {
		t.Fatalf("evidence after add: %+v", f.Evidence)
	}

	log, err := c.CaseLog(ctx, "F-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		s := e.Analyst + " " + e.Action
		if e.Field != "" && e.Action == "finding.set" {
			s += " " + e.Field + " " + deref(e.Old) + "→" + deref(e.New)
		}
		got = append(got, s)
	}
	want := []string{"ana finding.add", "ana evidence.add", "ana evidence.add",
		"bob finding.set severity high→low", "bob finding.set status open→dismissed", "bob finding.set reason →the red team's test",
		"bob finding.set status dismissed→confirmed", "bob finding.set reason the red team's test→", "bob evidence.add"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("case log\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestNotesTagsStars(t *testing.T) {
	ctx := context.Background()
	c := newRecordCase(t)
	if _, err := c.AddFinding(ctx, "ana", Finding{Title: "scan"}, ""); err != nil {
		t.Fatal(err)
	}
	addr, err := AddressTarget("2001:DB8::1")
	if err != nil || addr.ID != "2001:db8::1" {
		t.Fatalf("%+v %v", addr, err)
	}
	n1, err := c.AddNote(ctx, "ana", Target{Kind: OnCase}, "Started from the **GuardDuty** alert.")
	if err != nil {
		t.Fatal(err)
	}
	n2, err := c.AddNote(ctx, "ana", addr, "the scanner")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddNote(ctx, "ana", RowTarget("R-1", 3), "this row"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		t    Target
		text string
		want string
	}{
		{Target{Kind: OnFinding, ID: "F-2"}, "x", "the case has no finding F-2"},
		{Target{Kind: OnRun, ID: "R-2"}, "x", "the case has no analysis run R-2"},
		{RowTarget("R-1", 4), "x", "is not a row of run R-1"},
		{Target{Kind: OnCase}, "  ", "note is empty"},
		{Target{Kind: OnCase}, "a\xffb", "not valid UTF-8"},
	} {
		if _, err := c.AddNote(ctx, "ana", tt.t, tt.text); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v %q: %v, want %q", tt.t, tt.text, err, tt.want)
		}
	}
	if err := c.EditNote(ctx, "bob", n2, "the scanner, from a VPS"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveNote(ctx, "bob", n1); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveNote(ctx, "bob", n1); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("second removal: %v", err)
	}
	notes, _ := c.Notes(ctx, nil)
	if len(notes) != 2 || notes[0].Text != "the scanner, from a VPS" || notes[0].UpdatedBy != "bob" {
		t.Fatalf("notes %+v", notes)
	}
	// The log keeps every text the notes had.
	for _, id := range []string{n1, n2} {
		log, _ := c.CaseLog(ctx, id)
		if len(log) != 2 {
			t.Fatalf("%s log %+v", id, log)
		}
	}
	if log, _ := c.CaseLog(ctx, n2); deref(log[1].Old) != "the scanner" || deref(log[1].New) != "the scanner, from a VPS" {
		t.Fatalf("edit log %+v", log[1])
	}
	if log, _ := c.CaseLog(ctx, n1); log[1].Action != "note.rm" || deref(log[1].Old) != "Started from the **GuardDuty** alert." {
		t.Fatalf("removal log %+v", log[1])
	}

	// Tags: normalized, idempotent, on addresses and findings only.
	if added, err := c.Tag(ctx, "ana", addr, "Attacker", "c2", "attacker"); err != nil || strings.Join(added, ",") != "attacker,c2" {
		t.Fatalf("tag: %v %v", added, err)
	}
	if added, err := c.Tag(ctx, "ana", addr, "attacker"); err != nil || len(added) != 0 {
		t.Fatalf("tag again: %v %v", added, err)
	}
	if _, err := c.Tag(ctx, "ana", Target{Kind: OnFinding, ID: "1"}, "scanner"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tag(ctx, "ana", addr, "two words"); err == nil || !strings.Contains(err.Error(), "is not a tag") {
		t.Fatalf("bad tag: %v", err)
	}
	if _, err := c.Tag(ctx, "ana", Target{Kind: OnRun, ID: "R-1"}, "x"); err == nil {
		t.Fatal("tag on a run")
	}
	if removed, err := c.Untag(ctx, "ana", addr, "c2", "benign"); err != nil || strings.Join(removed, ",") != "c2" {
		t.Fatalf("untag: %v %v", removed, err)
	}
	if tags, _ := c.TagsOf(ctx, addr); strings.Join(tags, ",") != "attacker" {
		t.Fatalf("tags %v", tags)
	}
	if fs, _ := c.Findings(ctx, FindingFilter{Tag: "Scanner"}); len(fs) != 1 || strings.Join(fs[0].Tags, ",") != "scanner" {
		t.Fatalf("findings by tag: %+v", fs)
	}

	// Stars.
	ff, err := FlowsTarget(FlowsFilter{Addresses: []string{"203.0.113.9"}, Ports: []int{22}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []Target{addr, RowTarget("R-1", 2), ff} {
		if ok, err := c.Star(ctx, "ana", st); err != nil || !ok {
			t.Fatalf("star %v: %v %v", st, ok, err)
		}
	}
	if ok, _ := c.Star(ctx, "ana", addr); ok {
		t.Fatal("starred twice")
	}
	if ok, _ := c.Unstar(ctx, "ana", addr); !ok {
		t.Fatal("unstar")
	}
	if stars, _ := c.Starred(ctx, ""); len(stars) != 2 {
		t.Fatalf("stars %+v", stars)
	}
	if _, err := FlowsTarget(FlowsFilter{Action: "DROP"}); err == nil {
		t.Fatal("bad flows filter")
	}
	log, _ := c.CaseLog(ctx, "")
	if len(log) < 12 {
		t.Fatalf("%d log rows", len(log))
	}
}

func TestAnalyst(t *testing.T) {
	t.Setenv("INVESTIGATOR_ANALYST", "")
	if a := Analyst(" ana "); a != "ana" {
		t.Fatal(a)
	}
	t.Setenv("INVESTIGATOR_ANALYST", "env-ana")
	if a := Analyst(""); a != "env-ana" {
		t.Fatal(a)
	}
	t.Setenv("INVESTIGATOR_ANALYST", "")
	if a := Analyst(""); a == "" {
		t.Fatal("no analyst")
	}
}

// recordDetection1 records one row of a detection, from no run.
func recordDetection1(ctx context.Context, c *Case, by string, f Finding, weight int64) (id, outcome string, err error) {
	out, err := c.RecordDetections(ctx, by, "", []DetectionRow{{Finding: f, Weight: weight}})
	if err != nil {
		return "", "", err
	}
	return out[0].ID, out[0].Outcome, nil
}

func TestRecordDetection(t *testing.T) {
	ctx := context.Background()
	c := newRecordCase(t)
	if _, err := c.DB.Exec(`INSERT INTO analysis_runs (run_id, analysis, version, sha256, params, data_version, started_at, finished_at, row_count, columns, rows, program)
		VALUES ('R-2', 'port-scan', 2, 'def', '{}', 'dv2', now(), now(), 1, '[]', '[[1]]', 'test'), ('R-3', 'port-scan', 2, 'def', '{}', 'dv3', now(), now(), 1, '[]', '[[1]]', 'test')`); err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	cand := func(run string, sev Severity, last time.Time) Finding {
		return Finding{Title: "Port scan from 203.0.113.9", Severity: sev, Source: FromDetection, Detection: "port-scan", DetectionVersion: 2,
			DetectionKey: "src_ip=203.0.113.9", Subjects: Subjects{Addresses: []string{"203.0.113.9"}}, FirstSeen: &first, LastSeen: &last,
			Evidence: []Evidence{{RunID: run, Rows: []int{1}}}}
	}
	t1 := first.Add(time.Hour)
	id, out, err := recordDetection1(ctx, c, "triage", cand("R-2", SeverityMedium, t1), 100)
	if err != nil || id != "F-1" || out != DetectionNew {
		t.Fatalf("first: %s %s %v", id, out, err)
	}
	if _, out, _ := recordDetection1(ctx, c, "triage", cand("R-2", SeverityMedium, t1), 100); out != DetectionUnchanged {
		t.Fatalf("same run again: %s", out)
	}
	if err := c.SetFinding(ctx, "ana", "F-1", FindingChange{Status: ptr(StatusDismissed), Reason: ptr("our scanner")}); err != nil {
		t.Fatal(err)
	}
	// New data, the same evidence size: stays dismissed, but its evidence
	// and window follow.
	t2 := first.Add(2 * time.Hour)
	if _, out, err := recordDetection1(ctx, c, "triage", cand("R-3", SeverityLow, t2), 100); err != nil || out != DetectionUpdated {
		t.Fatalf("new run: %s %v", out, err)
	}
	f, _ := c.Finding(ctx, "F-1")
	if f.Status != StatusDismissed || len(f.Evidence) != 2 || !f.LastSeen.Equal(t2) || f.Severity != SeverityMedium {
		t.Fatalf("after the new run: %+v", f)
	}
	// Grown evidence reopens it, with the reason in the log.
	if _, err := c.DB.Exec(`INSERT INTO analysis_runs (run_id, analysis, version, sha256, params, data_version, started_at, finished_at, row_count, columns, rows, program)
		VALUES ('R-4', 'port-scan', 2, 'def', '{}', 'dv4', now(), now(), 1, '[]', '[[1]]', 'test')`); err != nil {
		t.Fatal(err)
	}
	if _, out, err := recordDetection1(ctx, c, "triage", cand("R-4", SeverityHigh, t2), 500); err != nil || out != DetectionReopened {
		t.Fatalf("grown: %s %v", out, err)
	}
	f, _ = c.Finding(ctx, "F-1")
	if f.Status != StatusOpen || f.Severity != SeverityHigh || f.DetectionWeight != 500 || !strings.Contains(f.Reason, "grew from 100 to 500") {
		t.Fatalf("after growing: %+v", f)
	}
	// The same SQL run again on data that changes nothing of it: unchanged,
	// no more evidence.
	if _, err := c.DB.Exec(`INSERT INTO analysis_runs (run_id, analysis, version, sha256, params, data_version, started_at, finished_at, row_count, columns, rows, program)
		VALUES ('R-5', 'port-scan', 2, 'def', '{}', 'dv5', now(), now(), 1, '[]', '[[1]]', 'test')`); err != nil {
		t.Fatal(err)
	}
	again := cand("R-5", SeverityHigh, t2)
	again.Evidence[0].Analysis, again.Evidence[0].Version, again.Evidence[0].SHA256 = "port-scan", 2, "def"
	if _, out, err := recordDetection1(ctx, c, "triage", again, 500); err != nil || out != DetectionUnchanged {
		t.Fatalf("same SQL, nothing new: %s %v", out, err)
	}
	if f, _ = c.Finding(ctx, "F-1"); len(f.Evidence) != 3 {
		t.Fatalf("%d pieces of evidence", len(f.Evidence))
	}
	if fs, _ := c.Findings(ctx, FindingFilter{}); len(fs) != 1 {
		t.Fatalf("%d findings", len(fs))
	}
	if _, _, err := recordDetection1(ctx, c, "triage", Finding{Title: "x", Source: FromAnalyst}, 1); err == nil {
		t.Fatal("an analyst's finding recorded as a detection's")
	}
}
