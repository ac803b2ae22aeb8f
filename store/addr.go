package store

import (
	"math/big"
	"net/netip"
)

// AddrNum is an address as a decimal 128-bit number, the form the case keeps
// in its UHUGEINT columns. IPv4 addresses are IPv4-mapped (::ffff:a.b.c.d), so
// both families share one number line and one range join.
func AddrNum(a netip.Addr) string {
	b := a.As16() // IPv4 becomes ::ffff:a.b.c.d
	return new(big.Int).SetBytes(b[:]).String()
}

// PrefixRange is the first and last address of p as AddrNum numbers.
func PrefixRange(p netip.Prefix) (first, last string) {
	lo, hi := PrefixNums(p)
	return lo.String(), hi.String()
}

// PrefixNums is PrefixRange as numbers, the form the appender takes for
// UHUGEINT columns.
func PrefixNums(p netip.Prefix) (first, last *big.Int) {
	p = p.Masked()
	lo := p.Addr().As16()
	hi := lo
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		hi[i/8] |= 1 << (7 - i%8)
	}
	return new(big.Int).SetBytes(lo[:]), new(big.Int).SetBytes(hi[:])
}

// Family is 4 or 6.
func Family(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 4
	}
	return 6
}
