package asn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	wantV4 = []string{
		"1.0.0.0-1.0.0.255 13335 CLOUDFLARENET US",
		"1.0.4.0-1.0.7.255 38803 WPL-AS-AP Wirefreebroadband Pty Ltd AU",
		"8.8.8.0-8.8.8.255 15169 GOOGLE US",
	}
	wantV6 = []string{
		"2001:4860::-2001:4860:ffff:ffff:ffff:ffff:ffff:ffff 15169 GOOGLE US",
		"2600:1f18::-2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff 14618 AMAZON-AES US",
	}
)

func TestParseTSV(t *testing.T) {
	for _, tc := range []struct {
		name      string
		data      []byte
		want      []string
		notRouted int
		skipped   []string // the lines described, in order
		container string
	}{
		{name: "v4", data: []byte(tsvV4), want: wantV4, notRouted: 1},
		{name: "v6", data: []byte(tsvV6), want: wantV6, notRouted: 1},
		{name: "combined", data: []byte(tsvCombined), want: append(slices.Clone(wantV4), wantV6...), notRouted: 2},
		{name: "combined, IPv6 first: sorted", data: []byte(tsvV6 + tsvV4), want: append(slices.Clone(wantV4), wantV6...), notRouted: 2},
		{name: "gzip", data: gz(t, []byte(tsvCombined)), want: append(slices.Clone(wantV4), wantV6...), notRouted: 2, container: "gzip"},
		{name: "tar", data: tarball(t, "README", []byte("hi"), "ip2asn-v4.tsv", []byte(tsvV4)), want: wantV4, notRouted: 1, container: "tar"},
		{
			name: "BOM, CRLF, header, comments, blank lines",
			data: []byte("\xef\xbb\xbfrange_start\trange_end\tAS_number\tcountry_code\tAS_description\r\n# iptoasn\r\n\r\n" +
				strings.ReplaceAll(tsvV4, "\n", "\r\n")),
			want: wantV4, notRouted: 1,
		},
		{
			name: "short rows, AS prefix, tabs in the description, unknown country, IPv4-mapped",
			data: []byte("1.2.3.0\t1.2.3.255\tAS64500\n" +
				"1.2.4.0\t1.2.4.255\t64501\tUnknown\n" +
				"1.2.5.0\t1.2.5.255\t64502\tDE\tEXAMPLE\tGmbH\n" +
				"::ffff:1.2.6.0\t::ffff:1.2.6.255\t64503\tNL\tMAPPED\n"),
			want: []string{
				"1.2.3.0-1.2.3.255 64500",
				"1.2.4.0-1.2.4.255 64501",
				"1.2.5.0-1.2.5.255 64502 EXAMPLE\tGmbH DE",
				"1.2.6.0-1.2.6.255 64503 MAPPED NL",
			},
		},
		{
			name: "bad lines are skipped and counted",
			data: []byte("garbage\n" +
				tsvV4 +
				"1.2.3.255\t1.2.3.0\t5\tUS\tBACKWARDS\n" +
				"1.2.3.0\t::1\t5\tUS\tFAMILIES\n" +
				"1.2.3.0\t1.2.3.255\tASX\tUS\tNOT A NUMBER\n" +
				"1.2.3.0\t1.2.3.255\t4294967296\tUS\tTOO BIG\n" +
				"fe80::1%eth0\tfe80::2\t5\tUS\tZONE\n" +
				"1.2.3\t1.2.3.255\t5\tUS\tSHORT\n" +
				tsvV6),
			want: append(slices.Clone(wantV4), wantV6...), notRouted: 2,
			skipped: []string{
				`line 1: not tab-separated fields (range_start, range_end, AS number, country, AS description): "garbage"`,
				`line 6: range_end is before range_start: "1.2.3.255\t1.2.3.0\t5\tUS\tBACKWARDS"`,
				`line 7: range_start and range_end are of different families: "1.2.3.0\t::1\t5\tUS\tFAMILIES"`,
				`line 8: the AS number is not a number: "1.2.3.0\t1.2.3.255\tASX\tUS\tNOT A NUMBER"`,
				`line 9: the AS number is not a number: "1.2.3.0\t1.2.3.255\t4294967296\tUS\tTOO BIG"`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("ip2asn.tsv", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if got := show(s.Ranges); !slices.Equal(got, tc.want) {
				t.Errorf("ranges\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			sum := sha256.Sum256(tc.data)
			if s.Format != FormatIPtoASN || s.Source != "ip2asn.tsv" || s.SHA256 != hex.EncodeToString(sum[:]) || !s.Date.IsZero() || s.Container != tc.container {
				t.Errorf("snapshot %q %q %q %v %q", s.Format, s.Source, s.SHA256, s.Date, s.Container)
			}
			if s.NotRouted != tc.notRouted || s.Entries != len(tc.want) {
				t.Errorf("not routed %d entries %d, want %d %d", s.NotRouted, s.Entries, tc.notRouted, len(tc.want))
			}
			if tc.skipped != nil && (s.Skipped != 7 || !slices.Equal(s.SkippedLines, tc.skipped)) {
				t.Errorf("skipped %d:\n%s", s.Skipped, strings.Join(s.SkippedLines, "\n"))
			}
			if tc.skipped == nil && s.Skipped != 0 {
				t.Errorf("skipped %d: %q", s.Skipped, s.SkippedLines)
			}
		})
	}
}

func TestParseTSVLongLine(t *testing.T) {
	data := tsvV4 + "1.2.3.0\t1.2.3.255\t5\tUS\t" + strings.Repeat("x", 300<<10) + "\n" + tsvV6
	s, err := Parse("ip2asn.tsv", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Ranges) != 5 || s.Skipped != 1 || s.SkippedLines[0] != "line 5: longer than 256 KiB" {
		t.Fatalf("%d ranges, skipped %d %q", len(s.Ranges), s.Skipped, s.SkippedLines)
	}
}

func TestParseRefuses(t *testing.T) {
	mostlyBad := tsvV4 + strings.Repeat("1.2.3.0 1.2.3.255 5 US SPACES\n", 5)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "asn: x: the file is empty"},
		{"empty gzip", gz(t, nil), "asn: x: the gzip data inside is empty"},
		{"comments only", []byte("# nothing\n\n"), "asn: x: holds no ranges"},
		{"not routed only", []byte("1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n"), "asn: x: holds no routed ranges: all 1 rows are AS 0 (not routed)"},
		{"mostly bad", []byte(mostlyBad), "asn: x: mostly not iptoasn rows: 5 of 9 lines are not ranges (line 5: not tab-separated fields"},
		{"JSON", []byte(`{"prefixes": []}`), "asn: x: JSON, not an iptoasn TSV"},
		{"HTML", []byte("<!doctype html><html>"), "asn: x: an HTML or XML page"},
		{"GeoLite2 CSV", []byte("network,autonomous_system_number,autonomous_system_organization\n1.0.0.0/24,13335,CLOUDFLARENET\n"), "asn: x: MaxMind's GeoLite2-ASN CSV"},
		{"a CIDR list", []byte(strings.Repeat("10.0.0.0/8\n", 30)), "asn: x: not an iptoasn TSV: none of the first 20 lines is a range (line 1: not tab-separated fields"},
		{"a short text", []byte("hello\nworld\n"), "asn: x: not an iptoasn TSV: none of its lines is a range (line 1:"},
		{"binary", []byte("\x00\x01\x02garbage"), "asn: x: binary data, neither an iptoasn TSV nor a MaxMind DB"},
		{"broken gzip", gz(t, []byte(tsvV4))[:30], "asn: x: gzip: unexpected EOF"},
		{"tar without data", tarball(t, "LICENSE.txt", []byte("l"), "COPYRIGHT.txt", []byte("c")), "asn: x: a tar archive with no .mmdb or .tsv file in it (LICENSE.txt, COPYRIGHT.txt)"},
		{"tar with a bad member", tarball(t, "x.tsv", []byte("{}")), "asn: x: x.tsv in the archive: JSON"},
		{"gzip in gzip", gz(t, gz(t, []byte(tsvV4))), "asn: x: gzip data inside gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x", tc.data)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q...", err, tc.want)
			}
		})
	}
}

