package asn

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

func newCase(t testing.TB) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustParse(t testing.TB, source string, data []byte) Snapshot {
	t.Helper()
	s, err := Parse(source, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// whoIs answers "which AS announces this address?" the way an analysis
// would: the range that contains the address's number.
func whoIs(t testing.TB, c *store.Case, a string) []string {
	t.Helper()
	num := store.AddrNum(netip.MustParseAddr(a))
	rows, err := c.DB.Query(`SELECT asn, coalesce(as_name, ''), coalesce(country, '') FROM asn_ranges
		WHERE start_num <= CAST(? AS UHUGEINT) AND end_num >= CAST(? AS UHUGEINT) ORDER BY asn`, num, num)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			asn           int64
			name, country string
		)
		if err := rows.Scan(&asn, &name, &country); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("AS%d %s %s", asn, name, country)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, c *store.Case, q string) int {
	t.Helper()
	var n int
	if err := c.DB.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type snapshotRow struct {
	id             int
	source, format string
	sha            string
	date           sql.NullTime
	loaded         time.Time
	ranges         int
}

func caseSnapshot(t testing.TB, c *store.Case) snapshotRow {
	t.Helper()
	var r snapshotRow
	if err := c.DB.QueryRow(`SELECT id, source, format, sha256, snapshot_date, loaded_at, ranges FROM asn_snapshots`).
		Scan(&r.id, &r.source, &r.format, &r.sha, &r.date, &r.loaded, &r.ranges); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadIntoCase(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	tsv := mustParse(t, "ip2asn-combined.tsv", []byte(tsvCombined))

	changed, err := LoadIntoCase(ctx, c, tsv)
	if err != nil || !changed {
		t.Fatalf("first load: %v %v", changed, err)
	}
	row := caseSnapshot(t, c)
	if row.id != 1 || row.source != "ip2asn-combined.tsv" || row.format != "iptoasn" || row.sha != tsv.SHA256 || row.date.Valid || row.ranges != 5 {
		t.Fatalf("snapshot row %+v", row)
	}
	if n := count(t, c, `SELECT count(*) FROM asn_ranges WHERE snapshot_id = 1`); n != 5 {
		t.Fatalf("%d ranges", n)
	}
	for a, want := range map[string]string{
		"1.0.0.1":          "AS13335 CLOUDFLARENET US",
		"1.0.0.255":        "AS13335 CLOUDFLARENET US",
		"1.0.5.9":          "AS38803 WPL-AS-AP Wirefreebroadband Pty Ltd AU",
		"8.8.8.8":          "AS15169 GOOGLE US",
		"::ffff:8.8.8.8":   "AS15169 GOOGLE US",
		"1.0.2.1":          "", // not routed
		"10.0.0.1":         "",
		"2001:4860:4860::": "AS15169 GOOGLE US",
		"2600:1f18::42":    "AS14618 AMAZON-AES US",
		"2600:1f18:8000::": "",
	} {
		got := strings.Join(whoIs(t, c, a), "; ")
		if got != want {
			t.Errorf("%s: %q, want %q", a, got, want)
		}
	}
	// The numbers are store's: a range that is a prefix has its bounds.
	var fam int
	var start, end string
	if err := c.DB.QueryRow(`SELECT family, start_num::VARCHAR, end_num::VARCHAR FROM asn_ranges WHERE asn = 14618`).Scan(&fam, &start, &end); err != nil {
		t.Fatal(err)
	}
	if lo, hi := store.PrefixRange(netip.MustParsePrefix("2600:1f18::/33")); fam != 6 || start != lo || end != hi {
		t.Errorf("AS14618 row %d %s %s, want 6 %s %s", fam, start, end, lo, hi)
	}
	if err := c.DB.QueryRow(`SELECT family, start_num::VARCHAR, end_num::VARCHAR FROM asn_ranges WHERE asn = 13335`).Scan(&fam, &start, &end); err != nil {
		t.Fatal(err)
	}
	if lo, hi := store.PrefixRange(netip.MustParsePrefix("1.0.0.0/24")); fam != 4 || start != lo || end != hi {
		t.Errorf("AS13335 row %d %s %s, want 4 %s %s", fam, start, end, lo, hi)
	}
	if n := count(t, c, `SELECT count(*) FROM asn_ranges WHERE as_name IS NULL OR country IS NULL`); n != 0 {
		t.Errorf("%d rows with NULL name or country", n)
	}

	// The same snapshot again: nothing written.
	changed, err = LoadIntoCase(ctx, c, tsv)
	if err != nil || changed {
		t.Fatalf("second load: %v %v", changed, err)
	}
	if again := caseSnapshot(t, c); again != row {
		t.Errorf("the snapshot row changed: %+v", again)
	}

	// Another snapshot replaces it whole.
	mmdb := mustParse(t, "GeoLite2-ASN.mmdb", geoLite2ASN(t, 24))
	changed, err = LoadIntoCase(ctx, c, mmdb)
	if err != nil || !changed {
		t.Fatalf("replacing load: %v %v", changed, err)
	}
	row = caseSnapshot(t, c)
	if row.id != 2 || row.format != "mmdb" || !row.date.Valid || !row.date.Time.Equal(mmdb.Date) || row.ranges != 6 {
		t.Fatalf("snapshot row %+v", row)
	}
	if n := count(t, c, `SELECT count(*) FROM asn_ranges`); n != 6 {
		t.Fatalf("%d ranges after replacing", n)
	}
	if n := count(t, c, `SELECT count(*) FROM asn_ranges WHERE snapshot_id <> 2 OR country IS NOT NULL`); n != 0 {
		t.Fatalf("%d stray rows", n)
	}
	for a, want := range map[string]string{
		"1.0.1.200":     "AS13335 CLOUDFLARENET",
		"1.0.2.0":       "AS13335 Cloudflare",
		"1.0.5.9":       "",
		"81.2.69.160":   "AS20712 Andrews & Arnold Ltd",
		"2600:1f18::42": "AS14618 AMAZON-AES",
	} {
		if got := strings.Join(whoIs(t, c, a), "; "); got != want {
			t.Errorf("%s: %q, want %q", a, got, want)
		}
	}
}

func TestLoadIntoCaseDateFallsBackToFetched(t *testing.T) {
	c := newCase(t)
	s := mustParse(t, "ip2asn-v4.tsv", []byte(tsvV4))
	s.FetchedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if _, err := LoadIntoCase(context.Background(), c, s); err != nil {
		t.Fatal(err)
	}
	if row := caseSnapshot(t, c); !row.date.Valid || !row.date.Time.Equal(s.FetchedAt) {
		t.Fatalf("snapshot_date %v", row.date)
	}
}

func TestLoadIntoCaseFailsWhole(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	good := mustParse(t, "ip2asn-v4.tsv", []byte(tsvV4))
	if _, err := LoadIntoCase(ctx, c, good); err != nil {
		t.Fatal(err)
	}
	before := caseSnapshot(t, c)

	bad := mustParse(t, "ip2asn-v6.tsv", []byte(tsvV6))
	bad.Ranges = append(bad.Ranges, Range{First: addr("9.9.9.9"), Last: addr("9.9.9.0"), ASN: 19281})
	if changed, err := LoadIntoCase(ctx, c, bad); err == nil || changed || !strings.Contains(err.Error(), "is not a range") {
		t.Fatalf("a bad range: %v %v", changed, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if changed, err := LoadIntoCase(cancelled, c, mustParse(t, "ip2asn-v6.tsv", []byte(tsvV6))); err == nil || changed {
		t.Fatalf("a cancelled load: %v %v", changed, err)
	}
	if _, err := LoadIntoCase(ctx, c, Snapshot{}); err == nil {
		t.Fatal("an empty snapshot loaded")
	}
	if after := caseSnapshot(t, c); after != before {
		t.Fatalf("a failed load changed the case: %+v, was %+v", after, before)
	}
	if n := count(t, c, `SELECT count(*) FROM asn_ranges`); n != 3 {
		t.Fatalf("%d ranges after failed loads", n)
	}
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	h := Home{Dir: t.TempDir()}
	if changed, err := Sync(ctx, c, h); err != nil || changed {
		t.Fatalf("empty home: %v %v", changed, err)
	}
	res, err := h.Import(writeFile(t, t.TempDir(), "ip2asn-combined.tsv.gz", gz(t, []byte(tsvCombined))))
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := Sync(ctx, c, h); err != nil || !changed {
		t.Fatalf("first sync: %v %v", changed, err)
	}
	row := caseSnapshot(t, c)
	if row.sha != res.Info.SHA256 || row.source != "ip2asn-combined.tsv.gz" || !row.date.Valid || !row.date.Time.Equal(res.Info.FetchedAt) {
		t.Fatalf("snapshot row %+v", row)
	}
	// A case that holds the snapshot does not even read the stored file.
	if err := os.WriteFile(filepath.Join(h.dir(), res.Info.File), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := Sync(ctx, c, h); err != nil || changed {
		t.Fatalf("second sync: %v %v", changed, err)
	}
	other := newCase(t)
	if _, err := Sync(ctx, other, h); err == nil || !strings.Contains(err.Error(), "has changed since it was stored") {
		t.Fatalf("sync of a damaged home: %v", err)
	}
}

// synthetic makes n ranges, a fifth of them IPv6, the way iptoasn's
// combined file has them (about 700,000 rows).
func synthetic(n int) Snapshot {
	s := Snapshot{Source: "synthetic", Format: FormatIPtoASN, SHA256: fmt.Sprintf("%064d", n)}
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("AS-NAME-%d Example Networks", i)
	}
	v4 := n * 4 / 5
	for i := range n {
		var first, last netip.Addr
		if i < v4 {
			base := uint32(0x01000000) + uint32(i)*256
			first = netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), 0})
			last = netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), 255})
		} else {
			j := i - v4
			p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, byte(j >> 16), byte(j >> 8), byte(j)}), 40)
			first, last = p.Addr(), lastAddr(p)
		}
		s.Ranges = append(s.Ranges, Range{First: first, Last: last, ASN: uint32(i%60000 + 1), Name: names[i%len(names)], Country: "US"})
	}
	return s
}

