package views

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/investigator/investigator/queries"
)

func TestSQLConsole(t *testing.T) {
	e := newServer(t)
	const target = "/cases/demo/sql"
	htmx := map[string]string{"HX-Request": "true"}
	run := func(t *testing.T, query string) response {
		t.Helper()
		r := post(t, e, target, url.Values{"query": {query}}, htmx)
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if r.doc.Find("header").Length() != 0 {
			t.Fatalf("got a full page:\n%s", r.body)
		}
		return r
	}
	records := func(t *testing.T) string {
		t.Helper()
		return text(run(t, "SELECT count(*) AS n FROM flow_records"), `[data-testid="result-row"] td`)
	}

	t.Run("form", func(t *testing.T) {
		r := get(t, e, target)
		if r.code != http.StatusOK || r.doc.Find(`[data-testid="sql-form"] textarea[name="query"]`).Length() != 1 {
			t.Fatalf("status %d, no form:\n%s", r.code, r.body)
		}
		shell := text(r, `[data-testid="sql-shell"]`)
		path := strings.TrimPrefix(shell, "duckdb -readonly ")
		if path == shell || !filepath.IsAbs(path) || !strings.HasSuffix(path, "demo.duckdb") {
			t.Errorf("shell line %q", shell)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("shell line names no file: %v", err)
		}
	})

	t.Run("select", func(t *testing.T) {
		r := run(t, "SELECT srcaddr, '<i>x</i>' AS m FROM flow_records ORDER BY srcaddr")
		if n := r.doc.Find(`[data-testid="result-row"]`).Length(); n != 3 {
			t.Fatalf("%d rows:\n%s", n, r.body)
		}
		if strings.Contains(r.body, "<i>x</i>") {
			t.Error("cell rendered as markup")
		}
		if r.doc.Find(`[data-testid="sql-error"]`).Length() != 0 {
			t.Errorf("error:\n%s", r.body)
		}
	})

	t.Run("row cap", func(t *testing.T) {
		r := run(t, "SELECT * FROM range(1500)")
		if n := r.doc.Find(`[data-testid="result-row"]`).Length(); n != sqlMaxRows {
			t.Errorf("%d rows", n)
		}
		if r.doc.Find(`[data-testid="sql-truncated"]`).Length() != 1 {
			t.Errorf("not marked truncated:\n%.2000s", r.body)
		}
	})

	t.Run("without htmx the page", func(t *testing.T) {
		r := post(t, e, target, url.Values{"query": {"SELECT 42 AS answer"}}, nil)
		if r.code != http.StatusOK || r.doc.Find("header").Length() != 1 || text(r, `[data-testid="result-row"] td`) != "42" {
			t.Errorf("status %d:\n%s", r.code, r.body)
		}
		if got := text(r, `[data-testid="sql-query"]`); got != "SELECT 42 AS answer" {
			t.Errorf("query kept as %q", got)
		}
	})

	before := records(t)
	if before != "3" {
		t.Fatalf("records %q", before)
	}
	for _, tc := range []struct{ name, query, want string }{
		{"delete", "DELETE FROM flow_records", "read-only"},
		{"read file", "SELECT * FROM read_csv('/etc/passwd')", ""},
		{"attach", "ATTACH '" + filepath.Join(t.TempDir(), "x.duckdb") + "'", ""},
		{"external access back on", "SET enable_external_access = true", ""},
		{"unlock", "SET lock_configuration = false", ""},
		{"unlock in a batch", "SET lock_configuration = false; SET enable_external_access = true; SELECT * FROM read_csv('/etc/passwd')", ""},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			r := run(t, tc.query)
			msg := text(r, `[data-testid="sql-error"]`)
			if msg == "" {
				t.Fatalf("not refused:\n%s", r.body)
			}
			if tc.want != "" && !strings.Contains(strings.ToLower(msg), tc.want) {
				t.Errorf("error %q, want %q", msg, tc.want)
			}
			if strings.Contains(r.body, "root:") {
				t.Error("file contents shown")
			}
			t.Logf("%s: %s", tc.name, msg)
		})
	}
	if after := records(t); after != before {
		t.Errorf("records %q after, %q before", after, before)
	}

	t.Run("foreign origin refused", func(t *testing.T) {
		for _, hdr := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
			if r := post(t, e, target, url.Values{"query": {"SELECT 1"}}, hdr); r.code != http.StatusForbidden {
				t.Errorf("%v: status %d, want 403", hdr, r.code)
			}
		}
	})

	t.Run("unknown case", func(t *testing.T) {
		if r := get(t, e, "/cases/nope/sql"); r.code != http.StatusNotFound {
			t.Errorf("status %d", r.code)
		}
		if r := post(t, e, "/cases/..%2Fetc/sql", url.Values{"query": {"SELECT 1"}}, nil); r.code != http.StatusNotFound {
			t.Errorf("status %d", r.code)
		}
	})

	t.Run("csv foreign origin refused", func(t *testing.T) {
		if r := post(t, e, target+"/result.csv", url.Values{"query": {"SELECT 1"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); r.code != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.code)
		}
	})
}

