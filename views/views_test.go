package views

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

var flowLines = []string{
	"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 203.0.113.9 443 50000 6 20 4000 1700000000 1700000060 ACCEPT OK",
	"2 123456789012 <script>alert(1)</script> 203.0.113.9 10.0.1.10 50000 443 6 5 300 1700000100 1700000160 ACCEPT OK",
}

// newServer makes a cases folder holding case "demo" with a few records and
// returns the workbench over it.
func newServer(t *testing.T) *echo.Echo {
	t.Helper()
	return newServerWith(t, flowLines)
}

// newServerWith is newServer with the given flow-log lines.
func newServerWith(t *testing.T, lines []string) *echo.Echo {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := store.Create(ctx, filepath.Join(dir, "demo"+store.Ext), "demo", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(log, []byte(header+"\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.Begin(ctx, c, ingest.Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if r := in.File(ctx, log); r.Error != "" {
		t.Fatal(r.Error)
	}
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{CasesDir: dir, Program: "test", Now: func() time.Time { return time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type response struct {
	code int
	hdr  http.Header
	body string
	doc  *goquery.Document
}

func do(t *testing.T, e *echo.Echo, req *http.Request) response {
	t.Helper()
	if req.Host == "example.com" { // httptest's default, not a name the workbench answers
		req.Host = "localhost"
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return response{code: rec.Code, hdr: rec.Header(), body: rec.Body.String(), doc: doc}
}

func get(t *testing.T, e *echo.Echo, target string) response {
	t.Helper()
	return do(t, e, httptest.NewRequest(http.MethodGet, target, nil))
}

func post(t *testing.T, e *echo.Echo, target string, form url.Values, hdr map[string]string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, e, req)
}

func text(r response, sel string) string { return strings.TrimSpace(r.doc.Find(sel).First().Text()) }

func TestPages(t *testing.T) {
	e := newServer(t)

	t.Run("cases list", func(t *testing.T) {
		r := get(t, e, "/")
		if r.code != http.StatusOK {
			t.Fatalf("status %d", r.code)
		}
		row := r.doc.Find(`[data-testid="case-row"][data-case="demo"]`)
		if row.Length() != 1 {
			t.Fatalf("no row for demo:\n%s", r.body)
		}
		if href, _ := row.Find(`[data-testid="case-link"]`).Attr("href"); href != "/cases/demo" {
			t.Errorf("link %q", href)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="case-records"]`).Text()); got != "3" {
			t.Errorf("records %q", got)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="case-focus"]`).Text()); got != "-" {
			t.Errorf("focus %q", got)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="case-last-ingest"]`).Text()); len(got) != len("2006-01-02 15:04:05") {
			t.Errorf("last ingest %q", got)
		}
		if v := r.hdr.Get("Vary"); v != "HX-Request" {
			t.Errorf("Vary %q", v)
		}
	})

	t.Run("overview", func(t *testing.T) {
		r := get(t, e, "/cases/demo")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if got := text(r, `[data-testid="records"] .value`); got != "3" {
			t.Errorf("records %q", got)
		}
		if got := text(r, `[data-testid="rejected"] .value`); got != "1" {
			t.Errorf("rejected %q", got)
		}
		if got := text(r, `[data-testid="peers"] .value`); got != "3" {
			t.Errorf("peers %q", got)
		}
		if got := text(r, `[data-testid="gaps"] .value`); got != "none over 15m" {
			t.Errorf("gaps %q", got)
		}
		if href, _ := r.doc.Find(`[data-testid="gaps"]`).Attr("href"); href != "/cases/demo/analyses/coverage" {
			t.Errorf("gaps link %q", href)
		}
		if n := r.doc.Find(`[data-testid="file-row"]`).Length(); n != 1 {
			t.Errorf("%d file rows", n)
		}
		if r.doc.Find(`[data-testid="analysis"][data-name="traffic-summary"] a`).Length() != 1 {
			t.Error("no link to traffic-summary")
		}
	})

	t.Run("analyses list", func(t *testing.T) {
		r := get(t, e, "/cases/demo/analyses")
		if r.code != http.StatusOK {
			t.Fatalf("status %d", r.code)
		}
		a := r.doc.Find(`[data-testid="analysis"][data-name="ssh-inbound"]`)
		if a.Length() != 1 || !strings.Contains(a.Text(), "v") {
			t.Fatalf("no ssh-inbound:\n%s", r.body)
		}
		if href, _ := a.Find("a").Attr("href"); href != "/cases/demo/analyses/ssh-inbound" {
			t.Errorf("href %q", href)
		}
	})

	t.Run("static", func(t *testing.T) {
		for _, p := range []string{"/static/htmx.min.js", "/static/app.css", "/static/theme.js"} {
			if r := get(t, e, p); r.code != http.StatusOK || len(r.body) == 0 {
				t.Errorf("%s: %d", p, r.code)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	e := newServer(t)
	for _, target := range []string{
		"/cases/nope",
		"/cases/..%2Fetc",
		"/cases/../etc",
		"/cases/demo.duckdb",
		"/cases/%2Fetc%2Fpasswd",
		"/cases/nope/analyses",
		"/cases/demo/analyses/nope",
		"/cases/..%2F..%2Fetc/analyses/traffic-summary",
		"/nothing-here",
	} {
		t.Run(target, func(t *testing.T) {
			r := get(t, e, target)
			if r.code != http.StatusNotFound {
				t.Fatalf("status %d, want 404:\n%s", r.code, r.body)
			}
			if r.doc.Find(`[data-testid="error"]`).Length() != 1 {
				t.Errorf("no error page:\n%s", r.body)
			}
		})
	}
}

func TestBadParams(t *testing.T) {
	e := newServer(t)
	r := get(t, e, "/cases/demo/analyses/traffic-summary?limit=%3Cb%3Eten%3C%2Fb%3E")
	if r.code != http.StatusBadRequest {
		t.Fatalf("status %d:\n%s", r.code, r.body)
	}
	msg := text(r, `[data-testid="param-error"]`)
	if !strings.Contains(msg, "limit") || !strings.Contains(msg, "<b>ten</b>") {
		t.Errorf("message %q", msg)
	}
	if strings.Contains(r.body, "<b>ten</b>") {
		t.Error("markup from the request is not escaped")
	}
}

func TestAnalysis(t *testing.T) {
	e := newServer(t)
	const target = "/cases/demo/analyses/traffic-summary"

	first := get(t, e, target)
	if first.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", first.code, first.body)
	}
	runID := text(first, `[data-testid="run-id"]`)
	if runID == "" {
		t.Fatalf("no run id:\n%s", first.body)
	}
	if first.doc.Find(`[data-testid="result-row"]`).Length() == 0 {
		t.Error("no result rows")
	}
	if first.doc.Find(`[data-testid="params"] input[name="limit"]`).Length() != 1 {
		t.Error("no limit field")
	}

	t.Run("stored result shown again", func(t *testing.T) {
		r := get(t, e, target)
		if got := text(r, `[data-testid="run-id"]`); got != runID {
			t.Errorf("run id %q, want the stored %q", got, runID)
		}
		if !strings.Contains(text(r, `[data-testid="result"] .meta`), "stored result") {
			t.Errorf("not marked as stored: %q", text(r, `[data-testid="result"] .meta`))
		}
	})

	t.Run("run again with htmx returns the fragment", func(t *testing.T) {
		r := post(t, e, target, url.Values{"limit": {"5"}}, map[string]string{"HX-Request": "true", "Origin": "http://localhost"})
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if strings.Contains(r.body, "<html") || r.doc.Find("header").Length() != 0 {
			t.Errorf("got a full page:\n%s", r.body)
		}
		got := text(r, `#result[data-testid="result"] [data-testid="run-id"]`)
		if got == "" || got == runID {
			t.Errorf("run id %q, want a new one (old %q)", got, runID)
		}
	})

	t.Run("run again without htmx returns the page", func(t *testing.T) {
		r := post(t, e, target, url.Values{}, nil)
		if r.code != http.StatusOK || r.doc.Find("header").Length() != 1 || text(r, `[data-testid="run-id"]`) == runID {
			t.Errorf("status %d, want a full page with a new run:\n%s", r.code, r.body)
		}
	})

	t.Run("history restore gets the page", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-History-Restore-Request", "true")
		if r := do(t, e, req); r.doc.Find("header").Length() != 1 {
			t.Errorf("history restore got a fragment:\n%s", r.body)
		}
	})

	t.Run("foreign origin refused", func(t *testing.T) {
		for _, hdr := range []map[string]string{
			{"Origin": "http://evil.example"},
			{"Sec-Fetch-Site": "cross-site"},
		} {
			r := post(t, e, target, url.Values{}, hdr)
			if r.code != http.StatusForbidden {
				t.Errorf("%v: status %d, want 403", hdr, r.code)
			}
		}
	})
}

func TestMarkupEscaped(t *testing.T) {
	e := newServer(t)
	r := get(t, e, "/cases/demo/analyses/coverage")
	if r.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.code, r.body)
	}
	if strings.Contains(r.body, "<script>alert(1)</script>") {
		t.Fatal("flow-log field rendered as markup")
	}
	if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the interface id is not shown escaped:\n%s", r.body)
	}
	found := false
	r.doc.Find(`[data-testid="result-row"] td`).Each(func(_ int, s *goquery.Selection) {
		found = found || s.Text() == "<script>alert(1)</script>"
	})
	if !found {
		t.Error("no cell with the interface id as text")
	}
}

