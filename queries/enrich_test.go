package queries

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/investigator/investigator/store"
)

// TestDerivedTablesIncremental: records added to a case are added to the
// derived tables alone, with exactly the rows a full rebuild gives; anything
// else they are built from changing rebuilds them in full.
func TestDerivedTablesIncremental(t *testing.T) {
	ctx := context.Background()
	first := newFlowSet(60, 1)
	first.background()
	first.bruteForce("203.0.113.7", web, 22, 3600, 40, true)
	// Pings (no ports) in the same hour from both files.
	first.emit(conv{eni: eniWeb, src: "203.0.113.8", dst: web, proto: 1, at: 3600 + 60, dur: 5, fpk: 4, fby: 336, rpk: 4, rby: 336})
	c := detCase(t, first)

	derive := func(wantBuilt, wantExtended []string) {
		t.Helper()
		d, err := c.Derive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Built, wantBuilt) || !slices.Equal(d.Extended, wantExtended) {
			t.Fatalf("built %v, extended %v; want built %v, extended %v", d.Built, d.Extended, wantBuilt, wantExtended)
		}
		if len(d.Stale) != 0 {
			t.Fatalf("still stale: %v", d.Stale)
		}
	}
	both := []string{"address_info", "case_flows", "case_flow_hours", "case_interface_minutes", "case_service_halves", "case_conversations"}
	derive(both, nil) // built from nothing: in full
	derive(nil, nil)  // up to date: nothing to do

	// A second file, with addresses the first did not have, and one more
	// session of the brute force in an hour of the first: that hour's
	// conversations are paired again from both files' records.
	second := newFlowSet(60, 2)
	second.session("203.0.113.7", web, 22, 3600+1800, 5, 300, 400)
	second.emit(conv{eni: eniWeb, src: "203.0.113.8", dst: web, proto: 1, at: 3600 + 2400, dur: 5, fpk: 4, fby: 336, rpk: 4, rby: 336})
	second.session("198.51.100.9", web, 443, 7200, 600, 4000, 90000)
	second.session(web6, "2600:1f18::10", 443, 7300, 60, 500, 700)
	addFlows(t, c, second)
	if stale, err := Stale(ctx, c); err != nil || !stale {
		t.Fatalf("after an ingest: stale %v, %v", stale, err)
	}
	derive(both, both)
	same := snapshotDerived(t, c)
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM enrichment_state`); err != nil {
		t.Fatal(err)
	}
	derive(both, nil)
	if full := snapshotDerived(t, c); !slices.Equal(same, full) {
		t.Fatalf("extended derived tables differ from a full build:\nextended %d rows\nfull %d rows", len(same), len(full))
	}
	var n int
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM case_flows WHERE peer_ip = '198.51.100.9'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("the new file's peer is not in case_flows: %d, %v", n, err)
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT sum(sessions) FROM case_conversations WHERE client = '203.0.113.7' AND server_port = 22`).Scan(&n); err != nil || n != 41 {
		t.Fatalf("the brute force has %d sessions in case_conversations, want 40 of the first file and 1 of the second; %v", n, err)
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT sessions FROM case_conversation_totals WHERE client = '203.0.113.7' AND server_port = 22`).Scan(&n); err != nil || n != 41 {
		t.Fatalf("the brute force has %d sessions in case_conversation_totals, want 41; %v", n, err)
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT sessions FROM case_conversation_totals WHERE client = '203.0.113.8' AND server_port IS NULL`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the pings have %d sessions in case_conversation_totals, want one of each file; %v", n, err)
	}

	// New enrichment: address_info again in full, case_flows untouched.
	lo, hi := store.PrefixRange(netip.MustParsePrefix("198.51.100.0/24"))
	if _, err := c.DB.ExecContext(ctx, `INSERT INTO whois (query_ip, start_num, end_num, network, org, registry, server, fetched_at)
		VALUES ('198.51.100.9', `+lo+`::UHUGEINT, `+hi+`::UHUGEINT, '198.51.100.0/24', 'Example Org', 'arin', 'whois.arin.net', now()::TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	derive([]string{"address_info"}, nil)
	var org string
	if err := c.DB.QueryRowContext(ctx, `SELECT org FROM address_info WHERE addr = '198.51.100.9'`).Scan(&org); err != nil || org != "Example Org" {
		t.Fatalf("org %q, %v", org, err)
	}

	// Another focus address changes every scope: all but what is rolled up
	// of every record in full.
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: netip.MustParseAddr("10.0.1.99"), Source: "test"}}); err != nil {
		t.Fatal(err)
	}
	derive(slices.DeleteFunc(slices.Clone(both), func(s string) bool { return s == "case_interface_minutes" || s == "case_service_halves" }), nil)

	// Records that went away (a file's records deleted by hand in the shell):
	// the tables cannot be extended, only rebuilt.
	third := newFlowSet(60, 3)
	third.session("192.0.2.44", web, 8443, 9000, 30, 100, 100)
	addFlows(t, c, third)
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM flow_records WHERE file_id = (SELECT min(id) FROM ingest_files)`); err != nil {
		t.Fatal(err)
	}
	derive(both, nil)
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM case_flows WHERE file_id = (SELECT min(id) FROM ingest_files)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("case_flows keeps %d records of the deleted file, %v", n, err)
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT sum(sessions) FROM case_conversations WHERE client = '203.0.113.7' AND server_port = 22`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the brute force has %d sessions in case_conversations after its first file went, want the second file's 1; %v", n, err)
	}
}

// snapshotDerived is every row of the derived tables, as sorted text.
func snapshotDerived(t *testing.T, c *store.Case) []string {
	t.Helper()
	var out []string
	rows, err := c.DB.QueryContext(context.Background(), `
		SELECT 'a|' || to_json(i)::VARCHAR FROM address_info i
		UNION ALL SELECT 'f|' || to_json(f)::VARCHAR FROM case_flows f
		UNION ALL SELECT 'c|' || to_json(v)::VARCHAR FROM case_conversations v
		UNION ALL SELECT 't|' || to_json(v)::VARCHAR FROM case_conversation_totals v
		-- An extension adds the new files' rows of an hour beside the rows
		-- it had: the same once summed.
		UNION ALL SELECT 'h|' || to_json(h)::VARCHAR FROM (
			SELECT * EXCLUDE (flows, packets, bytes, first_seen, last_seen),
				sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
			FROM case_flow_hours GROUP BY ALL) h
		UNION ALL SELECT 'ft|' || to_json(h)::VARCHAR FROM (
			SELECT * EXCLUDE (flows, packets, bytes, first_seen, last_seen),
				sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
			FROM case_flow_totals GROUP BY ALL) h
		UNION ALL SELECT 'm|' || to_json(m)::VARCHAR FROM (
			SELECT interface_id, minute, min(first_start), max(last_end), sum(flows), sum(packets), sum(bytes), sum(nodata), sum(skipdata)
			FROM case_interface_minutes GROUP BY ALL) m
		UNION ALL SELECT 's|' || to_json(s)::VARCHAR FROM (
			SELECT * EXCLUDE (flows, syn_only, fins, not_reset, packets, bytes, first_seen, last_seen),
				sum(flows), sum(syn_only), sum(fins), sum(not_reset), sum(packets), sum(bytes), min(first_seen), max(last_seen)
			FROM case_service_halves GROUP BY ALL) s`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
