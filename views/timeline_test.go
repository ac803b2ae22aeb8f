package views

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/report"
	"github.com/investigator/investigator/store"
)

// newTimelineServer is newServer with an investigation record: a finding in
// the traffic's window with evidence from a stored run, a dismissed one, and
// notes, one of them with markup that must stay text.
func newTimelineServer(t *testing.T) (*echo.Echo, string) {
	t.Helper()
	e, dir := newFocusServer(t)
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(dir, "demo"+store.Ext), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, err := queries.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := reg.Get("ssh-inbound")
	params, err := a.Bind(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := queries.Run(ctx, c, a, params, queries.Options{Program: "test"})
	if err != nil || len(res.Rows) == 0 {
		t.Fatalf("run: %v, %d rows", err, len(res.Rows))
	}
	first, last := time.Unix(1700000000, 0).UTC(), time.Unix(1700000200, 0).UTC()
	if _, err := c.AddFinding(ctx, "ana", store.Finding{Title: "SSH brute force <i>from</i> 203.0.113.9", Severity: store.SeverityHigh,
		Status: store.StatusConfirmed, Subjects: store.Subjects{Addresses: []string{"203.0.113.9"}, Ports: []int{22}}, FirstSeen: &first, LastSeen: &last,
		Evidence: []store.Evidence{{RunID: res.RunID, Rows: []int{1}}}}, `<img src="http://203.0.113.1/x.png"> seen at 22:13`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFinding(ctx, "ana", store.Finding{Title: "Noise", Status: store.StatusDismissed, Reason: "the red team"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddNote(ctx, "ana", store.Target{Kind: store.OnCase}, "Opened from the <b>GuardDuty</b> alert."); err != nil {
		t.Fatal(err)
	}
	return e, dir
}

func TestTimelinePage(t *testing.T) {
	e, _ := newTimelineServer(t)
	r := get(t, e, "/cases/demo/timeline")
	if r.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.code, r.body)
	}
	kinds := map[string]int{}
	r.doc.Find(`[data-testid="event"]`).Each(func(_ int, s *goquery.Selection) { kinds[s.AttrOr("data-kind", "")]++ })
	if kinds["finding"] != 1 || kinds["note"] != 2 || kinds["ingest"] != 1 || kinds["run"] != 1 || kinds["status"] != 0 {
		t.Fatalf("events %v", kinds)
	}
	if n := r.doc.Find(`[data-testid="mark-finding"]`).Length(); n != 1 {
		t.Fatalf("%d finding marks on the chart", n)
	}
	if href := r.doc.Find(`[data-testid="mark-finding"] a`).AttrOr("href", ""); href != "/cases/demo/findings#finding-F-1" {
		t.Fatalf("finding mark links to %q", href)
	}
	if !strings.Contains(r.body, "SSH brute force &lt;i&gt;from&lt;/i&gt;") || strings.Contains(r.body, "<i>from</i>") {
		t.Fatal("a finding's title is not escaped on the timeline")
	}
	if r := get(t, e, "/cases/demo/timeline?dismissed=1"); strings.Count(r.body, `data-kind="finding"`) != 2 {
		t.Fatal("dismissed=1 does not show the dismissed finding")
	}
	if r := get(t, e, "/cases/demo/timeline?gap=never"); r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="error-message"]`), `gap "never" is not a duration`) {
		t.Fatalf("bad gap: %d\n%s", r.code, r.body)
	}
	if r := get(t, e, "/cases/nope/timeline"); r.code != http.StatusNotFound {
		t.Fatalf("missing case: %d", r.code)
	}
}

func TestReportPage(t *testing.T) {
	e, _ := newTimelineServer(t)
	r := get(t, e, "/cases/demo/report")
	if r.code != http.StatusOK {
		t.Fatalf("status %d", r.code)
	}
	frame := r.doc.Find(`[data-testid="report-frame"]`)
	if src := frame.AttrOr("src", ""); src != "/cases/demo/report/view" || frame.AttrOr("sandbox", "x") != "" {
		t.Fatalf("frame src %q sandbox %q", src, frame.AttrOr("sandbox", "x"))
	}
	if href := r.doc.Find(`[data-testid="download-md"]`).AttrOr("href", ""); href != "/cases/demo/report/report.md" {
		t.Fatalf("download link %q", href)
	}

	view := get(t, e, "/cases/demo/report/view")
	if csp := view.hdr.Get("Content-Security-Policy"); csp != reportPolicy {
		t.Fatalf("report view CSP %q", csp)
	}
	if view.hdr.Get("Content-Disposition") != "" || !strings.Contains(view.body, "Confirmed findings") || strings.Contains(view.body, "Noise") {
		t.Fatalf("report view:\n%s", view.body)
	}
	if strings.Contains(view.body, "<img") || strings.Contains(view.body, "<b>GuardDuty") {
		t.Fatal("markup in a note is not escaped in the report")
	}
	for _, f := range []string{"report.html", "report.md", "report.json"} {
		d := get(t, e, "/cases/demo/report/"+f+"?dismissed=1")
		if d.code != http.StatusOK || !strings.HasPrefix(d.hdr.Get("Content-Disposition"), `attachment; filename="demo-report-`) || !strings.Contains(d.body, "Noise") {
			t.Fatalf("%s: %d %q", f, d.code, d.hdr.Get("Content-Disposition"))
		}
	}
	var rep queries.Report
	if err := json.Unmarshal([]byte(get(t, e, "/cases/demo/report/report.json").body), &rep); err != nil || len(rep.Findings) != 1 || len(rep.Runs) != 1 || rep.ToolVersion != "test" {
		t.Fatalf("report.json: %v %+v", err, rep)
	}
	if d := get(t, e, "/cases/demo/report/report.pdf"); d.code != http.StatusNotFound {
		t.Fatalf("report.pdf: %d", d.code)
	}
}

