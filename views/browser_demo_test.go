package views

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// TestBrowserDemo opens a case built from the demo generator — every shape
// of flow log it writes (Parquet, custom formats, NAT, IPv6, NODATA and
// SKIPDATA) — and walks its pages in Chromium: the overview, every analysis,
// the pivot of each planted incident's peer, the flows. Each page must load
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
	for _, inc := range sum.Case.Incidents {
		path := "/cases/demo/ip/" + inc.Peer
		b.do(inc.Name, chromedp.Navigate(srv.URL+path), at(path))
		if n := b.str(inc.Name, chromedp.Text(chromedp.CSS(`[data-testid="pivot-flows"] .value`))); n == "0" {
			b.fail("%s: the pivot of %s shows no flows", inc.Name, inc.Peer)
		}
	}
	b.do("flows", chromedp.Navigate(srv.URL+"/cases/demo/flows?addr="+sum.Case.InstanceIPs[0].String()), at("/cases/demo/flows"))
	if n := b.str("flows", chromedp.Evaluate[string](`String(document.querySelectorAll('[data-testid="flows"] [data-testid="result-row"]').length)`)); n != strconv.Itoa(flowsPerPage) {
		b.fail("flows of the focus: %s rows on the first page", n)
	}
	b.check("end")
	t.Logf("%d analyses, %d pivots in %v", len(list), len(sum.Case.Incidents), time.Since(started).Round(time.Millisecond))
}
