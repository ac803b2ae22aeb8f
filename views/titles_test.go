package views

import (
	"net/http"
	"testing"
)

// TestPageTitles: every page's title names the page and the case it is in,
// as browser tabs and history show them.
func TestPageTitles(t *testing.T) {
	e := newServer(t)
	run := text(get(t, e, "/cases/demo/analyses/traffic-summary"), `[data-testid="run-id"]`)
	if run == "" {
		t.Fatal("no run")
	}
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/", "Cases — investiGATOR", http.StatusOK},
		{"/cases/demo", "Overview · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/analyses", "Analyses · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/analyses/ssh-inbound", "SSH inbound · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/flows", "Flows · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/ip/198.51.100.7", "198.51.100.7 · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/findings", "Findings · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/timeline", "Timeline · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/report", "Report · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/sql", "SQL · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/ingest", "Ingest · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/runs/" + run, "Run " + run + " · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/runs/" + run + "/rows/1", "Row 1 of run " + run + " · demo — investiGATOR", http.StatusOK},
		{"/cases/demo/analyses/no-such", "Not Found · demo — investiGATOR", http.StatusNotFound},
		{"/cases/nope", "Not Found · nope — investiGATOR", http.StatusNotFound},
		{"/no/such/page", "Not Found — investiGATOR", http.StatusNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := get(t, e, tc.path)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d", r.code, tc.code)
			}
			if got := r.doc.Find("head title").Text(); got != tc.want {
				t.Errorf("title %q, want %q", got, tc.want)
			}
		})
	}
}
