package cidrs

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// rows renders ranges as "prefix service region" for comparison.
func rows(s Snapshot) []string {
	var out []string
	for _, r := range s.Ranges {
		f := []string{r.Prefix.String()}
		for _, v := range []string{r.Service, r.Region} {
			if v != "" {
				f = append(f, v)
			}
		}
		out = append(out, strings.Join(f, " "))
	}
	return out
}

func TestParseFormats(t *testing.T) {
	for _, tc := range []struct {
		name, source, data, provider string
		wantProvider, wantFormat     string
		wantDate                     time.Time
		wantVersion                  string
		wantRows                     []string
		wantEntries, wantSkipped     int
	}{
		{
			name: "aws", source: "ip-ranges.json", data: awsJSON,
			wantProvider: "aws", wantFormat: FormatAWS,
			wantDate:    time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			wantVersion: "1700000000", wantEntries: 6,
			wantRows: []string{
				"3.5.140.0/22 AMAZON ap-northeast-2",
				"13.32.0.0/15 CLOUDFRONT GLOBAL",
				"52.216.0.0/15 AMAZON us-east-1",
				"52.216.0.0/15 S3 us-east-1",
				"2600:1f18::/33 AMAZON us-east-1",
				"2600:1f18::/33 EC2 us-east-1",
			},
		},
		{
			name: "google cloud.json", source: "cloud.json", data: googleCloudJSON,
			wantProvider: "google", wantFormat: FormatGoogle,
			wantDate:    time.Date(2025, 7, 24, 19, 16, 28, 780563000, time.UTC),
			wantVersion: "1753409788780", wantEntries: 2,
			wantRows: []string{"34.1.208.0/20 Google Cloud africa-south1", "2600:1900:8000::/44 Google Cloud africa-south1"},
		},
		{
			name: "google goog.json", source: "goog.json", data: googJSON,
			wantProvider: "google-all", wantFormat: FormatGoogle,
			wantDate:    time.Date(2024, 4, 25, 7, 5, 3, 689940000, time.UTC),
			wantVersion: "1714053903689", wantEntries: 3,
			wantRows: []string{"8.8.4.0/24", "8.8.8.0/24", "2001:4860::/32"},
		},
		{
			name: "azure", source: "ServiceTags_Public_20250721.json", data: azureJSON,
			wantProvider: "azure", wantFormat: FormatAzure, wantVersion: "363", wantEntries: 6,
			wantRows: []string{
				"13.107.246.0/24 AzureFrontDoor.Frontend",
				"20.38.98.0/24 AzureStorage eastus",
				"20.42.0.0/17 AzureCloud",
				"20.42.0.0/17 AzureCloud eastus",
				"2603:1030:210::/47 AzureCloud eastus",
			},
		},
		{
			name: "oracle", source: "public_ip_ranges.json", data: oracleJSON,
			wantProvider: "oracle", wantFormat: FormatOracle, wantEntries: 3,
			wantDate: time.Date(2025, 7, 21, 7, 13, 25, 457838000, time.UTC),
			wantRows: []string{"129.80.0.0/16 OCI us-ashburn-1", "130.61.0.0/16 OCI eu-frankfurt-1", "134.70.24.0/21 OSN,OBJECT_STORAGE us-ashburn-1"},
		},
		{
			name: "github meta", source: "meta", data: githubJSON,
			wantProvider: "github", wantFormat: FormatGitHub, wantEntries: 6,
			wantRows: []string{
				"4.148.0.0/16 actions",
				"140.82.112.0/20 web",
				"185.199.108.0/22 hooks",
				"192.30.252.0/22 hooks",
				"192.30.252.0/22 web",
				"2a0a:a440::/29 hooks",
			},
		},
		{
			name: "investigator json", source: "geofeed.constant.com.json", data: constantJSON,
			wantProvider: "constant", wantFormat: FormatInvestigator, wantEntries: 2,
			wantDate: time.Date(2025, 6, 27, 17, 0, 1, 0, time.UTC),
			wantRows: []string{"8.3.29.0/24 US-CA", "2001:19f0::/38 NL"},
		},
		{
			name: "investigator json named", source: "x.json", data: constantJSON, provider: "vultr",
			wantProvider: "vultr", wantFormat: FormatInvestigator, wantEntries: 2,
			wantDate: time.Date(2025, 6, 27, 17, 0, 1, 0, time.UTC),
			wantRows: []string{"8.3.29.0/24 US-CA", "2001:19f0::/38 NL"},
		},
		{
			name: "plain list without final newline", source: "ips-v4", data: cloudflareV4, provider: "cloudflare",
			wantProvider: "cloudflare", wantFormat: FormatList, wantEntries: 3,
			wantRows: []string{"103.21.244.0/22", "131.0.72.0/22", "173.245.48.0/20"},
		},
		{
			name: "plain list provider from file name", source: "cloudflare-v6-ip-ranges.txt", data: cloudflareV6,
			wantProvider: "cloudflare", wantFormat: FormatList, wantEntries: 2,
			wantRows: []string{"2400:cb00::/32", "2606:4700::/32"},
		},
		{
			name:         "plain list with comments, CRLF, BOM, bare addresses, host bits, duplicates and a bad line",
			source:       "list.txt",
			data:         "\xef\xbb\xbf# my list\r\n\r\n10.1.2.3/8 # host bits\r\n10.0.0.0/8\r\n192.0.2.7\r\n::ffff:198.51.100.0/120\r\nbogus\r\n2001:db8::1\r\n",
			provider:     "custom",
			wantProvider: "custom", wantFormat: FormatList, wantEntries: 5, wantSkipped: 1,
			wantRows: []string{"10.0.0.0/8", "192.0.2.7/32", "198.51.100.0/24", "2001:db8::1/128"},
		},
		{
			name: "geofeed", source: "google.csv", data: geofeedCSV, provider: "digitalocean",
			wantProvider: "digitalocean", wantFormat: FormatGeofeed, wantEntries: 5, wantSkipped: 1,
			wantDate: time.Date(2025, 7, 24, 10, 0, 6, 525037000, time.UTC),
			wantRows: []string{"5.101.96.0/21 NL-NH", "45.55.0.0/19 US", "104.131.0.0/18 US-NY", "139.59.0.0/18 IN-KA", "2600:3c00::/32 US-TX"},
		},
		{
			name: "json array list", source: "list.json", data: `["1.2.3.0/24", "2001:db8::/32"]`, provider: "custom",
			wantProvider: "custom", wantFormat: FormatList, wantEntries: 2,
			wantRows: []string{"1.2.3.0/24", "2001:db8::/32"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.source, []byte(tc.data), tc.provider)
			if err != nil {
				t.Fatal(err)
			}
			if s.Provider != tc.wantProvider || s.Format != tc.wantFormat || s.Source != tc.source {
				t.Errorf("provider %q format %q source %q, want %q %q %q", s.Provider, s.Format, s.Source, tc.wantProvider, tc.wantFormat, tc.source)
			}
			if !s.Date.Equal(tc.wantDate) || s.Version != tc.wantVersion {
				t.Errorf("date %v version %q, want %v %q", s.Date, s.Version, tc.wantDate, tc.wantVersion)
			}
			if got := rows(s); !slices.Equal(got, tc.wantRows) {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.wantRows, "\n"))
			}
			if s.Entries != tc.wantEntries || s.Skipped != tc.wantSkipped {
				t.Errorf("entries %d skipped %d, want %d %d", s.Entries, s.Skipped, tc.wantEntries, tc.wantSkipped)
			}
			if len(s.SHA256) != 64 {
				t.Errorf("sha256 %q", s.SHA256)
			}
			checkInvariants(t, s)
		})
	}
}

