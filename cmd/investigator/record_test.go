package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordCase is a case with the logs of writeLogs and one stored run of
// ssh-inbound; it returns the run id.
func recordCase(t *testing.T, c *cli) (logs, runID string) {
	t.Helper()
	c.mustRun("case", "new", "ir", "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16", "--description", "SSH on the web server")
	logs = writeLogs(t)
	os.Remove(filepath.Join(logs, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2023", "11", "14", "notes.html"))
	c.mustRun("ingest", "ir", logs)
	c.mustRun("analyze", "ir", "--analysis", "ssh-inbound")
	var runs []struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("runs", "ir", "--format", "json").stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	return logs, runs[0].RunID
}

func (c *cli) normalizeRecord(s string, dirs ...string) string {
	return runIDRE.ReplaceAllString(c.normalize(s, dirs...), "<run>")
}

func TestFindingsNotesTags(t *testing.T) {
	c := newCLI(t)
	t.Setenv("INVESTIGATOR_ANALYST", "ana")
	_, run := recordCase(t, c)

	r := c.mustRun("finding", "add", "ir", "--title", "SSH brute force from 198.51.100.7", "--severity", "high", "--addr", "198.51.100.7",
		"--port", "22", "--mitre", "T1110", "--start", "2023-11-14T22:13:00Z", "--end", "2023-11-14T22:17:00Z",
		"--run", run, "--row", "src_ip=198.51.100.7", "--note", "Rejected, then **accepted**.")
	if r.stdout != "F-1\n" {
		t.Fatalf("finding add printed %q", r.stdout)
	}
	c.mustRun("finding", "add", "ir", "--title", "Database traffic to 10.0.2.20", "--severity", "low", "--addr", "10.0.2.20", "--port", "5432", "--analyst", "bob")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"finding", "add", "ir"}, "title is empty: a finding needs a title"},
		{[]string{"finding", "add", "ir", "--title", "x", "--severity", "urgent"}, `severity "urgent" is not one of info, low, medium, high, critical`},
		{[]string{"finding", "add", "ir", "--title", "x", "--row", "1"}, "--row needs --run"},
		{[]string{"finding", "add", "ir", "--title", "x", "--run", run, "--row", "9"}, `row "9" is not a row of run`},
		{[]string{"finding", "add", "ir", "--title", "x", "--run", run, "--row", "colour=red"}, "is neither a row number nor COLUMN=VALUE"},
		{[]string{"finding", "add", "ir", "--title", "x", "--addr", "10.0.0.300"}, `address "10.0.0.300" is not an IPv4 or IPv6 address`},
		{[]string{"finding", "add", "ir", "--title", "x", "--start", "2h", "--end", "3h"}, "must be before the end"},
		{[]string{"finding", "set", "ir", "F-1", "--status", "dismissed"}, "needs a reason"},
		{[]string{"finding", "set", "ir", "F-1"}, "nothing to change"},
		{[]string{"finding", "show", "ir", "F-x"}, `finding "F-x" is not a finding id like F-12`},
		{[]string{"tag", "ir", "attacker"}, "give --addr or --finding"},
		{[]string{"tag", "ir", "--addr", "198.51.100.7", "two words"}, "is not a tag"},
		{[]string{"note", "ir", "--addr", "1.2.3.4", "--finding", "F-1", "x"}, "give one of --finding, --addr, --run"},
		{[]string{"timeline", "ir", "--gap", "soon"}, `gap "soon" is not a duration`},
		{[]string{"report", "ir", "--format", "pdf"}, `--format "pdf" is not html, md or json`},
	} {
		if r := c.run(tc.args...); r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("investigator %s: exit %d, stderr %q, want %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, exitUsage, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"finding", "add", "ir", "--title", "x", "--run", "r-nope"}, "the case has no analysis run r-nope: investigator runs CASE lists the stored runs"},
		{[]string{"finding", "set", "ir", "F-9", "--status", "confirmed"}, "the case has no finding F-9"},
		{[]string{"note", "ir", "--finding", "F-9", "x"}, "the case has no finding F-9"},
		{[]string{"note", "rm", "ir", "N-99"}, "the case has no note N-99"},
	} {
		if r := c.run(tc.args...); r.code != exitFail || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("investigator %s: exit %d, stderr %q, want %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, exitFail, tc.want)
		}
	}

	c.mustRun("finding", "set", "ir", "F-1", "--status", "confirmed", "--analyst", "bob")
	c.mustRun("finding", "set", "ir", "f-2", "--status", "dismissed", "--reason", "the backup job")
	if r := c.mustRun("note", "ir", "Opened from a GuardDuty alert at 22:30 UTC."); r.stdout != "N-2\n" {
		t.Fatalf("note printed %q", r.stdout)
	}
	c.mustRun("note", "ir", "--addr", "198.51.100.7", "A VPS; seen in the WAF logs too.")
	c.mustRun("note", "edit", "ir", "N-3", "A VPS at a bulletproof hoster; seen in the WAF logs too.")
	c.mustRun("note", "ir", "--finding", "F-1", "to be removed")
	c.mustRun("note", "rm", "ir", "N-4")
	if r := c.mustRun("tag", "ir", "--addr", "198.51.100.7", "Attacker", "c2"); !strings.Contains(r.stdout, "tags now: attacker, c2") {
		t.Fatalf("tag: %q", r.stdout)
	}
	c.mustRun("tag", "ir", "--finding", "F-1", "initial-access", "needs-review")
	c.mustRun("tag", "ir", "--finding", "F-1", "--rm", "needs-review")

	golden(t, "finding-list", c.normalizeRecord(c.mustRun("finding", "list", "ir").stdout))
	golden(t, "finding-show", c.normalizeRecord(c.mustRun("finding", "show", "ir", "F-1").stdout))
	golden(t, "note-list", c.normalizeRecord(c.mustRun("note", "list", "ir").stdout))
	golden(t, "timeline", c.normalizeRecord(c.mustRun("timeline", "ir", "--dismissed").stdout))
	if r := c.mustRun("finding", "list", "ir", "--status", "open"); !strings.Contains(r.stdout, "No findings with status open") {
		t.Fatalf("no open findings: %q", r.stdout)
	}
	if r := c.mustRun("finding", "list", "ir", "--tag", "initial-access", "--format", "csv"); !strings.HasPrefix(r.stdout, "id,title,severity,status") ||
		strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "F-1,SSH brute force") {
		t.Fatalf("csv: %q", r.stdout)
	}

	// The JSON shape scripts rely on.
	var list struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("finding", "list", "ir", "--format", "json").stdout), &list); err != nil || len(list.Findings) != 2 {
		t.Fatalf("finding list json: %v %+v", err, list)
	}
	f := list.Findings[0]
	for _, k := range []string{"id", "title", "severity", "status", "source", "mitre", "subjects", "first_seen", "last_seen", "evidence", "notes", "tags", "created_at", "created_by", "updated_at"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding JSON lacks %q: %v", k, f)
		}
	}
	ev := f["evidence"].([]any)[0].(map[string]any)
	if ev["run_id"] != run || ev["analysis"] != "ssh-inbound" || ev["sha256"] == "" || len(ev["rows"].([]any)) != 1 {
		t.Fatalf("evidence %v", ev)
	}
	if subj := f["subjects"].(map[string]any); subj["addresses"].([]any)[0] != "198.51.100.7" || subj["ports"].([]any)[0] != float64(22) {
		t.Fatalf("subjects %v", subj)
	}
	if notes := f["notes"].([]any); len(notes) != 1 { // the removed note is gone
		t.Fatalf("notes %v", notes)
	}
}

