package whois

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/netip"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// rfc6890 is the IANA special-purpose address registries (RFC 6890, as
// updated by RFCs 7723, 8155, 8190, 8215, 9602, 9637 ...): global says whether
// the block's addresses are globally reachable.
var rfc6890 = []struct {
	block  string
	global bool
}{
	{"0.0.0.0/8", false}, {"0.0.0.0/32", false}, {"10.0.0.0/8", false}, {"100.64.0.0/10", false},
	{"127.0.0.0/8", false}, {"169.254.0.0/16", false}, {"172.16.0.0/12", false}, {"192.0.0.0/24", false},
	{"192.0.0.0/29", false}, {"192.0.0.8/32", false}, {"192.0.0.170/32", false}, {"192.0.0.171/32", false},
	{"192.0.2.0/24", false}, {"192.168.0.0/16", false}, {"198.18.0.0/15", false}, {"198.51.100.0/24", false},
	{"203.0.113.0/24", false}, {"240.0.0.0/4", false}, {"255.255.255.255/32", false},
	{"192.31.196.0/24", true}, {"192.52.193.0/24", true}, {"192.175.48.0/24", true},
	{"::1/128", false}, {"::/128", false}, {"::ffff:0:0/96", false}, {"64:ff9b:1::/48", false},
	{"100::/64", false}, {"2001::/23", false}, {"2001:2::/48", false}, {"2001:db8::/32", false},
	{"2001:10::/28", false}, {"3fff::/20", false}, {"5f00::/16", false}, {"fc00::/7", false}, {"fe80::/10", false},
	{"64:ff9b::/96", true}, {"2001:3::/32", true}, {"2620:4f:8000::/48", true},
}

func TestSpecialCoversRFC6890(t *testing.T) {
	for _, b := range rfc6890 {
		p := netip.MustParsePrefix(b.block)
		first, last := prefixRange(p)
		// A block is covered when its first and last address are special and
		// one of our blocks holds it whole.
		whole := false
		for _, s := range specialBlocks {
			if s.Bits() <= p.Bits() && s.Contains(p.Addr()) && s.Addr().Is4() == p.Addr().Is4() {
				whole = true
			}
		}
		switch {
		case !b.global && (!whole || !Special(first) || !Special(last)):
			t.Errorf("%s is not globally reachable but is not special here", b.block)
		case b.global && !isInside2001(p) && Special(first):
			t.Errorf("%s is globally reachable but special here", b.block)
		}
	}
	for _, s := range []string{"224.0.0.1", "239.255.255.250", "ff02::1", "::ffff:192.168.1.1"} {
		if !Special(netip.MustParseAddr(s)) {
			t.Errorf("%s is not special", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "74.125.225.229", "2001:4860:4860::8888", "2a00:1450::1", "::ffff:8.8.8.8", "100.63.255.255", "100.128.0.0"} {
		if Special(netip.MustParseAddr(s)) {
			t.Errorf("%s is special", s)
		}
	}
}

// isInside2001 is the globally reachable exceptions inside 2001::/23 (a
// registry of protocol assignments: nothing in it is worth a WHOIS query).
func isInside2001(p netip.Prefix) bool {
	return netip.MustParsePrefix("2001::/23").Contains(p.Addr())
}

// TestSpecialMatchesQueries reads queries' specialRanges from its source
// (it is not exported) and checks that every block it calls private is
// special here too: an address address_info calls private must never reach
// a WHOIS server.
func TestSpecialMatchesQueries(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(here), "..", "..", "queries", "enrich.go")
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Skipf("queries' source is not readable here: %v", err)
	}
	var blocks []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "specialRanges" || len(vs.Values) != 1 {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			if s, err := strconv.Unquote(e.(*ast.BasicLit).Value); err == nil {
				blocks = append(blocks, s)
			}
		}
		return false
	})
	if len(blocks) < 10 {
		t.Fatalf("found %d blocks in queries' specialRanges", len(blocks))
	}
	ours := map[netip.Prefix]bool{}
	for _, p := range specialBlocks {
		ours[p] = true
	}
	for _, b := range blocks {
		p := netip.MustParsePrefix(b)
		if !ours[p] {
			t.Errorf("queries calls %s private; it is missing here", b)
		}
	}
	// What is special here beyond queries' list, on purpose.
	extra := map[netip.Prefix]bool{}
	for _, b := range []string{"::ffff:0:0/96", "2002::/16", "3fff::/20", "5f00::/16"} {
		extra[netip.MustParsePrefix(b)] = true
	}
	theirs := map[netip.Prefix]bool{}
	for _, b := range blocks {
		theirs[netip.MustParsePrefix(b)] = true
	}
	for _, p := range specialBlocks {
		if !theirs[p] && !extra[p] {
			t.Errorf("%s is special here but neither in queries' list nor a documented extra", p)
		}
	}
}
