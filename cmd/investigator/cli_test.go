package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain lets tests run the real command as a separate process: the test
// binary re-executed with INVESTIGATOR_TEST_MAIN=1 is the investigator binary.
func TestMain(m *testing.M) {
	if os.Getenv("INVESTIGATOR_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command in-process with a fresh cases folder and home per test.
type cli struct {
	t     *testing.T
	cases string
	home  string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, cases: t.TempDir(), home: t.TempDir()}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	global := []string{"--cases", c.cases}
	if c.home != "" {
		global = append(global, "--home", c.home)
	}
	code := run(context.Background(), append(global, args...), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (c *cli) mustRun(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("investigator %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

var (
	secondsRE = regexp.MustCompile(`in \d+\.\ds`)
	sizeRE    = regexp.MustCompile(`\d+(\.\d)? (?:[KMGT]i)?B\b`)
)

// normalize replaces what changes from run to run: folders, today's times, durations, sizes.
func (c *cli) normalize(s string, dirs ...string) string {
	for _, d := range append(dirs, c.cases) {
		s = strings.ReplaceAll(s, d, "$DIR")
	}
	today := time.Now().UTC().Format("2006-01-02")
	s = regexp.MustCompile(today+` \d\d:\d\d:\d\d`).ReplaceAllString(s, "<now>")
	s = regexp.MustCompile(today+`T[0-9:.]+Z`).ReplaceAllString(s, "<now>")
	s = secondsRE.ReplaceAllString(s, "in <t>s")
	s = sizeRE.ReplaceAllString(s, "<size>")
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file (go test ./cmd/investigator -update to accept):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

const records = `2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK
2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 203.0.113.9 443 50000 6 20 16800 1700000060 1700000120 ACCEPT OK
2 123456789012 eni-0a1b2c3d4e5f60001 - - - - - - - 1700000120 1700000180 - NODATA
2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 198.51.100.7 22 49152 6 2 120 1700000180 1700000240 ACCEPT OK
`

func writeLogs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sub := filepath.Join(dir, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2023", "11", "14")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "a.log"), []byte(header+records), 0o644)
	os.WriteFile(filepath.Join(sub, "b.log"), []byte(header+
		"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 10.0.2.20 40000 5432 6 5 500 1700000300 1700000360 ACCEPT OK\n"+
		"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 10.0.2.20 40000 5432 6 5 500 1700000300 1700000360 MAYBE OK\n"), 0o644)
	os.WriteFile(filepath.Join(sub, "notes.html"), []byte("<html>AccessDenied</html>"), 0o644)
	return dir
}

func TestCaseLifecycle(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("case", "new", "incident-42", "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16", "--description", "SSH brute force on the web server")
	golden(t, "case-new", c.normalize(r.stdout))

	r = c.run("case", "new", "incident-42")
	if r.code != exitFail || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("second case new: %d %q", r.code, r.stderr)
	}
	for _, bad := range [][]string{
		{"case", "new", "../escape"},
		{"case", "new", "x", "--instance-ip", "10.0.0.300"},
		{"case", "new", "x", "--vpc-cidr", "10.0.0.1/16"},
		{"ingest", "x", "y", "--start", "2h", "--end", "3h"},
		{"ingest", "x", "y", "--log-format", "${version} ${colour}"},
		{"case", "show"},
		{"ingest", "incident-42"},
		{"frobnicate"},
		{"case", "frobnicate"},
		{"case", "list", "--no-such-flag"},
		{"case", "new", "x", "--instance-id", "i-xyz", "--no-discover"},
		{"analyze", "incident-42", "--analysis", "ssh-inbound", "--start", "2026-11-22", "--end", "2026-11-21"},
	} {
		r := c.run(bad...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--help") {
			t.Errorf("investigator %s: exit %d, want %d (stderr %q)", strings.Join(bad, " "), r.code, exitUsage, r.stderr)
		}
	}
	// The same words as the workbench's: the one validation in store.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"case", "new", "x", "--vpc-cidr", "10.0.0.1/16"}, `"10.0.0.1/16" has host bits set; did you mean 10.0.0.0/16?`},
		{[]string{"case", "new", "x", "--instance-id", "i-xyz", "--no-discover"}, `"i-xyz" is not an EC2 instance id`},
		{[]string{"case", "frobnicate"}, `unknown command "frobnicate" for "investigator case"`},
		{[]string{"analyze", "incident-42", "--analysis", "ssh-inbound", "--start", "2026-11-22", "--end", "2026-11-21"}, "must be before the end"},
	} {
		if r := c.run(tc.args...); !strings.Contains(r.stderr, tc.want) {
			t.Errorf("investigator %s: stderr %q, want %q", strings.Join(tc.args, " "), r.stderr, tc.want)
		}
	}

	logs := writeLogs(t)
	r = c.run("ingest", "incident-42", logs)
	if r.code != exitFail {
		t.Fatalf("ingest with a refused file: exit %d, want %d", r.code, exitFail)
	}
	golden(t, "ingest", c.normalize(r.stdout+r.stderr, logs))

	r = c.run("ingest", "incident-42", filepath.Join(logs, "AWSLogs", "*", "*", "*", "*", "*", "*", "*.log"))
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested") {
		t.Fatalf("re-ingest: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = c.mustRun("case", "show", "incident-42")
	golden(t, "case-show", c.normalize(r.stdout, logs))
	r = c.mustRun("case", "list")
	golden(t, "case-list", c.normalize(r.stdout, logs))

	r = c.mustRun("case", "show", "incident-42", "--format", "json")
	for _, want := range []string{`"records": 5`, `"cidr": "10.0.0.0/16"`, `"rejected_lines": 1`, `"shape": "text-header"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("case show --format json lacks %s:\n%s", want, r.stdout)
		}
	}
	r = c.run("case", "show", "nope")
	if r.code != exitFail || !strings.Contains(r.stderr, "case new nope") {
		t.Fatalf("show missing case: %d %q", r.code, r.stderr)
	}
}

func TestIngestCreatesCaseAndStrict(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	os.WriteFile(p, []byte(header+records+"2 bad line\n"), 0o644)
	r := c.run("ingest", "fresh", p, "--strict", "--format", "json")
	if r.code != exitFail || !strings.Contains(r.stderr, "--strict") {
		t.Fatalf("strict: exit %d %q", r.code, r.stderr)
	}
	for _, want := range []string{`"created": true`, `"records": 4`, `"rejected_lines": 1`, `"status": "loaded"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("json summary lacks %s:\n%s", want, r.stdout)
		}
	}
}