func TestReport(t *testing.T) {
	c := newCLI(t)
	t.Setenv("INVESTIGATOR_ANALYST", "ana")
	logs, run := recordCase(t, c)
	c.mustRun("finding", "add", "ir", "--title", "SSH brute force from 198.51.100.7 <b>got in</b>", "--severity", "critical",
		"--addr", "198.51.100.7", "--port", "22", "--mitre", "T1110", "--run", run, "--row", "1", "--status", "confirmed",
		"--note", "Rejected at 22:13, accepted at 22:16 | a pipe & <script>alert(1)</script>")
	c.mustRun("finding", "add", "ir", "--title", "Database traffic", "--severity", "info", "--addr", "10.0.2.20")
	c.mustRun("finding", "add", "ir", "--title", "Noise", "--status", "dismissed", "--reason", "scanner of the red team")
	c.mustRun("note", "ir", "The web server's SSH was open to the world.")

	for _, f := range []string{"md", "html"} {
		a := c.mustRun("report", "ir", "--format", f).stdout
		b := c.mustRun("report", "ir", "--format", f).stdout
		if c.normalizeRecord(a, logs) != c.normalizeRecord(b, logs) {
			t.Fatalf("%s report differs between two runs on the same case", f)
		}
		golden(t, "report-"+f, c.normalizeRecord(a, logs))
	}
	html := c.mustRun("report", "ir").stdout
	for _, want := range []string{"<!doctype html>", "default-src 'none'", "&lt;b&gt;got in&lt;/b&gt;", "&lt;script&gt;", "Confirmed findings", "Open findings", "chain of custody"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "src=", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML report holds %q", bad)
		}
	}
	if strings.Contains(html, "Noise") {
		t.Error("a dismissed finding is in the report without --include dismissed")
	}
	if r := c.mustRun("report", "ir", "--format", "md", "--include", "dismissed"); !strings.Contains(r.stdout, "## Dismissed findings") || !strings.Contains(r.stdout, "scanner of the red team") {
		t.Errorf("--include dismissed:\n%s", r.stdout)
	}

	var rep map[string]any
	if err := json.Unmarshal([]byte(c.mustRun("report", "ir", "--format", "json").stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"case", "sources", "findings", "timeline", "runs", "generated_at", "tool_version"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}
	cs := rep["case"].(map[string]any)
	for _, k := range []string{"name", "description", "focus", "vpc_cidrs", "time_range", "records"} {
		if _, ok := cs[k]; !ok {
			t.Errorf("report JSON case lacks %q", k)
		}
	}
	src := rep["sources"].([]any)[0].(map[string]any)
	for _, k := range []string{"source", "sha256", "bytes", "records", "rejected", "ingested_at"} {
		if _, ok := src[k]; !ok {
			t.Errorf("report JSON source lacks %q", k)
		}
	}
	runs := rep["runs"].([]any)
	if len(runs) != 1 || runs[0].(map[string]any)["run_id"] != run {
		t.Fatalf("runs %v", runs)
	}

	out := filepath.Join(t.TempDir(), "ir.md")
	if r := c.mustRun("report", "ir", "--out", out); !strings.Contains(r.stderr, "Wrote "+out) {
		t.Fatalf("report --out: %q", r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "# Investigation report: ir") {
		t.Fatalf("report file: %v %.80q", err, b)
	}
}

func TestCaseVerify(t *testing.T) {
	c := newCLI(t)
	logs, _ := recordCase(t, c)
	if r := c.mustRun("case", "verify", "ir"); !strings.Contains(r.stdout, "2 sources: 2 match, 0 mismatch, 0 not found") {
		t.Fatalf("verify: %s", r.stdout)
	}
	day := filepath.Join(logs, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2023", "11", "14")
	moved := t.TempDir()
	if err := os.Rename(filepath.Join(day, "a.log"), filepath.Join(moved, "renamed.log")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(day, "b.log"), []byte(header+"tampered\n"), 0o644)
	r := c.run("case", "verify", "ir")
	if r.code != exitFail || !strings.Contains(r.stdout, "0 match, 1 mismatch, 1 not found") || !strings.Contains(r.stderr, "1 sources do not match") {
		t.Fatalf("verify after changes: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = c.run("case", "verify", "ir", "--sources", moved, "--format", "json")
	var v struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Counts["match"] != 1 || v.Counts["mismatch"] != 1 {
		t.Fatalf("verify --sources: %v %s", err, r.stdout)
	}
}
