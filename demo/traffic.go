package demo

import "net/netip"

// hourPlan is what one hour of the tree must contain.
type hourPlan struct {
	index  int
	start  int64    // unix seconds
	budget int      // background records to generate, NODATA included
	fixed  []record // incident and SKIPDATA records that start in this hour
	batch  bool     // the batch instance runs during this hour
}

// diurnal returns the relative amount of background traffic in each UTC
// hour of the day: a trough before dawn in the Americas, a peak in the
// afternoon.
func diurnal(hourOfDay int) int64 {
	w := [24]int64{
		55, 50, 45, 42, 40, 42, 48, 58, 70, 82, 92, 100,
		106, 110, 112, 112, 110, 106, 100, 92, 84, 76, 68, 60,
	}
	return w[hourOfDay]
}

// batchWindow is the part of its hour the batch instance is running.
func batchWindow(hourStart int64) (lo, hi int64) { return hourStart + 90, hourStart + 3300 }

// hour generates the records of one hour: the fixed ones plus exactly
// p.budget background records, in generation order.
func (g *gen) hour(p hourPlan, hourOfDay int) []record {
	// Headroom for the conversation that overshoots and is rolled back.
	g.recs = make([]record, 0, len(p.fixed)+p.budget+1024)
	g.recs = append(g.recs, p.fixed...)
	total := len(p.fixed) + p.budget
	noData := 0
	if p.budget > 0 {
		noData = min(g.r.intn(3), p.budget)
		if p.batch {
			noData = min(noData+1, p.budget)
		}
	}
	target := total - noData
	for len(g.recs) < target {
		mark := len(g.recs)
		g.lo, g.hi = p.start, p.start+3600
		if p.batch && g.r.percent(12) {
			g.lo, g.hi = batchWindow(p.start)
			g.batchJob()
		} else {
			g.background(hourOfDay)
		}
		if len(g.recs) > target {
			// The conversation overshoots the budget: replace it with a
			// single rejected probe, so the hour ends exactly on budget.
			g.recs = g.recs[:mark]
			g.lo, g.hi = p.start, p.start+3600
			g.noise(eniWeb)
		}
	}
	g.noData(noData, p)
	g.lo, g.hi = p.start, p.start+3600
	for len(g.recs) < total {
		g.noise(eniWeb) // the web server is never quiet, so no NODATA window is broken
	}
	return g.recs
}

// background appends one conversation of ordinary traffic.
func (g *gen) background(hourOfDay int) {
	switch x := g.r.intn(100); {
	case x < 30:
		g.web(g.peers.client4(g.r), 443)
	case x < 35:
		g.web(g.peers.client4(g.r), 80)
	case x < 41:
		g.web(g.peers.client6(g.r), 443)
	case x < 45:
		g.healthCheck()
	case x < 56:
		g.proxy()
	case x < 65:
		g.appDB()
	case x < 72:
		g.dns(pick(g.r, []int{eniWeb, eniWeb, eniWeb, eniApp, eniApp, eniDB, eniWorker, eniBastion}))
	case x < 74:
		g.ntp()
	case x < 77:
		g.updates()
	case x < 80:
		g.s3()
	case x < 84:
		g.awsAPI(pick(g.r, []int{eniWeb, eniApp, eniApp, eniWorker, eniDB, eniBastion}))
	case x < 86:
		g.gcp()
	case x < 88:
		g.cloudflare()
	case x < 90:
		g.icmp()
	case x < 91:
		g.admin(hourOfDay)
	case x < 95:
		g.monitor()
	default:
		if g.r.percent(80) {
			g.noise(eniWeb)
		} else {
			g.noise(eniBastion)
		}
	}
}

// web is a visitor fetching pages from the web server.
func (g *gen) web(client netip.Addr, port uint16) {
	var dur, up, down int64
	switch x := g.r.intn(100); {
	case port == 80: // a redirect to HTTPS
		dur, up, down = g.r.between(0, 1), g.r.between(300, 600), g.r.between(300, 700)
	case x < 70:
		dur, up, down = g.r.between(0, 15), g.r.logu(400, 8_000), g.r.logu(1_500, 600_000)
	case x < 93:
		dur, up, down = g.r.between(15, 120), g.r.logu(1_000, 40_000), g.r.logu(20_000, 4_000_000)
	default: // keep-alive and long downloads
		dur, up, down = g.r.between(120, 900), g.r.logu(2_000, 80_000), g.r.logu(50_000, 40_000_000)
	}
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(up, down)
	c.t0, c.dur = g.span(dur)
	g.emit(c, g.fromInternet(eniWeb, client, g.ephemeral(), port))
}