// geoLite2ASN is a database in the shape of MaxMind's GeoLite2-ASN: IPv6
// with the IPv4 subtree at ::/96 and its aliases, networks split into CIDR
// blocks.
func geoLite2ASN(t testing.TB, recordSize int) []byte {
	return buildMMDB(t, mmdbSpec{
		dbType: "GeoLite2-ASN", epoch: 1735689600, recordSize: recordSize, aliases: true,
		nets: []mmdbNet{
			{"1.0.0.0/24", asRec(13335, "CLOUDFLARENET")},
			{"1.0.1.0/24", asRec(13335, "CLOUDFLARENET")}, // adjacent, the same AS: merged
			{"1.0.2.0/23", asRec(13335, "Cloudflare")},    // adjacent, another name: kept apart
			{"1.0.4.0/22", map[string]any{}},              // no AS: passed over
			{"8.8.8.0/24", asRec(15169, "GOOGLE")},
			{"81.2.69.128/26", asRec(20712, "Andrews & Arnold Ltd")},
			{"2001:4860::/32", asRec(15169, "GOOGLE")},
			{"2600:1f18::/33", asRec(14618, "AMAZON-AES")},
		},
	})
}

var wantMMDB = []string{
	"1.0.0.0-1.0.1.255 13335 CLOUDFLARENET",
	"1.0.2.0-1.0.3.255 13335 Cloudflare",
	"8.8.8.0-8.8.8.255 15169 GOOGLE",
	"81.2.69.128-81.2.69.191 20712 Andrews & Arnold Ltd",
	"2001:4860::-2001:4860:ffff:ffff:ffff:ffff:ffff:ffff 15169 GOOGLE",
	"2600:1f18::-2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff 14618 AMAZON-AES",
}

