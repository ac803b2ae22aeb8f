package views

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestDownloads(t *testing.T) {
	// A case with a focus, so ssh-inbound sees the attacker's attempts.
	e, err := New(Options{CasesDir: newBrowserCase(t, flowLines), Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const target = "/cases/demo/analyses/ssh-inbound"
	page := get(t, e, target)
	if page.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", page.code, page.body)
	}
	runID := text(page, `[data-testid="run-id"]`)
	csvHref, _ := page.doc.Find(`[data-testid="download-csv"]`).Attr("href")
	jsonHref, _ := page.doc.Find(`[data-testid="download-json"]`).Attr("href")
	if csvHref != target+"/result.csv" || jsonHref != target+"/result.json" {
		t.Fatalf("download links %q %q", csvHref, jsonHref)
	}

	t.Run("csv", func(t *testing.T) {
		r := get(t, e, csvHref)
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if got, want := r.hdr.Get("Content-Disposition"), fmt.Sprintf(`attachment; filename="demo-ssh-inbound-%s.csv"`, runID); got != want {
			t.Errorf("Content-Disposition %q, want %q", got, want)
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("csv %v:\n%s", err, r.body)
		}
		if len(recs[0]) == 0 || recs[0][0] == "" {
			t.Errorf("no header: %v", recs[0])
		}
		found := false
		for _, rec := range recs[1:] {
			found = found || strings.Contains(strings.Join(rec, ","), "198.51.100.7")
		}
		if !found {
			t.Errorf("no attacker row:\n%s", r.body)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := get(t, e, jsonHref)
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if got := r.hdr.Get("Content-Disposition"); got != fmt.Sprintf(`attachment; filename="demo-ssh-inbound-%s.json"`, runID) {
			t.Errorf("Content-Disposition %q", got)
		}
		var doc struct {
			RunID string           `json:"run_id"`
			Rows  []map[string]any `json:"rows"`
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, r.body)
		}
		if doc.RunID != runID || len(doc.Rows) == 0 {
			t.Errorf("run_id %q (want %q), %d rows", doc.RunID, runID, len(doc.Rows))
		}
	})

	t.Run("parameters carried", func(t *testing.T) {
		r := get(t, e, target+"?limit=1")
		href, _ := r.doc.Find(`[data-testid="download-csv"]`).Attr("href")
		if href != target+"/result.csv?limit=1" {
			t.Errorf("csv link %q", href)
		}
		if r := get(t, e, target+"/result.csv?limit=%3Cb%3E"); r.code != http.StatusBadRequest {
			t.Errorf("bad parameter: status %d", r.code)
		}
		if r := get(t, e, "/cases/demo/analyses/nope/result.json"); r.code != http.StatusNotFound {
			t.Errorf("unknown analysis: status %d", r.code)
		}
	})
}

func TestRunHistory(t *testing.T) {
	e := newServer(t)
	const target = "/cases/demo/analyses/traffic-summary"
	first := get(t, e, target)
	if n := first.doc.Find(`[data-testid="runs"] [data-testid="run-row"]`).Length(); n != 1 {
		t.Fatalf("%d runs after the first view, want 1:\n%s", n, first.body)
	}
	again := post(t, e, target, url.Values{}, nil)
	rows := again.doc.Find(`[data-testid="runs"] [data-testid="run-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d runs after a re-run, want 2:\n%s", rows.Length(), again.body)
	}
	newest, _ := rows.First().Attr("data-run")
	if newest != text(again, `[data-testid="run-id"]`) || newest == text(first, `[data-testid="run-id"]`) {
		t.Errorf("newest run %q is not the re-run", newest)
	}
	frag := post(t, e, target, url.Values{}, map[string]string{"HX-Request": "true"})
	if s := frag.doc.Find(`#runs[hx-swap-oob="true"] [data-testid="run-row"]`); s.Length() != 3 {
		t.Errorf("htmx fragment: %d runs out of band, want 3:\n%s", s.Length(), frag.body)
	}
}
