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
	"net/url"
	"os"
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

	shells, missing := duckdbShells()
	for _, m := range missing {
		t.Logf("%s: that Node client's read is not tried", m)
	}
	for _, s := range shells {
		if got, err := s.query(filepath.Join(c.cases, "live.duckdb"), "SELECT count(*) FROM flows"); err != nil || got != "6" {
			t.Errorf("the DuckDB %s Node client while the workbench serves: %v %s", s.release, err, got)
		}
	}
}

// startServe runs `investigator serve ARGS…` in-process until the test ends
// and returns http://127.0.0.1:PORT, PORT the one it printed.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errw bytes.Buffer // read only after run returned
	go func() {
		code := run(ctx, append([]string{"--cases", t.TempDir(), "--home", t.TempDir(), "serve", "--offline"}, args...), pw, &errw)
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve: exit %d\n%s", code, errw.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed nothing: %v", err)
	}
	u, err := url.Parse(strings.Fields(line)[3])
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + u.Port()
}

// TestServeAllowedHost: serve answers its loopback names and each
// --allowed-host, refuses other Host names with 421 (a DNS rebinding
// guard), and with --token checks the Host before the token.
func TestServeAllowedHost(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func(t *testing.T, url, host string) (int, http.Header) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}

	t.Run("loopback", func(t *testing.T) {
		base := startServe(t, "--addr", "127.0.0.1:0", "--allowed-host", "Workbench.Localhost", "--allowed-host", "investigator.test")
		port := strings.TrimPrefix(base, "http://127.0.0.1")
		for _, tc := range []struct {
			host string
			want int
		}{
			{"127.0.0.1" + port, http.StatusOK},
			{"localhost" + port, http.StatusOK},
			{"LOCALHOST", http.StatusOK},
			{"[::1]" + port, http.StatusOK},
			{"workbench.localhost" + port, http.StatusOK},
			{"investigator.test", http.StatusOK},
			{"evil.example" + port, http.StatusMisdirectedRequest},
			{"127.0.0.1.rebind.example" + port, http.StatusMisdirectedRequest},
		} {
			t.Run(tc.host, func(t *testing.T) {
				for _, path := range []string{"/", "/static/app.css"} {
					code, hdr := status(t, base+path, tc.host)
					if code != tc.want {
						t.Errorf("%s: status %d, want %d", path, code, tc.want)
					}
					if hdr.Get("Content-Security-Policy") == "" || hdr.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("%s: no security headers: %v", path, hdr)
					}
				}
			})
		}
	})

	t.Run("beyond loopback with a token", func(t *testing.T) {
		const token = "0123456789abcdef0123"
		base := startServe(t, "--addr", "0.0.0.0:0", "--token", token, "--allowed-host", "bastion.example.internal")
		port := strings.TrimPrefix(base, "http://127.0.0.1")
		for _, tc := range []struct {
			name, host, path string
			want             int
		}{
			{"allowed name, no token", "bastion.example.internal" + port, "/", http.StatusUnauthorized},
			{"allowed name, the token", "bastion.example.internal" + port, "/?token=" + token, http.StatusSeeOther},
			{"address, the token", "127.0.0.1" + port, "/?token=" + token, http.StatusSeeOther},
			{"other name, the token", "evil.example" + port, "/?token=" + token, http.StatusMisdirectedRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, hdr := status(t, base+tc.path, tc.host)
				if code != tc.want {
					t.Errorf("status %d, want %d", code, tc.want)
				}
				if hdr.Get("Content-Security-Policy") == "" || hdr.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("no security headers: %v", hdr)
				}
			})
		}
	})

	t.Run("not a host name", func(t *testing.T) {
		for _, h := range []string{"http://bastion.example", "bastion.example:8000", "*.example", ""} {
			var out, errw bytes.Buffer
			code := run(context.Background(), []string{"--cases", t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--allowed-host", h}, &out, &errw)
			if code != exitUsage || !strings.Contains(errw.String(), "--allowed-host") {
				t.Errorf("%q: exit %d, stderr %q", h, code, errw.String())
			}
		}
	})
}
