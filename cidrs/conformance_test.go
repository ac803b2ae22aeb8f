package cidrs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/investigator/investigator/internal/corpus"
)

// corpusRanges is the folder of real provider files.
func corpusRanges(t testing.TB) string {
	t.Helper()
	return corpus.Require(t, "ranges")
}

// corpusFile describes what a real file must parse to. Counts are ranges
// after deduplication on (prefix, service, region), except entries, which
// counts the prefix entries the file holds.
type corpusFile struct {
	file, provider, format string
	entries, v4, v6        int
	date                   time.Time
	version                string
	has                    []string // rows in the rows() form
}

func corpusFiles() []corpusFile {
	return []corpusFile{
		{
			// README: 10668 v4 + 6160 v6 prefixes. Those are entries; no
			// (prefix, service, region) repeats, so the rows are as many. The
			// distinct prefixes are fewer (7905 + 3108): most appear under
			// AMAZON and a specific service.
			file: "aws-ip-ranges.json", provider: "aws", format: FormatAWS,
			entries: 16828, v4: 10668, v6: 6160,
			date: time.Date(2026, 8, 22, 15, 17, 5, 0, time.UTC), version: "1787411825",
			has: []string{"52.216.0.0/15 AMAZON us-east-1", "52.216.0.0/15 S3 us-east-1", "3.5.140.0/22 AMAZON ap-northeast-2", "2406:daba:f000::/40 AMAZON ap-southeast-4"},
		},
		{
			file: "google-cloud-ip-ranges.json", provider: "google", format: FormatGoogle,
			entries: 782, v4: 736, v6: 46,
			date: time.Date(2025, 7, 24, 19, 16, 28, 780563000, time.UTC), version: "1753409788780",
			has: []string{"34.1.208.0/20 Google Cloud africa-south1", "2600:1900:8000::/44 Google Cloud africa-south1"},
		},
		{
			file: "goog.json", provider: "google-all", format: FormatGoogle,
			entries: 84, v4: 73, v6: 11,
			date: time.Date(2024, 4, 25, 7, 5, 3, 689940000, time.UTC), version: "1714053903689",
			has: []string{"8.8.8.0/24", "8.8.4.0/24"},
		},
		{
			// 2967 service tags with 90493 prefix entries; a prefix is listed
			// under several tags, and (prefix, service, region) rows number
			// 88391.
			file: "microsoft-azure-ip-ranges.json", provider: "azure", format: FormatAzure,
			entries: 90493, v4: 65634, v6: 22757, version: "363",
			has: []string{"4.145.74.52/30 ActionGroup", "13.68.163.32/28 AzureStorage eastus", "4.156.0.0/15 AzureCloud eastus", "13.105.221.0/24 AzureFrontDoor.Frontend"},
		},
		{
			file: "oracle-cloud-ip-ranges.json", provider: "oracle", format: FormatOracle,
			entries: 896, v4: 896, v6: 0,
			date: time.Date(2025, 7, 21, 7, 13, 25, 457838000, time.UTC),
			has:  []string{"129.80.0.0/16 OCI us-ashburn-1", "134.70.24.0/21 OSN,OBJECT_STORAGE us-ashburn-1"},
		},
		{
			file: "digitalocean.csv", provider: "digitalocean", format: FormatGeofeed,
			entries: 1182, v4: 1037, v6: 145,
			has: []string{"5.101.96.0/21 NL-NH", "24.144.64.0/22 US-NJ"},
		},
		{
			// README: 5962 list items, of which 3 are ssh_keys (not addresses).
			file: "github-ip-ranges.json", provider: "github", format: FormatGitHub,
			entries: 5959, v4: 4969, v6: 990,
			has: []string{"192.30.252.0/22 hooks", "192.30.252.0/22 web", "2a0a:a440::/29 hooks", "4.148.0.0/16 actions"},
		},
		{
			file: "cloudflare-v4-ip-ranges.txt", provider: "cloudflare", format: FormatList,
			entries: 15, v4: 15, has: []string{"173.245.48.0/20", "131.0.72.0/22"},
		},
		{
			file: "cloudflare-v6-ip-ranges.txt", provider: "cloudflare", format: FormatList,
			entries: 7, v6: 7, has: []string{"2400:cb00::/32", "2c0f:f248::/32"},
		},
		{
			file: "linode.txt", provider: "linode", format: FormatGeofeed,
			entries: 4552, v4: 4464, v6: 88,
			date: time.Date(2025, 7, 24, 10, 0, 6, 525037000, time.UTC),
			has:  []string{"2600:3c00::/32 US-TX", "172.239.31.0/24 FR-IDF"},
		},
		{
			file: "geofeed.constant.com.json", provider: "constant", format: FormatInvestigator,
			entries: 506, v4: 457, v6: 49,
			date: time.Date(2025, 6, 27, 17, 0, 1, 0, time.UTC),
			has:  []string{"8.3.29.0/24 US-CA", "8.9.3.0/24 US-NJ"},
		},
	}
}

func TestCorpusFiles(t *testing.T) {
	dir := corpusRanges(t)
	for _, want := range corpusFiles() {
		t.Run(want.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, want.file))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			s, err := Parse(want.file, data, "")
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d bytes parsed in %s", want.file, len(data), took.Round(time.Microsecond))
			v4, v6 := s.Count()
			if s.Provider != want.provider || s.Format != want.format {
				t.Errorf("provider %s format %s, want %s %s", s.Provider, s.Format, want.provider, want.format)
			}
			if s.Entries != want.entries || v4 != want.v4 || v6 != want.v6 || s.Skipped != 0 {
				t.Errorf("entries %d, v4 %d, v6 %d, skipped %d; want %d, %d, %d, 0", s.Entries, v4, v6, s.Skipped, want.entries, want.v4, want.v6)
			}
			if !s.Date.Equal(want.date) || s.Version != want.version {
				t.Errorf("date %v version %q, want %v %q", s.Date, s.Version, want.date, want.version)
			}
			got := rows(s)
			for _, h := range want.has {
				if !slices.Contains(got, h) {
					t.Errorf("no row %q", h)
				}
			}
			checkInvariants(t, s)
		})
	}
}

// BenchmarkParseAzure parses the largest real file.
func BenchmarkParseAzure(b *testing.B) {
	dir := corpusRanges(b)
	data, err := os.ReadFile(filepath.Join(dir, "microsoft-azure-ip-ranges.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("azure.json", data, ""); err != nil {
			b.Fatal(err)
		}
	}
}
