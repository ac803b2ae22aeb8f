package whois

import (
	"math/bits"
	"net/netip"
	"slices"
)

// u128 is an address as a number within its family (IPv4 in the low 32 bits).
type u128 struct{ hi, lo uint64 }

func toU(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var u u128
	for i := range 8 {
		u.hi = u.hi<<8 | uint64(b[i])
		u.lo = u.lo<<8 | uint64(b[8+i])
	}
	return u
}

func fromU(u u128, v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte{byte(u.lo >> 24), byte(u.lo >> 16), byte(u.lo >> 8), byte(u.lo)})
	}
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(u.hi >> (8 * i))
		b[15-i] = byte(u.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// Less compares u and v as numbers.
func (u u128) Less(v u128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

func (u u128) sub(v u128) u128 {
	lo, borrow := bits.Sub64(u.lo, v.lo, 0)
	hi, _ := bits.Sub64(u.hi, v.hi, borrow)
	return u128{hi, lo}
}

func (u u128) addOne() u128 {
	lo, carry := bits.Add64(u.lo, 1, 0)
	return u128{u.hi + carry, lo}
}

// lowMask has the low n bits set.
func lowMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{lo: 1<<uint(n) - 1}
	case n == 64:
		return u128{lo: ^uint64(0)}
	case n < 128:
		return u128{hi: 1<<uint(n-64) - 1, lo: ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

func (u u128) or(v u128) u128 { return u128{u.hi | v.hi, u.lo | v.lo} }

func (u u128) trailingZeros() int {
	if u.lo != 0 {
		return bits.TrailingZeros64(u.lo)
	}
	if u.hi != 0 {
		return 64 + bits.TrailingZeros64(u.hi)
	}
	return 128
}

// rangeSize is last - first.
func rangeSize(first, last netip.Addr) u128 { return toU(last).sub(toU(first)) }

// prefixRange is the first and last address of p.
func prefixRange(p netip.Prefix) (netip.Addr, netip.Addr) {
	p = p.Masked()
	first := p.Addr()
	host := first.BitLen() - p.Bits()
	return first, fromU(toU(first).or(lowMask(host)), first.Is4())
}

// rangePrefixes are the fewest CIDR blocks covering first..last exactly.
func rangePrefixes(first, last netip.Addr) []netip.Prefix {
	if !first.IsValid() || !last.IsValid() || first.Is4() != last.Is4() || last.Less(first) {
		return nil
	}
	v4 := first.Is4()
	width := first.BitLen()
	f, l := toU(first), toU(last)
	top := lowMask(width)
	var out []netip.Prefix
	for range 2*width + 2 {
		h := min(f.trailingZeros(), width)
		for h > 0 && l.Less(f.or(lowMask(h))) {
			h--
		}
		out = append(out, netip.PrefixFrom(fromU(f, v4), width-h))
		end := f.or(lowMask(h))
		if end == top || !end.Less(l) {
			break
		}
		f = end.addOne()
	}
	return out
}

// covers reports whether ps cover first..last exactly, without gaps or overlaps.
func covers(ps []netip.Prefix, first, last netip.Addr) bool {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	next := first
	for i, p := range ps {
		if p.Addr().Is4() != first.Is4() {
			return false
		}
		f, l := prefixRange(p)
		if f != next {
			return false
		}
		if i == len(ps)-1 {
			return l == last
		}
		next = l.Next()
		if !next.IsValid() {
			return false
		}
	}
	return false
}

func minAddr(a, b netip.Addr) netip.Addr {
	if b.Less(a) {
		return b
	}
	return a
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return b
	}
	return a
}