// TestCoverageGaps: two hours without a record is one gap, named with its
// length.
func TestCoverageGaps(t *testing.T) {
	e := newServerWith(t, []string{
		"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49153 22 6 10 840 1700000100 1700000160 REJECT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.8 10.0.1.10 49154 22 6 10 840 1700007360 1700007420 REJECT OK",
	})
	r := get(t, e, "/cases/demo")
	if got := text(r, `[data-testid="gaps"] .value`); got != "1 over 15m (longest 2h)" {
		t.Errorf("gaps %q", got)
	}
}

// TestCoverageGapsPerInterface: gaps are counted per interface, as the
// coverage analysis counts them. The two interfaces' records interleave, so
// the case as a whole is never silent for 15 minutes; each interface is.
func TestCoverageGapsPerInterface(t *testing.T) {
	lines := []string{
		"2 123456789012 eni-a 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK", // a: 0m
		"2 123456789012 eni-b 198.51.100.7 10.0.1.10 49153 22 6 10 840 1700000600 1700000660 REJECT OK", // b: 10m
		"2 123456789012 eni-b 198.51.100.7 10.0.1.10 49154 22 6 10 840 1700001200 1700001260 REJECT OK", // b: 20m
		"2 123456789012 eni-a 198.51.100.7 10.0.1.10 49155 22 6 10 840 1700001800 1700001860 REJECT OK", // a: 30m, 29m after
		"2 123456789012 eni-b 198.51.100.7 10.0.1.10 49156 22 6 10 840 1700002400 1700002460 REJECT OK", // b: 40m, 19m after
	}
	e := newServerWith(t, lines)
	r := get(t, e, "/cases/demo")
	if got := text(r, `[data-testid="gaps"] .value`); got != "2 over 15m (longest 29m)" {
		t.Errorf("gaps %q", got)
	}

	t.Run("the gap is the coverage analysis's", func(t *testing.T) {
		c, err := store.Open(context.Background(), filepath.Join(casesDir(t, e), "demo"+store.Ext), store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		o, err := queries.Overview(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if o.Gaps != 2 || gapsText(o) != "2 over 15m (longest 29m)" {
			t.Errorf("queries.Overview: gap %s, %d gaps; the overview says %q", o.Gap, o.Gaps, gapsText(o))
		}
	})

	t.Run("a focus needs the derived tables", func(t *testing.T) {
		dir := casesDir(t, e)
		c, err := store.Open(context.Background(), filepath.Join(dir, "demo"+store.Ext), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddFocus(context.Background(), []store.FocusIP{{Addr: netip.MustParseAddr("10.0.1.10"), Source: "test"}}); err != nil {
			t.Fatal(err)
		}
		c.Close()
		r := get(t, e, "/cases/demo")
		if got := text(r, `[data-testid="gaps"] .value`); got != "not counted until the derived tables are rebuilt" {
			t.Errorf("stale: gaps %q", got)
		}
		if r := post(t, e, "/cases/demo/prepare", url.Values{"next": {"/cases/demo"}}, nil); r.code != http.StatusSeeOther {
			t.Fatalf("prepare: status %d", r.code)
		}
		r = get(t, e, "/cases/demo")
		if got := text(r, `[data-testid="gaps"] .value`); got != "2 over 15m (longest 29m)" {
			t.Errorf("rebuilt: gaps %q", got)
		}
	})
}
