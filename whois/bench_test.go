package whois

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// benchNet is one network of the benchmark and the registry holding it.
type benchNet struct {
	rir    string
	prefix netip.Prefix
}

// benchPlan is 300 networks, 60 at each of the five registries (50 IPv4 in
// two /8s, 10 IPv6), of sizes from /16 to /28 and /32 to /48, some pairs of
// them in one /24; and 2,000 distinct addresses in them, a few networks
// holding many, in a shuffled (activity) order.
func benchPlan() ([]benchNet, []netip.Addr) {
	rng := rand.New(rand.NewPCG(42, 2000))
	blocks := map[string][]int{"arin": {23, 54}, "ripe": {185, 91}, "apnic": {1, 101}, "lacnic": {177, 179}, "afrinic": {41, 102}}
	v6 := map[string]string{"arin": "2600", "ripe": "2a00", "apnic": "2400", "lacnic": "2800", "afrinic": "2c00"}
	sizes := []int{16, 18, 20, 22, 24, 26, 28}
	var nets []benchNet
	for _, rir := range []string{"arin", "ripe", "apnic", "lacnic", "afrinic"} {
		for _, x := range blocks[rir] {
			n := 0
			for k := 1; n < 25; k++ {
				bits := sizes[rng.IntN(len(sizes))]
				base := netip.AddrFrom4([4]byte{byte(x), byte(k), 0, 0})
				nets = append(nets, benchNet{rir, netip.PrefixFrom(base, bits)})
				n++
				if bits >= 26 && n < 25 { // a sibling in the same /24
					nets = append(nets, benchNet{rir, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(x), byte(k), 0, 128}), bits)})
					n++
				}
			}
		}
		for k := 1; k <= 10; k++ {
			bits := []int{32, 40, 48}[k%3]
			p := netip.MustParsePrefix(fmt.Sprintf("%s:%x::/%d", v6[rir], k*16, bits))
			nets = append(nets, benchNet{rir, p})
		}
	}
	// Every network gets one address; the other 1,700 go mostly to a few.
	counts := make([]int, len(nets))
	for i := range counts {
		counts[i] = 1
	}
	for range 2000 - len(nets) {
		i := int(float64(len(nets)) * rng.Float64() * rng.Float64() * rng.Float64())
		for counts[i] >= 1<<(nets[i].prefix.Addr().BitLen()-nets[i].prefix.Bits())-1 {
			i = (i + 1) % len(nets)
		}
		counts[i]++
	}
	var addrs []netip.Addr
	for i, n := range nets {
		first, _ := prefixRange(n.prefix)
		seen := map[netip.Addr]bool{}
		for len(seen) < counts[i] {
			host := min(n.prefix.Addr().BitLen()-n.prefix.Bits(), 16)
			a := add(first, uint64(rng.IntN(1<<host)))
			if !seen[a] {
				seen[a] = true
				addrs = append(addrs, a)
			}
		}
	}
	rng.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	return nets, addrs
}

func add(a netip.Addr, n uint64) netip.Addr {
	u := toU(a)
	lo := u.lo + n
	if lo < u.lo {
		u.hi++
	}
	u.lo = lo
	return fromU(u, a.Is4())
}

// BenchmarkEnrich2000 enriches 2,000 addresses in 300 networks spread over
// the five registries, against fakes that answer in 100 ms and refuse
// queries faster than 5 per second per server, with PerServer at 5/s. It
// reports the time against what the limits allow (the busiest server's
// queries at 5 per second; the bar is 1.2×) and fails unless every network
// was asked about exactly once.
//
//	go test -run '^$' -bench Enrich2000 -benchtime 1x ./ingest/whois/
func BenchmarkEnrich2000(b *testing.B) {
	const (
		latency = 100 * time.Millisecond
		perSec  = 5
	)
	nets, addrs := benchPlan()
	for range b.N {
		b.StopTimer()
		w := newWorld(b)
		for _, s := range w.servers {
			s.latency, s.interval = latency, time.Second/perSec
		}
		for i, n := range nets {
			org := fmt.Sprintf("Bench Org %d", i)
			id := fmt.Sprintf("BENCH%d", i)
			var raw string
			switch n.rir {
			case "arin":
				raw = arinAnswer(n.prefix, fmt.Sprintf("NET-BENCH-%d", i), org, id, "US", "")
			case "lacnic":
				raw = lacnicAnswer(n.prefix, org, id, "BR")
			default:
				src := map[string]string{"ripe": "RIPE", "apnic": "APNIC", "afrinic": "AFRINIC"}[n.rir]
				raw = rpslAnswer(src, n.prefix, fmt.Sprintf("NET-BENCH-%d", i), org, "ORG-"+id, "NL")
			}
			w.add(b, rirHosts[n.rir]+":43", raw)
		}
		c := newCase(b)
		o := Options{Dialer: w.net, PerServer: perSec}
		b.StartTimer()
		began := time.Now()
		sum, err := Enrich(context.Background(), c, addrs, o)
		took := time.Since(began)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		busiest, busiestName := 0, ""
		for name, s := range w.servers {
			if n := s.count(); n > busiest {
				busiest, busiestName = n, name
			}
		}
		bound := time.Duration(busiest) * time.Second / perSec
		ratio := took.Seconds() / bound.Seconds()
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(ratio, "×bound")
		b.ReportMetric(float64(sum.Queries), "queries")
		b.Logf("%s", sum)
		b.Logf("%d addresses in %d networks: %s; the limits allow %s (%s: %d queries at %d/s): %.2f× (bar 1.2×); IANA %d queries",
			len(addrs), len(nets), took.Round(time.Millisecond), bound, busiestName, busiest, perSec, ratio, w.iana.count())
		// Exactly one query per network at its registry, none refused.
		for _, rir := range []string{"arin", "ripe", "apnic", "lacnic", "afrinic"} {
			s := w.servers[rirHosts[rir]+":43"]
			s.mu.Lock()
			for _, n := range nets {
				if n.rir != rir {
					continue
				}
				first, last := prefixRange(n.prefix)
				if got := s.answered[first.String()+"-"+last.String()]; got != 1 {
					b.Errorf("%s was asked about %s %d times", rir, n.prefix, got)
				}
			}
			s.mu.Unlock()
		}
		if sum.Networks != len(nets) || sum.Failed != 0 || sum.Refused != 0 || sum.Queried+sum.Cached != len(addrs) {
			b.Errorf("summary %s, errors %q", sum, sum.Errors)
		}
		if ratio > 1.2 {
			b.Errorf("%.2f× the time the limits allow, want at most 1.2×", ratio)
		}
	}
}
