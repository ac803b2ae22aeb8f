package cidrs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

func newCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustParse(t *testing.T, source, data, provider string) Snapshot {
	t.Helper()
	s, err := Parse(source, []byte(data), provider)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lookup answers "whose is this address?" the way the analyses do: the most
// specific prefix, then a service other than AMAZON, then by name.
func lookup(t *testing.T, c *store.Case, addr string) []string {
	t.Helper()
	rows, err := c.DB.Query(`SELECT provider, coalesce(service, ''), coalesce(region, ''), prefix FROM cidr_ranges
		WHERE CAST(? AS UHUGEINT) BETWEEN start_num AND end_num
		ORDER BY bits DESC, service = 'AMAZON', service, region`, store.AddrNum(netip.MustParseAddr(addr)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p, s, r, pre string
		if err := rows.Scan(&p, &s, &r, &pre); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{p, s, r, pre}, " "))
	}
	return out
}

func countRows(t *testing.T, c *store.Case, q string, args ...any) int {
	t.Helper()
	var n int
	if err := c.DB.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadIntoCase(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	aws := mustParse(t, "ip-ranges.json", awsJSON, "")
	cf := mustParse(t, "ips-v4", cloudflareV4, "cloudflare")
	cf.FetchedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	changes, err := Load(ctx, c, []Snapshot{aws, cf})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].Provider != "aws" || changes[0].Prefixes != 6 || changes[0].Previous != "" {
		t.Fatalf("changes %+v", changes)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges`); n != 9 {
		t.Fatalf("%d ranges, want 9", n)
	}
	var (
		date     time.Time
		prefixes int
		source   string
	)
	if err := c.DB.QueryRow(`SELECT snapshot_date, prefixes, source FROM cidr_snapshots WHERE provider = 'aws'`).Scan(&date, &prefixes, &source); err != nil {
		t.Fatal(err)
	}
	if !date.Equal(aws.Date) || prefixes != 6 || source != "ip-ranges.json" {
		t.Fatalf("aws snapshot row: %v %d %s", date, prefixes, source)
	}
	// A file without a date of its own is dated when it was fetched.
	if err := c.DB.QueryRow(`SELECT snapshot_date FROM cidr_snapshots WHERE provider = 'cloudflare'`).Scan(&date); err != nil || !date.Equal(cf.FetchedAt) {
		t.Fatalf("cloudflare snapshot date %v %v", date, err)
	}
	// Family, bits and the numeric range follow store's helpers.
	var (
		fam, bits  int
		start, end string
	)
	if err := c.DB.QueryRow(`SELECT family, bits, start_num::VARCHAR, end_num::VARCHAR FROM cidr_ranges WHERE prefix = '2600:1f18::/33' LIMIT 1`).Scan(&fam, &bits, &start, &end); err != nil {
		t.Fatal(err)
	}
	p := netip.MustParsePrefix("2600:1f18::/33")
	if lo, hi := store.PrefixRange(p); fam != 6 || bits != 33 || start != lo || end != hi {
		t.Fatalf("row %d %d %s %s, want 6 33 %s %s", fam, bits, start, end, lo, hi)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges WHERE provider = 'cloudflare' AND service IS NULL AND region IS NULL AND family = 4`); n != 3 {
		t.Fatalf("cloudflare rows with NULL service and region: %d", n)
	}

	got := lookup(t, c, "52.216.1.1")
	if want := []string{"aws S3 us-east-1 52.216.0.0/15", "aws AMAZON us-east-1 52.216.0.0/15"}; !slices.Equal(got, want) {
		t.Fatalf("52.216.1.1: %q, want %q", got, want)
	}
	if got := lookup(t, c, "2600:1f18::42"); len(got) != 2 || got[0] != "aws EC2 us-east-1 2600:1f18::/33" {
		t.Fatalf("2600:1f18::42: %q", got)
	}
	if got := lookup(t, c, "131.0.75.255"); len(got) != 1 || !strings.HasPrefix(got[0], "cloudflare") {
		t.Fatalf("131.0.75.255: %q", got)
	}
	if got := lookup(t, c, "131.0.76.0"); len(got) != 0 {
		t.Fatalf("131.0.76.0 (just past a range): %q", got)
	}

	// The same snapshots again: nothing to do.
	changed, err := LoadIntoCase(ctx, c, []Snapshot{aws, cf})
	if err != nil || changed {
		t.Fatalf("second load: changed %v, %v", changed, err)
	}

	// A new AWS file replaces AWS's rows and leaves Cloudflare's alone.
	aws2 := mustParse(t, "ip-ranges.json", strings.Replace(awsJSON, `"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3"`, `"ip_prefix": "54.231.0.0/16", "region": "us-east-1", "service": "S3"`, 1), "")
	changes, err = Load(ctx, c, []Snapshot{aws2})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Previous != aws.SHA256 || changes[0].PreviousPrefixes != 6 {
		t.Fatalf("changes %+v", changes)
	}
	if got := lookup(t, c, "52.216.1.1"); !slices.Equal(got, []string{"aws AMAZON us-east-1 52.216.0.0/15"}) {
		t.Fatalf("after replace, 52.216.1.1: %q", got)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_snapshots`); n != 2 {
		t.Fatalf("%d snapshot rows, want 2", n)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges WHERE provider = 'aws' AND snapshot_id <> (SELECT id FROM cidr_snapshots WHERE provider = 'aws')`); n != 0 {
		t.Fatalf("%d AWS rows of the old snapshot left", n)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges WHERE provider = 'cloudflare'`); n != 3 {
		t.Fatalf("cloudflare rows: %d", n)
	}

	if _, err := Load(ctx, c, []Snapshot{aws, aws2}); err == nil || !strings.Contains(err.Error(), "two snapshots of provider aws") {
		t.Fatalf("two snapshots of one provider: %v", err)
	}
	if changed, err := LoadIntoCase(ctx, c, nil); changed || err != nil {
		t.Fatalf("empty load: %v %v", changed, err)
	}
}

func TestLoadRollsBack(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	aws := mustParse(t, "ip-ranges.json", awsJSON, "")
	if _, err := Load(ctx, c, []Snapshot{aws}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	aws2 := mustParse(t, "ip-ranges.json", strings.Replace(awsJSON, "1700000000", "1700000001", 1), "")
	if _, err := Load(cctx, c, []Snapshot{aws2}); err == nil {
		t.Fatal("a cancelled load succeeded")
	}
	var sha string
	if err := c.DB.QueryRow(`SELECT sha256 FROM cidr_snapshots WHERE provider = 'aws'`).Scan(&sha); err != nil || sha != aws.SHA256 {
		t.Fatalf("after a failed load the case holds %q (%v), want the old snapshot", sha, err)
	}
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges`); n != 6 {
		t.Fatalf("%d ranges after a failed load, want 6", n)
	}
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	h := Home{Dir: t.TempDir()}
	if changed, err := Sync(ctx, c, h); changed || err != nil {
		t.Fatalf("sync of an empty home: %v %v", changed, err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"ip-ranges.json": awsJSON, "cloud.json": googleCloudJSON})
	if _, err := h.Import(dir, ""); err != nil {
		t.Fatal(err)
	}
	ch, err := SyncChanges(ctx, c, h)
	if err != nil || len(ch) != 2 {
		t.Fatalf("sync: %+v %v", ch, err)
	}
	if changed, err := Sync(ctx, c, h); changed || err != nil {
		t.Fatalf("second sync: %v %v", changed, err)
	}
	if got := lookup(t, c, "34.1.208.1"); len(got) != 1 || got[0] != "google Google Cloud africa-south1 34.1.208.0/20" {
		t.Fatalf("34.1.208.1: %q", got)
	}
}

