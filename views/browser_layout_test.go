package views

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// newLayoutCase is the browser case with what makes the cases table wide in
// the demo: a long description and a focus of several addresses, one of
// them IPv6.
func newLayoutCase(t *testing.T) string {
	t.Helper()
	dir := newBrowserCase(t, browserFlowLines())
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(dir, "demo"+store.Ext), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDescription(ctx, "Demo: web server i-0abc1234def567890 in vpc-0a1b2c3d4e5f60718 (123456789012, us-east-1) under attack"); err != nil {
		t.Fatal(err)
	}
	var focus []store.FocusIP
	for _, a := range []string{"10.0.1.11", "54.210.167.204", "2600:1f18:4a3:6b00:1c2d:3e4f:5a6b:7c8d"} {
		focus = append(focus, store.FocusIP{Addr: netip.MustParseAddr(a), Source: "test"})
	}
	if _, err := c.AddFocus(ctx, focus); err != nil {
		t.Fatal(err)
	}
	return dir
}

// layoutCheck is a page measured in the browser: what sticks out of the
// viewport or is cut by a box that hides or scrolls its overflow.
const layoutCheck = `(function (box, last) {
	var out = [];
	var vw = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > vw + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide in " + vw);
	var b = document.querySelector(box);
	if (!b) return ["no " + box];
	if (b.scrollWidth > b.clientWidth + 1) out.push(box + " scrolls: " + b.scrollWidth + " > " + b.clientWidth);
	document.querySelectorAll(last).forEach(function (c) {
		var r = c.getBoundingClientRect();
		if (r.width === 0 || r.left < 0 || r.right > vw + 1 || r.right > b.getBoundingClientRect().right + 1) out.push(last + " " + JSON.stringify(c.textContent.trim()) + " at " + r.left + "–" + r.right + " of " + vw);
	});
	return out;
})`

// TestBrowserCasesTable: at 1440 and 768 px the cases table fits its box,
// the size and last-ingest columns in view, with no sideways scrolling.
func TestBrowserCasesTable(t *testing.T) {
	e, err := New(Options{CasesDir: newLayoutCase(t), Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	for _, w := range []int64{1440, 768} {
		step := fmt.Sprintf("cases at %d px", w)
		b.do(step, chromedp.EmulateViewport(w, 900), chromedp.Navigate(srv.URL+"/"), at("/"))
		sctx, cancel := b.stepCtx()
		problems, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](layoutCheck+`('[data-testid="cases-box"]', '[data-testid="cases"] th:last-child, [data-testid="case-size"], [data-testid="case-last-ingest"], [data-testid="cases"] th:nth-child(5)')`))
		cancel()
		if err != nil {
			b.fail("%s: %v", step, err)
		}
		if len(problems) > 0 {
			b.fail("%s:\n%s", step, strings.Join(problems, "\n"))
		}
		if got := b.str(step, chromedp.Text(chromedp.CSS(`[data-testid="case-last-ingest"]`))); len(got) != len("2006-01-02 15:04:05") {
			b.fail("%s: the last ingest shows %q", step, got)
		}
	}
	b.check("end")
}

