package store

import (
	"net/netip"
	"slices"
)

// specialPrefixes are the address blocks that are not globally reachable:
// RFC 6890's special-purpose blocks so marked in IANA's registries (and their
// successors: RFC 8215, RFC 9602, RFC 9637), multicast, and the reserved
// 240.0.0.0/4. An address in one has scope "private" in the analyses and is
// never sent to a WHOIS server: both read this one list.
//
// Two blocks are deliberately not here:
//   - ::ffff:0:0/96 (IPv4-mapped, RFC 4291): such an address is the IPv4
//     address it maps, and Special unmaps it first; and the case numbers every
//     IPv4 address as ::ffff:a.b.c.d (AddrNum), so a range of this block
//     would call every IPv4 address private.
//   - 2002::/16 (6to4, RFC 3056): IANA does not call it unreachable, and a
//     6to4 address is a host on the Internet (the IPv4 address it embeds)
//     reached through a relay: an external peer an analysis must show.
var specialPrefixes = mustPrefixes(
	// IPv4
	"0.0.0.0/8",       // "this network" (RFC 791)
	"10.0.0.0/8",      // private use (RFC 1918)
	"100.64.0.0/10",   // shared address space, CGNAT (RFC 6598)
	"127.0.0.0/8",     // loopback (RFC 1122)
	"169.254.0.0/16",  // link local (RFC 3927)
	"172.16.0.0/12",   // private use (RFC 1918)
	"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
	"192.0.2.0/24",    // documentation TEST-NET-1 (RFC 5737)
	"192.88.99.0/24",  // 6to4 relay anycast, deprecated (RFC 7526)
	"192.168.0.0/16",  // private use (RFC 1918)
	"198.18.0.0/15",   // benchmarking (RFC 2544)
	"198.51.100.0/24", // documentation TEST-NET-2 (RFC 5737)
	"203.0.113.0/24",  // documentation TEST-NET-3 (RFC 5737)
	"224.0.0.0/4",     // multicast (RFC 5771)
	"240.0.0.0/4",     // reserved, and 255.255.255.255 limited broadcast (RFC 1112, RFC 919)
	// IPv6
	"::/128",         // unspecified (RFC 4291)
	"::1/128",        // loopback (RFC 4291)
	"64:ff9b:1::/48", // local-use IPv4/IPv6 translation (RFC 8215)
	"100::/64",       // discard-only (RFC 6666)
	"2001::/23",      // IETF protocol assignments (RFC 2928): TEREDO, benchmarking, ORCHID ...
	"2001:db8::/32",  // documentation (RFC 3849)
	"3fff::/20",      // documentation (RFC 9637)
	"5f00::/16",      // SRv6 SIDs (RFC 9602)
	"fc00::/7",       // unique local (RFC 4193)
	"fe80::/10",      // link-local unicast (RFC 4291)
	"ff00::/8",       // multicast (RFC 4291)
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// SpecialPrefixes are the blocks that are not globally reachable (see
// Special), IPv4 first; the caller may keep or change the slice.
func SpecialPrefixes() []netip.Prefix { return slices.Clone(specialPrefixes) }

// Special reports whether a lies in a block that is not globally reachable
// (private, shared, loopback, link-local, documentation, benchmarking,
// multicast, reserved …): its scope is "private" and it is never sent to a
// WHOIS server. An IPv4-mapped address is its IPv4 address; an invalid
// address is special.
func Special(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap()
	for _, p := range specialPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
