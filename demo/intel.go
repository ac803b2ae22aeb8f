package demo

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// IntelFile is the name of the threat-intel list WriteIntel writes.
const IntelFile = "demo-blocklist.txt"

// WriteIntel writes the demo's threat-intel list into dir: a plain list of
// addresses and networks, one a line with # comments, in the way of the
// blocklists an analyst imports. It names the peer of the intel-listed
// incident and a handful of addresses and networks that appear nowhere in
// the traffic. It returns the path written.
func WriteIntel(dir string, opts Options) (string, error) {
	o := opts.withDefaults()
	var listed string
	for _, inc := range Environment(o).Incidents {
		if inc.Name == "intel-listed" {
			listed = inc.Peer
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# investiGATOR demo blocklist (seed %d): known-bad addresses for the demo case.\n", o.Seed)
	b.WriteString("# Made up for the demo, not a real feed. One address or network a line.\n")
	fmt.Fprintf(&b, "# Last updated: %s\n", o.Start.AddDate(0, 0, -1).Format("2006-01-02 15:04:05 UTC"))
	line := func(v, why string) { fmt.Fprintf(&b, "%-22s # %s\n", v, why) }
	line(listed, "web exploitation: .env and admin-panel probes, CVE payloads")
	for _, e := range blocklist() {
		line(e.entry, e.why)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("demo: intel: %w", err)
	}
	path := filepath.Join(dir, IntelFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("demo: intel: %w", err)
	}
	return path, nil
}

// blocklistEntry is an address or network of the threat-intel list.
type blocklistEntry struct{ entry, why string }

// blocklist is the threat-intel list besides the intel-listed incident's
// peer. No part of the demo's traffic is drawn from these networks, so they
// never appear in it.
func blocklist() []blocklistEntry {
	return []blocklistEntry{
		{"194.26.29.113", "SSH brute force"},
		{"176.111.174.27", "RDP brute force"},
		{"2.57.122.190", "malware distribution"},
		{"91.240.118.168", "botnet controller"},
		{"141.94.76.20", "scanning for exposed databases"},
		{"193.32.162.0/24", "bulletproof hosting"},
		{"2a0e:1c80:bad::/48", "bulletproof hosting"},
	}
}

// blocklisted are the single addresses of blocklist.
func blocklisted() []netip.Addr {
	var out []netip.Addr
	for _, e := range blocklist() {
		if a, err := netip.ParseAddr(e.entry); err == nil {
			out = append(out, a)
		}
	}
	return out
}
