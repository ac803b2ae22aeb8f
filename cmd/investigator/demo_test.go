package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func TestDemoCommand(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("demo", "--records", "20000")
	for _, want := range []string{"Records     20,000", "Planted incidents", "exfiltration", "port-scan", "Focus       10.0.1.10 private"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The derived tables are built: the workbench's first page shows peers.
	cs, err := store.Open(context.Background(), filepath.Join(c.cases, "demo.duckdb"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	stale, err := queries.Stale(context.Background(), cs)
	cs.Close()
	if err != nil || stale {
		t.Errorf("the demo case's derived tables are stale (%v)", err)
	}
	if r := c.run("demo", "--records", "20000"); r.code != exitFail || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("second demo without --force: %d %q", r.code, r.stderr)
	}
	// The provider ranges came with it: cloud peers are named.
	r = c.mustRun("analyze", "demo", "--analysis", "cidr-connections", "--format", "json")
	var res struct {
		Rows []map[string]any `json:"rows"`
	}
	json.Unmarshal([]byte(r.stdout), &res)
	providers := map[any]bool{}
	for _, row := range res.Rows {
		providers[row["provider"]] = true
	}
	for _, p := range []string{"aws", "google", "cloudflare"} {
		if !providers[p] {
			t.Errorf("cidr-connections names no %s peer: %v", p, providers)
		}
	}

	out := t.TempDir()
	r = c.mustRun("demo", "--records", "5000", "--out", out)
	for _, f := range []string{filepath.Join("ranges", "ip-ranges.json"), filepath.Join("intel", "demo-blocklist.txt")} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	r = c.mustRun("ingest", "mine", filepath.Join(out, "flowlogs"), "--format", "json")
	if !strings.Contains(r.stdout, `"refused": 0`) || !strings.Contains(r.stdout, `"shape": "parquet"`) {
		t.Fatalf("ingest of the --out tree:\n%.2000s", r.stdout)
	}
}

// detectionOf is the detection that must find each kind of planted
// incident.
var detectionOf = map[string]string{
	"port-scan":       "port-scan",
	"ssh-brute-force": "ssh-brute-force",
	"ssh-session":     "ssh-brute-force",
	"lateral-ssh":     "lateral-movement",
	"exfiltration":    "exfiltration",
	"rdp-probe":       "ssh-brute-force",
	"database-probe":  "sensitive-port-probe",
	"beacon":          "beaconing",
	"long-connection": "long-connection",
	"intel-listed":    "intel-match",
	"host-sweep":      "host-sweep",
}

// TestDemoTriage: the demo runs triage, and every planted incident comes
// out as a finding of its detection about the incident's peer.
func TestDemoTriage(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("demo", "--records", "20000")
	if !strings.Contains(r.stdout, "Triage: ") {
		t.Fatalf("the demo did not triage:\n%s", r.stdout)
	}
	var list struct {
		Findings []struct {
			ID        string `json:"id"`
			Severity  string `json:"severity"`
			Detection string `json:"detection"`
			Subjects  struct {
				Addresses []string `json:"addresses"`
			} `json:"subjects"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("finding", "list", "demo", "--format", "json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	_, incidents, _ := strings.Cut(r.stdout, "Planted incidents (UTC):\n")
	incidents, _, _ = strings.Cut(incidents, "\n\n")
	n := 0
	planted := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(incidents), "\n") {
		fields := strings.Fields(line) // date time name peer
		if len(fields) != 4 {
			t.Fatalf("incident line %q", line)
		}
		name, peer := fields[2], fields[3]
		planted[peer] = true
		det, ok := detectionOf[name]
		if !ok {
			t.Errorf("no detection is known for the planted %s", name)
			continue
		}
		n++
		found := false
		for _, f := range list.Findings {
			found = found || f.Detection == det && slices.Contains(f.Subjects.Addresses, peer)
		}
		if !found {
			t.Errorf("the planted %s of %s is not a finding of %s", name, peer, det)
		}
	}
	if n < 11 {
		t.Fatalf("%d planted incidents read from:\n%s", n, r.stdout)
	}
	// The busy legitimate services (NTP polls, the metrics agent's posts
	// every minute, the nightly S3 backup, the load balancer's health checks,
	// admin SSH) are no finding of the detections that look for their kind:
	// every finding of those is about a planted incident's peer. (At this
	// size an admin's SSH may be seen once, a medium lateral-movement
	// finding worth a look; a high one is after a compromise signal.)
	for _, f := range list.Findings {
		switch {
		case f.Detection == "lateral-movement" && f.Severity != "high":
		case slices.Contains([]string{"beaconing", "exfiltration", "long-connection", "host-sweep", "lateral-movement", "intel-match"}, f.Detection):
			if !slices.ContainsFunc(f.Subjects.Addresses, func(a string) bool { return planted[a] }) {
				t.Errorf("%s %s is about %v, none of them a planted incident's peer", f.Detection, f.ID, f.Subjects.Addresses)
			}
		}
	}
	// Triage again adds nothing.
	before := len(list.Findings)
	r = c.mustRun("triage", "demo", "--format", "json")
	var again struct {
		Findings []json.RawMessage `json:"findings"`
		Runs     []struct {
			New int `json:"new"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &again); err != nil || len(again.Findings) != before {
		t.Fatalf("second triage: %v, %d findings, had %d", err, len(again.Findings), before)
	}
	for _, run := range again.Runs {
		if run.New != 0 {
			t.Fatalf("second triage made new findings: %s", r.stdout)
		}
	}
}
