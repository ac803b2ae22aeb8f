package views

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

const (
	browserFocus    = "10.0.1.10"
	browserAttacker = "198.51.100.7"
	browserAttempts = 5   // REJECTed SSH flows from the attacker
	browserScanners = 120 // sources of REJECTed telnet probes
)

// browserFlowLines are the flow records of the browser test's case: SSH
// attempts on the focus, ordinary traffic, and a record whose interface id
// is markup.
func browserFlowLines() []string {
	var lines []string
	add := func(eni, src, dst string, sport, dport int, action string, start int) {
		lines = append(lines, fmt.Sprintf("2 123456789012 %s %s %s %d %d 6 10 840 %d %d %s OK",
			eni, src, dst, sport, dport, start, start+60, action))
	}
	const eni = "eni-0a1b2c3d4e5f60001"
	for i := range browserAttempts {
		add(eni, browserAttacker, browserFocus, 40000+i, 22, "REJECT", 1700000000+i*60)
	}
	for i := range 2 {
		add(eni, "203.0.113.50", browserFocus, 41000+i, 22, "ACCEPT", 1700000300+i*60)
	}
	peers := []string{"203.0.113.9", "192.0.2.44", "10.0.2.5"}
	for i := range 30 {
		p := peers[i%len(peers)]
		if i%2 == 0 {
			add(eni, browserFocus, p, 50000+i, 443, "ACCEPT", 1700000600+i*30)
		} else {
			add(eni, p, browserFocus, 443, 50000+i, "ACCEPT", 1700000600+i*30)
		}
	}
	add("<b>markup</b>", "10.0.1.20", browserFocus, 52000, 8080, "ACCEPT", 1700001800)
	// A telnet sweep: one rejected row each, more than a page of results.
	for i := range browserScanners {
		add(eni, fmt.Sprintf("198.18.0.%d", i+1), browserFocus, 45000, 23, "REJECT", 1700002000+i)
	}
	return lines
}

// newBrowserCase makes a cases folder holding case "demo": a focus address,
// a VPC CIDR and the records of browserFlowLines.
func newBrowserCase(t *testing.T, lines []string) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := store.Create(ctx, filepath.Join(dir, "demo"+store.Ext), "demo", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: netip.MustParseAddr(browserFocus), Source: "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddVPCCIDRs(ctx, []store.VPCCIDR{{Prefix: netip.MustParsePrefix("10.0.0.0/16"), VPCID: "vpc-0test", Source: "test"}}); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "flows.log")
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
	return dir
}

// pageProblems collects what the browser reports that fails the test:
// requests to other hosts, console errors, uncaught exceptions, errors the
// browser logs itself (a content security policy violation among them) and
// scripts, styles, images or fonts that failed to load.
type pageProblems struct {
	mu   sync.Mutex
	host string
	seen int // requests to the test server
	list []string
}

func (p *pageProblems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func (p *pageProblems) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

func (p *pageProblems) listen(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(ev.Request.URL)
		switch {
		case err != nil:
			p.add("request to an unparsable URL %q", ev.Request.URL)
		case u.Scheme == "data" || u.Scheme == "blob":
		case u.Host != p.host:
			p.add("request to another host: %s", ev.Request.URL)
		default:
			p.mu.Lock()
			p.seen++
			p.mu.Unlock()
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			p.add("console error: %s", strings.Join(args, " "))
		}
	case *network.EventResponseReceived:
		switch ev.Type {
		case network.ResourceTypeScript, network.ResourceTypeStylesheet, network.ResourceTypeImage, network.ResourceTypeFont:
			if ev.Response.Status >= 400 {
				p.add("%s %s answered %d", ev.Type, ev.Response.URL, ev.Response.Status)
			}
		}
	case *cdplog.EventEntryAdded:
		// The browser's own console messages: Chromium reports CSP
		// violations here (source security), not through the console API.
		// An answer's error status is not one: the steps check statuses
		// (htmx swaps error answers in on purpose), and an asset that
		// fails to load is caught above.
		en := ev.Entry
		if en.Level != cdplog.EntryLevelError ||
			en.Source == cdplog.EntrySourceNetwork && strings.Contains(en.Text, "the server responded with a status of") {
			break
		}
		p.add("browser error (%s) at %s: %s", en.Source, en.URL, en.Text)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.add("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	}
}

// browser is a headless Chromium on a test server's pages. Its steps fail
// the test on an error, a request to another host, a console error or an
// uncaught exception, keeping a screenshot.
type browser struct {
	t        *testing.T
	ctx      context.Context
	problems *pageProblems
	shots    int
}

// startBrowser starts Chromium for the server at srvURL, watching its
// requests from the first page on; it skips the test without chromium.
func startBrowser(t *testing.T, srvURL string) *browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("browser test skipped: no chromium on PATH (apt-get install chromium)")
	}
	base, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	b := &browser{t: t, ctx: bctx, problems: &pageProblems{host: base.Host}}
	if err := chromedp.Listen(bctx, b.problems.listen); err != nil {
		t.Fatal(err)
	}
	// The network domain is not on by default.
	b.do("start", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	return b
}

// fail saves full-page screenshots (see screenshots) and stops the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	b.shots++
	b.screenshots()
	b.t.Fatalf(format, args...)
}