// TestLoad700k times a load the size of iptoasn's combined file. It reports
// the time and does not judge it: a busy machine would make it flaky.
func TestLoad700k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	c := newCase(t)
	s := synthetic(700_000)
	start := time.Now()
	changed, err := LoadIntoCase(ctx, c, s)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	first := time.Since(start)
	s2 := s
	s2.SHA256 = strings.Repeat("f", 64)
	start = time.Now()
	if _, err := LoadIntoCase(ctx, c, s2); err != nil {
		t.Fatal(err)
	}
	replace := time.Since(start)
	t.Logf("700,000 ranges: load into an empty case %v, replacing 700,000 %v", first.Round(time.Millisecond), replace.Round(time.Millisecond))
	if n := count(t, c, `SELECT count(*) FROM asn_ranges`); n != 700_000 {
		t.Fatalf("%d rows", n)
	}
	probe := s.Ranges[650_000]
	if got := whoIs(t, c, probe.First.Next().String()); len(got) != 1 || !strings.HasPrefix(got[0], fmt.Sprintf("AS%d ", probe.ASN)) {
		t.Fatalf("%s: %q", probe.First.Next(), got)
	}
}

// TestImport700k times importing a TSV the size of iptoasn's combined file
// and measures what parsing it allocates.
func TestImport700k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	var b strings.Builder
	for _, r := range synthetic(700_000).Ranges {
		fmt.Fprintf(&b, "%s\t%s\t%d\t%s\t%s\n", r.First, r.Last, r.ASN, r.Country, r.Name)
	}
	path := writeFile(t, t.TempDir(), "ip2asn-combined.tsv", []byte(b.String()))
	size := b.Len()
	b = strings.Builder{}
	h := Home{Dir: t.TempDir()}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	res, err := h.Import(path)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&m1)
	start = time.Now()
	s, _, err := h.Current()
	if err != nil {
		t.Fatal(err)
	}
	reparse := time.Since(start)
	start = time.Now()
	again, err := h.Import(path)
	if err != nil || again.Status != StatusUnchanged {
		t.Fatal(again.Status, err)
	}
	t.Logf("%.1f MB TSV, %d ranges: import %v (allocated %.0f MB), parse from the home %v, import of the same bytes %v",
		float64(size)/1e6, res.Info.Ranges, took.Round(time.Millisecond), float64(m1.TotalAlloc-m0.TotalAlloc)/1e6,
		reparse.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if len(s.Ranges) != 700_000 {
		t.Fatalf("%d ranges", len(s.Ranges))
	}
}

func TestAddrNum(t *testing.T) {
	for _, a := range []string{"0.0.0.0", "1.2.3.4", "255.255.255.255", "::", "::1", "::ffff:0:0", "2600:1f18::42", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		ip := addr(a)
		var got string
		switch v := addrNum(ip).(type) {
		case uint64:
			got = new(big.Int).SetUint64(v).String()
		case *big.Int:
			got = v.String()
		}
		if want := store.AddrNum(ip); got != want {
			t.Errorf("%s: %s, want %s", a, got, want)
		}
	}
}

func BenchmarkLoadIntoCase(b *testing.B) {
	s := synthetic(100_000)
	c := newCase(b)
	for i := 0; b.Loop(); i++ {
		s.SHA256 = fmt.Sprintf("%064d", i)
		if _, err := LoadIntoCase(context.Background(), c, s); err != nil {
			b.Fatal(err)
		}
	}
}
