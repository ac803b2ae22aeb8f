package demo

import (
	"cmp"
	"net/netip"
	"slices"
)

// The scheduled services are busy legitimate traffic that runs on timers:
// what a detection of beacons, long connections or exfiltration must not
// take for one.
//
//   - chrony on the web server polls two public NTP servers every 1024 s;
//   - the database's nightly backup streams to S3 at 02:00 UTC over four
//     connections, through the NAT gateway (gigabytes to an AWS range);
//   - the CloudWatch agent on the web server posts its metrics every 60 s,
//     a new HTTPS connection to the same AWS endpoint each time: a beacon in
//     all but its provider;
//   - the load balancer's node health-checks the web server over HTTP every
//     30 s.
//
// They are generated apart from the hourly background, from a stream of
// their own, and take at most scheduledShare percent of the records: each
// service whole, in this order, or only its latest runs when it does not fit
// (as if it had been set up during the period). At the default size every
// one runs for the whole period.
const scheduledShare = 15

// scheduledPeers are the public addresses the scheduled services talk to.
type scheduledPeers struct {
	ntp        []netip.Addr // chrony's two servers
	monitoring netip.Addr   // the CloudWatch endpoint the agent posts to
}

func newScheduledPeers(seed int64) scheduledPeers {
	r := newRNG(seed, streamServices, 1)
	pool := ntpServers()
	i := r.intn(len(pool))
	j := (i + 1 + r.intn(len(pool)-1)) % len(pool)
	return scheduledPeers{
		ntp:        []netip.Addr{pool[i], pool[j]},
		monitoring: hostInPrefix(r, netip.MustParsePrefix("52.46.128.0/19")),
	}
}

// scheduled returns the records of the scheduled services that fit in
// budget records. Every service is generated whole before it is cut, so the
// records do not depend on the budget beyond which runs are kept.
func scheduled(env *environment, o Options, sp scheduledPeers, budget int) []record {
	g := &gen{env: env, r: newRNG(o.Seed, streamServices, 2)}
	g.lo, g.hi = o.Start.Unix(), o.Start.Unix()+int64(o.Days)*86400
	var out []record
	for _, runs := range [][][]record{g.chrony(sp.ntp), g.backups(), g.metrics(sp.monitoring), g.healthChecks()} {
		i, n := len(runs), 0
		for i > 0 && n+len(runs[i-1]) <= budget {
			i--
			n += len(runs[i])
		}
		for _, run := range runs[i:] {
			out = append(out, run...)
		}
		budget -= n
	}
	return out
}

// every calls run at t0, t0+interval, t0+2·interval, … (each time up to
// jitter seconds late) until the end of the period, and returns the records
// of each call as one run.
func (g *gen) every(t0, interval, jitter int64, run func(t int64)) [][]record {
	var runs [][]record
	for t := t0; t < g.hi-60; t += interval {
		g.recs = nil
		run(t + g.r.between(0, jitter))
		runs = append(runs, g.recs)
	}
	g.recs = nil
	return runs
}

// chrony is the web server's NTP client polling its servers.
func (g *gen) chrony(servers []netip.Addr) [][]record {
	var runs [][]record
	for _, srv := range servers {
		runs = append(runs, g.every(g.lo+g.r.between(0, 1023), 1024, 0, func(t int64) {
			c := conv{proto: protoUDP, t0: t, fpk: 1, fby: 76, rpk: 1, rby: 76}
			g.emit(c, g.toInternet(eniWeb, srv, uint16(g.r.between(32768, 60999)), 123, 8))
		})...)
	}
	// Both servers' polls by time, so that the latest runs are the last.
	slices.SortStableFunc(runs, func(a, b []record) int { return cmp.Compare(a[0].start, b[0].start) })
	return runs
}

// backups is the database's nightly pg_dump streamed to S3, one run a night:
// four connections of a multipart upload, through the NAT gateway. The
// database grows a little every night.
func (g *gen) backups() [][]record {
	var s3 []netip.Prefix
	for _, s := range g.env.services {
		if s.service == "S3" {
			s3 = append(s3, s.prefix)
		}
	}
	size := g.r.between(1_500_000_000, 2_500_000_000)
	first := g.lo - floorMod(g.lo, 86400) + 2*3600
	if first < g.lo {
		first += 86400
	}
	var runs [][]record
	for night, t := int64(0), first; ; night, t = night+1, t+86400 {
		total := size * (100 + night) / 100
		dur := total / g.r.between(3_000_000, 6_000_000) // pg_dump's pace
		t0 := t + g.r.between(5, 90)
		if t0+dur+60 >= g.hi {
			break
		}
		g.recs = nil
		for range 4 {
			c := conv{proto: protoTCP, t0: t0 + g.r.between(0, 20)}
			c.dur = t0 + dur - c.t0
			c.fpk, c.fby, c.rpk, c.rby = tcpSizes(total/4, g.r.between(20_000, 40_000))
			legs := g.viaNAT(eniDB, hostInPrefix(g.r, pick(g.r, s3)), uint16(g.r.between(32768, 60999)), 443)
			g.emit(c, legs[:]...)
		}
		runs = append(runs, g.recs)
	}
	g.recs = nil
	return runs
}

// metrics is the CloudWatch agent on the web server calling PutMetricData.
func (g *gen) metrics(endpoint netip.Addr) [][]record {
	return g.every(g.lo+g.r.between(0, 59), 60, 1, func(t int64) {
		c := conv{proto: protoTCP, t0: t}
		c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(2_900, 3_300), g.r.between(5_300, 5_500))
		g.emit(c, g.toInternet(eniWeb, endpoint, uint16(g.r.between(32768, 60999)), 443, 8))
	})
}

// healthChecks is the load balancer's node asking the web server for its
// health page.
func (g *gen) healthChecks() [][]record {
	return g.every(g.lo+g.r.between(0, 29), 30, 0, func(t int64) {
		c := conv{proto: protoTCP, t0: t}
		c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(110, 130), g.r.between(160, 200))
		g.emit(c, g.fromVPC(eniWeb, g.env.balancer, uint16(g.r.between(1024, 65535)), 80))
	})
}