// check fails on what the page reported.
func (b *browser) check(step string) {
	b.t.Helper()
	if ps := b.problems.all(); len(ps) > 0 {
		b.fail("%s: the page misbehaved:\n%s", step, strings.Join(ps, "\n"))
	}
}

func (b *browser) stepCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 15*time.Second)
}

// do runs the steps and fails on an error or a page problem.
func (b *browser) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, scancel := b.stepCtx()
	defer scancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		b.fail("%s: %v", step, err)
	}
	b.check(step)
}

// str runs an action that gives text, trimmed.
func (b *browser) str(step string, a chromedp.Action[string]) string {
	b.t.Helper()
	sctx, scancel := b.stepCtx()
	defer scancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		b.fail("%s: %v", step, err)
	}
	b.check(step)
	return strings.TrimSpace(v)
}

func (b *browser) wantText(step, what, got, want string) {
	b.t.Helper()
	if got != want {
		b.fail("%s: %s shows %q, want %q", step, what, got, want)
	}
}

// settled waits until htmx has finished its requests and swaps: it binds
// the elements a swap brought in when the swap settles, so a click before
// that on a new hx-get link is a plain navigation.
func settled() chromedp.Action[chromedp.Void] {
	return poll(`!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`)
}

// poll waits for the expression to be true. It evaluates from Go, and takes
// an error as "not yet", so that it survives a navigation that replaces the
// page's execution context under it.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), err)
			case <-time.After(25 * time.Millisecond):
			}
		}
	})
}

// at waits for the page at path to have loaded (scripts included).
func at(path string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`location.pathname === %s && document.readyState === "complete" && !!window.htmx`, strconv.Quote(path)))
}