func TestParseMMDB(t *testing.T) {
	db := geoLite2ASN(t, 24)
	for _, tc := range []struct {
		name      string
		data      []byte
		container string
	}{
		{"GeoLite2-ASN.mmdb", db, ""},
		{"record size 28", geoLite2ASN(t, 28), ""},
		{"record size 32", geoLite2ASN(t, 32), ""},
		{"dbip-asn-lite.mmdb.gz", gz(t, db), "gzip"},
		{"GeoLite2-ASN_20250101.tar.gz", gz(t, tarball(t,
			"GeoLite2-ASN_20250101/COPYRIGHT.txt", []byte("Database and Contents Copyright (c) 2025 MaxMind, Inc.\n"),
			"GeoLite2-ASN_20250101/LICENSE.txt", []byte("Use of this MaxMind product is governed by ...\n"),
			"GeoLite2-ASN_20250101/GeoLite2-ASN.mmdb", db)), "tar.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.name, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if got := show(s.Ranges); !slices.Equal(got, wantMMDB) {
				t.Errorf("ranges\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantMMDB, "\n"))
			}
			if s.Format != FormatMMDB || s.Database != "GeoLite2-ASN" || !s.Date.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) ||
				s.Date.Location() != time.UTC || s.Container != tc.container {
				t.Errorf("snapshot %q %q %v %q", s.Format, s.Database, s.Date, s.Container)
			}
			if s.Entries != 7 || s.NotRouted != 1 || s.Skipped != 0 {
				t.Errorf("entries %d, not routed %d, skipped %d", s.Entries, s.NotRouted, s.Skipped)
			}
			if v4, v6 := s.Count(); v4 != 4 || v6 != 2 || s.ASNs() != 4 {
				t.Errorf("count %d %d, %d ASNs", v4, v6, s.ASNs())
			}
		})
	}
}

func TestParseMMDBIPv4Only(t *testing.T) {
	db := buildMMDB(t, mmdbSpec{dbType: "DBIP-ASN-Lite (compat=GeoLite2-ASN)", ipVersion: 4, nets: []mmdbNet{
		{"1.0.0.0/24", asRec(13335, "Cloudflare, Inc.")},
		{"223.255.255.0/24", asRec(55415, "MARINE-AS-AP")},
	}})
	s, err := Parse("dbip-asn-lite.mmdb", db)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.0.0.0-1.0.0.255 13335 Cloudflare, Inc.", "223.255.255.0-223.255.255.255 55415 MARINE-AS-AP"}
	if got := show(s.Ranges); !slices.Equal(got, want) || !s.Date.IsZero() {
		t.Fatalf("%q %v", got, s.Date)
	}
}

func TestParseMMDBRefuses(t *testing.T) {
	city := buildMMDB(t, mmdbSpec{dbType: "GeoLite2-City", epoch: 1, aliases: true, nets: []mmdbNet{
		{"81.2.69.0/24", map[string]any{"country": map[string]any{"iso_code": "GB"}}},
		{"2001:218::/32", map[string]any{"country": map[string]any{"iso_code": "JP"}}},
	}})
	wrongType := buildMMDB(t, mmdbSpec{dbType: "Odd-ASN", nets: []mmdbNet{
		{"1.0.0.0/24", map[string]any{"autonomous_system_number": "13335"}},
		{"1.0.1.0/24", map[string]any{"autonomous_system_number": "13336"}},
		{"8.8.8.0/24", asRec(15169, "GOOGLE")},
	}})
	noNets := buildMMDB(t, mmdbSpec{dbType: "GeoLite2-ASN", nets: nil})
	db := geoLite2ASN(t, 24)
	// 128 nodes, each with both records pointing at the next: 2^128 paths
	// to empty leaves, which a reader walking every network never finishes.
	shared := make([][2]uint64, 128)
	for i := range shared {
		shared[i] = [2]uint64{uint64(i + 1), uint64(i + 1)}
	}
	explosive := serializeMMDB(t, mmdbSpec{dbType: "GeoLite2-ASN", recordSize: 24, ipVersion: 6}, shared, nil)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"shared subtrees", explosive, "asn: x: a damaged MaxMind DB: its search tree has more networks than nodes"},
		{"City", city, "asn: x: a MaxMind DB (database_type GeoLite2-City) with no autonomous_system_number in its records: not ASN data"},
		{"mostly unreadable", wrongType, "asn: x: a MaxMind DB (database_type Odd-ASN) whose records are mostly not ASN data: 2 of 3 could not be read (network 1.0.0.0/24: "},
		{"no networks", noNets, "asn: x: a MaxMind DB (database_type GeoLite2-ASN) with no networks in it"},
		{"truncated", db[:len(db)/2], "asn: x: binary data, neither an iptoasn TSV nor a MaxMind DB"},
		{"tree cut", append(db[:12:12], db[len(db)-300:]...), "asn: x: a damaged MaxMind DB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x", tc.data)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q...", err, tc.want)
			}
		})
	}
}

