package views

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/investigator/investigator/demo"
)

// graphWalk opens the demo case's connection graph, finds the planted
// exfiltration peer's node, clicks it and lands on its pivot; then the
// pivot of a brute-force source, whose attempts are one conversation: a
// single line to port 22.
func graphWalk(b *browser, base string, incidents []demo.Incident) {
	b.t.Helper()
	peer := func(name string) string {
		for _, inc := range incidents {
			if inc.Name == name {
				return inc.Peer
			}
		}
		b.fail("the demo has no %s incident", name)
		return ""
	}
	exfil, brute := peer("exfiltration"), peer("ssh-brute-force")
	node := fmt.Sprintf(`[data-testid="graph-node"][data-addr=%q]`, exfil)
	b.do("graph", chromedp.Click(chromedp.CSS(`[data-testid="nav-graph"]`)), at("/cases/demo/graph"),
		poll(`document.querySelectorAll('[data-testid="graph-node"]').length > 10`))
	if n := b.str("graph: the exfiltration peer", chromedp.Evaluate[string](`String(document.querySelectorAll('`+node+`').length)`)); n != "1" {
		b.fail("graph: %s nodes of the exfiltration peer %s", n, exfil)
	}
	// Its label names it for screen readers; its upload is the heaviest
	// edge out of the focus.
	if label := b.str("graph: its label", chromedp.Evaluate[string](`document.querySelector('`+node+`').getAttribute("aria-label")`)); !strings.HasPrefix(label, exfil+": public peer") {
		b.fail("graph: the exfiltration peer's label is %q", label)
	}
	// The keyboard reaches the nodes (the edges are left to the list).
	b.do("graph: focus the node", chromedp.Evaluate[chromedp.Void](`document.querySelector('`+node+`').focus()`),
		poll(`document.activeElement === document.querySelector('`+node+`')`))
	b.do("graph: click the node", chromedp.Click(chromedp.CSS(node+` .dot`)), at("/cases/demo/ip/"+exfil))
	b.wantText("graph", "the pivot's address", b.str("graph: pivot", chromedp.Text(chromedp.CSS(`[data-testid="pivot-addr"]`))), exfil)

	path := "/cases/demo/ip/" + brute
	b.do("brute force: pivot", chromedp.Navigate(base+path), at(path))
	lines := b.str("brute force: its services", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid="pivot-conversation"]')).map(function (li) {
		return li.dataset.port + "/" + li.dataset.protocol + " " + li.dataset.actions + " " + li.textContent.replace(/\s+/g, " ").trim();
	}).join("\n")`))
	if n := strings.Count(lines, "\n") + 1; lines == "" || n != 1 || !strings.HasPrefix(lines, "22/tcp REJECT "+brute+" → focus:22/tcp (SSH), ") {
		b.fail("brute force: the pivot of %s shows %q, want one conversation to port 22", brute, lines)
	}
}

// screenshots keeps full-page screenshots of the page at 1440 and 768 px
// wide in the light and the dark theme, for a failed test to be looked at:
// in $INVESTIGATOR_ARTIFACTS (or $INVESTIGATOR_SCREENSHOTS), else in
// views/testdata/artifacts, which git ignores.
func (b *browser) screenshots() {
	b.t.Helper()
	dir := cmp.Or(os.Getenv("INVESTIGATOR_ARTIFACTS"), os.Getenv("INVESTIGATOR_SCREENSHOTS"), filepath.Join("testdata", "artifacts"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("no screenshots: %v", err)
		return
	}
	name := strings.ReplaceAll(b.t.Name(), "/", "_")
	for _, width := range []int64{1440, 768} {
		for _, theme := range []string{"light", "dark"} {
			sctx, scancel := context.WithTimeout(b.ctx, 10*time.Second)
			err := chromedp.Do(sctx, chromedp.EmulateViewport(width, 900),
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.documentElement.dataset.theme = %q`, theme)))
			var png []byte
			if err == nil {
				png, err = chromedp.Run(sctx, chromedp.FullScreenshot(100))
			}
			scancel()
			if err != nil {
				b.t.Logf("no screenshot at %d px, %s: %v", width, theme, err)
				continue
			}
			p := filepath.Join(dir, fmt.Sprintf("%s-%d-%dpx-%s.png", name, b.shots, width, theme))
			if err := os.WriteFile(p, png, 0o644); err != nil {
				b.t.Logf("no screenshot: %v", err)
				continue
			}
			b.t.Logf("screenshot: %s", p)
		}
	}
}
