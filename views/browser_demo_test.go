package views

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// recordFinding walks the investigation record on the demo case: star the
// SSH brute force's row of ssh-inbound (from the keyboard), make a finding
// from it in its record panel, add a note to the finding, confirm it, and
// find it on the overview — all in place, with no page reload until a link
// is followed.
func recordFinding(b *browser, base string, incidents []demo.Incident) {
	b.t.Helper()
	var peer string
	for _, inc := range incidents {
		if inc.Name == "ssh-brute-force" {
			peer = inc.Peer
			break
		}
	}
	if peer == "" {
		b.fail("the demo has no ssh-brute-force incident")
	}
	const path = "/cases/demo/analyses/ssh-inbound"
	b.do("record: ssh-inbound", chromedp.Navigate(base+path), at(path), chromedp.Evaluate[chromedp.Void](`window.__browserTestMarker = "record"`))
	row := b.str("record: the row", chromedp.Evaluate[string](fmt.Sprintf(`(function () {
		var link = Array.from(document.querySelectorAll('[data-testid="result-row"] [data-testid="addr-link"]')).find(function (a) { return a.textContent.trim() === %q; });
		return link ? link.closest("tr").dataset.row : "";
	})()`, peer)))
	if row == "" {
		b.fail("record: ssh-inbound has no row of %s", peer)
	}
	tr := `tr[data-row="` + row + `"]`
	panel := "#panel-" + row
	b.do("record: star the row from the keyboard",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+tr+` [data-testid="star-button"]').focus()`),
		chromedp.KeyEvent("\r"),
		poll(`!!document.querySelector('`+tr+` [data-testid="star"][data-starred="true"]')`),
		// The new button has the focus the old one had.
		poll(`document.activeElement && document.activeElement.id === "row-`+row+`-star"`),
	)
	b.do("record: open the row's record",
		chromedp.Click(chromedp.CSS(tr+` [data-testid="row-record"]`)),
		poll(`!!document.querySelector('`+panel+` [data-testid="row-panel"]')`),
		poll(`document.activeElement && document.activeElement.dataset.testid === "row-panel-close"`),
		chromedp.Click(chromedp.CSS(panel+` [data-testid="make-finding"]`)),
		chromedp.WaitVisible(chromedp.CSS(panel+` [data-testid="finding-title"]`)),
	)
	if got := b.str("record: the form", chromedp.Value(chromedp.CSS(panel+` [data-testid="finding-addresses"]`))); got != peer {
		b.fail("record: the form's addresses are %q, want %s", got, peer)
	}
	title := "SSH brute force from " + peer
	b.do("record: make the finding",
		chromedp.SetValue(chromedp.CSS(panel+` [data-testid="finding-title"]`), title),
		chromedp.SetValue(chromedp.CSS(panel+` [data-testid="finding-severity"]`), "high"),
		chromedp.Click(chromedp.CSS(panel+` [data-testid="finding-submit"]`)),
		poll(`!!document.querySelector('`+panel+` [data-testid="finding-made-link"]')`),
	)
	b.wantText("record", "the window marker (page reloaded?)", b.str("record", chromedp.Evaluate[string](`String(window.__browserTestMarker)`)), "record")
	id := b.str("record: made", chromedp.Text(chromedp.CSS(panel+` [data-testid="finding-made-link"]`)))
	card := "#finding-" + id
	b.do("record: the finding",
		chromedp.Click(chromedp.CSS(panel+` [data-testid="finding-made-link"]`)),
		at("/cases/demo/findings"),
	)
	if ev := b.str("record: evidence", chromedp.Text(chromedp.CSS(card+` [data-testid="evidence-link"]`))); !strings.Contains(ev, "ssh-inbound") || !strings.HasSuffix(ev, "row "+row) {
		b.fail("record: the evidence is %q, want row %s of the ssh-inbound run", ev, row)
	}
	b.do("record: a note",
		chromedp.Evaluate[chromedp.Void](`window.__browserTestMarker = "findings"`),
		chromedp.SendKeys(chromedp.CSS(card+` [data-testid="note-input"]`), "Also in **GuardDuty**. <script>window.ranInline = true</script>"),
		chromedp.Click(chromedp.CSS(card+` [data-testid="note-add"]`)),
		poll(`(document.querySelector('`+card+` [data-testid="note-body"] strong') || {}).textContent === "GuardDuty"`),
	)
	if ran := b.str("record: a note", chromedp.Evaluate[string](`String(!!window.ranInline)`)); ran != "false" {
		b.fail("record: a note's markup ran")
	}
	b.do("record: confirm",
		chromedp.Click(chromedp.CSS(card+` [data-testid="confirm"]`)),
		poll(`!!document.querySelector('`+card+`[data-status="confirmed"]')`),
	)
	b.wantText("record", "the window marker (page reloaded?)", b.str("record", chromedp.Evaluate[string](`String(window.__browserTestMarker)`)), "findings")
	b.do("record: the overview", chromedp.Navigate(base+"/cases/demo"), at("/cases/demo"),
		poll(`!!document.querySelector('[data-testid="panel-finding"][data-id="`+id+`"][data-status="confirmed"]')`))
	if got := b.str("record: the overview", chromedp.Text(chromedp.CSS(`[data-testid="panel-finding"][data-id="`+id+`"]`))); !strings.Contains(got, title) || !strings.Contains(got, "high") {
		b.fail("record: the overview's panel shows %q", got)
	}
	// The timeline lists it with its status change, and marks it on the
	// chart; the report shows it among the confirmed findings.
	b.do("record: the timeline", chromedp.Click(chromedp.CSS(`[data-testid="nav-timeline"]`)), at("/cases/demo/timeline"),
		poll(`!!document.querySelector('[data-testid="event"][data-kind="finding"] a[href$="#finding-`+id+`"]')`),
		poll(`!!document.querySelector('[data-testid="event"][data-kind="status"]')`),
		poll(`document.querySelectorAll('[data-testid="mark-finding"]').length > 0`))
	b.do("record: the report", chromedp.Click(chromedp.CSS(`[data-testid="nav-report"]`)), at("/cases/demo/report"),
		poll(`!!document.querySelector('[data-testid="report-frame"]')`))
	b.do("record: the report as exported", chromedp.Navigate(base+"/cases/demo/report/view"),
		poll(`document.readyState === "complete" && !!document.getElementById(`+strconv.Quote(id)+`)`))
	if got := b.str("record: the report", chromedp.Text(chromedp.CSS(`article#`+id))); !strings.Contains(got, title) || !strings.Contains(got, "confirmed") {
		b.fail("record: the report's finding shows %q", got)
	}
}