// healthCheck is a Route 53 health checker probing the site.
func (g *gen) healthCheck() {
	port := uint16(443)
	if g.r.percent(25) {
		port = 80
	}
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(500, 700), g.r.between(3_500, 5_000))
	c.t0, c.dur = g.span(g.r.between(0, 1))
	g.emit(c, g.fromInternet(eniWeb, pick(g.r, g.peers.checkers), g.ephemeral(), port))
}

// proxy is the web server forwarding a request to the app server.
func (g *gen) proxy() {
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(400, 50_000), g.r.logu(500, 2_000_000))
	c.t0, c.dur = g.span(g.r.between(0, 4))
	legs := g.within(eniWeb, eniApp, uint16(g.r.between(32768, 60999)), 8080)
	g.emit(c, legs[:]...)
}

// appDB is the app server querying PostgreSQL.
func (g *gen) appDB() {
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(200, 100_000), g.r.logu(200, 5_000_000))
	c.t0, c.dur = g.span(g.r.logu(1, 40) - 1)
	legs := g.within(eniApp, eniDB, uint16(g.r.between(32768, 60999)), 5432)
	g.emit(c, legs[:]...)
}

// dns is a query to the VPC resolver.
func (g *gen) dns(e int) {
	c := conv{proto: protoUDP, fpk: 1, fby: g.r.between(60, 100), rpk: 1, rby: g.r.between(90, 512)}
	c.t0, c.dur = g.span(0)
	g.emit(c, g.toResolver(e, uint16(g.r.between(32768, 60999))))
}

// ntp is a time query to a public NTP server (the web server's chrony polls
// on a schedule of its own: see chrony).
func (g *gen) ntp() {
	e := pick(g.r, []int{eniBastion, eniApp, eniDB, eniWorker})
	c := conv{proto: protoUDP, fpk: 1, fby: 76, rpk: 1, rby: 76}
	c.t0, c.dur = g.span(0)
	g.out(c, e, pick(g.r, g.peers.ntp), uint16(g.r.between(32768, 60999)), 123)
}

// updates is a package download from a mirror (or an Amazon Linux
// repository in S3).
func (g *gen) updates() {
	e := pick(g.r, []int{eniWeb, eniBastion, eniApp, eniDB, eniWorker})
	down := g.r.logu(20_000, 80_000_000)
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(600, 4_000), down)
	c.t0, c.dur = g.span(down/15_000_000 + g.r.between(0, 3))
	sport := uint16(g.r.between(32768, 60999))
	switch {
	case e == eniWeb && g.r.percent(30):
		g.out(c, e, pick(g.r, g.peers.mirrors6), sport, 443)
	case g.r.percent(30):
		g.toS3(c, e, pick(g.r, g.peers.s3), sport)
	case g.r.percent(40):
		g.out(c, e, pick(g.r, g.peers.mirrors[:5]), sport, 80) // apt over plain HTTP
	default:
		g.out(c, e, pick(g.r, g.peers.mirrors), sport, 443)
	}
}

// toS3 reaches S3 through the gateway endpoint where the subnet's route
// table has one, through the NAT gateway otherwise.
func (g *gen) toS3(c conv, e int, remote netip.Addr, sport uint16) {
	if g.env.enis[e].subnet == subnetPrivateA {
		legs := g.viaNAT(e, remote, sport, 443)
		g.emit(c, legs[:]...)
		return
	}
	g.emit(c, g.toInternet(e, remote, sport, 443, 7))
}

// s3 is application traffic to S3: assets, job inputs, backups.
func (g *gen) s3() {
	e := pick(g.r, []int{eniWeb, eniApp, eniWorker, eniWorker, eniDB})
	up, down := g.r.logu(500, 50_000), g.r.logu(2_000, 20_000_000)
	if e == eniDB { // backups go the other way
		up, down = g.r.logu(1_000_000, 400_000_000), g.r.logu(2_000, 20_000)
	}
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(up, down)
	c.t0, c.dur = g.span((up+down)/40_000_000 + g.r.between(0, 2))
	g.toS3(c, e, pick(g.r, g.peers.s3), uint16(g.r.between(32768, 60999)))
}