// TestSQLConsoleAids: the console shows the case's schema, offers example
// statements that fill the editor, and keeps the statements run.
func TestSQLConsoleAids(t *testing.T) {
	e := newServer(t)
	const target = "/cases/demo/sql"
	htmx := map[string]string{"HX-Request": "true"}

	t.Run("schema", func(t *testing.T) {
		r := get(t, e, target)
		// flows first, where an analyst starts.
		if first := r.doc.Find(`[data-testid="schema-table"]`).First().AttrOr("data-name", ""); first != "flows" {
			t.Errorf("the schema starts with %q", first)
		}
		flows := r.doc.Find(`[data-testid="schema-table"][data-name="flows"]`)
		if flows.Length() != 1 {
			t.Fatalf("no flows in the schema:\n%s", r.body)
		}
		if _, open := flows.Attr("open"); !open {
			t.Error("flows is not open")
		}
		var cols []string
		flows.Find(`[data-testid="schema-column"]`).Each(func(_ int, s *goquery.Selection) {
			cols = append(cols, s.Find("td").First().Text()+" "+s.Find("td").Last().Text())
		})
		for _, want := range []string{"srcaddr VARCHAR", "bytes BIGINT", "start TIMESTAMP"} {
			if !slices.Contains(cols, want) {
				t.Errorf("flows has no column %q: %v", want, cols)
			}
		}
		if got := strings.Join(strings.Fields(flows.Find("summary").Text()), " "); !strings.HasPrefix(got, "flows view · ") {
			t.Errorf("flows summary %q", got)
		}
		for _, name := range []string{"case_flows", "address_info", "findings", "whois"} {
			if r.doc.Find(`[data-testid="schema-table"][data-name="`+name+`"]`).Length() != 1 {
				t.Errorf("no %s in the schema", name)
			}
		}
	})

	t.Run("examples", func(t *testing.T) {
		r := get(t, e, target)
		links := r.doc.Find(`[data-testid="sql-example"]`)
		if links.Length() != len(queries.Examples()) {
			t.Fatalf("%d example links", links.Length())
		}
		for _, ex := range queries.Examples() {
			a := r.doc.Find(`[data-testid="sql-example"][data-name="` + ex.Name + `"]`)
			href, _ := a.Attr("href")
			hx, _ := a.Attr("hx-get")
			if href != target+"?example="+ex.Name || hx != href || a.AttrOr("hx-target", "") != "#sql-editor" {
				t.Errorf("%s: href %q, hx-get %q", ex.Name, href, hx)
			}
			// Without script, the link opens the page with the editor filled;
			// with htmx, it gets the editor alone.
			if got := text(get(t, e, href), `[data-testid="sql-query"]`); got != ex.SQL {
				t.Errorf("%s: the editor holds %q", ex.Name, got)
			}
			f := do(t, e, withHeaders(httptest.NewRequest(http.MethodGet, href, nil), htmx))
			if f.code != http.StatusOK || f.doc.Find("header").Length() != 0 || f.doc.Find(`form#sql-editor [data-testid="sql-query"]`).Length() != 1 {
				t.Fatalf("%s: status %d, not the editor alone:\n%s", ex.Name, f.code, f.body)
			}
			if got := text(f, `[data-testid="sql-query"]`); got != ex.SQL {
				t.Errorf("%s: the fragment's editor holds %q", ex.Name, got)
			}
			// And every example runs on the case.
			run := post(t, e, target, url.Values{"query": {ex.SQL}}, htmx)
			if msg := text(run, `[data-testid="sql-error"]`); msg != "" {
				t.Errorf("%s: %s", ex.Name, msg)
			}
		}
		if r := get(t, e, target+"?example=nope"); r.code != http.StatusNotFound {
			t.Errorf("unknown example: status %d", r.code)
		}
	})

	t.Run("history", func(t *testing.T) {
		e := newServer(t) // a history of its own
		if r := get(t, e, target); r.doc.Find(`[data-testid="sql-history-empty"]`).Length() != 1 {
			t.Errorf("a new console has a history:\n%s", r.body)
		}
		entries := func(r response) []string {
			var out []string
			r.doc.Find(`[data-testid="sql-history-entry"] code`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
			return out
		}
		post(t, e, target, url.Values{"query": {"SELECT 1 AS one"}}, htmx)
		post(t, e, target, url.Values{"query": {"SELECT nope FROM nowhere"}}, htmx)
		r := post(t, e, target, url.Values{"query": {"SELECT  1\n AS one"}}, htmx)
		// The htmx answer swaps the history in out of band.
		oob := r.doc.Find(`#sql-history[hx-swap-oob="true"]`)
		if oob.Length() != 1 {
			t.Fatalf("no history out of band:\n%s", r.body)
		}
		want := []string{"SELECT 1 AS one", "SELECT nope FROM nowhere", "SELECT 1 AS one"}
		if got := entries(r); !slices.Equal(got, want) {
			t.Errorf("history %q, want %q", got, want)
		}
		// Run again, a statement moves to the top rather than appear twice.
		post(t, e, target, url.Values{"query": {"SELECT nope FROM nowhere"}}, htmx)
		want = []string{"SELECT nope FROM nowhere", "SELECT  1\n AS one", "SELECT 1 AS one"}
		if got := entries(get(t, e, target)); !slices.Equal(got, []string{want[0], "SELECT 1 AS one", "SELECT 1 AS one"}) {
			t.Errorf("history after a re-run %q", got)
		}
		first := get(t, e, target).doc.Find(`[data-testid="sql-history-entry"]`).First()
		if !strings.Contains(first.Text(), "failed") {
			t.Errorf("the failed statement is not marked: %q", first.Text())
		}
		// A click puts the statement, as it was typed, back in the editor.
		last := get(t, e, target).doc.Find(`[data-testid="sql-history-entry"]`).Eq(1)
		href := last.Find("a").AttrOr("href", "")
		if got := text(get(t, e, href), `[data-testid="sql-query"]`); got != want[1] {
			t.Errorf("%s: the editor holds %q, want %q", href, got, want[1])
		}
		if f := do(t, e, withHeaders(httptest.NewRequest(http.MethodGet, href, nil), htmx)); text(f, `form#sql-editor [data-testid="sql-query"]`) != want[1] {
			t.Errorf("%s with htmx:\n%s", href, f.body)
		}
		for _, bad := range []string{"999", "x"} {
			if r := get(t, e, target+"?history="+bad); r.code != http.StatusNotFound {
				t.Errorf("history=%s: status %d", bad, r.code)
			}
		}
		for i := range sqlHistoryMax + 5 {
			post(t, e, target, url.Values{"query": {fmt.Sprintf("SELECT %d", i)}}, htmx)
		}
		if n := len(entries(get(t, e, target))); n != sqlHistoryMax {
			t.Errorf("%d entries kept, want %d", n, sqlHistoryMax)
		}
	})

	t.Run("csv", func(t *testing.T) {
		run := post(t, e, target, url.Values{"query": {"SELECT srcaddr, bytes, start FROM flows ORDER BY bytes"}}, htmx)
		form := run.doc.Find(`[data-testid="sql-csv-form"]`)
		if form.AttrOr("action", "") != target+"/result.csv" || form.AttrOr("method", "") != "post" {
			t.Fatalf("no download form:\n%s", run.body)
		}
		if _, ok := form.Attr("hx-post"); ok {
			t.Error("the download goes through htmx")
		}
		q := form.Find(`input[name="query"]`).AttrOr("value", "")
		d := post(t, e, target+"/result.csv", url.Values{"query": {q}}, nil)
		if d.code != http.StatusOK || d.hdr.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("status %d, %s:\n%s", d.code, d.hdr.Get("Content-Type"), d.body)
		}
		if cd := d.hdr.Get("Content-Disposition"); cd != `attachment; filename="demo-sql-20231115-000000.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		want := "srcaddr,bytes,start\n203.0.113.9,300,2023-11-14T22:15:00Z\n198.51.100.7,840,2023-11-14T22:13:20Z\n10.0.1.10,4000,2023-11-14T22:13:20Z\n"
		if d.body != want {
			t.Errorf("CSV:\n%s\nwant:\n%s", d.body, want)
		}
		for _, tc := range []struct {
			query string
			code  int
			want  string
		}{
			{"", http.StatusBadRequest, "No statement"},
			{"DELETE FROM flow_records", http.StatusBadRequest, "read-only"},
			{"SELECT * FROM read_csv('/etc/passwd')", http.StatusBadRequest, ""},
			{fmt.Sprintf("SELECT * FROM range(%d)", sqlMaxCSVRows+1), http.StatusRequestEntityTooLarge, "LIMIT"},
		} {
			d := post(t, e, target+"/result.csv", url.Values{"query": {tc.query}}, nil)
			if d.code != tc.code || !strings.Contains(text(d, `[data-testid="error-message"]`), tc.want) || d.hdr.Get("Content-Disposition") != "" {
				t.Errorf("%q: status %d, %q", tc.query, d.code, text(d, `[data-testid="error-message"]`))
			}
			if strings.Contains(d.body, "root:") {
				t.Error("file contents shown")
			}
		}
		if d := post(t, e, target+"/result.csv", url.Values{"query": {fmt.Sprintf("SELECT * FROM range(%d)", sqlMaxCSVRows)}}, nil); d.code != http.StatusOK || strings.Count(d.body, "\n") != sqlMaxCSVRows+1 {
			t.Errorf("the most rows: status %d, %d lines", d.code, strings.Count(d.body, "\n"))
		}
	})
}

func withHeaders(req *http.Request, hdr map[string]string) *http.Request {
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}
