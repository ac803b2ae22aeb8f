package intel

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// entries is a snapshot's entries as "prefix value comment line" strings.
func entries(s Snapshot) []string {
	var out []string
	for _, e := range s.Entries {
		out = append(out, fmt.Sprintf("%s|%s|%s|%d", e.Prefix, e.Value, e.Comment, e.Line))
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, source, data, given string
		wantName, format          string
		date                      string // RFC 3339, "" for none
		entries                   []string
		skipped                   []string
		ignored                   map[string]int
	}{
		{
			name: "plain list", source: "Our Blocklist.txt", data: plainList,
			wantName: "our-blocklist", format: FormatList, date: "2026-11-19T08:00:00Z",
			entries: []string{
				"10.9.0.1/32|10.9.0.1-10.9.0.6|a range|6", "10.9.0.2/31|10.9.0.1-10.9.0.6|a range|6",
				"10.9.0.4/31|10.9.0.1-10.9.0.6|a range|6", "10.9.0.6/32|10.9.0.1-10.9.0.6|a range|6",
				"192.0.2.44/32|::ffff:192.0.2.44||7",
				"198.51.100.7/32|198.51.100.7|phishing kit host|3", "203.0.113.0/24|203.0.113.0/24|bulletproof hoster|4",
				"2001:db8:bad::/48|2001:db8:bad::/48||5",
			},
			skipped: []string{`line 8: "not-an-address" is not an IP address or CIDR prefix`, `line 9: "192.0.2.300" is not an IP address or CIDR prefix`},
		},
		{
			name: "spamhaus drop", source: "drop.txt", data: spamhausDROP,
			wantName: "spamhaus-drop", format: FormatSpamhaus, date: "2026-11-20T11:29:06Z",
			entries: []string{"1.10.16.0/20|1.10.16.0/20|SBL256894|5", "1.19.0.0/16|1.19.0.0/16|SBL434604|6", "2.56.192.0/22|2.56.192.0/22|SBL459831|7"},
		},
		{
			name: "spamhaus edrop, CRLF, date from the header", source: "edrop.txt", data: spamhausEDROP,
			wantName: "spamhaus-edrop", format: FormatSpamhaus, date: "2024-01-02T00:00:00Z",
			entries: []string{"27.126.160.0/20|27.126.160.0/20|SBL186955|3"},
		},
		{
			name: "spamhaus drop, named by the analyst", source: "drop.txt", data: spamhausDROP, given: "drop",
			wantName: "drop", format: FormatSpamhaus, date: "2026-11-20T11:29:06Z",
			entries: []string{"1.10.16.0/20|1.10.16.0/20|SBL256894|5", "1.19.0.0/16|1.19.0.0/16|SBL434604|6", "2.56.192.0/22|2.56.192.0/22|SBL459831|7"},
		},
		{
			name: "spamhaus json lines", source: "drop_v4.json", data: spamhausJSON,
			wantName: "spamhaus-drop", format: FormatSpamhausJSON, date: "2025-11-20T11:29:06Z",
			entries: []string{"1.10.16.0/20|1.10.16.0/20|SBL256894 (apnic)|1", "1.19.0.0/16|1.19.0.0/16|SBL434604 (apnic)|2"},
			skipped: []string{`line 3: cidr: "1.19.0.0/33" is not an IP address or CIDR prefix`, "line 4: not a JSON object (invalid character 'o' in literal null (expecting 'u'))"},
		},
		{
			name: "spamhaus json lines, IPv6", source: "drop_v6.json", data: spamhausJSONv6,
			wantName: "spamhaus-drop-v6", format: FormatSpamhausJSON, date: "2025-11-20T11:29:06Z",
			entries: []string{"2a06:1280::/32|2a06:1280::/32|SBL303795 (ripencc)|1"},
		},
		{
			name: "tor exit-addresses", source: "exit-addresses", data: torExits,
			wantName: "tor-exits", format: FormatTor, date: "2026-11-20T08:11:35Z",
			entries: []string{
				"162.247.74.201/32|162.247.74.201|exit node 0011BD2485AD45D984EC4159C88FC066E5E3300E, seen 2026-11-20 08:11:35|4",
				"185.220.101.1/32|185.220.101.1|exit node 0091174DE56EADB1E0B5D3E0A9C8D1F7C1E69A4F, seen 2026-11-20 07:20:04|8",
				"2001:db8:7::1/128|2001:db8:7::1|exit node 0091174DE56EADB1E0B5D3E0A9C8D1F7C1E69A4F, seen 2026-11-20 07:21:04|9",
			},
			skipped: []string{`line 10: "Bogus": not an ExitNode, Published, LastStatus or ExitAddress line`, `line 11: ExitAddress: "999.1.1.1" is not an IP address or CIDR prefix`},
		},
		{
			name: "misp csv", source: "misp.event.1234.csv", data: mispCSV,
			wantName: "misp-event-1234", format: FormatMISPCSV, date: "2025-11-21T00:00:00Z",
			entries: []string{
				"198.51.100.7/32|198.51.100.7|ip-dst; Network activity; C2 server; event 1234|2",
				"203.0.113.9/32|203.0.113.9|ip-dst|port; Network activity; event 1234|3",
				"2001:db8::66/128|2001:db8::66|ip-src; Network activity; scanner; object ip-port; event 1234|6",
			},
			skipped: []string{`line 7: ip-src attribute: "not-an-ip" is not an IP address or CIDR prefix`},
			ignored: map[string]int{"domain": 1, "sha256": 1},
		},
		{
			name: "misp json", source: "event.json", data: mispJSON,
			wantName: "event", format: FormatMISPJSON, date: "2026-11-18T00:00:00Z",
			entries: []string{
				`198.51.100.7/32|198.51.100.7|ip-dst; Network activity; C2 server; event 1234 "Campaign X infrastructure"|8`,
				`2001:db8::66/128|2001:db8::66|ip-dst; object ip-port; event 1234 "Campaign X infrastructure"|17`,
			},
			skipped: []string{"line 11: a MISP attribute that cannot be read (cannot unmarshal number into Go struct field mispJSONAttribute.value of type string)"},
			ignored: map[string]int{"domain": 1, "deleted ip-src": 1, "port": 1},
		},
		{
			name: "stix bundle", source: "bundle.json", data: stixBundle,
			wantName: "bundle", format: FormatSTIX, date: "2026-11-19T12:30:00Z",
			entries: []string{
				"192.0.2.10/32|192.0.2.10|IPv6 staging|15", "192.0.2.20/32|192.0.2.20|A set|31", "192.0.2.21/32|192.0.2.21|A set|31",
				"192.0.2.30/32|192.0.2.30|ipv4-addr--1|41",
				"198.51.100.7/32|198.51.100.7|C2 servers|9", "203.0.113.0/24|203.0.113.0/24|C2 servers|9",
				"2001:db8:beef::/64|2001:db8:beef::/64|IPv6 staging|15",
			},
			skipped: []string{"line 26: indicator indicator--4: ipv4-addr:value != is not an address to look for"},
			ignored: map[string]int{"domain-name": 1, "revoked indicator": 1},
		},
		{
			name: "csv with an address column under comments", source: "ipblocklist.csv", data: feodoCSV,
			wantName: "ipblocklist", format: FormatCSV, date: "2026-11-20T11:06:03Z",
			entries: []string{"198.51.100.7/32|198.51.100.7|QakBot; port 443; online|9", "203.0.113.9/32|203.0.113.9|Emotet; port 4643; offline|10"},
			skipped: []string{"line 11: dst_ip: empty"},
		},
		{
			name: "csv separated by semicolons", source: "iocs.csv", data: semicolonCSV,
			wantName: "iocs", format: FormatCSV,
			entries: []string{"198.51.100.7/32|198.51.100.7|C2; ip|2", "2001:db8::66/128|2001:db8::66|staging; ip|3"},
			skipped: []string{`line 4: indicator: "example.com" is not an IP address or CIDR prefix`},
		},
		{
			name: "one column with a header", source: "ips.csv", data: "ip\n192.0.2.1\n192.0.2.2\n",
			wantName: "ips", format: FormatCSV,
			entries: []string{"192.0.2.1/32|192.0.2.1||2", "192.0.2.2/32|192.0.2.2||3"},
		},
		{
			name: "a CSV without a header is a list", source: "x", data: "192.0.2.1,botnet\n192.0.2.2,scanner\n",
			wantName: "x", format: FormatList,
			entries: []string{"192.0.2.1/32|192.0.2.1|botnet|1", "192.0.2.2/32|192.0.2.2|scanner|2"},
		},
		{
			name: "BOM, no final newline, repeats removed", source: "x.txt", data: "\xef\xbb\xbf192.0.2.1\n192.0.2.1\n192.0.2.1 # again",
			wantName: "x", format: FormatList,
			entries: []string{"192.0.2.1/32|192.0.2.1||1", "192.0.2.1/32|192.0.2.1|again|3"},
		},
	}
	// The dates in the Spamhaus JSON fixtures are Unix seconds.
	jsonDate := time.Unix(1763638146, 0).UTC().Format(time.RFC3339)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.source, []byte(tt.data), tt.given)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.wantName || s.Format != tt.format {
				t.Errorf("name %q format %q, want %q %q", s.Name, s.Format, tt.wantName, tt.format)
			}
			want := tt.date
			if tt.format == FormatSpamhausJSON {
				want = jsonDate
			}
			if got := s.Date.Format(time.RFC3339); (want == "" && !s.Date.IsZero()) || (want != "" && got != want) {
				t.Errorf("date %s, want %q", got, want)
			}
			if got := entries(s); !slices.Equal(got, tt.entries) {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.entries, "\n"))
			}
			if !slices.Equal(s.SkippedLines, tt.skipped) || s.Skipped != len(tt.skipped) {
				t.Errorf("skipped %d %q, want %q", s.Skipped, s.SkippedLines, tt.skipped)
			}
			if fmt.Sprint(s.IgnoredKinds) != fmt.Sprint(tt.ignored) && !(len(s.IgnoredKinds) == 0 && len(tt.ignored) == 0) {
				t.Errorf("ignored %v, want %v", s.IgnoredKinds, tt.ignored)
			}
			checkInvariants(t, s)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, data, given, want string }{
		{"empty", "  \n", "", "x.txt: the file is empty"},
		{"comments only", "# nothing yet\n; still nothing\n", "", "x.txt: plain list of addresses: no address or network in it (only comments or blank lines)"},
		{"no address at all", "hello\nworld\n", "", `x.txt: plain list of addresses: no address or network in it (2 lines skipped; first: line 1: "hello" is not an IP address or CIDR prefix)`},
		{"html", "<!DOCTYPE html><title>Login</title>", "", "an HTML or XML page"},
		{"binary", "\x1f\x8b\x08\x00\x00\x00", "", "binary data"},
		{"json of something else", `{"hello": "world"}`, "", "neither a STIX 2.1 bundle"},
		{"broken json", "{\n\"type\": \"bundle\",\n\"objects\": [\n{\"type\": \"indicator\",}\n]}", "", "x.txt: not valid JSON: line 4: invalid character '}'"},
		{"a json document cut short", `{"type": "bundle", "objects": [`, "", "the document ends early"},
		{"misp without addresses", `{"Event": {"Attribute": [{"type": "domain", "value": "evil.example"}]}}`, "", "MISP JSON event: no address or network in it (1 record about other things: domain 1)"},
		{"stix without addresses", `{"type": "bundle", "objects": [{"type": "identity", "id": "identity--1"}]}`, "", "STIX 2.1 bundle: no address or network in it"},
		{"bad name", "192.0.2.1\n", "Bad Name", `"Bad Name" is not a list name`},
		{"no name to be had", "192.0.2.1\n", "", "does not say which list it is"},
		{"deep json", strings.Repeat("[", 100) + strings.Repeat("]", 100), "", "nested more than 64 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source := "x.txt"
			if tt.name == "no name to be had" {
				source = "..."
			}
			_, err := Parse(source, []byte(tt.data), tt.given)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "intel: ") {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want string // prefixes joined by spaces, or the error
	}{
		{"192.0.2.1", "192.0.2.1/32"},
		{"192.0.2.77/24", "192.0.2.0/24"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"2001:DB8::1", "2001:db8::1/128"},
		{"192.0.2.0-192.0.2.255", "192.0.2.0/24"},
		{"192.0.2.5 - 192.0.2.5", "192.0.2.5/32"},
		{"0.0.0.0-255.255.255.255", "0.0.0.0/0"},
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"2001:db8::-2001:db8::2", "2001:db8::/127 2001:db8::2/128"},
		{"192.0.2.9-192.0.2.1", "ends before it starts"},
		{"192.0.2.1-2001:db8::1", "mixes IPv4 and IPv6"},
		{"0.0.0.1-255.255.255.254", "0.0.0.1/32 0.0.0.2/31 0.0.0.4/30"},
		{"not-an-address", "is not an IP address or CIDR prefix"},
		{"192.0.2.1-x", "is not an address range (want FIRST-LAST)"},
		{"fe80::1%eth0", "is not an IP address"},
		{"192.0.2.1/33", "is not an IP address or CIDR prefix"},
	}
	for _, tt := range tests {
		ps, err := ParseValue(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			var s []string
			for _, p := range ps {
				s = append(s, p.String())
			}
			got = strings.Join(s, " ")
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("ParseValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNameFromFile(t *testing.T) {
	for in, want := range map[string]string{
		"drop_v4.json": "drop_v4", "Our Blocklist.txt": "our-blocklist", "/x/y/misp.event.1234.csv": "misp-event-1234",
		"https://example.com/lists/c2.txt?token=1": "c2", "exit-addresses": "exit-addresses", "...": "", "-.txt": "",
		`C:\lists\Bad__Hosts.TXT`: "bad__hosts", "ipblocklist.csv.gz": "ipblocklist",
	} {
		if got := NameFromFile(in); got != want {
			t.Errorf("NameFromFile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSTIXPatterns(t *testing.T) {
	tests := []struct {
		pattern  string
		values   string
		problems string
	}{
		{"[ipv4-addr:value = '198.51.100.1']", "198.51.100.1", ""},
		{"[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2']", "198.51.100.1 198.51.100.2", ""},
		{"[ipv6-addr:value = '2001:db8::/64'] OR [ipv4-addr:value ISSUBSET '10.0.0.0/8']", "2001:db8::/64 10.0.0.0/8", ""},
		{"[IPV4-ADDR:VALUE = '198.51.100.1']", "198.51.100.1", ""},
		{"[network-traffic:src_ref.value = '198.51.100.3' AND network-traffic:dst_port = 443]", "198.51.100.3", ""},
		{"[ipv4-addr:value IN ('198.51.100.4','198.51.100.5' )]", "198.51.100.4 198.51.100.5", ""},
		{"[ipv4-addr:value = 'it\\'s']", "it's", ""},
		{"[ipv4-addr:value NOT = '198.51.100.1']", "", "ipv4-addr:value NOT = is not an address to look for"},
		{"[ipv4-addr:value MATCHES '^198']", "", "ipv4-addr:value MATCHES is not an address to look for"},
		{"[ipv4-addr:value = 198]", "", "ipv4-addr:value =: want a quoted string after it"},
		{"[ipv4-addr:value IN ('a', ]", "", "ipv4-addr:value IN: want a set of quoted strings ('a', 'b')"},
		{"[file:hashes.'SHA-256' = 'abc']", "", ""},
	}
	for _, tt := range tests {
		v, p, _ := stixAddresses(tt.pattern)
		if strings.Join(v, " ") != tt.values || strings.Join(p, "; ") != tt.problems {
			t.Errorf("%s: values %q problems %q, want %q %q", tt.pattern, v, p, tt.values, tt.problems)
		}
	}
	if _, _, kind := stixAddresses("[file:hashes.'SHA-256' = 'abc']"); kind != "file" {
		t.Errorf("kind %q", kind)
	}
}

// checkInvariants holds for every snapshot Parse returns.
func checkInvariants(t *testing.T, s Snapshot) {
	t.Helper()
	if len(s.Entries) == 0 {
		t.Fatal("a snapshot without entries")
	}
	if ValidName(s.Name) != nil || s.Format == "" || len(s.SHA256) != 64 {
		t.Fatalf("name %q format %q sha %q", s.Name, s.Format, s.SHA256)
	}
	if s.Skipped < len(s.SkippedLines) || len(s.SkippedLines) > reportSkipped {
		t.Fatalf("skipped %d, described %d", s.Skipped, len(s.SkippedLines))
	}
	n := 0
	for _, c := range s.IgnoredKinds {
		n += c
	}
	if n != s.Ignored {
		t.Fatalf("ignored %d, by kind %d", s.Ignored, n)
	}
	if !s.Date.IsZero() && s.Date.Location() != time.UTC {
		t.Fatalf("date %v not in UTC", s.Date)
	}
	for i, e := range s.Entries {
		p := e.Prefix
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("entry %d: prefix %v is not canonical", i, p)
		}
		if e.Value == "" || e.Line < 1 {
			t.Fatalf("entry %d: value %q line %d", i, e.Value, e.Line)
		}
		if i > 0 && compareEntry(s.Entries[i-1], e) > 0 {
			t.Fatalf("entries out of order at %d: %v after %v", i, e, s.Entries[i-1])
		}
		if i > 0 && compareEntry(s.Entries[i-1], e) == 0 {
			t.Fatalf("entry %d repeated: %v", i, e)
		}
		if _, err := netip.ParsePrefix(p.String()); err != nil {
			t.Fatal(err)
		}
	}
}