// awsAPI is an AWS API call (SSM, STS, CloudWatch; DynamoDB from the app).
func (g *gen) awsAPI(e int) {
	remote := pick(g.r, g.peers.amazon)
	if e == eniApp && g.r.percent(30) {
		remote = pick(g.r, g.peers.dynamo)
	}
	dur := g.r.between(0, 2)
	if g.r.percent(25) { // the SSM agent's long poll
		dur = g.r.between(20, 65)
	}
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(800, 20_000), g.r.logu(500, 30_000))
	c.t0, c.dur = g.span(dur)
	g.out(c, e, remote, uint16(g.r.between(32768, 60999)), 443)
}

// gcp is a partner's webhook calling the site from GCP, or the app calling
// an API hosted there.
func (g *gen) gcp() {
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(800, 30_000), g.r.logu(500, 200_000))
	c.t0, c.dur = g.span(g.r.between(0, 3))
	if g.r.percent(50) {
		g.emit(c, g.fromInternet(eniWeb, pick(g.r, g.peers.gcpHooks), uint16(g.r.between(32768, 60999)), 443))
		return
	}
	g.out(c, eniApp, pick(g.r, g.peers.gcpAPIs), uint16(g.r.between(32768, 60999)), 443)
}

// cloudflare is a call to an API behind Cloudflare.
func (g *gen) cloudflare() {
	e := pick(g.r, []int{eniApp, eniWorker, eniWeb})
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(500, 20_000), g.r.logu(1_000, 1_000_000))
	c.t0, c.dur = g.span(g.r.between(0, 5))
	g.out(c, e, pick(g.r, g.peers.cloudflare), uint16(g.r.between(32768, 60999)), 443)
}

// icmp is an uptime monitor's ping, an IPv6 ping or an internal ping.
func (g *gen) icmp() {
	c := conv{proto: protoICMP, fpk: 1, fby: 84, rpk: 1, rby: 84}
	c.t0, c.dur = g.span(0)
	switch x := g.r.intn(10); {
	case x < 6:
		g.emit(c, g.fromInternet(eniWeb, pick(g.r, g.peers.pingers), 0, 0))
	case x < 8:
		c.proto, c.fby, c.rby = protoICMPv6, 104, 104
		g.emit(c, g.fromInternet(eniWeb, g.peers.client6(g.r), 0, 0))
	default:
		legs := g.within(eniBastion, pick(g.r, []int{eniApp, eniDB, eniWorker}), 0, 0)
		g.emit(c, legs[:]...)
	}
}

// admin is an engineer logging in to the bastion from the office during
// working hours, sometimes hopping on to another instance.
func (g *gen) admin(hourOfDay int) {
	if hourOfDay < 7 || hourOfDay >= 19 {
		g.dns(eniBastion)
		return
	}
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(20_000, 400_000), g.r.logu(50_000, 5_000_000))
	c.t0, c.dur = g.span(g.r.between(300, 2700))
	g.emit(c, g.fromInternet(eniBastion, pick(g.r, g.peers.office), g.ephemeral(), 22))
	if c.dur < 200 || g.r.percent(50) {
		return
	}
	hop := conv{proto: protoTCP, t0: c.t0 + g.r.between(30, 90)}
	hop.dur = g.r.between(60, c.t0+c.dur-hop.t0)
	hop.fpk, hop.fby, hop.rpk, hop.rby = tcpSizes(g.r.logu(5_000, 100_000), g.r.logu(20_000, 2_000_000))
	legs := g.within(eniBastion, pick(g.r, []int{eniWebMgmt, eniApp, eniDB, eniWorker}),
		uint16(g.r.between(32768, 60999)), 22)
	g.emit(hop, legs[:]...)
}

// monitor is the worker scraping a node exporter.
func (g *gen) monitor() {
	c := conv{proto: protoTCP}
	c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(250, 400), g.r.logu(20_000, 90_000))
	c.t0, c.dur = g.span(0)
	legs := g.within(eniWorker, pick(g.r, []int{eniWebMgmt, eniWebMgmt, eniApp, eniDB, eniBastion}),
		uint16(g.r.between(32768, 60999)), 9100)
	g.emit(c, legs[:]...)
}

