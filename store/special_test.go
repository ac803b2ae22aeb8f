package store

import (
	"net/netip"
	"slices"
	"testing"
)

// rfc6890 is the IANA special-purpose address registries (RFC 6890, as
// updated by RFCs 7723, 8155, 8190, 8215, 9602, 9637 ...): global says whether
// the block's addresses are globally reachable. ::ffff:0:0/96 is left out:
// an IPv4-mapped address is its IPv4 address (TestSpecialMapped).
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
	{"::1/128", false}, {"::/128", false}, {"64:ff9b:1::/48", false},
	{"100::/64", false}, {"2001::/23", false}, {"2001:2::/48", false}, {"2001:db8::/32", false},
	{"2001:10::/28", false}, {"3fff::/20", false}, {"5f00::/16", false}, {"fc00::/7", false}, {"fe80::/10", false},
	{"64:ff9b::/96", true}, {"2001:3::/32", true}, {"2620:4f:8000::/48", true},
}

// inside2001 is 2001::/23, a registry of protocol assignments: its globally
// reachable exceptions are special here all the same (nothing in it is worth
// a WHOIS query, nor an external peer of an instance).
var inside2001 = netip.MustParsePrefix("2001::/23")

func TestSpecialCoversRFC6890(t *testing.T) {
	for _, b := range rfc6890 {
		t.Run(b.block, func(t *testing.T) {
			p := netip.MustParsePrefix(b.block)
			lo, hi := PrefixNums(p)
			first, last := addrOf(t, lo.Bytes(), p.Addr().Is4()), addrOf(t, hi.Bytes(), p.Addr().Is4())
			// A block is covered when its first and last address are special
			// and one of the list's blocks holds it whole.
			whole := slices.ContainsFunc(SpecialPrefixes(), func(s netip.Prefix) bool {
				return s.Bits() <= p.Bits() && s.Contains(p.Addr())
			})
			switch {
			case !b.global && (!whole || !Special(first) || !Special(last)):
				t.Errorf("%s is not globally reachable but is not special", b.block)
			case b.global && !inside2001.Contains(p.Addr()) && Special(first):
				t.Errorf("%s is globally reachable but special", b.block)
			}
		})
	}
}

// addrOf is the address of an AddrNum number's bytes.
func addrOf(t *testing.T, b []byte, v4 bool) netip.Addr {
	t.Helper()
	var a [16]byte
	copy(a[16-len(b):], b)
	addr := netip.AddrFrom16(a)
	if v4 {
		addr = addr.Unmap()
	}
	return addr
}

func TestSpecial(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"224.0.0.1", true}, {"239.255.255.250", true}, {"ff02::1", true}, {"10.1.2.3", true},
		{"3fff::1", true}, {"5f00::1", true}, {"fd00::1", true}, {"::", true},
		{"8.8.8.8", false}, {"1.1.1.1", false}, {"74.125.225.229", false}, {"2001:4860:4860::8888", false},
		{"2a00:1450::1", false}, {"100.63.255.255", false}, {"100.128.0.0", false},
		// 6to4: a host on the Internet, reached through a relay.
		{"2002:c633:6401::1", false},
		// IPv4-mapped: the IPv4 address it maps.
		{"::ffff:192.168.1.1", true}, {"::ffff:8.8.8.8", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := Special(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("Special(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	if !Special(netip.Addr{}) {
		t.Error("the invalid address is not special")
	}
}

// TestSpecialNumbers checks the list as the analyses use it: ranges of
// AddrNum numbers, on which IPv4 is ::ffff:a.b.c.d. No range may hold a
// public address of either family (as a block of IPv4-mapped addresses
// would hold every IPv4 address).
func TestSpecialNumbers(t *testing.T) {
	for _, p := range SpecialPrefixes() {
		lo, hi := PrefixNums(p)
		for _, s := range []string{"8.8.8.8", "1.1.1.1", "2600:1f18::1", "2002:808:808::1"} {
			n, _ := PrefixNums(netip.PrefixFrom(netip.MustParseAddr(s), netip.MustParseAddr(s).BitLen()))
			if lo.Cmp(n) <= 0 && n.Cmp(hi) <= 0 {
				t.Errorf("%s holds the public address %s as a number", p, s)
			}
		}
	}
	for _, b := range []string{"::ffff:0:0/96", "2002::/16"} {
		if slices.Contains(SpecialPrefixes(), netip.MustParsePrefix(b)) {
			t.Errorf("%s is in the list (see its comment for why it must not be)", b)
		}
	}
}

func TestSpecialPrefixesIsACopy(t *testing.T) {
	a := SpecialPrefixes()
	a[0] = netip.MustParsePrefix("8.8.8.0/24")
	if Special(netip.MustParseAddr("8.8.8.8")) || SpecialPrefixes()[0] == a[0] {
		t.Fatal("changing the returned slice changed the list")
	}
}
