package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8000", ":8000", "192.0.2.1:80", "example.com:80"} {
		t.Run(addr, func(t *testing.T) {
			var out, errw bytes.Buffer
			code := run(context.Background(), []string{"--cases", t.TempDir(), "serve", "--addr", addr}, &out, &errw)
			if code != exitUsage || !strings.Contains(errw.String(), "--token") {
				t.Errorf("exit %d, stderr %q", code, errw.String())
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:8000", "[::1]:8000", "localhost:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") })
	go func() { done <- serve(ctx, ln, h, func(u string) { urls <- u }) }()
	u := <-urls
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Errorf("body %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeTokenForNonLoopback(t *testing.T) {
	var out, errw bytes.Buffer
	if code := run(context.Background(), []string{"--cases", t.TempDir(), "serve", "--addr", "0.0.0.0:0", "--token", "short"}, &out, &errw); code != exitUsage {
		t.Fatalf("a short token: exit %d %q", code, errw.String())
	}
	const token = "0123456789abcdef0123"
	h := requireToken(token, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "workbench") }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(srv.URL + "/"); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get(srv.URL + "/?token=wrong-wrong-wrong-wrong"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d", code)
	}
	if code, body := get(srv.URL + "/cases?token=" + token); code != http.StatusOK || body != "workbench" {
		t.Fatalf("the token: %d %q", code, body)
	}
	if code, _ := get(srv.URL + "/cases"); code != http.StatusOK {
		t.Fatalf("the cookie afterwards: %d", code)
	}
}

// TestServeAlongsideOtherPrograms runs `investigator serve` as its own
// process over a case and, while it serves, ingests into that case from the
// command line and reads it with DuckDB's Node client: the workbench holds
// no case between requests, so both work, and its pages show the new data.
func TestServeAlongsideOtherPrograms(t *testing.T) {
	c := newCLI(t)
	c.run("ingest", "live", writeLogs(t)) // 5 records; its HTML file is refused
	srv := subprocess(t, []string{"INVESTIGATOR_TEST_MAIN=1"}, "--cases", c.cases, "serve", "--addr", "127.0.0.1:0", "--offline")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	base := strings.TrimSuffix(strings.Fields(line)[3], "/")
	page := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
		}
		return string(body)
	}
	records := func() string {
		t.Helper()
		doc := page("/cases/live")
		i := strings.Index(doc, `data-testid="records"`)
		j := strings.Index(doc[i:], `class="value">`) + i + len(`class="value">`)
		return doc[j : j+strings.Index(doc[j:], "<")]
	}
	if got := records(); got != "5" {
		t.Fatalf("overview shows %s records", got)
	}
	page("/cases/live/analyses/ssh-inbound") // a run: the server wrote to the case, then let it go

	more := filepath.Join(t.TempDir(), "more.log")
	os.WriteFile(more, []byte(header+"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.9 10.0.1.10 40000 22 6 1 60 1700000500 1700000560 REJECT OK\n"), 0o644)
	r := c.run("--wait", "5s", "ingest", "live", more)
	if r.code != 0 {
		t.Fatalf("ingest while the workbench serves the case: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := records(); got != "6" {
		t.Errorf("after the ingest the overview shows %s records, want 6", got)
	}

	script, _ := filepath.Abs(filepath.Join("..", "..", "test", "nodeapi", "count.mjs"))
	if _, err := exec.LookPath("node"); err != nil {
		t.Log("node not installed: the Node client's read is not tried")
		return
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "@duckdb", "node-api")); err != nil {
		t.Log("@duckdb/node-api not installed (make nodeapi): the Node client's read is not tried")
		return
	}
	out, err := exec.Command("node", script, filepath.Join(c.cases, "live.duckdb"), "SELECT count(*) FROM flows").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "6" {
		t.Errorf("the Node client while the workbench serves: %v %s", err, out)
	}
}