func TestParseRowReasons(t *testing.T) {
	for line, want := range map[string]string{
		"1.0.0.0":                                 "not tab-separated fields (range_start, range_end, AS number, country, AS description)",
		"1.0.0.0\t1.0.0.255":                      "2 tab-separated fields, want range_start, range_end, AS number, country, AS description",
		"x\t1.0.0.255\t1":                         "range_start is not an address",
		"1.0.0.0\t1.0.0.256\t1":                   "range_end is not an address",
		"fe80::1%eth0\tfe80::2\t1":                "range_start is not an address",
		"1.0.0.0\t::1\t1":                         "range_start and range_end are of different families",
		"::\t::ffff:0.0.0.0\t1":                   "an IPv6 range over the IPv4-mapped block ::ffff:0:0/96",
		"1.0.0.255\t1.0.0.0\t1":                   "range_end is before range_start",
		"::\tffff::\t1":                           "an IPv6 range over the IPv4-mapped block ::ffff:0:0/96",
		"::ffff:255.255.255.255\t::1:0:0:0\t1":    "an IPv6 range over the IPv4-mapped block ::ffff:0:0/96",
		"1.0.0.0\t1.0.0.255\t":                    "the AS number is not a number",
		"1.0.0.0\t1.0.0.255\t-1":                  "the AS number is not a number",
		"1.0.0.0\t1.0.0.255\tAS":                  "the AS number is not a number",
		"1.0.0.0\t1.0.0.255\t12345678901":         "the AS number is not a number",
		"1.0.0.0\t1.0.0.255\t4294967295\tUS\tOK":  "",
		"::1:0:0\t::2:0:0\t1\tUS\tJUST ABOVE":     "",
		"::\t::fffe:ffff:ffff\t1\tUS\tJUST BELOW": "",
	} {
		if _, got := parseRow([]byte(line), interner{}); got != want {
			t.Errorf("%q: %q, want %q", line, got, want)
		}
	}
}

func TestParseMMDBSkips(t *testing.T) {
	db := buildMMDB(t, mmdbSpec{dbType: "GeoLite2-ASN", nets: []mmdbNet{
		{"1.0.0.0/24", asRec(13335, "CLOUDFLARENET")},
		{"::fffe:0:0/95", asRec(64496, "OVER THE MAPPED BLOCK")},
		{"2600::/32", asRec(64497, "FINE")},
	}})
	s, err := Parse("x.mmdb", db)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Ranges) != 2 || s.Skipped != 1 || s.SkippedLines[0] != "network ::fffe:0:0/95: an IPv6 range over the IPv4-mapped block ::ffff:0:0/96" {
		t.Fatalf("%q, skipped %d %q", show(s.Ranges), s.Skipped, s.SkippedLines)
	}

	// A City database is told from its first networks, not read to the end.
	var nets []mmdbNet
	for i := range refuseMMDBAfter + 2000 {
		nets = append(nets, mmdbNet{fmt.Sprintf("%d.%d.%d.0/24", 1+i>>16, byte(i>>8), byte(i)), map[string]any{"city": map[string]any{"geoname_id": uint32(i)}}})
	}
	nets = append(nets, mmdbNet{"223.0.0.0/24", asRec(1, "TOO LATE")})
	_, err = Parse("GeoLite2-City.mmdb", buildMMDB(t, mmdbSpec{dbType: "GeoLite2-City", nets: nets}))
	if err == nil || !strings.Contains(err.Error(), "with no autonomous_system_number in its records") {
		t.Fatalf("city: %v", err)
	}
}
