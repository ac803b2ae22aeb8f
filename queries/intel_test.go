package queries

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

// loadIntel puts lists into a case as intel load does: a snapshot per list
// and its entries (prefix, entry as listed, comment).
func loadIntel(t *testing.T, c *store.Case, lists map[string][][3]string) {
	t.Helper()
	names := make([]string, 0, len(lists))
	for n := range lists {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, name := range names {
		id := i + 100
		if _, err := c.DB.Exec(`INSERT INTO intel_snapshots (id, name, format, source, sha256, snapshot_date, entries)
			VALUES (?, ?, 'list', 'test', sha256(?), '2026-11-20 00:00:00', ?)`, id, name, fmt.Sprint(lists[name]), len(lists[name])); err != nil {
			t.Fatal(err)
		}
		for j, e := range lists[name] {
			p := netip.MustParsePrefix(e[0])
			first, last := store.PrefixRange(p)
			if _, err := c.DB.Exec(`INSERT INTO intel_entries VALUES (?, ?, ?, ?, ?, ?::UHUGEINT, ?::UHUGEINT, ?, ?, ?)`,
				id, name, p.String(), store.Family(p.Addr()), p.Bits(), first, last, e[1], store.Nullable(e[2]), j+1); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestIntelMatch: a peer on a list is a row per list, with the most
// specific entry of the list holding it; CIDR entries hold the addresses
// inside them, in both families; accepted flows make it high.
func TestIntelMatch(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	if rows := run(t, c, "intel-match", nil); len(rows) != 0 {
		t.Fatalf("no list loaded, yet %d rows", len(rows))
	}
	loadIntel(t, c, map[string][][3]string{
		// A network and, more specific, one address inside it.
		"botnet": {{"45.61.0.0/16", "45.61.0.0/16", "SBL1"}, {"45.61.9.9/32", "45.61.9.9", "the scanner"}},
		// An IPv6 address, and an IPv6 network holding it on another list.
		"tor-exits": {{"2a02:cf40::1/128", "2a02:cf40::1", "exit node ABC"}},
		"v6-nets":   {{"2a02:cf40::/32", "2a02:cf40::/32", ""}},
		// Nobody of the case.
		"elsewhere": {{"192.0.2.0/24", "192.0.2.0/24", ""}, {"2001:db8::/32", "2001:db8::/32", ""}},
	})
	rows := run(t, c, "intel-match", nil)
	type row struct{ list, peer, entry, comment, severity, directions, flows, accepted string }
	var got []row
	for _, r := range rows {
		got = append(got, row{fmtValue(r["list"]), fmtValue(r["peer_ip"]), fmtValue(r["entry"]), fmtValue(r["comment"]),
			fmtValue(r["severity"]), fmtValue(r["directions"]), fmtValue(r["flows"]), fmtValue(r["accepted"])})
	}
	// Accepted first (high), then by flows, peer and list.
	want := []row{
		{"botnet", "45.61.1.1", "45.61.0.0/16", "SBL1", "high", "inbound, outbound", "2", "2"},
		{"tor-exits", "2a02:cf40::1", "2a02:cf40::1", "exit node ABC", "high", "inbound", "1", "1"},
		{"v6-nets", "2a02:cf40::1", "2a02:cf40::/32", "", "high", "inbound", "1", "1"},
		{"botnet", "45.61.9.9", "45.61.9.9", "the scanner", "medium", "inbound", "3", "0"},
		{"botnet", "45.61.2.2", "45.61.0.0/16", "SBL1", "medium", "inbound", "1", "0"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("intel-match:\n got %v\nwant %v", got, want)
	}
	if n := rows[3]["entries"]; n != int64(2) {
		t.Errorf("45.61.9.9 is in 2 entries of botnet, the row says %v", n)
	}

	// address_info carries every address's lists, sorted.
	for addr, want := range map[string]string{
		"45.61.9.9": "botnet", "2a02:cf40::1": "tor-exits,v6-nets", "52.216.1.1": "", "10.0.1.10": "",
	} {
		var lists string
		if err := c.DB.QueryRowContext(ctx, `SELECT array_to_string(intel, ',') FROM address_info WHERE addr = ?`, addr).Scan(&lists); err != nil {
			t.Fatal(err)
		}
		if lists != want {
			t.Errorf("address_info.intel of %s: %q, want %q", addr, lists, want)
		}
	}

	pv, err := Pivot(ctx, c, netip.MustParseAddr("2a02:cf40::1"), 5)
	if err != nil || pv.Info == nil || !slices.Equal(pv.Info.Intel, []string{"tor-exits", "v6-nets"}) {
		t.Errorf("pivot of 2a02:cf40::1: %+v %v", pv.Info, err)
	}
	en, err := Enrichment(ctx, c)
	if err != nil || len(en.Intel) != 4 || en.Intel[0].Provider != "botnet" || en.Intel[0].Count != 2 || en.Intel[0].Date == nil {
		t.Errorf("enrichment's lists: %+v %v", en.Intel, err)
	}

	// The rows are findings: the peer is the subject, the list is in the
	// title and the key, so each list makes its own finding.
	reg, _ := Load()
	a, _ := reg.Get("intel-match")
	r := runResult(t, c, "intel-match", nil, false)
	if !r.Cached {
		t.Error("the same question on the same data ran again")
	}
	if err := a.Detection.CheckColumns(a.Name, r.Columns); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for i := range r.Rows {
		cand, err := a.Detection.Candidate(a, r, i)
		if err != nil {
			t.Fatal(err)
		}
		f := cand.Finding
		if len(f.Subjects.Addresses) != 1 || f.Subjects.Addresses[0] != got[i].peer || !strings.Contains(f.Title, got[i].list) ||
			string(f.Severity) != got[i].severity || !slices.Equal(f.MITRE, []string{"T1071"}) || f.FirstSeen == nil {
			t.Errorf("row %d as a finding: %+v", i+1, f)
		}
		keys[f.DetectionKey] = true
	}
	if len(keys) != len(r.Rows) {
		t.Errorf("%d rows make %d distinct findings", len(r.Rows), len(keys))
	}
	if got := r.Rows[0]; !strings.Contains(fmtValue(got[0]), "botnet") {
		t.Errorf("first column %v", got[0])
	}

	// Replacing a list's snapshot is new data: the answer follows it.
	if _, err := c.DB.Exec(`DELETE FROM intel_entries WHERE list = 'botnet'; DELETE FROM intel_snapshots WHERE name = 'botnet'`); err != nil {
		t.Fatal(err)
	}
	loadIntel(t, c, map[string][][3]string{"botnet": {{"45.61.2.2/32", "45.61.2.2", "only this one now"}}})
	if got := column(run(t, c, "intel-match", nil), "peer_ip"); !slices.Equal(got, []string{"2a02:cf40::1", "2a02:cf40::1", "45.61.2.2"}) {
		t.Fatalf("after the list changed: %q", got)
	}
	// A window keeps the flows inside it.
	if got := column(run(t, c, "intel-match", map[string]string{"start": "1700000600", "end": "1700000700"}), "list"); !slices.Equal(got, []string{"tor-exits", "v6-nets"}) {
		t.Fatalf("in the window: %q", got)
	}
}
