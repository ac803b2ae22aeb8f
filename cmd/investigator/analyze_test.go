package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

var (
	runIDRE = regexp.MustCompile(`r-\d{8}-\d{6}-[0-9a-f]{6}`)
	tookRE  = regexp.MustCompile(`(ran in|in) \d+(\.\d+)?(ms|µs|s)`)
)

func normalizeRuns(s string) string {
	s = runIDRE.ReplaceAllString(s, "<run>")
	return tookRE.ReplaceAllString(s, "$1 <t>")
}

func analyzedCase(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	c.mustRun("case", "new", "web", "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16")
	logs := writeLogs(t)
	c.run("ingest", "web", logs) // notes.html is refused: exit 1, the logs land
	return c
}

func TestAnalyze(t *testing.T) {
	c := analyzedCase(t)
	r := c.mustRun("analyze", "web", "--analysis", "ssh-inbound")
	golden(t, "analyze-ssh-inbound", c.normalize(normalizeRuns(r.stdout)))

	again := c.mustRun("analyze", "web", "--analysis", "ssh-inbound")
	if !strings.Contains(again.stdout, "stored result of") || runIDRE.FindString(again.stdout) != runIDRE.FindString(r.stdout) {
		t.Fatalf("second run was not the stored result:\n%s", again.stdout)
	}

	r = c.mustRun("analyze", "web", "--analysis", "traffic-summary", "--format", "json")
	var res struct {
		Analysis string           `json:"analysis"`
		Version  int              `json:"version"`
		SHA256   string           `json:"sha256"`
		RunID    string           `json:"run_id"`
		Params   map[string]any   `json:"params"`
		Columns  []string         `json:"columns"`
		Rows     []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if res.Analysis != "traffic-summary" || res.Version < 1 || len(res.SHA256) != 64 || res.RunID == "" ||
		res.Params["limit"] != float64(1000) || res.Columns[0] != "protocol" || len(res.Rows) != 2 || res.Rows[0]["protocol_name"] != "TCP" {
		t.Fatalf("json: %+v", res)
	}

	r = c.mustRun("analyze", "web", "--analysis", "rejected", "--format", "csv")
	if !strings.HasPrefix(r.stdout, "src_ip,dst_ip,dstport,protocol,protocol_name,direction,flows,") || !strings.Contains(r.stdout, "198.51.100.7,10.0.1.10,22,6,TCP,inbound,1,") {
		t.Fatalf("csv:\n%s", r.stdout)
	}

	r = c.mustRun("analyze", "web", "--analysis", "all", "--format", "json")
	var all struct {
		Analyses []struct {
			Analysis string `json:"analysis"`
		} `json:"analyses"`
	}
	json.Unmarshal([]byte(r.stdout), &all)
	names := ""
	for _, a := range all.Analyses {
		names += a.Analysis + " "
	}
	reg, err := queries.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Analyses) != len(reg.All())-1 || strings.Contains(names, "port-specific") {
		t.Fatalf("all without --port ran: %s", names)
	}
	if r := c.mustRun("analyze", "web", "--analysis", "all", "--port", "22"); !strings.Contains(r.stdout, "(port-specific v") {
		t.Fatal("all with --port did not run port-specific")
	}

	for _, bad := range [][]string{
		{"analyze", "web", "--analysis", "port-specific"},
		{"analyze", "web", "--analysis", "nope"},
		{"analyze", "web"},
		{"analyze", "web", "--analysis", "top-external", "--order", "packets"},
		{"analyze", "web", "--analysis", "ssh-inbound", "--start", "tomorrow-ish"},
		{"analyze", "web", "--analysis", "ssh-inbound", "--param", "colour=red"},
	} {
		if r := c.run(bad...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", bad, r.code, exitUsage, r.stderr)
		}
	}

	r = c.mustRun("runs", "web")
	if n := strings.Count(r.stdout, "ssh-inbound"); n < 1 || !strings.Contains(r.stdout, "traffic-summary") {
		t.Fatalf("runs:\n%s", r.stdout)
	}
}

func TestAnalysesList(t *testing.T) {
	c := newCLI(t)
	golden(t, "analyses", c.mustRun("analyses").stdout)
}

