package views

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
}
