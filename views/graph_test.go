package views

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// TestGraph: the connection graph of the browser test's case (a focus, an
// SSH attacker, HTTPS peers inside and outside the VPC, 120 telnet
// scanners) under each of its filters.
func TestGraph(t *testing.T) {
	dir := newBrowserCase(t, browserFlowLines())
	// Ingest builds the derived tables; a focus added from the CLI
	// afterwards leaves them stale, which the page must say.
	addFocusBehind(t, dir, "10.0.1.99")
	e, err := New(Options{CasesDir: dir, Program: "test", Now: func() time.Time { return time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	nodes := func(r response) map[string]*goquery.Selection {
		out := map[string]*goquery.Selection{}
		r.doc.Find(`[data-testid="graph-node"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			out[id] = s
		})
		return out
	}
	peersOf := func(r response) []string {
		var out []string
		for id, s := range nodes(r) {
			if k, _ := s.Attr("data-kind"); k == "peer" {
				out = append(out, id)
			}
		}
		return out
	}

	t.Run("stale, then built", func(t *testing.T) {
		r := get(t, e, "/cases/demo/graph")
		if r.code != http.StatusOK || r.doc.Find(`[data-testid="graph-stale"]`).Length() != 1 {
			t.Fatalf("a case never analysed: status %d\n%s", r.code, r.body)
		}
		if p := post(t, e, "/cases/demo/prepare", nil, nil); p.code >= 400 {
			t.Fatalf("prepare: %d", p.code)
		}
	})

	t.Run("everything", func(t *testing.T) {
		r := get(t, e, "/cases/demo/graph")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		if href, _ := r.doc.Find(`[data-testid="nav-graph"]`).Attr("href"); href != "/cases/demo/graph" {
			t.Errorf("nav link %q", href)
		}
		n := nodes(r)
		focus := n[browserFocus]
		if focus == nil || focus.AttrOr("data-kind", "") != "focus" {
			t.Fatalf("no focus node:\n%s", r.body)
		}
		// 126 peers: the attacker, the accepted SSH client, four HTTPS
		// peers (two inside the VPC), 120 scanners; 60 get a node.
		if got := text(r, `[data-testid="graph-summary"]`); !strings.HasPrefix(got, "126 peers, 60 shown one by one") {
			t.Errorf("summary %q", got)
		}
		if got := len(peersOf(r)); got != 60 {
			t.Errorf("%d peer nodes, want 60", got)
		}
		others := r.doc.Find(`[data-testid="graph-node"][data-kind="others"]`)
		if others.Length() != 1 || !strings.Contains(others.Text(), "66 others") {
			t.Errorf("others: %q", others.Text())
		}
		if href, _ := others.Attr("href"); href != "/cases/demo/graph?peers=120" {
			t.Errorf("others link %q", href)
		}
		// The attacker: a link to its pivot, labelled for screen readers,
		// its rejected SSH a dashed edge to the records of the pair.
		a := n[browserAttacker]
		if a == nil {
			t.Fatal("no attacker node")
		}
		if href, _ := a.Attr("href"); href != "/cases/demo/ip/"+browserAttacker {
			t.Errorf("attacker link %q", href)
		}
		if label, _ := a.Attr("aria-label"); !strings.Contains(label, browserAttacker+": private peer") || !strings.Contains(label, "all rejected") {
			t.Errorf("attacker label %q", label)
		}
		edge := r.doc.Find(`[data-testid="graph-edge"][data-from="` + browserAttacker + `"]`)
		if edge.Length() != 1 || !strings.Contains(edge.AttrOr("class", ""), "reject") {
			t.Fatalf("attacker edge: %d, class %q", edge.Length(), edge.AttrOr("class", ""))
		}
		if href, _ := edge.Attr("href"); href != "/cases/demo/flows?addr="+browserAttacker+"&peer="+browserFocus+"&port=22&protocol=6" {
			t.Errorf("attacker edge link %q", href)
		}
		if f := get(t, e, edge.AttrOr("href", "")); f.code != http.StatusOK || f.doc.Find(`[data-testid="flows"] [data-testid="result-row"]`).Length() != browserAttempts {
			t.Errorf("the edge's records: status %d", f.code)
		}
		// The same data, the same picture.
		if again := get(t, e, "/cases/demo/graph"); again.body != r.body {
			t.Error("a second request drew another graph")
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			peers []string // exactly these peer nodes (sorted as the page has them)
		}{
			{"direction=outbound", []string{"10.0.2.5", "192.0.2.44", "203.0.113.9"}},
			{"port=22", []string{browserAttacker, "203.0.113.50"}},
			{"scope=internal", []string{"10.0.1.20", "10.0.2.5"}},
			{"weight=records&min=5", []string{browserAttacker, "10.0.2.5", "192.0.2.44", "203.0.113.9"}},
			{"start=2023-11-14T22:13:00Z&end=2023-11-14T22:20:00Z", []string{browserAttacker, "203.0.113.50"}},
		} {
			r := get(t, e, "/cases/demo/graph?"+tt.query)
			if r.code != http.StatusOK {
				t.Errorf("%s: status %d", tt.query, r.code)
				continue
			}
			got := peersOf(r)
			if strings.Join(sortedAddrs(got), " ") != strings.Join(sortedAddrs(tt.peers), " ") {
				t.Errorf("%s: peers %v, want %v", tt.query, sortedAddrs(got), tt.peers)
			}
			if r.doc.Find(`[data-testid="graph-node"][data-kind="others"]`).Length() != 0 {
				t.Errorf("%s: an others node", tt.query)
			}
		}
		// Few peers one by one: the rest in groups, by scope and direction.
		r := get(t, e, "/cases/demo/graph?peers=3")
		if got := len(peersOf(r)); got != 3 {
			t.Errorf("peers=3: %d peer nodes", got)
		}
		if got := r.doc.Find(`[data-testid="graph-node"][data-kind="others"]`).Length(); got < 2 {
			t.Errorf("peers=3: %d groups", got)
		}
		// The weight toggle keeps the filter.
		r = get(t, e, "/cases/demo/graph?port=22")
		if href, _ := r.doc.Find(`[data-testid="graph-weight-toggle"]`).Attr("href"); href != "/cases/demo/graph?port=22&weight=records" {
			t.Errorf("weight toggle %q", href)
		}
		if r := get(t, e, "/cases/demo/graph?port=9"); r.doc.Find(`[data-testid="graph-empty"]`).Length() != 1 {
			t.Error("no conversation on port 9, and no empty graph message")
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for q, want := range map[string]string{
			"direction=sideways":              "direction",
			"port=70000":                      "port",
			"scope=mars":                      "scope",
			"weight=packets":                  "weight",
			"min=-1":                          "min",
			"peers=0":                         "peers",
			"peers=100000":                    "peers",
			"start=soonish":                   "start",
			"start=2023-11-15&end=2023-11-14": "before",
		} {
			r := get(t, e, "/cases/demo/graph?"+q)
			if r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="error-message"]`), want) {
				t.Errorf("%s: status %d, message %q", q, r.code, text(r, `[data-testid="error-message"]`))
			}
		}
		if r := get(t, e, "/cases/nope/graph"); r.code != http.StatusNotFound {
			t.Errorf("unknown case: %d", r.code)
		}
	})
}

// sortedAddrs sorts addresses as addresses.
func sortedAddrs(in []string) []string {
	out := append([]string(nil), in...)
	slices.SortFunc(out, func(a, b string) int { return compareCells(a, b) })
	return out
}
