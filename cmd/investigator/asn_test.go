package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestASNImportAndAnalyses(t *testing.T) {
	c := analyzedCase(t)
	tsv := filepath.Join(t.TempDir(), "ip2asn-v4.tsv")
	os.WriteFile(tsv, []byte("198.51.100.0\t198.51.100.255\t64500\tZZ\tEXAMPLE-NET\n203.0.113.0\t203.0.113.255\t0\tNone\tNot routed\n"), 0o644)
	r := c.mustRun("asn", "import", tsv)
	if !strings.HasPrefix(r.stdout, "new") || !strings.Contains(r.stdout, "1 ranges") {
		t.Fatalf("asn import:\n%s", r.stdout)
	}
	if r := c.mustRun("asn", "import", tsv); !strings.HasPrefix(r.stdout, "unchanged") {
		t.Fatalf("second import:\n%s", r.stdout)
	}
	if r := c.mustRun("asn", "show"); !strings.Contains(r.stdout, "ip2asn-v4.tsv") {
		t.Fatalf("asn show:\n%s", r.stdout)
	}
	r = c.mustRun("analyze", "web", "--analysis", "ssh-inbound", "--format", "csv")
	if !strings.Contains(r.stdout, "EXAMPLE-NET,AS64500") {
		t.Fatalf("ssh-inbound with ASN data:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "Loaded the home folder's ASN data into the case") {
		t.Fatalf("analyze did not say it loaded the ASN data:\n%s", r.stderr)
	}
	if r := c.run("asn", "import", filepath.Join(t.TempDir(), "missing.tsv")); r.code != exitFail {
		t.Fatalf("missing file: %d", r.code)
	}
}
