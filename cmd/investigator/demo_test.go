package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