// TestLoadCorpus loads every real file into a case and times it.
func TestLoadCorpus(t *testing.T) {
	dir := corpusRanges(t)
	ctx := context.Background()
	h := Home{Dir: t.TempDir()}
	res, err := h.Import(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("import %v: %v", r.Paths, r.Err)
		}
	}
	start := time.Now()
	snaps, err := h.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	parsed := time.Since(start)
	total := 0
	for _, s := range snaps {
		total += len(s.Ranges)
	}
	c := newCase(t)
	start = time.Now()
	changed, err := LoadIntoCase(ctx, c, snaps)
	took := time.Since(start)
	if err != nil || !changed {
		t.Fatalf("load: %v %v", changed, err)
	}
	t.Logf("%d snapshots, %d ranges: parsed from the home in %s, loaded into the case in %s", len(snaps), total, parsed.Round(time.Millisecond), took.Round(time.Millisecond))
	if n := countRows(t, c, `SELECT count(*) FROM cidr_ranges`); n != total {
		t.Fatalf("%d rows, want %d", n, total)
	}
	if total < 100000 {
		t.Fatalf("only %d ranges", total)
	}
	if took > 3*time.Second {
		t.Errorf("loading %d ranges took %s", total, took)
	}
	got := lookup(t, c, "52.216.1.1")
	if len(got) == 0 || got[0] != "aws S3 us-east-1 52.216.0.0/15" {
		t.Fatalf("52.216.1.1: %q", got)
	}
	if got := lookup(t, c, "173.245.48.1"); len(got) != 1 || got[0] != "cloudflare   173.245.48.0/20" {
		t.Fatalf("173.245.48.1: %q", got)
	}
	if got := lookup(t, c, "2606:4700::1111"); len(got) != 1 || !strings.HasPrefix(got[0], "cloudflare") {
		t.Fatalf("2606:4700::1111 (Cloudflare's IPv6, merged from the second file): %q", got)
	}
	start = time.Now()
	if changed, err := Sync(ctx, c, h); changed || err != nil {
		t.Fatalf("sync after load: %v %v", changed, err)
	}
	t.Logf("a sync with nothing to do took %s", time.Since(start).Round(time.Millisecond))
}

