package queries

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

const v5Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service"

// The handcrafted case: focus 10.0.1.10 and 2600:1f18:abc:de01::10, VPC
// 10.0.0.0/16 and 2600:1f18:abc:de00::/56.
var handLines = []string{
	"5 1 eni-web 45.61.9.9 10.0.1.10 50001 22 6 2 120 1700000000 1700000060 REJECT OK - - - -",
	"5 1 eni-web 45.61.9.9 10.0.1.10 50002 22 6 2 120 1700000100 1700000160 REJECT OK - - - -",
	"5 1 eni-web 45.61.9.9 10.0.1.10 50003 22 6 2 120 1700000200 1700000260 REJECT OK - - - -",
	"5 1 eni-web 45.61.1.1 10.0.1.10 50004 22 6 20 4000 1700000300 1700000360 ACCEPT OK - - - -",
	"5 1 eni-web 45.61.2.2 10.0.1.10 50005 22 6 2 120 1700000300 1700000360 REJECT OK - - - -",
	"5 1 eni-web 10.0.1.10 45.61.1.1 22 50004 6 30 9000 1700000300 1700000360 ACCEPT OK - - - -",
	"5 1 eni-web 10.0.1.10 10.0.2.15 40000 22 6 10 1000 1700000400 1700000460 ACCEPT OK - - - -",
	"5 1 eni-nat 10.0.0.5 52.216.1.1 40001 443 6 100 5000000 1700000500 1700000560 ACCEPT OK 10.0.1.10 52.216.1.1 - S3",
	"5 1 eni-web 2a02:cf40::1 2600:1f18:abc:de01::10 50006 443 6 5 700 1700000600 1700000660 ACCEPT OK - - - -",
	"5 1 eni-other 10.0.3.3 10.0.3.4 40002 5432 6 5 700 1700000700 1700000760 ACCEPT OK - - - -",
	"5 1 eni-web 172.31.5.5 10.0.1.10 50007 3389 6 1 40 1700000800 1700000860 REJECT OK - - - -",
	"5 1 eni-web - - - - - - - 1700000900 1700000960 - NODATA - - - -",
}

func handCase(t *testing.T, focus bool) *store.Case {
	t.Helper()
	c := emptyCase(t)
	ctx := context.Background()
	if focus {
		c.AddFocus(ctx, []store.FocusIP{
			{Addr: netip.MustParseAddr("10.0.1.10"), Source: "test"},
			{Addr: netip.MustParseAddr("2600:1f18:abc:de01::10"), Source: "test"},
		})
		c.AddVPCCIDRs(ctx, []store.VPCCIDR{
			{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Source: "test"},
			{Prefix: netip.MustParsePrefix("2600:1f18:abc:de00::/56"), Source: "test"},
		})
	}
	ingestText(t, c, v5Header+"\n"+strings.Join(handLines, "\n")+"\n")
	return c
}

func ingestText(t *testing.T, c *store.Case, text string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.log")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.Begin(context.Background(), c, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := in.File(context.Background(), p); r.Status != ingest.Loaded {
		t.Fatalf("ingest: %+v", r)
	}
}

// run runs an analysis and returns its rows as maps.
func run(t *testing.T, c *store.Case, name string, given map[string]string) []map[string]any {
	t.Helper()
	r := runResult(t, c, name, given, false)
	var out []map[string]any
	for _, row := range r.Rows {
		m := map[string]any{}
		for i, col := range r.Columns {
			m[col.Name] = row[i]
		}
		out = append(out, m)
	}
	return out
}

func runResult(t *testing.T, c *store.Case, name string, given map[string]string, fresh bool) *Result {
	t.Helper()
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := reg.Get(name)
	params, err := a.Bind(given, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), c, a, params, Options{Fresh: fresh, Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// column returns one column of the rows, as strings ("" for NULL).
func column(rows []map[string]any, name string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmtValue(r[name]))
	}
	return out
}

func fmtValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return v.Format(time.RFC3339)
	default:
		return fmt.Sprint(v)
	}
}

