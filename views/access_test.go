package views

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/investigator/investigator/store"
)

// runCount counts the runs recorded in the case file.
func runCount(t *testing.T, path string) int {
	t.Helper()
	c, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM analysis_runs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnalysisReadErrors: a case that cannot be read for a stored result is
// an error page, not a run on a handle silently opened for writing.
func TestAnalysisReadErrors(t *testing.T) {
	const target = "/cases/demo/analyses/traffic-summary"
	ctx := context.Background()

	t.Run("held by a writer", func(t *testing.T) {
		e := newServer(t)
		path := filepath.Join(casesDir(t, e), "demo"+store.Ext)
		w, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := get(t, e, target)
		w.Close()
		if r.code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503:\n%s", r.code, r.body)
		}
		if n := runCount(t, path); n != 0 {
			t.Errorf("%d runs recorded while the case was held", n)
		}
		// Once free, the miss runs it.
		if r := get(t, e, target); r.code != http.StatusOK || text(r, `[data-testid="run-id"]`) == "" {
			t.Errorf("after: status %d:\n%s", r.code, r.body)
		}
	})

	t.Run("a stored run that cannot be read", func(t *testing.T) {
		e := newServer(t)
		path := filepath.Join(casesDir(t, e), "demo"+store.Ext)
		if r := get(t, e, target); r.code != http.StatusOK {
			t.Fatalf("first run: status %d:\n%s", r.code, r.body)
		}
		w, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.DB.Exec(`UPDATE analysis_runs SET rows = '{"not": "rows"}'`); err != nil {
			t.Fatal(err)
		}
		w.Close()
		r := get(t, e, target)
		if r.code != http.StatusInternalServerError {
			t.Errorf("status %d, want 500:\n%s", r.code, r.body)
		}
		if n := runCount(t, path); n != 1 {
			t.Errorf("%d runs recorded, want the one that was there", n)
		}
		// A fresh run is asked for: it does not read the stored one.
		if r := post(t, e, target, url.Values{}, nil); r.code != http.StatusOK || r.doc.Find(`[data-testid="run-row"]`).Length() != 2 {
			t.Errorf("run again: status %d, %d runs listed:\n%s", r.code, r.doc.Find(`[data-testid="run-row"]`).Length(), r.body)
		}
	})

	t.Run("a miss lists the run it made", func(t *testing.T) {
		e := newServer(t)
		r := get(t, e, target)
		id := text(r, `[data-testid="run-id"]`)
		if r.code != http.StatusOK || id == "" {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if got, _ := r.doc.Find(`[data-testid="run-row"]`).First().Attr("data-run"); got != id || r.doc.Find(`[data-testid="run-row"]`).Length() != 1 {
			t.Errorf("history lists %q (%d runs), want the run %q", got, r.doc.Find(`[data-testid="run-row"]`).Length(), id)
		}
		// The stored result, with the same history, read through one handle.
		r = get(t, e, target)
		if got, _ := r.doc.Find(`[data-testid="run-row"]`).First().Attr("data-run"); got != id || text(r, `[data-testid="run-id"]`) != id {
			t.Errorf("stored: run %q, history %q; want %q", text(r, `[data-testid="run-id"]`), got, id)
		}
	})
}