// TestBrowserPrint emulates print media on the pages an analyst prints — the
// overview, an analysis result of many rows, an address pivot, the flows,
// the findings, the timeline, the SQL console and the graph when there is
// one — in both themes, on A4's width: the top bar, the case's links and
// every form and button are hidden, the text is black on white, and no
// table, chart or box is wider than the paper or cuts what it holds.
func TestBrowserPrint(t *testing.T) {
	e, err := New(Options{CasesDir: newLayoutCase(t), Program: "test", WhoisOffline: true,
		Now: func() time.Time { return time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	// A4 is 210 mm; less 12 mm margins each side, at 96 px an inch.
	const paper = (210 - 24) * 96 * 10 / 254 // 702 px
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	b.do("print media", chromedp.EmulateViewport(paper, 1100), media("print"))
	for _, path := range []string{
		"/cases/demo", "/cases/demo/analyses/rejected", "/cases/demo/analyses/ssh-inbound", "/cases/demo/ip/" + browserAttacker,
		"/cases/demo/flows?addr=" + browserFocus, "/cases/demo/findings", "/cases/demo/timeline", "/cases/demo/sql", "/cases/demo/graph",
	} {
		u := strings.SplitN(path, "?", 2)[0]
		b.do("print "+path, chromedp.Navigate(srv.URL+path), at(u))
		if b.str("print "+path, chromedp.Evaluate[string](`(document.querySelector('[data-testid="error-status"]') || {}).textContent || ""`)) == "404 Not Found" && u == "/cases/demo/graph" {
			t.Logf("%s: no graph page yet", path)
			continue
		}
		for _, theme := range []string{"light", "dark"} {
			step := fmt.Sprintf("print %s (%s theme)", path, theme)
			b.do(step, chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.theme = `+strconv.Quote(theme)))
			sctx, cancel := b.stepCtx()
			problems, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](printCheck))
			cancel()
			if err != nil {
				b.fail("%s: %v", step, err)
			}
			if len(problems) > 0 {
				b.fail("%s:\n%s", step, strings.Join(problems, "\n"))
			}
		}
	}
	// A wide result: twenty numeric columns with long names, from the console.
	var cols []string
	for i := range 20 {
		cols = append(cols, fmt.Sprintf("%d AS long_numeric_column_%d", 1_000_000+i, i))
	}
	b.do("print a wide result", chromedp.Navigate(srv.URL+"/cases/demo/sql"), at("/cases/demo/sql"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="sql-query"]`), "SELECT srcaddr, dstaddr, start, "+strings.Join(cols, ", ")+" FROM flows LIMIT 5"),
		// The form is hidden in print: submit it from script.
		chromedp.Evaluate[chromedp.Void](`htmx.trigger(document.querySelector('[data-testid="sql-form"]'), "submit")`),
		poll(`document.querySelectorAll('#sql-result [data-testid="result-row"]').length === 5`))
	for _, theme := range []string{"light", "dark"} {
		step := "print a wide result (" + theme + " theme)"
		b.do(step, chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.theme = `+strconv.Quote(theme)))
		sctx, cancel := b.stepCtx()
		problems, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](printCheck))
		cancel()
		if err != nil || len(problems) > 0 {
			b.fail("%s: %v\n%s", step, err, strings.Join(problems, "\n"))
		}
	}

	// And Chromium prints the result page to paper.
	b.do("print to PDF", chromedp.Navigate(srv.URL+"/cases/demo/analyses/rejected"), at("/cases/demo/analyses/rejected"))
	sctx, cancel := b.stepCtx()
	defer cancel()
	pdf, err := chromedp.Run(sctx, chromedp.Action[page.PrintToPDFResult](func(ctx context.Context, tg *chromedp.Target) (page.PrintToPDFResult, error) {
		return cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 210 / 25.4, PaperHeight: 297 / 25.4})
	}))
	if err != nil || len(pdf.Data) < 1000 {
		b.fail("print to PDF: %d bytes, %v", len(pdf.Data), err)
	}
	b.do("screen media", media(""))
	b.check("end")
}

// printCheck lists what would not print cleanly on the page as it is laid
// out for print.
const printCheck = `(function () {
	var out = [];
	var vw = document.documentElement.clientWidth;
	function name(e) { return e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") + (e.dataset && e.dataset.testid ? "[" + e.dataset.testid + "]" : ""); }
	function shown(e) { return e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"; }
	document.querySelectorAll("header.top, nav, form, button, .button, input, select, textarea").forEach(function (e) {
		if (shown(e)) out.push("printed: " + name(e));
	});
	var body = getComputedStyle(document.body);
	if (body.color !== "rgb(0, 0, 0)") out.push("body text is " + body.color);
	if (body.backgroundColor !== "rgb(255, 255, 255)") out.push("body background is " + body.backgroundColor);
	document.querySelectorAll("main td, main th, main p, main h1, main h2, main li, main dd").forEach(function (e) {
		if (!shown(e)) return;
		var c = getComputedStyle(e).color;
		var m = c.match(/\d+/g);
		if (m && (+m[0] > 110 || +m[1] > 110 || +m[2] > 110)) out.push(name(e) + " is printed in " + c);
	});
	if (document.documentElement.scrollWidth > vw + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide on paper of " + vw);
	document.querySelectorAll("main *").forEach(function (e) {
		if (!shown(e)) return;
		var r = e.getBoundingClientRect();
		if (r.right > vw + 1) out.push(name(e) + " sticks out: " + Math.round(r.right) + " > " + vw);
		var s = getComputedStyle(e);
		if (s.overflowX !== "visible" && e.scrollWidth > e.clientWidth + 1 && e.tagName !== "svg") out.push(name(e) + " cuts its content: " + e.scrollWidth + " > " + e.clientWidth);
		if (s.overflowY !== "visible" && e.scrollHeight > e.clientHeight + 1 && e.tagName !== "svg") out.push(name(e) + " cuts its content's height: " + e.scrollHeight + " > " + e.clientHeight);
		if (s.textOverflow === "ellipsis") out.push(name(e) + " ends in an ellipsis");
	});
	return out.slice(0, 20);
})()`

// TestBrowserSQLConsole: in Chromium, under the content security policy, a
// click on an example puts it in the editor in place; its result comes with
// a CSV download and the statement in the history; a click on the history
// puts it back; the schema lists the flows view's columns.
func TestBrowserSQLConsole(t *testing.T) {
	e, err := New(Options{CasesDir: newBrowserCase(t, browserFlowLines()), Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	b := startBrowser(t, srv.URL)
	const path = "/cases/demo/sql"
	var peers, hours string
	for _, ex := range queries.Examples() {
		switch ex.Name {
		case "peers":
			peers = ex.SQL
		case "hours":
			hours = ex.SQL
		}
	}
	b.do("console", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(srv.URL+path), at(path),
		chromedp.Evaluate[chromedp.Void](`window.__browserTestMarker = "console"`),
		poll(`!!document.querySelector('[data-testid="schema-table"][data-name="flows"][open] [data-testid="schema-column"]')`))
	b.do("example",
		chromedp.Click(chromedp.CSS(`[data-testid="sql-example"][data-name="peers"]`)),
		poll(`document.querySelector('[data-testid="sql-query"]').value === `+strconv.Quote(peers)), settled())
	b.do("run",
		chromedp.Click(chromedp.CSS(`[data-testid="sql-run"]`)),
		poll(`!!document.querySelector('#sql-result [data-testid="sql-meta"]')`),
		poll(`document.querySelectorAll('[data-testid="sql-history-entry"]').length === 1`))
	if got := b.str("run", chromedp.Evaluate[string](`document.querySelector('[data-testid="sql-csv-form"] input[name="query"]').value`)); got != peers {
		b.fail("run: the download is of %q", got)
	}
	b.do("another",
		chromedp.Click(chromedp.CSS(`[data-testid="sql-example"][data-name="hours"]`)),
		poll(`document.querySelector('[data-testid="sql-query"]').value === `+strconv.Quote(hours)), settled(),
		chromedp.Click(chromedp.CSS(`[data-testid="sql-run"]`)),
		poll(`document.querySelectorAll('[data-testid="sql-history-entry"]').length === 2`), settled())
	b.do("from the history",
		chromedp.Click(chromedp.CSS(`[data-testid="sql-history-entry"]:last-child a`)),
		poll(`document.querySelector('[data-testid="sql-query"]').value === `+strconv.Quote(peers)),
		poll(`document.activeElement && document.activeElement.dataset.testid === "sql-query"`))
	b.wantText("console", "the window marker (page reloaded?)", b.str("console", chromedp.Evaluate[string](`String(window.__browserTestMarker)`)), "console")
	b.check("end")
}