func TestSemantics(t *testing.T) {
	c := handCase(t, true)
	tests := []struct {
		analysis string
		given    map[string]string
		col      string
		want     []string
	}{
		// Ties (45.61.1.1 and 45.61.2.2, one flow each) sort by address.
		{"ssh-inbound", nil, "src_ip", []string{"45.61.9.9", "45.61.1.1", "45.61.2.2"}},
		{"ssh-inbound", nil, "action", []string{"REJECT", "ACCEPT", "REJECT"}},
		{"ssh-inbound", nil, "flows", []string{"3", "1", "1"}},
		{"ssh-inbound", map[string]string{"start": "1700000100", "end": "1700000200"}, "flows", []string{"2"}},
		{"ssh-response", nil, "dst_ip", []string{"45.61.1.1"}},
		{"ssh-outbound", nil, "dst_ip", []string{"10.0.2.15"}},
		{"ssh-outbound", nil, "scope", []string{"internal"}},
		// The NAT record names the real peer and the focus through pkt-*.
		{"external-outbound", nil, "dst_ip", []string{"45.61.1.1", "52.216.1.1"}},
		{"external-outbound", nil, "aws_service", []string{"", "S3"}},
		// 172.31.5.5 is private but outside the VPC: external. 10.0.2.15 is not.
		{"external-inbound", nil, "src_ip", []string{"45.61.9.9", "172.31.5.5", "2a02:cf40::1", "45.61.1.1", "45.61.2.2"}},
		{"external-inbound", nil, "scope", []string{"public", "private", "public", "public", "public"}},
		{"external-summary", nil, "direction", []string{"inbound", "inbound", "outbound"}},
		{"external-summary", nil, "peers", []string{"2", "3", "2"}},
		// Ties sort by direction, then peer.
		{"sensitive-ports", nil, "service", []string{"SSH", "RDP", "SSH", "SSH", "SSH"}},
		{"sensitive-ports", nil, "peer_ip", []string{"45.61.9.9", "172.31.5.5", "45.61.1.1", "45.61.2.2", "10.0.2.15"}},
		{"rejected", nil, "src_ip", []string{"45.61.9.9", "172.31.5.5", "45.61.2.2"}},
		{"port-specific", map[string]string{"port": "443"}, "peer_ip", []string{"52.216.1.1", "2a02:cf40::1"}},
		{"top-external", map[string]string{"order": "bytes"}, "peer_ip", []string{"52.216.1.1", "45.61.1.1", "45.61.1.1", "2a02:cf40::1", "45.61.9.9", "45.61.2.2", "172.31.5.5"}},
		{"top-talkers", nil, "peer_ip", []string{"52.216.1.1", "45.61.1.1", "45.61.1.1", "10.0.2.15", "2a02:cf40::1"}},
		{"traffic-summary", nil, "flows", []string{"5", "5"}},
		{"traffic-summary", nil, "action", []string{"ACCEPT", "REJECT"}},
		{"coverage", nil, "interface_id", []string{"eni-nat", "eni-web"}},
		{"coverage", nil, "nodata", []string{"0", "1"}},
		// The silences over two minutes, both of eni-web: after the internal
		// SSH record (22:21:00 to the IPv6 record at 22:23:20) and after the
		// IPv6 record (22:24:20 to the RDP probe at 22:26:40).
		{"coverage-gaps", map[string]string{"gap": "2m"}, "interface_id", []string{"eni-web", "eni-web"}},
		{"coverage-gaps", map[string]string{"gap": "2m"}, "silent_from", []string{"2023-11-14T22:21:00Z", "2023-11-14T22:24:20Z"}},
		{"coverage-gaps", map[string]string{"gap": "2m"}, "heard_again", []string{"2023-11-14T22:23:20Z", "2023-11-14T22:26:40Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.analysis+"/"+tt.col, func(t *testing.T) {
			got := column(run(t, c, tt.analysis, tt.given), tt.col)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%s %v: %s = %q, want %q", tt.analysis, tt.given, tt.col, got, tt.want)
			}
		})
	}
}

// TestCaseWithoutFocus: every flow counts; direction is relative to the VPC.
func TestCaseWithoutFocus(t *testing.T) {
	c := handCase(t, false)
	rows := run(t, c, "traffic-summary", nil)
	var total int64
	for _, r := range rows {
		total += r["flows"].(int64)
	}
	if total != int64(len(handLines)-1) {
		t.Fatalf("a case without a focus sees %d flows, want every record with addresses (%d)", total, len(handLines)-1)
	}
	// No VPC CIDRs either: private addresses are the local side.
	if got := column(run(t, c, "ssh-inbound", nil), "src_ip"); !slices.Equal(got, []string{"45.61.9.9", "45.61.1.1", "45.61.2.2"}) {
		t.Fatalf("ssh-inbound without focus: %q", got)
	}
}