// TestBrowserDemo opens a case built from the demo generator — every shape
// of flow log it writes (Parquet, custom formats, NAT, IPv6, NODATA and
// SKIPDATA) — and walks its pages in Chromium: the overview, every analysis,
// the pivot of each planted incident's peer, the connection graph, the
// flows. Each page must load
// with no console error and no request off the machine.
func TestBrowserDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a demo case")
	}
	ctx := context.Background()
	tree := filepath.Join(t.TempDir(), "flowlogs")
	sum, err := demo.WriteTree(ctx, tree, demo.Options{Records: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cs, err := store.Create(ctx, filepath.Join(dir, "demo"+store.Ext), "demo", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var focus []store.FocusIP
	for _, a := range sum.Case.InstanceIPs {
		focus = append(focus, store.FocusIP{Addr: a, InstanceID: sum.Case.InstanceID, Source: "demo"})
	}
	var blocks []store.VPCCIDR
	for _, p := range sum.Case.VPCCIDRs {
		blocks = append(blocks, store.VPCCIDR{Prefix: p, VPCID: sum.Case.VPCID, Source: "demo"})
	}
	if _, err := cs.AddFocus(ctx, focus); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AddVPCCIDRs(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.Begin(ctx, cs, ingest.Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Files {
		if r := in.File(ctx, filepath.Join(tree, filepath.FromSlash(f))); r.Status != ingest.Loaded {
			t.Fatalf("%s: %s %s", f, r.Status, r.Error)
		}
	}
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}

	e, err := New(Options{CasesDir: dir, Program: "test", WhoisOffline: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	started := time.Now()

	// NODATA and SKIPDATA rows count as records too.
	b.do("overview", chromedp.Navigate(srv.URL+"/cases/demo"), at("/cases/demo"))
	b.wantText("overview", "the record count", b.str("overview", chromedp.Text(chromedp.CSS(`[data-testid="records"] .value`))), format.Count(int64(sum.Records)))

	// Every analysis the list offers: each runs, then shows its table.
	b.do("analyses", chromedp.Navigate(srv.URL+"/cases/demo/analyses"), at("/cases/demo/analyses"))
	sctx, scancel := b.stepCtx()
	list, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="analysis"]')).map(function (li) { return li.dataset.name; })`))
	scancel()
	if err != nil || len(list) < 10 {
		b.fail("analyses: %v %v", list, err)
	}
	for _, name := range list {
		path := "/cases/demo/analyses/" + name
		b.do(name, chromedp.Navigate(srv.URL+path), at(path),
			poll(`!!document.querySelector('[data-testid="result-table"], [data-testid="no-rows"], [data-testid="param-error"]')`))
		if msg, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid="param-error"]') || {}).textContent || ""`)); msg != "" {
			// A parameter without a default (port-specific's port): the
			// form says so; given one, the result comes.
			b.do(name+" with a port", chromedp.Navigate(srv.URL+path+"?port=443"), at(path),
				poll(`!!document.querySelector('[data-testid="result-table"]')`))
		}
	}
	recordFinding(b, srv.URL, sum.Case.Incidents)
	for _, inc := range sum.Case.Incidents {
		path := "/cases/demo/ip/" + inc.Peer
		b.do(inc.Name, chromedp.Navigate(srv.URL+path), at(path))
		if n := b.str(inc.Name, chromedp.Text(chromedp.CSS(`[data-testid="pivot-flows"] .value`))); n == "0" {
			b.fail("%s: the pivot of %s shows no flows", inc.Name, inc.Peer)
		}
	}
	graphWalk(b, srv.URL, sum.Case.Incidents)
	b.do("flows", chromedp.Navigate(srv.URL+"/cases/demo/flows?addr="+sum.Case.InstanceIPs[0].String()), at("/cases/demo/flows"))
	if n := b.str("flows", chromedp.Evaluate[string](`String(document.querySelectorAll('[data-testid="flows"] [data-testid="result-row"]').length)`)); n != strconv.Itoa(flowsPerPage) {
		b.fail("flows of the focus: %s rows on the first page", n)
	}
	b.check("end")
	t.Logf("%d analyses, %d pivots in %v", len(list), len(sum.Case.Incidents), time.Since(started).Round(time.Millisecond))
}