// TestBrowser drives the workbench in headless Chromium: cases → overview →
// analysis → htmx re-run → sort, page and filter a result → address pivot →
// SQL console → theme toggle → upload and ingest → every page at tablet
// width → keyboard.
func TestBrowser(t *testing.T) {
	started := time.Now()

	lines := browserFlowLines()
	dir := newBrowserCase(t, lines)
	e, err := New(Options{CasesDir: dir, Program: "test", Now: func() time.Time { return time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	b := startBrowser(t, srv.URL)

	// 1. Cases page → the case → its overview.
	b.do("overview",
		chromedp.Navigate(srv.URL+"/"),
		at("/"),
		chromedp.Click(chromedp.CSS(`[data-testid="case-row"][data-case="demo"] [data-testid="case-link"]`)),
		at("/cases/demo"),
	)
	records := b.str("overview", chromedp.Text(chromedp.CSS(`[data-testid="records"] .value`)))
	b.wantText("overview", "the record count", records, strconv.Itoa(len(lines)))

	// 2. Analyses list → ssh-inbound → its result table.
	b.do("ssh-inbound",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-analyses"]`)),
		at("/cases/demo/analyses"),
		chromedp.Click(chromedp.CSS(`[data-testid="analysis"][data-name="ssh-inbound"] a`)),
		at("/cases/demo/analyses/ssh-inbound"),
	)
	table := b.str("ssh-inbound", chromedp.Text(chromedp.CSS(`[data-testid="result-table"]`)))
	if !strings.Contains(table, browserAttacker) {
		b.fail("ssh-inbound: the result table does not show %s:\n%s", browserAttacker, table)
	}
	runID := b.str("ssh-inbound", chromedp.Text(chromedp.CSS(`[data-testid="run-id"]`)))
	if runID == "" {
		b.fail("ssh-inbound: no run id")
	}

	// 3. Run again: htmx swaps the result in place; the page stays.
	b.do("run again",
		chromedp.Evaluate[chromedp.Void](`window.__browserTestMarker = "still here"`),
		chromedp.Click(chromedp.CSS(`[data-testid="run-again"]`)),
		poll(fmt.Sprintf(`(function () {
			var el = document.querySelector('#result [data-testid="run-id"]');
			return !!el && el.textContent.trim() !== "" && el.textContent.trim() !== %s;
		})()`, strconv.Quote(runID))),
	)
	newRunID := b.str("run again", chromedp.Text(chromedp.CSS(`[data-testid="run-id"]`)))
	if newRunID == runID {
		b.fail("run again: the run id stayed %q", runID)
	}
	marker := b.str("run again", chromedp.Evaluate[string](`String(window.__browserTestMarker)`))
	b.wantText("run again", "the window marker (page reloaded?)", marker, "still here")

	// A limit that is not a number: the re-run answers 400, and htmx puts
	// the reason where the result was.
	b.do("bad parameter",
		chromedp.SetValue(chromedp.CSS(`form[data-testid="params"] input[name="limit"]`), "many"),
		chromedp.Click(chromedp.CSS(`[data-testid="run-again"]`)),
		poll(`!!document.querySelector('#result [data-testid="param-error"]')`),
	)
	if msg := b.str("bad parameter", chromedp.Text(chromedp.CSS(`[data-testid="param-error"]`))); !strings.Contains(msg, "limit") {
		b.fail("bad parameter: the page says %q", msg)
	}

	// 4. A result of more than a page: sort by source address, page on,
	// filter down to the attacker. Each swaps the rows in place and puts the
	// view in the address bar.
	b.do("rejected",
		chromedp.Navigate(srv.URL+"/cases/demo/analyses/rejected"),
		at("/cases/demo/analyses/rejected"),
	)
	b.wantText("rejected", "the row count", b.str("rejected", chromedp.Text(chromedp.CSS(`[data-testid="row-total"]`))), strconv.Itoa(browserScanners+1))
	firstSrc := `(function () {
		var th = Array.from(document.querySelectorAll('[data-testid="result-table"] thead th'));
		var i = th.findIndex(function (h) { return h.textContent.trim().split(/\s/)[0] === "src_ip"; });
		return Array.from(document.querySelectorAll('[data-testid="result-row"]')).map(function (r) { return r.cells[i].textContent.trim(); });
	})()`
	b.do("sort",
		chromedp.Evaluate[chromedp.Void](`window.__browserTestMarker = "sorting"`),
		chromedp.Click(chromedp.CSS(`[data-testid="sort-link"][data-column="src_ip"]`)),
		poll(`!!document.querySelector('th[aria-sort="ascending"] [data-column="src_ip"]')`),
	)
	srcs := func(step string) []string {
		t.Helper()
		sctx, scancel := b.stepCtx()
		defer scancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](firstSrc))
		if err != nil {
			b.fail("%s: %v", step, err)
		}
		return v
	}
	// By address, not by text: .2 comes second, not .10.
	if got := srcs("sort"); len(got) != resultPageSize || got[0] != "198.18.0.1" || got[1] != "198.18.0.2" || got[99] != "198.18.0.100" {
		b.fail("sort: the first page by source address is %v", got)
	}
	b.do("next page",
		chromedp.Click(chromedp.CSS(`[data-testid="next-page"]`)),
		poll(`(document.querySelector('[data-testid="page"]') || {}).textContent === "2"`),
	)
	if got := srcs("next page"); len(got) != browserScanners+1-resultPageSize || got[len(got)-1] != browserAttacker {
		b.fail("next page: source addresses %v", got)
	}
	if u := b.str("next page", chromedp.Evaluate[string](`location.search`)); !strings.Contains(u, "sort=src_ip") || !strings.Contains(u, "page=2") {
		b.fail("next page: the address bar says %q", u)
	}
	b.do("filter",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="filter-input"]`), browserAttacker),
		poll(`(document.querySelector('[data-testid="matched"]') || {}).textContent === "1"`),
	)
	b.wantText("filter", "the filtered rows", strings.Join(srcs("filter"), " "), browserAttacker)
	b.wantText("sort", "the window marker (page reloaded?)", b.str("sort", chromedp.Evaluate[string](`String(window.__browserTestMarker)`)), "sorting")

	// 5. The attacker's address → its pivot page.
	b.do("pivot",
		chromedp.Click(chromedp.Search(fmt.Sprintf(`//a[@data-testid="addr-link"][normalize-space()=%q]`, browserAttacker))),
		at("/cases/demo/ip/"+browserAttacker),
	)
	b.wantText("pivot", "the address", b.str("pivot", chromedp.Text(chromedp.CSS(`[data-testid="pivot-addr"]`))), browserAttacker)
	b.wantText("pivot", "the flows total", b.str("pivot", chromedp.Text(chromedp.CSS(`[data-testid="pivot-flows"] .value`))), strconv.Itoa(browserAttempts))

	// 6. SQL console: type a statement, submit, read the count.
	const sqlQuery = "SELECT count(*) AS n FROM flows"
	b.do("sql",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-sql"]`)),
		at("/cases/demo/sql"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="sql-query"]`), sqlQuery),
	)
	// The console opens empty, so the field holds just what was typed.
	b.wantText("sql", "the query field", b.str("sql", chromedp.Value(chromedp.CSS(`[data-testid="sql-query"]`))), sqlQuery)
	b.do("sql run",
		chromedp.Click(chromedp.CSS(`[data-testid="sql-run"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sql-result [data-testid="result-row"] td`)),
	)
	cell := b.str("sql", chromedp.Text(chromedp.CSS(`#sql-result [data-testid="result-row"] td`)))
	b.wantText("sql", "the count", cell, strconv.Itoa(len(lines)))

	// 7. Theme toggle: the <html> theme flips and survives a reload.
	const themeJS = `document.documentElement.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "system-dark" : "system-light")`
	before := b.str("theme", chromedp.Evaluate[string](themeJS))
	b.do("theme", chromedp.Click(chromedp.CSS(`[data-testid="theme-toggle"]`)))
	after := b.str("theme", chromedp.Evaluate[string](themeJS))
	if after != "light" && after != "dark" || strings.TrimPrefix(before, "system-") == after {
		b.fail("theme: toggling went from %q to %q", before, after)
	}
	b.do("theme reload", chromedp.Reload(), at("/cases/demo/sql"))
	b.wantText("theme", "the theme after a reload", b.str("theme", chromedp.Evaluate[string](themeJS)), after)
	b.wantText("theme", "the saved theme", b.str("theme", chromedp.Evaluate[string](`String(localStorage.getItem("theme"))`)), after)

	// 8. Ingest: upload a flow-log file; the job page polls until the job
	// is done and shows the records it added.
	upload := []string{
		"2 123456789012 eni-0a1b2c3d4e5f60001 192.0.2.200 10.0.1.10 41000 3389 6 3 180 1700002000 1700002060 REJECT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60001 192.0.2.201 10.0.1.10 41001 3389 6 3 180 1700002060 1700002120 REJECT OK",
	}
	uploadPath := filepath.Join(t.TempDir(), "rdp.log")
	if err := os.WriteFile(uploadPath, []byte(strings.Join(upload, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("ingest",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-ingest"]`)),
		at("/cases/demo/ingest"),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="upload-files"]`), []string{uploadPath}),
		chromedp.Click(chromedp.CSS(`[data-testid="upload-submit"]`)),
		poll(`!!document.querySelector('[data-testid="job"][data-state="done"] [data-testid="job-records"]')`),
	)
	b.wantText("ingest", "the records added", b.str("ingest", chromedp.Text(chromedp.CSS(`[data-testid="job-records"]`))), strconv.Itoa(len(upload)))

	// 9. A tablet (768 px wide): no page is wider than the screen (wide
	// tables scroll in their own box), and the keyboard reaches the page's
	// controls in order.
	b.do("tablet", chromedp.EmulateViewport(768, 1024))
	for _, path := range []string{"/", "/cases/demo", "/cases/demo/analyses/rejected", "/cases/demo/ip/" + browserAttacker, "/cases/demo/flows", "/cases/demo/findings", "/cases/demo/ingest", "/cases/demo/sql"} {
		b.do("tablet "+path, chromedp.Navigate(srv.URL+path), at(path))
		// The overflow, and the outermost element that sticks out.
		if w := b.str("tablet "+path, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth + " " +
			(Array.from(document.querySelectorAll("body *")).filter(function (e) { return e.getBoundingClientRect().right > window.innerWidth + 1; })
				.map(function (e) { return e.tagName + "." + e.className + "#" + (e.dataset.testid || ""); })[0] || "")`)); func() bool {
			var sw, iw int
			fmt.Sscanf(w, "%d > %d", &sw, &iw)
			return sw > iw
		}() {
			b.fail("tablet %s: the page is wider than the screen (%s)", path, w)
		}
	}
	b.do("keyboard",
		chromedp.Navigate(srv.URL+"/cases/demo/analyses/rejected"),
		at("/cases/demo/analyses/rejected"),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		chromedp.KeyEvent("\t"),
	)
	first := b.str("keyboard", chromedp.Evaluate[string](`document.activeElement.textContent.trim()`))
	b.wantText("keyboard", "the first Tab stop", first, "investiGATOR")
	// Enter on a focused column heading sorts, as a click does.
	b.do("keyboard sort",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="sort-link"][data-column="packets"]').focus()`),
		chromedp.KeyEvent("\r"),
		poll(`!!document.querySelector('th[aria-sort="descending"] [data-column="packets"]')`),
	)

	// Late events (the last page's scripts) count too.
	b.check("end")
	b.problems.mu.Lock()
	seen := b.problems.seen
	b.problems.mu.Unlock()
	if seen < 10 {
		b.fail("only %d requests were seen: is the network watch working?", seen)
	}
	t.Logf("browser test took %v", time.Since(started).Round(time.Millisecond))
}