func TestCloudRangesMostSpecificWins(t *testing.T) {
	c := handCase(t, true)
	for _, r := range []struct{ provider, prefix, service string }{
		{"aws", "52.0.0.0/8", "AMAZON"}, {"aws", "52.216.0.0/15", "AMAZON"}, {"aws", "52.216.0.0/15", "S3"},
		{"example", "2a02:cf40::/32", "CDN"}, {"example", "2a02::/16", "ALL"},
	} {
		p := netip.MustParsePrefix(r.prefix)
		first, last := store.PrefixRange(p)
		if _, err := c.DB.Exec(`INSERT INTO cidr_ranges VALUES (1, ?, ?, 'us-east-1', ?, ?, ?, ?::UHUGEINT, ?::UHUGEINT)`,
			r.provider, r.service, r.prefix, store.Family(p.Addr()), p.Bits(), first, last); err != nil {
			t.Fatal(err)
		}
	}
	c.DB.Exec(`INSERT INTO cidr_snapshots (provider, source, sha256, prefixes) VALUES ('aws', 'test', 'x', 3)`)
	rows := run(t, c, "cidr-connections", nil)
	if got := column(rows, "peer_ip"); !slices.Equal(got, []string{"52.216.1.1", "2a02:cf40::1"}) {
		t.Fatalf("peers %q", got)
	}
	if got := column(rows, "cloud_prefix"); !slices.Equal(got, []string{"52.216.0.0/15", "2a02:cf40::/32"}) {
		t.Fatalf("prefixes %q", got)
	}
	if rows[0]["provider"] != "aws" || rows[0]["cloud_service"] != "S3" || rows[1]["cloud_service"] != "CDN" {
		t.Fatalf("rows %v", rows)
	}
}

func TestRunsAreStoredAndReused(t *testing.T) {
	c := handCase(t, true)
	first := runResult(t, c, "ssh-inbound", nil, false)
	again := runResult(t, c, "ssh-inbound", nil, false)
	if !again.Cached || again.RunID != first.RunID || len(again.Rows) != len(first.Rows) {
		t.Fatalf("second run: cached=%v %s vs %s", again.Cached, again.RunID, first.RunID)
	}
	for i := range first.Rows {
		if !slices.EqualFunc(first.Rows[i], again.Rows[i], func(a, b any) bool { return fmtValue(a) == fmtValue(b) }) {
			t.Fatalf("stored row %d differs: %v vs %v", i, first.Rows[i], again.Rows[i])
		}
		for j := range first.Rows[i] {
			if a, b := first.Rows[i][j], again.Rows[i][j]; a != nil && b != nil && fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
				t.Fatalf("column %s is %T fresh and %T stored", first.Columns[j].Name, a, b)
			}
		}
	}
	reg, _ := Load()
	an, _ := reg.Get("ssh-inbound")
	params, _ := an.Bind(nil, time.Now())
	if stored, err := Stored(context.Background(), c, an, params); err != nil || stored == nil || stored.RunID != first.RunID {
		t.Fatalf("Stored: %v %v", stored, err)
	}
	other2222, _ := an.Bind(map[string]string{"port": "2222"}, time.Now())
	if stored, err := Stored(context.Background(), c, an, other2222); err != nil || stored != nil {
		t.Fatalf("Stored for other parameters: %v %v", stored, err)
	}
	if other := runResult(t, c, "ssh-inbound", map[string]string{"port": "2222"}, false); other.Cached {
		t.Fatal("other parameters reused a stored result")
	}
	if fresh := runResult(t, c, "ssh-inbound", nil, true); fresh.Cached || fresh.RunID == first.RunID {
		t.Fatal("--fresh reused a stored result")
	}
	ingestText(t, c, v5Header+"\n5 1 eni-web 45.61.3.3 10.0.1.10 1 22 6 1 1 1700001000 1700001060 REJECT OK - - - -\n")
	after := runResult(t, c, "ssh-inbound", nil, false)
	if after.Cached || len(after.Rows) != 4 {
		t.Fatalf("after new records: cached=%v rows=%d", after.Cached, len(after.Rows))
	}
	runs, err := Runs(context.Background(), c)
	if err != nil || len(runs) != 4 || runs[0].RunID != after.RunID {
		t.Fatalf("runs: %d %v", len(runs), err)
	}
}

