package demo

import (
	"net/netip"
)

// peers holds the public addresses the generator talks to. It is derived
// from the seed once per run and only read afterwards.
type peers struct {
	clients4  []netip.Addr // web visitors, IPv4; rank 0 is the heaviest
	clients4Z zipf
	clients6  []netip.Addr // web visitors, IPv6
	clients6Z zipf
	scanners  []netip.Addr // internet background scanners
	scannersZ zipf

	checkers   []netip.Addr // Route 53 health checkers
	pingers    []netip.Addr // an uptime monitor pinging the site
	office     []netip.Addr // the company's office egress addresses
	mirrors    []netip.Addr // OS package mirrors and code hosting
	mirrors6   []netip.Addr
	ntp        []netip.Addr
	s3         []netip.Addr
	amazon     []netip.Addr // other AWS endpoints (SSM, STS, CloudWatch)
	dynamo     []netip.Addr
	gcpHooks   []netip.Addr // a partner's webhooks, hosted on GCP us-east1
	gcpAPIs    []netip.Addr // an API the app calls, hosted on GCP us-east4
	cloudflare []netip.Addr // APIs behind Cloudflare
}

// hostingPrefixes are /16s of hosting providers and ISPs, used for the
// attackers and the internet's background scanning.
func hostingPrefixes() [][2]byte {
	return [][2]byte{
		{5, 188}, {5, 253}, {23, 94}, {31, 184}, {37, 59}, {45, 9}, {45, 61}, {45, 134},
		{46, 101}, {62, 210}, {77, 90}, {78, 46}, {80, 94}, {85, 209}, {89, 248}, {91, 92},
		{92, 118}, {93, 157}, {94, 102}, {103, 145}, {104, 248}, {107, 189}, {109, 205},
		{116, 105}, {118, 193}, {121, 36}, {122, 155}, {134, 209}, {137, 184}, {138, 197},
		{139, 59}, {141, 98}, {142, 93}, {143, 198}, {146, 70}, {157, 245}, {159, 203},
		{161, 97}, {164, 90}, {165, 227}, {167, 71}, {170, 187}, {171, 244}, {178, 128},
		{179, 60}, {181, 49}, {183, 81}, {185, 156}, {185, 220}, {186, 96}, {188, 166},
		{193, 106}, {194, 180}, {195, 178}, {196, 251}, {198, 199}, {200, 69}, {201, 184},
		{209, 141}, {212, 83}, {213, 142}, {217, 182}, {218, 92}, {220, 135}, {221, 131},
		{222, 186},
	}
}

// residentialPrefixes are /16s of consumer and mobile ISPs: web visitors.
func residentialPrefixes() [][2]byte {
	return [][2]byte{
		{24, 16}, {24, 60}, {24, 130}, {47, 14}, {49, 36}, {50, 35}, {66, 31}, {67, 160},
		{68, 45}, {69, 112}, {70, 115}, {71, 58}, {72, 192}, {73, 15}, {73, 92}, {73, 170},
		{75, 72}, {76, 104}, {76, 167}, {79, 140}, {81, 103}, {82, 14}, {84, 59}, {86, 14},
		{87, 123}, {88, 164}, {90, 24}, {91, 164}, {95, 90}, {98, 97}, {99, 36}, {101, 53},
		{108, 31}, {110, 175}, {112, 203}, {115, 66}, {119, 70}, {122, 161}, {124, 83},
		{136, 36}, {149, 56}, {152, 168}, {174, 93}, {175, 125}, {177, 42}, {180, 150},
		{187, 190}, {189, 61}, {190, 22}, {191, 182}, {197, 248}, {201, 47}, {203, 106},
		{211, 245}, {223, 112},
	}
}

// residential6Prefixes are /32s of IPv6 consumer and mobile ISPs.
func residential6Prefixes() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"2601:184::/32", "2601:641::/32", "2600:1700::/32", "2607:fb90::/32", "2a01:e0a::/32",
		"2003:c1::/32", "2a02:8108::/32", "2a00:23c5::/32", "2409:8a00::/32", "2405:6580::/32",
		"2804:14c::/32",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

// hostIn returns a random host address (not .0 or .255) in the /16 p.
func hostIn(r *rng, p [2]byte) netip.Addr {
	return netip.AddrFrom4([4]byte{p[0], p[1], byte(r.intn(256)), byte(1 + r.intn(254))})
}

// hostInPrefix returns a random address inside an IPv4 or IPv6 prefix,
// avoiding the all-zeros and all-ones host parts of IPv4 prefixes.
func hostInPrefix(r *rng, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		bit := i * 8
		if bit+8 <= p.Bits() {
			continue
		}
		rnd := byte(r.intn(256))
		keep := 0
		if bit < p.Bits() {
			keep = p.Bits() - bit
		}
		mask := byte(0xff >> keep)
		b[i] = b[i]&^mask | rnd&mask
	}
	a, _ := netip.AddrFromSlice(b)
	if a.Is4() && p.Bits() <= 24 {
		v := a.As4()
		if v[3] == 0 || v[3] == 255 {
			v[3] = byte(1 + r.intn(254))
		}
		a = netip.AddrFrom4(v)
	}
	return a
}

// addrSet collects distinct addresses in insertion order.
type addrSet struct {
	seen map[netip.Addr]bool
	list []netip.Addr
}

