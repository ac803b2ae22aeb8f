package asn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// homeFiles lists Dir/asn.
func homeFiles(t *testing.T, h Home) []string {
	t.Helper()
	entries, err := os.ReadDir(h.dir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestImport(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	src := t.TempDir()

	if s, in, err := h.Current(); s != nil || in.SHA256 != "" || err != nil {
		t.Fatalf("empty home: %v %+v %v", s, in, err)
	}

	combined := writeFile(t, src, "ip2asn-combined.tsv.gz", gz(t, []byte("garbage\n"+tsvCombined)))
	res, err := h.Import(combined)
	if err != nil {
		t.Fatal(err)
	}
	in := res.Info
	if res.Status != StatusNew || res.Previous != nil || in.Format != FormatIPtoASN || in.Container != "gzip" || in.Source != "ip2asn-combined.tsv.gz" ||
		in.Ranges != 5 || in.IPv4 != 3 || in.IPv6 != 2 || in.ASNs != 4 || in.NotRouted != 2 || in.Skipped != 1 || in.FetchedAt.IsZero() || !in.Date.IsZero() {
		t.Fatalf("first import: %+v", res)
	}
	wantNotes := []string{
		"1 line is not ASN ranges, skipped",
		`  line 1: not tab-separated fields (range_start, range_end, AS number, country, AS description): "garbage"`,
		"2 rows of AS 0 (not routed) passed over",
	}
	if !slices.Equal(res.Notes, wantNotes) {
		t.Errorf("notes %q", res.Notes)
	}
	if !strings.HasPrefix(in.File, "asn-"+in.SHA256[:12]) || !strings.HasSuffix(in.File, ".tsv.gz") {
		t.Errorf("file %q", in.File)
	}
	if got := homeFiles(t, h); !slices.Equal(got, []string{in.File, "current.meta.json"}) {
		t.Errorf("home holds %q", got)
	}
	raw, _ := os.ReadFile(combined)
	stored, _ := os.ReadFile(filepath.Join(h.dir(), in.File))
	if string(raw) != string(stored) {
		t.Error("the stored file is not the imported bytes")
	}

	s, cur, err := h.Current()
	if err != nil {
		t.Fatal(err)
	}
	if cur != in || s.SHA256 != in.SHA256 || !s.FetchedAt.Equal(in.FetchedAt) || s.Source != "ip2asn-combined.tsv.gz" || len(s.Ranges) != 5 {
		t.Fatalf("current: %+v %+v", cur, s)
	}
	if parsed, _ := Parse("x", raw); parsed.SHA256 != in.SHA256 {
		t.Errorf("sha256 %s, Parse says %s", in.SHA256, parsed.SHA256)
	}

	// The same bytes again, under another name: nothing is written.
	meta, _ := os.Stat(h.metaPath())
	again, err := h.Import(writeFile(t, src, "copy.tsv.gz", raw))
	if err != nil || again.Status != StatusUnchanged || again.Info != in {
		t.Fatalf("same bytes: %+v %v", again, err)
	}
	if meta2, _ := os.Stat(h.metaPath()); !meta2.ModTime().Equal(meta.ModTime()) {
		t.Error("the sidecar was rewritten")
	}

	// A MaxMind DB replaces it; the old raw file goes.
	mmdb := writeFile(t, src, "GeoLite2-ASN.mmdb", geoLite2ASN(t, 24))
	res, err = h.Import(mmdb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusReplaced || res.Previous == nil || res.Previous.SHA256 != in.SHA256 || res.Info.Format != FormatMMDB ||
		res.Info.Database != "GeoLite2-ASN" || res.Info.Date.IsZero() || res.Info.Ranges != 6 || !strings.HasSuffix(res.Info.File, ".mmdb") {
		t.Fatalf("mmdb import: %+v", res)
	}
	if got := homeFiles(t, h); !slices.Equal(got, []string{res.Info.File, "current.meta.json"}) {
		t.Errorf("home holds %q", got)
	}
	if !slices.Equal(res.Notes, []string{"1 network without an AS number passed over"}) {
		t.Errorf("notes %q", res.Notes)
	}

	// An IPv4-only file replacing data with both families says so.
	res, err = h.Import(writeFile(t, src, "ip2asn-v4.tsv", []byte(tsvV4)))
	if err != nil || res.Status != StatusReplaced {
		t.Fatalf("v4 import: %+v %v", res, err)
	}
	if n := res.Notes[len(res.Notes)-1]; !strings.HasPrefix(n, "the snapshot it replaces had 2 IPv6 ranges and this one has none") {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestImportRefused(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	src := t.TempDir()
	if _, err := h.Import(writeFile(t, src, "ip2asn-v4.tsv", []byte(tsvV4))); err != nil {
		t.Fatal(err)
	}
	before := homeFiles(t, h)
	for name, data := range map[string][]byte{
		"ip-ranges.json": []byte(`{"prefixes": []}`),
		"empty.tsv":      nil,
		"broken.tsv.gz":  gz(t, []byte(tsvV4))[:40],
	} {
		_, err := h.Import(writeFile(t, src, name, data))
		if err == nil || !strings.HasPrefix(err.Error(), "asn: "+name+": ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := h.Import(src); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("folder: %v", err)
	}
	if _, err := h.Import(filepath.Join(src, "missing.tsv")); err == nil {
		t.Error("a missing file imported")
	}
	if got := homeFiles(t, h); !slices.Equal(got, before) {
		t.Errorf("a refused import changed the home: %q, was %q", got, before)
	}
}

func TestCurrentDamaged(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	res, err := h.Import(writeFile(t, t.TempDir(), "ip2asn-v4.tsv", []byte(tsvV4)))
	if err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(h.dir(), res.Info.File)
	if err := os.WriteFile(raw, []byte(tsvV6), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Current(); err == nil || !strings.Contains(err.Error(), "has changed since it was stored") {
		t.Fatalf("tampered: %v", err)
	}
	// Importing the same file again repairs the stored copy.
	res2, err := h.Import(writeFile(t, t.TempDir(), "ip2asn-v4.tsv", []byte(tsvV4)))
	if err != nil || res2.Status != StatusReplaced {
		t.Fatalf("repair: %+v %v", res2, err)
	}
	if _, _, err := h.Current(); err != nil {
		t.Fatal(err)
	}
	os.Remove(raw)
	if _, _, err := h.Current(); err == nil || !strings.Contains(err.Error(), "import the ASN file again") {
		t.Fatalf("missing: %v", err)
	}
	if err := os.WriteFile(h.metaPath(), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Current(); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("damaged sidecar: %v", err)
	}
}