// TestSyncHome loads a home folder written as earlier versions wrote it
// (the sidecars' JSON by hand): both kinds of snapshot, then nothing again.
func TestSyncHome(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	h := Home{Dir: t.TempDir()}
	if ch, err := SyncHome(ctx, c, h); len(ch.Ranges) != 0 || ch.ASN || err != nil {
		t.Fatalf("sync of an empty home: %+v %v", ch, err)
	}

	tsv := "198.51.100.0\t198.51.100.255\t64500\tZZ\tEXAMPLE-NET\n"
	sum := func(s string) string {
		b := sha256.Sum256([]byte(s))
		return hex.EncodeToString(b[:])
	}
	awsFile, asnFile := "aws-"+sum(awsJSON)[:12]+".json", "asn-"+sum(tsv)[:12]+".tsv"
	writeFiles(t, h.Dir, map[string]string{
		"cidrs/" + awsFile: awsJSON,
		"cidrs/aws.meta.json": fmt.Sprintf(`{
  "provider": "aws", "format": "aws", "source": "ip-ranges.json", "sha256": %q, "bytes": %d,
  "date": "2024-01-02T03:04:05Z", "version": "1700000000", "fetched_at": "2024-01-03T00:00:00Z",
  "prefixes": 6, "ipv4": 4, "ipv6": 2, "file": %q
}
`, sum(awsJSON), len(awsJSON), awsFile),
		"asn/" + asnFile: tsv,
		"asn/current.meta.json": fmt.Sprintf(`{
  "format": "iptoasn", "source": "ip2asn-v4.tsv", "sha256": %q, "bytes": %d,
  "fetched_at": "2024-01-03T00:00:00Z", "ranges": 1, "ipv4": 1, "ipv6": 0, "asns": 1, "file": %q
}
`, sum(tsv), len(tsv), asnFile),
	})

	list, err := h.List()
	if err != nil || len(list) != 1 || list[0].Provider != "aws" || list[0].File != awsFile {
		t.Fatalf("list: %+v %v", list, err)
	}
	if in, err := h.ASN().CurrentInfo(); err != nil || in == nil || in.File != asnFile {
		t.Fatalf("ASN: %+v %v", in, err)
	}
	pending := func() []string {
		t.Helper()
		held, err := CaseHeld(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.Pending(held)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := pending(); len(p) != 2 || !strings.HasPrefix(p[0], "aws of ") || !strings.HasPrefix(p[1], "ASN data of ") {
		t.Fatalf("pending before the sync: %q", p)
	}
	ch, err := SyncHome(ctx, c, h)
	if err != nil || len(ch.Ranges) != 1 || ch.Ranges[0].Provider != "aws" || ch.Ranges[0].Prefixes != 6 || !ch.ASN {
		t.Fatalf("sync: %+v %v", ch, err)
	}
	if p := pending(); len(p) != 0 {
		t.Fatalf("pending after the sync: %q", p)
	}
	if n := countRows(t, c, `SELECT count(*) FROM asn_ranges WHERE asn = 64500`); n != 1 {
		t.Fatalf("%d ASN ranges", n)
	}
	if ch, err := SyncHome(ctx, c, h); len(ch.Ranges) != 0 || ch.ASN || err != nil {
		t.Fatalf("second sync: %+v %v", ch, err)
	}

	// The file of the existing snapshot is recognized: importing it again
	// changes nothing.
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"ip-ranges.json": awsJSON})
	if res, err := h.Import(filepath.Join(src, "ip-ranges.json"), ""); err != nil || res[0].Status != StatusUnchanged {
		t.Fatalf("import of the same file: %+v %v", res, err)
	}

	// A damaged ASN sidecar is the error, after the ranges are loaded.
	writeFiles(t, src, map[string]string{"cloud.json": googleCloudJSON})
	if _, err := h.Import(filepath.Join(src, "cloud.json"), ""); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, h.Dir, map[string]string{"asn/current.meta.json": "{"})
	ch, err = SyncHome(ctx, c, h)
	if err == nil || !strings.HasPrefix(err.Error(), "asn: ") || len(ch.Ranges) != 1 || ch.Ranges[0].Provider != "google" {
		t.Fatalf("sync with damaged ASN data: %+v %v", ch, err)
	}
}