func newAddrSet(exclude ...netip.Addr) *addrSet {
	s := &addrSet{seen: make(map[netip.Addr]bool)}
	for _, a := range exclude {
		s.seen[a] = true
	}
	return s
}

func (s *addrSet) add(a netip.Addr) bool {
	if s.seen[a] {
		return false
	}
	s.seen[a] = true
	s.list = append(s.list, a)
	return true
}

func parseAddrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func hostsIn(r *rng, n int, exclude []netip.Addr, prefixes ...string) []netip.Addr {
	set := newAddrSet(exclude...)
	for len(set.list) < n {
		set.add(hostInPrefix(r, netip.MustParsePrefix(pick(r, prefixes))))
	}
	return set.list
}

// newPeers draws the public peers for a run. records scales the number of
// distinct web visitors and scanners; exclude keeps the incidents' and the
// scheduled services' peers out of the background populations so that they
// stay distinguishable.
func newPeers(seed int64, records int, exclude []netip.Addr) *peers {
	r := newRNG(seed, streamPeers)
	p := &peers{}

	nClients := min(max(records/40, 400), 50_000)
	clients := newAddrSet(exclude...)
	// Heavy hitters first: crawlers and a corporate proxy.
	for _, a := range parseAddrs("66.249.66.1", "66.249.79.34", "40.77.167.12", "157.55.39.201", "66.249.66.87") {
		clients.add(a)
	}
	res := residentialPrefixes()
	for len(clients.list) < nClients {
		clients.add(hostIn(r, pick(r, res)))
	}
	p.clients4, p.clients4Z = clients.list, newZipf(len(clients.list))

	n6 := max(nClients/8, 50)
	clients6 := newAddrSet()
	res6 := residential6Prefixes()
	for len(clients6.list) < n6 {
		clients6.add(hostInPrefix(r, pick(r, res6)))
	}
	p.clients6, p.clients6Z = clients6.list, newZipf(len(clients6.list))

	nScanners := min(max(records/100, 300), 20_000)
	scanners := newAddrSet(exclude...)
	// Well-known research scanners lead the background noise.
	for _, a := range parseAddrs("162.142.125.217", "167.94.138.120", "167.94.146.58", "206.168.34.115",
		"71.6.199.23", "66.240.205.34", "185.142.236.35", "80.82.77.139", "89.248.167.131") {
		scanners.add(a)
	}
	host := hostingPrefixes()
	for len(scanners.list) < nScanners {
		scanners.add(hostIn(r, pick(r, host)))
	}
	p.scanners, p.scannersZ = scanners.list, newZipf(len(scanners.list))

	p.checkers = append(hostsIn(r, 6, exclude, "54.243.31.192/26", "107.23.255.0/26"),
		hostsIn(r, 6, exclude, "54.228.16.0/26", "54.251.31.128/26", "54.183.255.128/26", "177.71.207.128/26")...)
	p.pingers = hostsIn(r, 4, exclude, "69.162.124.224/28", "63.143.42.240/28", "216.245.221.80/28")
	p.office = []netip.Addr{hostIn(r, pick(r, res)), hostIn(r, pick(r, res))}
	p.mirrors = parseAddrs("91.189.91.81", "91.189.91.82", "91.189.91.83", "185.125.190.36",
		"185.125.190.39", "151.101.2.132", "151.101.130.132", "140.82.112.3", "140.82.113.4",
		"151.101.0.223", "151.101.64.223")
	p.mirrors6 = parseAddrs("2620:2d:4000:1::16", "2620:2d:4000:1::19", "2a04:4e42::644", "2a04:4e42:200::644")
	p.ntp = ntpServers()
	p.s3 = hostsIn(r, 24, exclude, "52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16", "16.182.0.0/16")
	p.amazon = hostsIn(r, 12, exclude, "52.46.128.0/19", "3.239.232.0/24")
	p.dynamo = hostsIn(r, 4, exclude, "52.94.0.0/22")
	p.gcpHooks = hostsIn(r, 4, exclude, "34.148.0.0/16", "34.73.0.0/16", "34.23.0.0/16")
	p.gcpAPIs = hostsIn(r, 3, exclude, "34.86.0.0/16", "34.48.0.0/16")
	p.cloudflare = hostsIn(r, 6, exclude, "104.16.0.0/14", "172.64.0.0/15")
	return p
}

// ntpServers are public NTP servers: Cloudflare's, NIST's and Google's.
func ntpServers() []netip.Addr {
	return parseAddrs("162.159.200.1", "162.159.200.123", "129.6.15.28", "129.6.15.29",
		"216.239.35.0", "216.239.35.4", "216.239.35.8")
}

func (p *peers) client4(r *rng) netip.Addr { return p.clients4[p.clients4Z.draw(r)] }
func (p *peers) client6(r *rng) netip.Addr { return p.clients6[p.clients6Z.draw(r)] }
func (p *peers) scanner(r *rng) netip.Addr { return p.scanners[p.scannersZ.draw(r)] }

// attackers draws n distinct hosting-provider addresses for the incidents,
// none of them in exclude.
func attackers(r *rng, n int, exclude ...netip.Addr) []netip.Addr {
	set := newAddrSet(exclude...)
	host := hostingPrefixes()
	for len(set.list) < n {
		set.add(hostIn(r, pick(r, host)))
	}
	return set.list
}