// TestBrowserReportOffline renders the exported report in headless
// Chromium, served bare (no header of ours: only its own meta policy), and
// finds no request off the page, no error, and the notes' markup as text.
func TestBrowserReportOffline(t *testing.T) {
	e, dir := newTimelineServer(t)
	c, err := store.Open(context.Background(), filepath.Join(dir, "demo"+store.Ext), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := queries.BuildReport(context.Background(), c, queries.ReportOptions{Dismissed: true, ToolVersion: "test", Now: time.Now()})
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	var html strings.Builder
	if err := report.Write(&html, rep, "html"); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/report.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, html.String())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	b.do("open the report", chromedp.Navigate(srv.URL+"/report.html"), poll(`document.readyState === "complete"`))
	if n := b.str("findings", chromedp.Evaluate[string](`String(document.querySelectorAll("article.finding").length)`)); n != "2" {
		b.fail("%s findings in the report, want 2", n)
	}
	if imgs := b.str("images", chromedp.Evaluate[string](`String(document.images.length)`)); imgs != "0" {
		b.fail("the report holds %s images", imgs)
	}
	time.Sleep(300 * time.Millisecond) // let anything the page would fetch start
	b.check("after load")
	b.problems.mu.Lock()
	seen := b.problems.seen
	b.problems.mu.Unlock()
	if seen != 1 {
		b.fail("the report made %d requests, want only its own", seen)
	}

	// In the workbench: the report page's frame, under the report's policy.
	srv2 := httptest.NewServer(e)
	defer srv2.Close()
	b2 := startBrowser(t, srv2.URL)
	b2.do("report page", chromedp.Navigate(srv2.URL+"/cases/demo/report"), at("/cases/demo/report"))
	b2.do("timeline page", chromedp.Navigate(srv2.URL+"/cases/demo/timeline"), at("/cases/demo/timeline"),
		poll(`document.querySelectorAll('[data-testid="mark-finding"]').length === 1`))
}

func TestTriageJob(t *testing.T) {
	e, _ := newFocusServer(t)
	if r := get(t, e, "/cases/demo"); r.doc.Find(`[data-testid="findings-panel"] [data-testid="triage"]`).Length() != 1 {
		t.Fatal("no triage button on the overview's findings panel")
	}
	req := httptest.NewRequest(http.MethodPost, "/cases/demo/triage", nil)
	href := startJob(t, e, req)
	r := waitJob(t, e, href)
	if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobDone || strings.Contains(r.body, "failed") {
		t.Fatalf("triage job: %s\n%s", state, r.body)
	}
	for _, want := range []string{"ssh-brute-force v1", "beaconing v1", "findings from detections"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	if r := do(t, e, httptest.NewRequest(http.MethodPost, "/cases/nope/triage", nil)); r.code != http.StatusNotFound {
		t.Fatalf("triage of a missing case: %d", r.code)
	}
}
