package views

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserReportsCSPViolations checks the browser harness: a page the
// workbench's content security policy refuses part of is a page problem, so
// the browser tests fail on one. Among them, htmx as configured by default,
// which injects its indicator styles inline (the layout turns that off).
func TestBrowserReportsCSPViolations(t *testing.T) {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"/inline-script": `<script>window.ranInline = true</script><p>x</p>`,
		"/inline-style":  `<p style="color: red">x</p>`,
		"/style-element": `<style>p { color: red }</style><p>x</p>`,
		"/htmx-default":  `<script src="/static/htmx.min.js"></script><p>x</p>`,
		"/hx-on":         `<meta name="htmx-config" content='{"allowEval":false,"includeIndicatorStyles":false}'><script src="/static/htmx.min.js"></script><button id="b" hx-on:click="window.ranInline = true">x</button>`,
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><html><head><title>csp</title></head><body>"+pages[r.URL.Path]+"</body></html>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	for _, path := range []string{"/inline-script", "/inline-style", "/style-element", "/htmx-default", "/hx-on"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			b.problems.mu.Lock()
			b.problems.list = nil
			b.problems.mu.Unlock()
			sctx, cancel := b.stepCtx()
			defer cancel()
			steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + path), poll(`document.readyState === "complete"`)}
			if path == "/hx-on" {
				steps = append(steps, poll(`!!window.htmx`), chromedp.Click(chromedp.CSS(`#b`)))
			}
			if err := chromedp.Do(sctx, steps...); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				ps := strings.Join(b.problems.all(), "\n")
				if strings.Contains(ps, "Content Security Policy") || path == "/hx-on" && strings.Contains(ps, "evalDisallowedError") {
					t.Logf("reported: %s", ps)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no CSP violation reported; problems: %q", ps)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if ran, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`!!window.ranInline`)); err != nil || ran {
				t.Errorf("the inline code ran (%v, %v)", ran, err)
			}
		})
	}
}
