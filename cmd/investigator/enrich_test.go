package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/investigator/investigator/internal/whoisfake"
)

func TestEnrichWhois(t *testing.T) {
	server, queries := whoisfake.Serve(t, whoisfake.Example)
	c := newCLI(t)
	p := filepath.Join(t.TempDir(), "f.log")
	os.WriteFile(p, []byte(header+
		"2 1 eni-1 45.61.9.9 10.0.1.10 40001 22 6 2 120 1700000000 1700000060 REJECT OK\n"+
		"2 1 eni-1 45.61.7.7 10.0.1.10 40002 22 6 2 120 1700000000 1700000060 REJECT OK\n"+
		"2 1 eni-1 10.0.9.9 10.0.1.10 40003 22 6 2 120 1700000000 1700000060 REJECT OK\n"), 0o644)
	c.mustRun("ingest", "w", p, "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16")

	r := c.mustRun("enrich", "w", "--whois", "--whois-server", server)
	if queries.Load() != 1 {
		t.Fatalf("%d queries for two addresses of one network, want 1\n%s", queries.Load(), r.stdout)
	}
	r = c.mustRun("analyze", "w", "--analysis", "ssh-inbound", "--format", "csv")
	if strings.Count(r.stdout, "Example Hosting,AS64500") != 2 {
		t.Fatalf("ssh-inbound after enrich:\n%s", r.stdout)
	}
	// Offline: the stored answer serves, nothing is asked.
	c.mustRun("enrich", "w", "--whois", "--offline", "--whois-server", "127.0.0.1:1")
	if r := c.run("enrich", "w"); r.code != exitUsage {
		t.Fatalf("enrich without --whois: %d", r.code)
	}
	// analyze --whois enriches what it is about to print.
	c2 := newCLI(t)
	c2.mustRun("ingest", "w", p, "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16")
	r = c2.mustRun("analyze", "w", "--analysis", "ssh-inbound", "--whois", "--whois-server", server, "--format", "csv")
	if !strings.Contains(r.stdout, "Example Hosting") {
		t.Fatalf("analyze --whois:\n%s%s", r.stdout, r.stderr)
	}
}
