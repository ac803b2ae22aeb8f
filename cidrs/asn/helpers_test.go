package asn

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// Excerpts in the shape of iptoasn.com's files (ip2asn-v4.tsv,
// ip2asn-v6.tsv): range_start, range_end, AS_number, country_code,
// AS_description.
const (
	tsvV4 = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n" +
		"1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n" +
		"1.0.4.0\t1.0.7.255\t38803\tAU\tWPL-AS-AP Wirefreebroadband Pty Ltd\n" +
		"8.8.8.0\t8.8.8.255\t15169\tUS\tGOOGLE\n"
	tsvV6 = "2001:4860::\t2001:4860:ffff:ffff:ffff:ffff:ffff:ffff\t15169\tUS\tGOOGLE\n" +
		"2001:4861::\t2001:4863:ffff:ffff:ffff:ffff:ffff:ffff\t0\tNone\tNot routed\n" +
		"2600:1f18::\t2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff\t14618\tUS\tAMAZON-AES\n"
	tsvCombined = tsvV4 + tsvV6
)

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tarball is a tar archive of the files, in order (name, content, name, ...).
func tarball(t testing.TB, files ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		data := files[i+1].([]byte)
		if err := w.WriteHeader(&tar.Header{Name: files[i].(string), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// show renders ranges compactly: "first-last ASN name country".
func show(rs []Range) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.TrimSpace(fmt.Sprintf("%s-%s %d %s %s", r.First, r.Last, r.ASN, r.Name, r.Country))
	}
	return out
}

// checkInvariants holds a parsed snapshot to what the package promises.
func checkInvariants(t testing.TB, s Snapshot) {
	t.Helper()
	if len(s.Ranges) == 0 {
		t.Fatal("a snapshot without ranges")
	}
	if s.Format != FormatIPtoASN && s.Format != FormatMMDB {
		t.Fatalf("format %q", s.Format)
	}
	if len(s.SkippedLines) > reportSkipped || len(s.SkippedLines) > s.Skipped {
		t.Fatalf("%d skipped lines described of %d", len(s.SkippedLines), s.Skipped)
	}
	for i, r := range s.Ranges {
		if !r.First.IsValid() || !r.Last.IsValid() || r.First.Is4In6() || r.Last.Is4In6() || r.First.Zone() != "" || r.Last.Zone() != "" {
			t.Fatalf("range %d: %s-%s", i, r.First, r.Last)
		}
		if r.First.Is4() != r.Last.Is4() || r.Last.Less(r.First) {
			t.Fatalf("range %d: %s-%s is not a range", i, r.First, r.Last)
		}
		if r.ASN == 0 {
			t.Fatalf("range %d: AS 0 kept", i)
		}
		if i > 0 && compareRanges(s.Ranges[i-1], r) > 0 {
			t.Fatalf("ranges %d and %d out of order", i-1, i)
		}
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
