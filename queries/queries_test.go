package queries

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/investigator/investigator/store"
)

var update = flag.Bool("update", false, "rewrite manifest.txt")

func emptyCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "q.duckdb"), "q", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEveryAnalysisPreparesAndRuns loads every file strictly, prepares its SQL
// against a freshly migrated case, and runs it with its defaults.
func TestEveryAnalysisPreparesAndRuns(t *testing.T) {
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"beaconing", "cidr-connections", "conversations", "coverage", "coverage-gaps", "exfiltration", "external-dns", "external-inbound",
		"external-outbound", "external-summary", "host-sweep", "intel-match", "lateral-movement", "long-connection", "port-scan", "port-specific",
		"rejected", "sensitive-port-probe", "sensitive-ports", "ssh-brute-force", "ssh-inbound", "ssh-outbound", "ssh-response",
		"top-external", "top-talkers", "traffic-summary", "unusual-protocol"}
	if got := strings.Join(reg.Names(), " "); got != strings.Join(want, " ") {
		t.Fatalf("analyses:\n%s\nwant:\n%s", got, strings.Join(want, " "))
	}
	c := emptyCase(t)
	ctx := context.Background()
	for _, a := range reg.All() {
		t.Run(a.Name, func(t *testing.T) {
			stmt, err := c.DB.PrepareContext(ctx, a.Body)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			stmt.Close()
			given := map[string]string{}
			if p, ok := a.Param("port"); ok && p.Required {
				given["port"] = "443"
			}
			params, err := a.Bind(given, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			r, err := Run(ctx, c, a, params, Options{Program: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rows) != 0 || len(r.Columns) < 3 {
				t.Fatalf("empty case: %d rows, columns %v", len(r.Rows), r.Columns)
			}
			if a.Detection != nil {
				if err := a.Detection.CheckColumns(a.Name, r.Columns); err != nil {
					t.Error(err)
				}
			}
			// Every row says how many records back it; a silence has none.
			for _, col := range []string{"flows"} {
				if a.Name == "coverage-gaps" {
					continue
				}
				found := false
				for _, c := range r.Columns {
					found = found || c.Name == col
				}
				if !found {
					t.Errorf("no %s column", col)
				}
			}
		})
	}
}

// TestManifest fails when an analysis's SQL changes without a version bump.
func TestManifest(t *testing.T) {
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range reg.All() {
		fmt.Fprintf(&b, "%s %d %s\n", a.Name, a.Version, a.SHA256)
	}
	if *update {
		if err := os.WriteFile("manifest.txt", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open("manifest.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recorded := map[string][2]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var name, version, sum string
		fmt.Sscan(sc.Text(), &name, &version, &sum)
		recorded[name] = [2]string{version, sum}
	}
	for _, a := range reg.All() {
		rec, ok := recorded[a.Name]
		switch {
		case !ok:
			t.Errorf("%s is not in manifest.txt: run go test ./queries -run Manifest -update", a.Name)
		case rec[0] == fmt.Sprint(a.Version) && rec[1] != a.SHA256:
			t.Errorf("%s.sql changed but its version is still %d: bump -- version: and run go test ./queries -run Manifest -update", a.Name, a.Version)
		case rec[0] != fmt.Sprint(a.Version):
			t.Errorf("%s is version %d, manifest.txt says %s: run go test ./queries -run Manifest -update", a.Name, a.Version, rec[0])
		}
	}
}

func TestParseAnalysisIsStrict(t *testing.T) {
	ok := "-- name: x\n-- version: 1\n-- param: port INTEGER = 22\nSELECT $port"
	tests := []struct {
		name, text, want string
	}{
		{"valid", ok, ""},
		{"unknown key", "-- name: x\n-- version: 1\n-- author: me\nSELECT 1", `unknown header key "author"`},
		{"duplicate key", "-- name: x\n-- version: 1\n-- version: 2\nSELECT 1", `duplicate "version"`},
		{"no name", "-- version: 1\nSELECT 1", "missing -- name:"},
		{"no version", "-- name: x\nSELECT 1", "missing -- version:"},
		{"bad version", "-- name: x\n-- version: one\nSELECT 1", "positive integer"},
		{"name is not the stem", "-- name: y\n-- version: 1\nSELECT 1", "differs from the file name"},
		{"bad param", "-- name: x\n-- version: 1\n-- param: port\nSELECT $port", "want NAME TYPE"},
		{"bad type", "-- name: x\n-- version: 1\n-- param: port INT\nSELECT $port", "is not one of"},
		{"param twice", "-- name: x\n-- version: 1\n-- param: p INTEGER\n-- param: p INTEGER\nSELECT $p", "declared twice"},
		{"default outside choices", "-- name: x\n-- version: 1\n-- param: o VARCHAR = 'z' [a|b]\nSELECT $o", "not one of its choices"},
		{"no body", "-- name: x\n-- version: 1\n", "no SQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAnalysis("x", tt.text)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDeclaredParamsMatchTheSQL(t *testing.T) {
	for name, text := range map[string]string{
		"undeclared": "-- name: undeclared\n-- version: 1\nSELECT $port",
		"unused":     "-- name: unused\n-- version: 1\n-- param: port INTEGER = 1\nSELECT 1 -- $port in a comment does not count",
	} {
		_, err := load(fstest.MapFS{name + ".sql": {Data: []byte(text)}})
		if err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if got := usedParams("SELECT '$x', $a, $b_2 -- $c\n, $a"); strings.Join(got, ",") != "a,b_2" {
		t.Fatalf("usedParams = %v", got)
	}
}

func TestBind(t *testing.T) {
	a, err := ParseAnalysis("x", "-- name: x\n-- version: 1\n-- param: port INTEGER\n-- param: order VARCHAR = 'flows' [flows|bytes]\n-- param: start TIMESTAMP = null\n-- param: gap INTERVAL = '15m'\nSELECT $port, $order, $start, $gap")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if _, err := a.Bind(map[string]string{}, now); err == nil || !strings.Contains(err.Error(), "needs --port") {
		t.Fatalf("missing required: %v", err)
	}
	for _, bad := range []map[string]string{
		{"port": "ssh"}, {"port": "22", "order": "packets"}, {"port": "22", "colour": "red"}, {"port": "22", "start": "yesterday"}, {"port": "22", "gap": "soon"},
	} {
		if _, err := a.Bind(bad, now); err == nil {
			t.Errorf("%v bound", bad)
		}
	}
	p, err := a.Bind(map[string]string{"port": "22", "start": "1h", "gap": "2h"}, now)
	if err != nil {
		t.Fatal(err)
	}
	c := canonical(p)
	if c["port"] != int64(22) || c["order"] != "flows" || c["start"] != "2026-11-26T11:00:00Z" || c["gap"] != "2h0m0s" {
		t.Fatalf("bound %v", c)
	}
}

// TestRunAll: every job answered in its order, their runs recorded; one
// that fails returns its error and leaves the others' runs recorded.
func TestRunAll(t *testing.T) {
	c := emptyCase(t)
	ctx := context.Background()
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var jobs []Job
	for _, name := range []string{"traffic-summary", "top-talkers", "coverage", "rejected"} {
		a, _ := reg.Get(name)
		params, err := a.Bind(nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, Job{Analysis: a, Params: params})
	}
	broken := jobs[1]
	broken.Analysis.Body = "SELECT * FROM no_such_table"
	res, err := RunAll(ctx, c, []Job{jobs[0], broken, jobs[2], jobs[3]}, Options{Fresh: true, Program: "test"})
	if err == nil || !strings.Contains(err.Error(), "no_such_table") || res != nil {
		t.Fatalf("a broken job: %v, %v", res, err)
	}
	runs, err := Runs(ctx, c)
	if err != nil || len(runs) != 3 {
		t.Fatalf("the three others' runs are kept: %v, %v", runs, err)
	}
	res, err = RunAll(ctx, c, jobs, Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Analysis != jobs[i].Analysis.Name || r.Cached != (i != 1) {
			t.Errorf("result %d: %s cached %v; want %s, stored unless top-talkers", i, r.Analysis, r.Cached, jobs[i].Analysis.Name)
		}
	}
	if runs, _ := Runs(ctx, c); len(runs) != 4 {
		t.Errorf("%d runs, want 4: top-talkers's added", len(runs))
	}
}