// TestDemoIncidents: the analyses find what the demo generator planted.
func TestDemoIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a demo case")
	}
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := demo.WriteTree(ctx, dir, demo.Options{Records: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	c := emptyCase(t)
	for _, ip := range sum.Case.InstanceIPs {
		c.AddFocus(ctx, []store.FocusIP{{Addr: ip, Source: "demo"}})
	}
	for _, p := range sum.Case.VPCCIDRs {
		c.AddVPCCIDRs(ctx, []store.VPCCIDR{{Prefix: p, Source: "demo"}})
	}
	in, _ := ingest.Begin(ctx, c, ingest.Options{})
	for _, f := range sum.Files {
		if r := in.File(ctx, filepath.Join(dir, f)); r.Status != ingest.Loaded {
			t.Fatalf("%s: %v", f, r.Err())
		}
	}
	peers := map[string][]string{}
	for _, inc := range sum.Case.Incidents {
		peers[inc.Name] = append(peers[inc.Name], inc.Peer)
	}

	ssh := run(t, c, "ssh-inbound", nil)
	for _, p := range peers["ssh-brute-force"] {
		if !slices.Contains(column(ssh, "src_ip"), p) {
			t.Errorf("ssh-inbound misses brute-force source %s", p)
		}
	}
	accepted := map[string]bool{}
	for _, r := range ssh {
		if r["action"] == "ACCEPT" && r["scope"] == "public" {
			accepted[r["src_ip"].(string)] = true
		}
	}
	if len(accepted) != 1 || !accepted[peers["ssh-session"][0]] {
		t.Errorf("public sources with accepted SSH: %v, want only %s", accepted, peers["ssh-session"])
	}

	scan := run(t, c, "port-scan", nil)
	if len(scan) == 0 || scan[0]["src_ip"] != peers["port-scan"][0] || scan[0]["distinct_ports"].(int64) < 200 || scan[0]["rejected_share"].(float64) < 0.9 {
		t.Errorf("port-scan top row: %v, want %s", scan[0], peers["port-scan"])
	}

	talkers := run(t, c, "top-talkers", nil)
	found := false
	for _, r := range talkers[:3] {
		found = found || (r["peer_ip"] == peers["exfiltration"][0] && r["direction"] == "outbound" && r["bytes"].(int64) > 1e9)
	}
	if !found {
		t.Errorf("top-talkers' first rows miss the exfiltration to %s: %v", peers["exfiltration"], column(talkers[:3], "peer_ip"))
	}

	lateral := column(run(t, c, "ssh-outbound", nil), "dst_ip")
	for _, p := range peers["lateral-ssh"] {
		if !slices.Contains(lateral, p) {
			t.Errorf("ssh-outbound misses lateral SSH to %s: %v", p, lateral)
		}
	}
	rdp := map[string]bool{}
	for _, r := range run(t, c, "sensitive-ports", nil) {
		if r["port"] == int64(3389) && r["action"] == "REJECT" {
			rdp[r["peer_ip"].(string)] = true
		}
	}
	for _, p := range peers["rdp-probe"] {
		if !rdp[p] {
			t.Errorf("sensitive-ports misses the RDP probe from %s", p)
		}
	}
	var skip int64
	for _, r := range run(t, c, "coverage", nil) {
		skip += r["skipdata"].(int64)
	}
	if skip == 0 {
		t.Error("coverage shows no SKIPDATA")
	}
}

// TestOrgAndASN: a WHOIS network names the org and ASN of the addresses in
// it (the smallest network wins); imported ASN data covers the rest.
func TestOrgAndASN(t *testing.T) {
	c := handCase(t, true)
	first, last := store.PrefixRange(netip.MustParsePrefix("45.61.0.0/16"))
	if _, err := c.DB.Exec(`INSERT INTO asn_snapshots (id, source, format, sha256, ranges) VALUES (1, 't', 'iptoasn', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`INSERT INTO asn_ranges VALUES (1, 4, ?::UHUGEINT, ?::UHUGEINT, 12345, 'EVIL-NET', 'NL')`, first, last); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ prefix, org, asn string }{{"45.61.0.0/16", "Big ISP", "AS1"}, {"45.61.1.0/24", "Example Org", "AS64500"}} {
		f, l := store.PrefixRange(netip.MustParsePrefix(w.prefix))
		if _, err := c.DB.Exec(`INSERT INTO whois (query_ip, network, start_num, end_num, org, asn, fetched_at) VALUES ('x', ?, ?::UHUGEINT, ?::UHUGEINT, ?, ?, now()::TIMESTAMP)`,
			w.prefix, f, l, w.org, w.asn); err != nil {
			t.Fatal(err)
		}
	}
	rows := run(t, c, "ssh-inbound", nil)
	got := map[string]string{}
	for _, r := range rows {
		got[r["src_ip"].(string)] = fmtValue(r["org"]) + "/" + fmtValue(r["asn"])
	}
	if got["45.61.1.1"] != "Example Org/AS64500" || got["45.61.9.9"] != "Big ISP/AS1" {
		t.Fatalf("org/asn: %v", got)
	}
	// Without WHOIS, the AS of the imported data.
	c.DB.Exec(`DELETE FROM whois`)
	rows = run(t, c, "ssh-inbound", nil)
	for _, r := range rows {
		if fmtValue(r["org"]) != "EVIL-NET" || fmtValue(r["asn"]) != "AS12345" {
			t.Fatalf("%s: org %v asn %v", r["src_ip"], r["org"], r["asn"])
		}
	}
}
