package demo

import (
	"math/bits"
	"sort"
)

// rng is a small deterministic pseudo-random generator (SplitMix64).
//
// The generator and every distribution drawn from it use integer arithmetic
// only, so the output is the same on every architecture and Go release:
// byte-identical trees for the same seed do not depend on math/rand's
// implementation or on floating-point contraction.
type rng struct{ state uint64 }

// Stream labels keep the independent parts of the generator apart, so that
// adding a draw to one part never shifts the numbers another part sees.
const (
	streamPeers uint64 = iota + 1
	streamIncidents
	streamHour
	streamServices
)

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// newRNG returns a generator for seed and the given stream labels.
func newRNG(seed int64, stream ...uint64) *rng {
	s := mix64(uint64(seed) + 0x9e3779b97f4a7c15)
	for _, v := range stream {
		s = mix64(s ^ mix64(v+0x6a09e667f3bcc909))
	}
	return &rng{state: s}
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// int64n returns a number in [0, n); n must be positive.
func (r *rng) int64n(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.int64n(hi-lo+1)
}

// percent reports true with probability p/100.
func (r *rng) percent(p int) bool { return r.intn(100) < p }

// logu returns a log-uniformly distributed number in [lo, hi] (lo >= 1):
// every power of two in the range is equally likely, which gives the long
// tail of flow sizes seen in real traffic.
func (r *rng) logu(lo, hi int64) int64 {
	if lo < 1 {
		lo = 1
	}
	if hi <= lo {
		return lo
	}
	a, b := bits.Len64(uint64(lo))-1, bits.Len64(uint64(hi))-1
	e := a + r.intn(b-a+1)
	v := int64(1)<<e + r.int64n(int64(1)<<e)
	return min(max(v, lo), hi)
}

// pick returns a uniformly chosen element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1): a few
// heavy hitters and a long tail.
type zipf struct{ cum []uint64 }

func newZipf(n int) zipf {
	cum := make([]uint64, n)
	var total uint64
	for i := range cum {
		total += (1 << 32) / uint64(i+1)
		cum[i] = total
	}
	return zipf{cum: cum}
}

func (z zipf) draw(r *rng) int {
	x := r.next() % z.cum[len(z.cum)-1]
	return sort.Search(len(z.cum), func(i int) bool { return z.cum[i] > x })
}
