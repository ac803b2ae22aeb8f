package views

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestFlows(t *testing.T) {
	lines := append([]string(nil), flowLines...)
	for i := range 150 {
		lines = append(lines, fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60002 10.0.2.%d 10.0.1.10 40000 443 6 1 60 %d %d ACCEPT OK", i%250+1, 1700001000+i, 1700001060+i))
	}
	e := newServerWith(t, lines)
	rowsOf := func(r response) int { return r.doc.Find(`[data-testid="flows"] [data-testid="result-row"]`).Length() }

	t.Run("first page and nav link", func(t *testing.T) {
		r := get(t, e, "/cases/demo/flows")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if n := rowsOf(r); n != 100 {
			t.Errorf("%d rows, want 100", n)
		}
		if href, _ := r.doc.Find(`[data-testid="nav-flows"]`).Attr("href"); href != "/cases/demo/flows" {
			t.Errorf("nav link %q", href)
		}
		if r.doc.Find(`[data-testid="prev-page"]`).Length() != 0 {
			t.Error("previous link on page 1")
		}
		next, ok := r.doc.Find(`[data-testid="next-page"]`).Attr("href")
		if !ok {
			t.Fatal("no next link")
		}
		p2 := get(t, e, next)
		if p2.code != http.StatusOK || rowsOf(p2) != 53 || text(p2, `[data-testid="page"]`) != "2" {
			t.Errorf("page 2: status %d, %d rows", p2.code, rowsOf(p2))
		}
		if p2.doc.Find(`[data-testid="next-page"]`).Length() != 0 || p2.doc.Find(`[data-testid="prev-page"]`).Length() != 1 {
			t.Error("page 2 links")
		}
	})

	t.Run("by addr", func(t *testing.T) {
		r := get(t, e, "/cases/demo/flows?addr=198.51.100.7")
		if r.code != http.StatusOK || rowsOf(r) != 1 || !strings.Contains(r.doc.Find(`[data-testid="result-row"]`).Text(), "198.51.100.7") {
			t.Errorf("status %d, %d rows:\n%s", r.code, rowsOf(r), r.body)
		}
		if r := get(t, e, "/cases/demo/flows?addr=10.0.1.10"); rowsOf(r) != 100 || r.doc.Find(`[data-testid="next-page"]`).Length() != 1 {
			t.Errorf("10.0.1.10: %d rows", rowsOf(r))
		} else if next, _ := r.doc.Find(`[data-testid="next-page"]`).Attr("href"); !strings.Contains(next, "addr=10.0.1.10") || !strings.Contains(next, "page=2") {
			t.Errorf("next link drops the filter: %q", next)
		}
	})

	t.Run("totals and address links", func(t *testing.T) {
		r := get(t, e, "/cases/demo/flows?addr=10.0.1.10&action=ACCEPT")
		for id, want := range map[string]string{
			"flow-records": "152", "flow-accepted": "152", "flow-rejected": "0",
			"flow-packets": "175", "flow-bytes": "13.0 KiB",
		} {
			if got := text(r, `[data-testid="`+id+`"] .value`); got != want {
				t.Errorf("%s: %q, want %q", id, got, want)
			}
		}
		if got := text(r, `[data-testid="flow-range"] .value`); !strings.HasPrefix(got, "2023-11-14 22:13:20") {
			t.Errorf("time range %q", got)
		}
		links := map[string]bool{}
		r.doc.Find(`[data-testid="flows"] [data-testid="addr-link"]`).Each(func(_ int, s *goquery.Selection) {
			links[s.AttrOr("href", "")] = true
		})
		if !links["/cases/demo/ip/10.0.1.10"] || !links["/cases/demo/ip/203.0.113.9"] {
			t.Errorf("address links: %v", links)
		}
	})

	t.Run("by action", func(t *testing.T) {
		r := get(t, e, "/cases/demo/flows?action=REJECT")
		if r.code != http.StatusOK || rowsOf(r) != 1 {
			t.Errorf("status %d, %d rows", r.code, rowsOf(r))
		}
		if r := get(t, e, "/cases/demo/flows?action=ACCEPT&port=22"); rowsOf(r) != 0 {
			t.Errorf("ACCEPT port 22: %d rows", rowsOf(r))
		}
		if r := get(t, e, "/cases/demo/flows?start=2023-11-14T22:20:00Z&end=2023-11-14T22:30:00Z&protocol=6"); rowsOf(r) != 1 {
			t.Errorf("time window: %d rows", rowsOf(r))
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for q, want := range map[string]string{
			"port=70000":            "port",
			"port=22%3B+DROP":       "port",
			"addr=%3Cb%3Ex":         "addr",
			"action=DROP":           "action",
			"protocol=tcp":          "protocol",
			"start=yesterdayish":    "start",
			"page=0":                "page",
			"view=graph":            "view",
			"peer=10.0.1.10":        "peer",
			"addr=10.0.1.10&peer=x": "peer",
		} {
			r := get(t, e, "/cases/demo/flows?"+q)
			if r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="error-message"]`), want) {
				t.Errorf("%s: status %d, message %q", q, r.code, text(r, `[data-testid="error-message"]`))
			}
		}
		if r := get(t, e, "/cases/nope/flows"); r.code != http.StatusNotFound {
			t.Errorf("unknown case: %d", r.code)
		}
	})

	t.Run("pair and conversations", func(t *testing.T) {
		// The records between two addresses, either way.
		if r := get(t, e, "/cases/demo/flows?addr=203.0.113.9&peer=10.0.1.10"); r.code != http.StatusOK || rowsOf(r) != 2 {
			t.Errorf("the pair: status %d, %d rows", r.code, rowsOf(r))
		}
		r := get(t, e, "/cases/demo/flows?addr=10.0.1.10")
		href, _ := r.doc.Find(`[data-testid="view-toggle"]`).Attr("href")
		if href != "/cases/demo/flows?addr=10.0.1.10&view=conversations" {
			t.Fatalf("toggle %q", href)
		}
		// An analysis run builds the derived tables the conversations read.
		if r := get(t, e, "/cases/demo/analyses/ssh-inbound"); r.code != http.StatusOK {
			t.Fatalf("analysis: %d", r.code)
		}
		c := get(t, e, href)
		if c.code != http.StatusOK {
			t.Fatalf("conversations: %d\n%s", c.code, c.body)
		}
		rows := c.doc.Find(`[data-testid="conversations"] [data-testid="result-row"]`)
		// The attacker's rejected SSH and the HTTPS the focus opened (its two
		// records, answered), plus the 150 internal HTTPS clients' requests.
		if got := text(c, `[data-testid="conversation-count"]`); got != "152" || rows.Length() != 152 {
			t.Errorf("%s conversations, %d rows", got, rows.Length())
		}
		if back, _ := c.doc.Find(`[data-testid="view-toggle"]`).Attr("href"); back != "/cases/demo/flows?addr=10.0.1.10" {
			t.Errorf("toggle back %q", back)
		}
		ssh := c.doc.Find(`[data-testid="conversations"] [data-testid="result-row"]:contains("198.51.100.7")`)
		if ssh.Length() != 1 || !strings.Contains(ssh.Text(), "REJECT") {
			t.Errorf("the attacker's conversation: %q", ssh.Text())
		}
		if href, _ := ssh.Find(`[data-testid="addr-link"]`).First().Attr("href"); href != "/cases/demo/ip/198.51.100.7" {
			t.Errorf("client link %q", href)
		}
		if r := get(t, e, href+"&port=22"); text(r, `[data-testid="conversation-count"]`) != "1" {
			t.Errorf("conversations on port 22: %s", text(r, `[data-testid="conversation-count"]`))
		}
	})
}