// noise is the internet's background scanning: one rejected probe of
// interface e's public address, always exactly one record.
func (g *gen) noise(e int) {
	type probe struct {
		port  uint16
		proto uint8
		w     int
	}
	probes := [...]probe{
		{22, protoTCP, 14}, {23, protoTCP, 8}, {2323, protoTCP, 2}, {21, protoTCP, 2}, {25, protoTCP, 2},
		{445, protoTCP, 6}, {135, protoTCP, 2}, {139, protoTCP, 2}, {3389, protoTCP, 4}, {5900, protoTCP, 2},
		{8080, protoTCP, 5}, {8443, protoTCP, 3}, {8888, protoTCP, 2}, {7547, protoTCP, 2}, {5555, protoTCP, 2},
		{2375, protoTCP, 1}, {6379, protoTCP, 2}, {9200, protoTCP, 1}, {3306, protoTCP, 2}, {1433, protoTCP, 2},
		{5060, protoUDP, 3}, {53, protoUDP, 2}, {123, protoUDP, 2}, {161, protoUDP, 2}, {1900, protoUDP, 2},
		{11211, protoUDP, 1}, {3702, protoUDP, 1}, {0, protoTCP, 17}, // 0: a random high port
	}
	total := 0
	for _, p := range probes {
		total += p.w
	}
	x := g.r.intn(total)
	var p probe
	for _, p = range probes {
		if x < p.w {
			break
		}
		x -= p.w
	}
	if p.port == 0 {
		p.port = uint16(g.r.between(1024, 65535))
	}
	c := conv{proto: p.proto, reject: true, fpk: 1}
	c.fby = g.r.between(40, 60)
	if p.proto == protoTCP && g.r.percent(20) {
		c.fpk, c.fby = 2, 2*c.fby
	}
	if p.proto == protoUDP {
		c.fby = g.r.between(48, 220)
	}
	c.t0, c.dur = g.span(0)
	g.emit(c, g.fromInternet(e, g.peers.scanner(g.r), uint16(g.r.between(1024, 65535)), p.port))
}

// batchJob is the nightly batch instance: reading from the database,
// uploading results to S3 through the gateway endpoint, DNS and STS.
func (g *gen) batchJob() {
	switch x := g.r.intn(100); {
	case x < 40:
		up := g.r.logu(1_000_000, 200_000_000)
		c := conv{proto: protoTCP}
		c.fpk, c.fby, c.rpk, c.rby = tcpSizes(up, g.r.between(2_000, 8_000))
		c.t0, c.dur = g.span(up/40_000_000 + 1)
		g.emit(c, g.toInternet(eniBatch, pick(g.r, g.peers.s3), uint16(g.r.between(32768, 60999)), 443, 7))
	case x < 75:
		c := conv{proto: protoTCP}
		c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(300, 20_000), g.r.logu(10_000, 50_000_000))
		c.t0, c.dur = g.span(g.r.between(1, 90))
		legs := g.within(eniBatch, eniDB, uint16(g.r.between(32768, 60999)), 5432)
		g.emit(c, legs[:]...)
	case x < 90:
		g.dns(eniBatch)
	default:
		g.awsAPI(eniBatch)
	}
}

// noData appends up to n NODATA records in windows where a quiet interface
// had no traffic at all.
func (g *gen) noData(n int, p hourPlan) {
	if n == 0 {
		return
	}
	quiet := []int{eniWebMgmt, eniBastion, eniApp, eniDB, eniWorker}
	if p.batch {
		quiet = append(quiet, eniBatch)
	}
	// busy[e][k] is true when interface e has a record in its window k of
	// the hour (k = -1 for a window that began in the previous hour).
	var busy [8][62]bool
	first := func(e int) int64 { return p.start + floorMod(g.env.enis[e].phase-p.start, 60) }
	window := func(e int, t int64) int64 { return floorDiv(t-first(e), 60) + 1 }
	for i := range g.recs {
		r := &g.recs[i]
		for k := window(int(r.eni), r.start); k <= window(int(r.eni), r.end) && k < 62; k++ {
			busy[r.eni][max(k, 0)] = true
		}
	}
	for tries := 0; n > 0 && tries < 40; tries++ {
		e := pick(g.r, quiet)
		k := g.r.int64n(59)
		ws := first(e) + 60*k
		if ws+59 >= p.start+3600 || busy[e][k+1] {
			continue
		}
		if e == eniBatch {
			if lo, hi := batchWindow(p.start); ws < lo || ws+59 >= hi {
				continue
			}
		}
		busy[e][k+1] = true
		g.recs = append(g.recs, record{
			eni: uint8(e), status: statusNoData,
			start: ws + g.r.between(0, 2), end: ws + g.r.between(56, 59),
		})
		n--
	}
}

func floorDiv(a, m int64) int64 { return (a - floorMod(a, m)) / m }