func TestSQL(t *testing.T) {
	c := analyzedCase(t)
	r := c.mustRun("sql", "web", "SELECT action, count(*) AS flows FROM flows WHERE action IS NOT NULL GROUP BY ALL ORDER BY 1")
	golden(t, "sql", normalizeRuns(r.stdout))
	for _, attack := range []string{
		"DELETE FROM flow_records",
		"CREATE TABLE x AS SELECT 1",
		"ATTACH 'other.duckdb' AS o",
	} {
		if r := c.run("sql", "web", attack); r.code == 0 || !strings.Contains(r.stderr, "read-only") {
			t.Errorf("%s: exit %d, stderr %q", attack, r.code, r.stderr)
		}
	}
	r = c.mustRun("sql", "web", "--path")
	if abs, _ := filepath.Abs(filepath.Join(c.cases, "web.duckdb")); strings.TrimSpace(r.stdout) != abs {
		t.Fatalf("--path = %q", r.stdout)
	}
	if got := splitStatements("select 1; select ';' -- a; comment\n; select 2"); len(got) != 3 {
		t.Fatalf("splitStatements: %q", got)
	}
}

// TestOriginalToolForm: the original investiGATOR's one-command form on a local file.
func TestOriginalToolForm(t *testing.T) {
	c := newCLI(t)
	p := filepath.Join(t.TempDir(), "vpc-flow-logs.txt")
	os.WriteFile(p, []byte(records), 0o644)
	args := []string{"analyze", "--log-file", p, "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16",
		"--analysis", "ssh-inbound", "--start-time", "1699999999", "--end-time", "now"}
	r := c.mustRun(args...)
	if !strings.Contains(r.stdout, "198.51.100.7") || !strings.Contains(r.stdout, "REJECT") {
		t.Fatalf("output:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(c.cases, "vpc-flow-logs.duckdb")); err != nil {
		t.Fatalf("no case named after the file: %v", err)
	}
	// Again: the case is reused and the file is not ingested twice.
	c.mustRun(args...)
	if r := c.mustRun("sql", "vpc-flow-logs", "SELECT count(*) AS n FROM flows"); !strings.Contains(r.stdout, "\n4\n") && !strings.Contains(r.stdout, " 4\n") {
		t.Fatalf("records after two runs:\n%s", r.stdout)
	}
}

// A question the case has answered is answered again through a read-only
// handle: another reader holding the case does not stand in the way, and
// only a run that writes needs the case to itself.
func TestAnalyzeStoredReadOnly(t *testing.T) {
	c := analyzedCase(t)
	first := c.mustRun("analyze", "web", "--analysis", "ssh-inbound")
	reader, err := store.Open(context.Background(), filepath.Join(c.cases, "web"+store.Ext), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	again := c.mustRun("analyze", "web", "--analysis", "ssh-inbound")
	if runIDRE.FindString(again.stdout) != runIDRE.FindString(first.stdout) {
		t.Errorf("not the stored result:\n%s", again.stdout)
	}
	// Analyses the case has not answered need the write handle, which the
	// reader excludes.
	if r := c.run("--wait", "0s", "analyze", "web", "--analysis", "all"); r.code != exitLocked {
		t.Errorf("analyses not stored yet, with a reader holding the case: exit %d, want %d\n%s", r.code, exitLocked, r.stderr)
	}
	if r := c.run("--wait", "0s", "analyze", "web", "--analysis", "ssh-inbound", "--fresh"); r.code != exitLocked {
		t.Errorf("--fresh with a reader holding the case: exit %d, want %d\n%s", r.code, exitLocked, r.stderr)
	}
}

// TestBriefIsSummary: the cases list's brief of a case (from the table's
// statistics and the manifest) says what the full summary says of it.
func TestBriefIsSummary(t *testing.T) {
	c := analyzedCase(t)
	cs, err := store.Open(context.Background(), filepath.Join(c.cases, "web.duckdb"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	sum, err := cs.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	brief, err := cs.Brief(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records == 0 || sum.First == nil || sum.LastIngest == nil {
		t.Fatalf("the case holds nothing: %+v", sum)
	}
	if brief.Records != sum.Records || !brief.First.Equal(*sum.First) || !brief.Last.Equal(*sum.Last) ||
		!brief.LastIngest.Equal(*sum.LastIngest) || brief.Files != sum.Files || brief.BadLines != sum.BadLines || brief.SizeBytes != sum.SizeBytes {
		t.Errorf("brief %+v\nsummary %+v", brief, sum)
	}
}