// checkInvariants holds for every parsed snapshot: canonical, sorted, unique.
func checkInvariants(t *testing.T, s Snapshot) {
	t.Helper()
	if len(s.Ranges) == 0 {
		t.Fatal("a snapshot without ranges")
	}
	for i, r := range s.Ranges {
		if r.Prefix != r.Prefix.Masked() || !r.Prefix.IsValid() || r.Prefix.Addr().Is4In6() || r.Prefix.Addr().Zone() != "" {
			t.Fatalf("range %d %v is not canonical", i, r.Prefix)
		}
		if i > 0 && compareRange(s.Ranges[i-1], r) >= 0 {
			t.Fatalf("ranges %d and %d out of order or duplicated: %v %v", i-1, i, s.Ranges[i-1], r)
		}
	}
	if ValidProvider(s.Provider) != nil {
		t.Fatalf("provider %q", s.Provider)
	}
}

func TestParseSkippedLines(t *testing.T) {
	s, err := Parse("google.csv", []byte(geofeedCSV), "digitalocean")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`line 8: "not-a-prefix" is not a CIDR prefix`}; !slices.Equal(s.SkippedLines, want) {
		t.Errorf("skipped lines %q, want %q", s.SkippedLines, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, source, data, provider string
		want                         []string // substrings of the error
	}{
		{"aws bad prefix", "ip-ranges.json", strings.Replace(awsJSON, "3.5.140.0/22", "3.5.140.0/33", 1), "",
			[]string{"ip-ranges.json", "prefixes[2].ip_prefix", `"3.5.140.0/33"`}},
		{"aws bad ipv6 prefix", "ip-ranges.json", strings.Replace(awsJSON, `"2600:1f18::/33", "region": "us-east-1", "service": "EC2"`, `"2600:1g18::/33", "region": "us-east-1", "service": "EC2"`, 1), "",
			[]string{"ipv6_prefixes[0].ipv6_prefix", `"2600:1g18::/33"`}},
		{"aws entry without prefix", "ip-ranges.json", strings.Replace(awsJSON, `"ip_prefix": "13.32.0.0/15"`, `"ip-prefix": "13.32.0.0/15"`, 1), "",
			[]string{"prefixes[3]: no ip_prefix"}},
		{"google bad prefix", "cloud.json", strings.Replace(googleCloudJSON, "34.1.208.0/20", "34.1.208/20", 1), "",
			[]string{"prefixes[0].ipv4Prefix", `"34.1.208/20"`}},
		{"azure bad prefix", "tags.json", strings.Replace(azureJSON, "20.38.98.0/24", "20.38.98.0/", 1), "",
			[]string{"values[1] (Storage.EastUS).properties.addressPrefixes[0]", `"20.38.98.0/"`}},
		{"oracle bad prefix", "o.json", strings.Replace(oracleJSON, "130.61.0.0/16", "130.61.0.0/166", 1), "",
			[]string{"regions[1] (eu-frankfurt-1).cidrs[0].cidr", `"130.61.0.0/166"`}},
		{"github bad prefix", "meta", strings.Replace(githubJSON, `"140.82.112.0/20"`, `"140.82.112.0/20x"`, 1), "",
			[]string{"web[1]", `"140.82.112.0/20x"`}},
		{"investigator bad prefix", "c.json", strings.Replace(constantJSON, "8.3.29.0/24", "8.3.29.0-24", 1), "",
			[]string{"subnets[0].ip_prefix", `"8.3.29.0-24"`}},
		{"list without provider", "ips-v4", cloudflareV4, "",
			[]string{"ips-v4", "plain list of CIDRs does not say whose", "--provider"}},
		{"geofeed without provider", "google.csv", geofeedCSV, "",
			[]string{"geofeed does not say whose", "--provider"}},
		{"provider contradicting the file", "ip-ranges.json", awsJSON, "google",
			[]string{"AWS ip-ranges.json (provider aws), not google"}},
		{"goog.json is not google", "goog.json", googJSON, "google",
			[]string{"provider google-all"}},
		{"invalid provider name", "x", cloudflareV4, "Cloud Flare", []string{`"Cloud Flare" is not a provider name`}},
		{"empty", "x.txt", " \n ", "custom", []string{"x.txt: the file is empty"}},
		{"only comments", "x.txt", "# nothing\n\n# here\n", "custom", []string{"no prefixes"}},
		{"html", "ips-v4", "<!DOCTYPE html><html>Access denied</html>", "cloudflare", []string{"HTML"}},
		{"binary", "x.gz", "\x1f\x8b\x08\x00\x00\x00", "custom", []string{"binary"}},
		{"unknown json", "x.json", `{"a": 1, "b": [2]}`, "", []string{"keys a, b is not a range file"}},
		{"broken json", "x.json", `{"prefixes": [`, "", []string{"x.json: not valid JSON"}},
		{"prose", "README", "This is not\na list of\nprefixes\n10.0.0.0/8\n", "custom", []string{"3 of 4 lines are not CIDR prefixes", `line 1: "This is not"`}},
		{"aws without prefixes", "ip-ranges.json", `{"syncToken":"1","createDate":"2024-01-01-00-00-00","prefixes":[],"ipv6_prefixes":[]}`, "",
			[]string{"AWS ip-ranges.json holds no prefixes"}},
		{"zone", "x.txt", "fe80::1%eth0\n", "custom", []string{`"fe80::1%eth0" is not a CIDR prefix`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.source, []byte(tc.data), tc.provider)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "cidrs: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3/8":               "10.0.0.0/8",
		" 192.0.2.1 ":              "192.0.2.1/32",
		"::ffff:10.0.0.0/104":      "10.0.0.0/8",
		"::ffff:10.0.0.1":          "10.0.0.1/32",
		"2001:DB8:0:0:1::/64":      "2001:db8::/64",
		"2001:db8::1/128":          "2001:db8::1/128",
		"0.0.0.0/0":                "0.0.0.0/0",
		"::/0":                     "::/0",
		"::ffff:0.0.0.0/95":        "::fffe:0:0/95", // shorter than the mapped block: stays IPv6
		"2a0a:a440:0:0:0:0:0:0/29": "2a0a:a440::/29",
	} {
		p, err := ParsePrefix(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("%q = %s, want %s", in, p, want)
		}
	}
	for _, bad := range []string{"", "/", "10.0.0.0/33", "10.0.0/8", "10.0.0.0/-1", "fe80::1%eth0/64", "2001:db8::/129", "1.2.3.4/8/9"} {
		if p, err := ParsePrefix(bad); err == nil {
			t.Errorf("%q parsed as %s", bad, p)
		}
	}
}

func TestProviderFromName(t *testing.T) {
	for name, want := range map[string]string{
		"cloudflare-v4-ip-ranges.txt": "cloudflare",
		"Linode.TXT":                  "linode",
		"digitalocean.csv":            "digitalocean",
		"ips-v4":                      "",
		"cloudflare-vs-fastly.txt":    "", // ambiguous
	} {
		if got := providerFromName(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
