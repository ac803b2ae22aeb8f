package views

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/store"
)

// newFocusServer is newServer with 10.0.1.10 as the case's focus, so the
// other addresses are its peers.
func newFocusServer(t *testing.T) (*echo.Echo, string) {
	t.Helper()
	e := newServer(t)
	dir := casesDir(t, e)
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(dir, "demo"+store.Ext), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: netip.MustParseAddr("10.0.1.10"), Source: "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.ExecContext(ctx, `INSERT INTO whois (query_ip, network, start_num, end_num, org, fetched_at)
		VALUES ('203.0.113.9', '203.0.113.0/24', ?::UHUGEINT, ?::UHUGEINT, 'Wide <b>Org</b>', ?),
		       ('203.0.113.9', '203.0.113.0/28', ?::UHUGEINT, ?::UHUGEINT, 'Narrow Org', ?)`,
		store.AddrNum(netip.MustParseAddr("203.0.113.0")), store.AddrNum(netip.MustParseAddr("203.0.113.255")), time.Unix(1700000000, 0).UTC(),
		store.AddrNum(netip.MustParseAddr("203.0.113.0")), store.AddrNum(netip.MustParseAddr("203.0.113.15")), time.Unix(1700000000, 0).UTC()); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return e, dir
}

// casesDir finds the cases folder of a workbench from its cases page.
func casesDir(t *testing.T, e *echo.Echo) string {
	t.Helper()
	r := get(t, e, "/")
	dir := strings.TrimSpace(r.doc.Find("main p.muted code").First().Text())
	if dir == "" {
		t.Fatalf("no folder on the cases page:\n%s", r.body)
	}
	return dir
}

func TestIPPivot(t *testing.T) {
	e, _ := newFocusServer(t)
	const target = "/cases/demo/ip/203.0.113.9"

	t.Run("stale tables are reported", func(t *testing.T) {
		r := get(t, e, target)
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if r.doc.Find(`[data-testid="pivot-stale"]`).Length() != 1 {
			t.Fatalf("no stale notice:\n%s", r.body)
		}
		if action := r.doc.Find(`[data-testid="pivot-stale"] form`).AttrOr("action", ""); action != "/cases/demo/prepare" {
			t.Errorf("the update button posts to %q", action)
		}
	})

	// An analysis run rebuilds the derived tables.
	a := get(t, e, "/cases/demo/analyses/traffic-summary")
	if a.code != http.StatusOK {
		t.Fatalf("analysis status %d:\n%s", a.code, a.body)
	}

	t.Run("address page", func(t *testing.T) {
		r := get(t, e, target)
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if r.doc.Find(`[data-testid="pivot-stale"]`).Length() != 0 {
			t.Fatalf("still stale:\n%s", r.body)
		}
		if got := text(r, `[data-testid="pivot-addr"]`); got != "203.0.113.9" {
			t.Errorf("addr %q", got)
		}
		for id, want := range map[string]string{"pivot-flows": "2", "pivot-packets": "25", "pivot-accepted": "2", "pivot-rejected": "0"} {
			if got := text(r, `[data-testid="`+id+`"] .value`); got != want {
				t.Errorf("%s %q, want %q", id, got, want)
			}
		}
		if got := text(r, `[data-testid="pivot-first"] .value`); got != "2023-11-14 22:13:20 UTC" {
			t.Errorf("first seen %q", got)
		}
		if got := text(r, `[data-testid="pivot-scope"]`); got == "" {
			t.Error("no scope")
		}
		if got := text(r, `[data-testid="pivot-whois-org"]`); got != "Narrow Org" {
			t.Errorf("whois org %q, want the smallest network's", got)
		}
		cp := r.doc.Find(`[data-testid="pivot-counterparts"] [data-testid="result-row"]`)
		if cp.Length() != 1 || !strings.Contains(cp.Text(), "10.0.1.10") {
			t.Errorf("counterparts:\n%s", r.body)
		}
		if href, _ := cp.Find(`[data-testid="addr-link"]`).Attr("href"); href != "/cases/demo/ip/10.0.1.10" {
			t.Errorf("counterpart link %q", href)
		}
		// Its two flows are one conversation: its HTTPS from port 50000 to
		// the focus's 443, answered.
		conv := r.doc.Find(`[data-testid="pivot-conversation"]`)
		if conv.Length() != 1 {
			t.Fatalf("%d conversations:\n%s", conv.Length(), r.body)
		}
		if got := strings.Join(strings.Fields(conv.Text()), " "); !strings.HasPrefix(got, "203.0.113.9 → focus:443/tcp (HTTPS), 1 session, 2 records, 4.2 KiB ACCEPT") {
			t.Errorf("conversation %q", got)
		}
		if href, _ := conv.Find(`[data-testid="service-flows"]`).Attr("href"); href != "/cases/demo/flows?addr=203.0.113.9&peer=10.0.1.10&port=443&protocol=6" {
			t.Errorf("conversation's records link %q", href)
		}
		if href, _ := r.doc.Find(`[data-testid="pivot-flows-link"]`).Attr("href"); href != "/cases/demo/flows?addr=203.0.113.9" {
			t.Errorf("flows link %q", href)
		}
		// Its own timeline: its two flows, not the case's three.
		bars := r.doc.Find(`[data-testid="pivot-timeline"] [data-testid="timeline-bar"] title`)
		total := 0
		bars.Each(func(_ int, s *goquery.Selection) {
			var acc, rej int
			if _, err := fmt.Sscanf(s.Text()[strings.Index(s.Text(), "): ")+3:], "%d accepted, %d rejected", &acc, &rej); err != nil {
				t.Errorf("bar title %q: %v", s.Text(), err)
			}
			total += acc + rej
		})
		if total != 2 {
			t.Errorf("the timeline holds %d flows, want 2", total)
		}
	})

	t.Run("rejected peer", func(t *testing.T) {
		r := get(t, e, "/cases/demo/ip/198.51.100.7")
		if got := text(r, `[data-testid="pivot-rejected"] .value`); got != "1" {
			t.Errorf("rejected %q:\n%s", got, r.body)
		}
		if r.doc.Find(`[data-testid="pivot-no-whois"]`).Length() != 1 {
			t.Error("want no WHOIS")
		}
	})

	t.Run("unknown address", func(t *testing.T) {
		r := get(t, e, "/cases/demo/ip/2001:db8::1")
		if r.code != http.StatusOK || text(r, `[data-testid="pivot-flows"] .value`) != "0" || r.doc.Find(`[data-testid="pivot-no-info"]`).Length() != 1 {
			t.Errorf("status %d:\n%s", r.code, r.body)
		}
	})

	t.Run("analysis cells link to the pivot", func(t *testing.T) {
		r := get(t, e, "/cases/demo/analyses/top-external")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		found := false
		r.doc.Find(`[data-testid="result-row"] [data-testid="addr-link"]`).Each(func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			found = found || (href == "/cases/demo/ip/"+s.Text())
		})
		if !found {
			t.Errorf("no address link:\n%s", r.body)
		}
	})
}

func TestIPPivotBadAddr(t *testing.T) {
	e := newServer(t)
	for target, want := range map[string]int{
		"/cases/demo/ip/not-an-ip":                    http.StatusBadRequest,
		"/cases/demo/ip/%3Cscript%3Ex%3C%2Fscript%3E": http.StatusBadRequest,
		"/cases/demo/ip/10.0.0.0%2F8":                 http.StatusBadRequest,
		"/cases/nope/ip/10.0.0.1":                     http.StatusNotFound,
	} {
		r := get(t, e, target)
		if r.code != want {
			t.Errorf("%s: status %d, want %d:\n%s", target, r.code, want, r.body)
		}
		if strings.Contains(r.body, "<script>x") {
			t.Errorf("%s: markup not escaped", target)
		}
	}
}
