package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/migrations"
	"github.com/investigator/investigator/store"
)

func init() {
	// A helper process that holds a case open for writing until its stdin closes.
	if path := os.Getenv("INVESTIGATOR_TEST_HOLD"); path != "" {
		c, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("holding")
		io.Copy(io.Discard, os.Stdin)
		c.Close()
		os.Exit(0)
	}
}

// subprocess starts this test binary as the investigator command.
func subprocess(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// holdCase makes another process hold the case; release lets it go.
func holdCase(t *testing.T, path string) (pid int, release func()) {
	t.Helper()
	cmd := subprocess(t, []string{"INVESTIGATOR_TEST_HOLD=" + path})
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "holding" {
		t.Fatalf("holder: %q", line)
	}
	released := false
	release = func() {
		if !released {
			released = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

func TestLockedCaseWaitsThenNamesTheHolder(t *testing.T) {
	c := newCLI(t)
	c.mustRun("case", "new", "busy")
	path := filepath.Join(c.cases, "busy.duckdb")
	logs := filepath.Join(t.TempDir(), "a.log")
	os.WriteFile(logs, []byte(header+records), 0o644)

	pid, release := holdCase(t, path)
	for _, args := range [][]string{{"case", "show", "busy"}, {"ingest", "busy", logs}} {
		began := time.Now()
		r := c.run(append([]string{"--wait", "600ms"}, args...)...)
		if r.code != exitLocked {
			t.Fatalf("%v while held: exit %d, want %d\n%s", args, r.code, exitLocked, r.stderr)
		}
		if waited := time.Since(began); waited < 500*time.Millisecond {
			t.Errorf("%v gave up after %v, before --wait", args, waited)
		}
		if !strings.Contains(r.stderr, "in use by process "+strconv.Itoa(pid)) || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%v: message does not name the holder: %q", args, r.stderr)
		}
	}
	r := c.run("case", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "in use by another process") {
		t.Errorf("case list with a held case: %d %q", r.code, r.stdout)
	}

	// A holder that lets go within --wait: the command waits and goes on.
	go func() { time.Sleep(300 * time.Millisecond); release() }()
	r = c.run("--wait", "10s", "ingest", "busy", logs)
	if r.code != 0 || !strings.Contains(r.stdout, "4 records") {
		t.Fatalf("ingest after release: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// bigLog writes n default-format records.
func bigLog(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	for i := range n {
		fmt.Fprintf(w, "2 123456789012 eni-%08x 10.0.%d.%d 198.51.%d.%d %d 443 6 %d %d %d %d ACCEPT OK\n",
			i%7, i%250, i%200, i%100, i%250, 1024+i%60000, 1+i%90, 60+i%9000, 1700000000+i, 1700000060+i)
	}
	w.Flush()
	f.Close()
	return p
}

// TestKilledIngestLeavesConsistentCase kills an ingest in the middle of a
// large file. The case must open, hold no part of the interrupted file, and a
// second run must complete it exactly once.
func TestKilledIngestLeavesConsistentCase(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large file")
	}
	small := filepath.Join(t.TempDir(), "small.log")
	os.WriteFile(small, []byte(header+records), 0o644)
	big := bigLog(t, 600_000)

	// How long the big file takes, to aim the kill at its middle.
	ref := newCLI(t)
	began := time.Now()
	ref.mustRun("ingest", "ref", big)
	took := time.Since(began)

	c := newCLI(t)
	cmd := subprocess(t, []string{"INVESTIGATOR_TEST_MAIN=1"}, "--cases", c.cases, "ingest", "victim", small, big)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(took / 2)
	cmd.Process.Kill()
	cmd.Wait()

	path := filepath.Join(c.cases, "victim.duckdb")
	cs, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("case does not open after the kill: %v", err)
	}
	var orphans, mismatched int
	cs.DB.QueryRow(`SELECT count(*) FROM flows WHERE file_id NOT IN (SELECT id FROM ingest_files)`).Scan(&orphans)
	cs.DB.QueryRow(`SELECT count(*) FROM ingest_files f WHERE records <> (SELECT count(*) FROM flows WHERE file_id = f.id)`).Scan(&mismatched)
	var files int
	cs.DB.QueryRow(`SELECT count(*) FROM ingest_files`).Scan(&files)
	cs.Close()
	if orphans != 0 || mismatched != 0 {
		t.Fatalf("after the kill: %d records of no file, %d files whose records do not match", orphans, mismatched)
	}
	t.Logf("killed after %v (the big file takes %v): %d files had landed", took/2, took, files)

	r := c.mustRun("ingest", "victim", small, big)
	cs, err = store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var n int64
	cs.DB.QueryRow(`SELECT count(*) FROM flows`).Scan(&n)
	if n != 600_000+4 {
		t.Fatalf("after resuming: %d records, want %d\n%s", n, 600_000+4, r.stdout)
	}
}

// duckdbShell is one of DuckDB's Node clients installed in test/nodeapi by
// make nodeapi, standing in for the duckdb shell of its release: "1.4" (the
// LTS, an npm alias) or "1.5".
type duckdbShell struct {
	release string
	script  string // test/nodeapi/count.mjs
}

// duckdbShellReleases are the shells whose readers a case file must have.
var duckdbShellReleases = map[string]string{ // release: its package folder under node_modules
	"1.4": "duckdb-node-api-1.4",
	"1.5": filepath.Join("@duckdb", "node-api"),
}

// duckdbShells returns the clients that can run here, in release order, and
// why any other cannot (node or the client not installed).
func duckdbShells() (shells []duckdbShell, missing []string) {
	script, _ := filepath.Abs(filepath.Join("..", "..", "test", "nodeapi", "count.mjs"))
	if _, err := exec.LookPath("node"); err != nil {
		return nil, []string{"node not installed"}
	}
	for _, release := range []string{"1.4", "1.5"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", duckdbShellReleases[release])); err != nil {
			missing = append(missing, "@duckdb/node-api "+release+" not installed: run make nodeapi (make test does)")
			continue
		}
		shells = append(shells, duckdbShell{release: release, script: script})
	}
	return shells, missing
}

// version is the DuckDB library version the client runs, e.g. v1.4.4.
func (s duckdbShell) version() (string, error) {
	out, err := exec.Command("node", s.script, "--client", s.release, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("node count.mjs --client %s --version: %v\n%s", s.release, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// query opens path read-only and returns the first column of the first row of q.
func (s duckdbShell) query(path, q string) (string, error) {
	out, err := exec.Command("node", s.script, "--client", s.release, path, q).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("node (DuckDB %s) %s: %v\n%s", s.release, q, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// TestDuckDBShellReadsTheCase opens a case written by the binary with DuckDB's
// Node clients of the 1.4 LTS and of 1.5 (read-only), which stand in for those
// releases' duckdb shells here: StorageVersion must keep both able to read it.
func TestDuckDBShellReadsTheCase(t *testing.T) {
	shells, missing := duckdbShells()
	if len(shells) == 0 {
		t.Skip(strings.Join(missing, "; "))
	}
	c := newCLI(t)
	logs := writeLogs(t)
	c.run("ingest", "shell", logs)
	path := filepath.Join(c.cases, "shell.duckdb")
	for _, release := range []string{"1.4", "1.5"} {
		t.Run("duckdb-"+release, func(t *testing.T) {
			i := slices.IndexFunc(shells, func(s duckdbShell) bool { return s.release == release })
			if i < 0 {
				t.Skip(strings.Join(missing, "; "))
			}
			s := shells[i]
			v, err := s.version()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v, "v"+release+".") {
				t.Fatalf("the %s client runs DuckDB %s", release, v)
			}
			for q, want := range map[string]string{
				"SELECT count(*) FROM flows":                                        "5",
				"SELECT count(*) FROM flows WHERE action = 'REJECT'":                "1",
				"SELECT max(\"end\")::VARCHAR FROM flows":                           "2023-11-14 22:19:20",
				"SELECT count(*) FROM vpc_cidrs":                                    "0",
				"SELECT max(version) FROM schema_migrations":                        fmt.Sprint(migrations.Latest()),
				"SELECT count(*) FROM flows WHERE extra IS NULL AND tgw_id IS NULL": "5",
				// The macro ingest pairs conversations with runs in the shell too.
				`SELECT ((SELECT count(*) FROM case_conversations) > 0 AND (SELECT count(*) FROM case_conversations) =
					(SELECT count(*) FROM conversation_hours(TIMESTAMP '2000-01-01', TIMESTAMP '2100-01-01')))::VARCHAR`: "true",
			} {
				got, err := s.query(path, q)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("DuckDB %s: %s = %s, want %s", v, q, got, want)
				}
			}
		})
	}
}
