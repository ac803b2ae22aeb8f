package demo

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// plant generates the planted incidents and the SKIPDATA windows. It returns
// the incidents as the caller sees them, their records, and the public
// addresses involved (kept out of the background populations).
func plant(env *environment, o Options) ([]Incident, []record, []netip.Addr) {
	g := &gen{env: env, r: newRNG(o.Seed, streamIncidents)}
	g.lo, g.hi = o.Start.Unix(), o.Start.Unix()+int64(o.Days)*86400
	// at returns the time permille thousandths into the period.
	at := func(permille int64) int64 { return g.lo + (g.hi-g.lo)*permille/1000 }

	peers := attackers(g.r, 12)
	scanner, brute, rdp, dbProbe, exfil := peers[0], peers[1:6], peers[6:8], peers[8:11], peers[11]
	winner := brute[len(brute)-1]

	var incidents []Incident
	planted := func(name string, peer netip.Addr, describe func() string, generate func()) {
		mark := len(g.recs)
		generate()
		lo, hi := g.recs[mark].start, g.recs[mark].end
		for _, r := range g.recs[mark:] {
			lo, hi = min(lo, r.start), max(hi, r.end)
		}
		incidents = append(incidents, Incident{
			Name: name, Description: describe(), Peer: peer.String(),
			Start: time.Unix(lo, 0).UTC(), End: time.Unix(hi, 0).UTC(),
		})
	}

	// Reconnaissance: a SYN scan of the public address.
	var scanPorts []uint16
	var scanMid int64
	planted("port-scan", scanner, func() string {
		return fmt.Sprintf("TCP SYN scan of %d ports on the web server's public address %s from one source port; "+
			"only 80 and 443 answer, every other probe is rejected by the security group.",
			len(scanPorts), env.enis[eniWeb].public)
	}, func() {
		scanPorts = g.scanPorts()
		t0 := at(300) + g.r.between(0, 1800)
		length := g.r.between(1200, 1800)
		sport := uint16(g.r.between(40000, 65000))
		for i, port := range scanPorts {
			c := conv{proto: protoTCP, t0: t0 + int64(i)*length/int64(len(scanPorts)), fpk: 2, fby: 88, reject: true}
			if port == 80 || port == 443 {
				c = conv{proto: protoTCP, t0: c.t0, fpk: 2, fby: 84, rpk: 1, rby: 44,
					fflags: flagSYN | flagRST, rflags: flagSYNACK}
			}
			g.emit(c, g.fromInternet(eniWeb, scanner, sport, port))
		}
		scanMid = t0 + length/2
	})

	// SSH password guessing; the security group rejects all but the last
	// source, which falls inside a range it allows.
	for _, src := range brute[:len(brute)-1] {
		attempts := 0
		planted("ssh-brute-force", src, func() string {
			return fmt.Sprintf("SSH password guessing against the web server: %d connection attempts, "+
				"all rejected by the security group.", attempts)
		}, func() {
			t := at(150 + g.r.int64n(500))
			end := t + g.r.between(1800, 3*3600)
			gap := g.r.between(6, 60)
			for ; t < end && attempts < 500; t += g.r.between(gap/2, gap*3/2) {
				pk := g.r.between(1, 3)
				g.emit(conv{proto: protoTCP, t0: t, fpk: pk, fby: 60 * pk, reject: true},
					g.fromInternet(eniWeb, src, uint16(g.r.between(32768, 60999)), 22))
				attempts++
			}
		})
	}
	allowed := netip.PrefixFrom(winner, 16).Masked()
	var lastTry int64
	attempts := 0
	planted("ssh-brute-force", winner, func() string {
		return fmt.Sprintf("SSH password guessing against the web server from inside %s, a range the security "+
			"group allows: %d connections accepted (failed logins), then a successful login.", allowed, attempts)
	}, func() {
		t := at(420) + g.r.between(0, 1800)
		n := int(g.r.between(60, 120))
		for ; attempts < n; attempts++ {
			c := conv{proto: protoTCP, t0: t, dur: g.r.between(3, 9)}
			c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.between(1_800, 2_600), g.r.between(2_400, 3_400))
			g.emit(c, g.fromInternet(eniWeb, winner, uint16(g.r.between(32768, 60999)), 22))
			lastTry = t + c.dur
			t += g.r.between(8, 30)
		}
	})

	session := conv{proto: protoTCP, t0: lastTry + g.r.between(60, 300), dur: g.r.between(1800, 3000)}
	session.fpk, session.fby, session.rpk, session.rby = tcpSizes(g.r.logu(100_000, 400_000), g.r.logu(1_000_000, 4_000_000))
	planted("ssh-session", winner, func() string {
		return fmt.Sprintf("Interactive SSH session on the web server from the brute-force source that got in, "+
			"lasting %d minutes.", session.dur/60)
	}, func() {
		g.emit(session, g.fromInternet(eniWeb, winner, uint16(g.r.between(32768, 60999)), 22))
	})

	// Lateral movement from the web server; the database dump is copied back.
	app, db := env.enis[eniApp].private, env.enis[eniDB].private
	lateralApp := conv{proto: protoTCP, t0: session.t0 + g.r.between(480, 900), dur: g.r.between(360, 720)}
	lateralApp.fpk, lateralApp.fby, lateralApp.rpk, lateralApp.rby = tcpSizes(g.r.logu(50_000, 200_000), g.r.logu(100_000, 1_000_000))
	planted("lateral-ssh", app, func() string {
		return "SSH from the web server to the app server during the intruder's session."
	}, func() {
		legs := g.within(eniWeb, eniApp, uint16(g.r.between(32768, 60999)), 22)
		g.emit(lateralApp, legs[:]...)
	})
	dump := g.r.between(3_200_000_000, 5_500_000_000)
	lateralDB := conv{proto: protoTCP, t0: lateralApp.t0 + lateralApp.dur + g.r.between(120, 300), dur: g.r.between(600, 1200)}
	lateralDB.fpk, lateralDB.fby, lateralDB.rpk, lateralDB.rby = tcpSizes(g.r.logu(100_000, 300_000), dump)
	planted("lateral-ssh", db, func() string {
		return fmt.Sprintf("SSH from the web server to the database; %s flows back to the web server "+
			"(a database dump copied over the session).", gigabytes(lateralDB.rby))
	}, func() {
		legs := g.within(eniWeb, eniDB, uint16(g.r.between(32768, 60999)), 22)
		g.emit(lateralDB, legs[:]...)
	})

	// Exfiltration of the dump over HTTPS.
	var sent int64
	conns := int(g.r.between(3, 5))
	planted("exfiltration", exfil, func() string {
		return fmt.Sprintf("%s uploaded from the web server to %s:443 over %d TLS connections in about an hour.",
			gigabytes(sent), exfil, conns)
	}, func() {
		t0 := max(lateralDB.t0+lateralDB.dur+g.r.between(1800, 5400), at(600))
		length := g.r.between(3000, 4200)
		total := dump * g.r.between(85, 100) / 100
		for i := range conns {
			c := conv{proto: protoTCP, t0: t0 + int64(i)*g.r.between(5, 30)}
			c.dur = length - (c.t0 - t0)
			c.fpk, c.fby, c.rpk, c.rby = tcpSizes(total/int64(conns), g.r.between(20_000, 60_000))
			g.emit(c, g.toInternet(eniWeb, exfil, uint16(g.r.between(32768, 60999)), 443, 8))
			sent += c.fby
		}
	})

	// Internet-wide probing for exposed RDP and databases.
	for _, src := range rdp {
		planted("rdp-probe", src, func() string {
			return "Repeated RDP (3389/tcp) connection attempts against the web server, all rejected."
		}, func() {
			for t := at(50) + g.r.between(0, 3600); t < at(950); t += g.r.between(1200, 5400) {
				for range g.r.between(1, 3) {
					pk := g.r.between(1, 2)
					g.emit(conv{proto: protoTCP, t0: t + g.r.between(0, 20), fpk: pk, fby: 52 * pk, reject: true},
						g.fromInternet(eniWeb, src, uint16(g.r.between(49152, 65535)), 3389))
				}
			}
		})
	}
	for _, src := range dbProbe {
		planted("database-probe", src, func() string {
			return "Probes of database ports 1433, 3306, 5432, 6379, 27017 and 9200 on the web server, all rejected."
		}, func() {
			for t := at(50) + g.r.between(0, 7200); t < at(950); t += g.r.between(3600, 6*3600) {
				for i, port := range []uint16{1433, 3306, 5432, 6379, 27017, 9200} {
					g.emit(conv{proto: protoTCP, t0: t + int64(i)*g.r.between(0, 3), fpk: 1, fby: 44, reject: true},
						g.fromInternet(eniWeb, src, uint16(g.r.between(1024, 65535)), port))
				}
			}
		})
	}

	// Capture errors: SKIPDATA windows on the web server during the scan,
	// on the NAT gateway and on the app server.
	for _, s := range []struct {
		eni int
		t   int64
	}{
		{eniWeb, scanMid},
		{eniNAT, at(550) + g.r.between(0, 3600)},
		{eniApp, at(830) + g.r.between(0, 3600)},
	} {
		ws := s.t - floorMod(s.t-env.enis[s.eni].phase, 60)
		g.recs = append(g.recs, record{eni: uint8(s.eni), status: statusSkipData, start: ws, end: ws + 59})
	}

	// What the intruder left behind, and a known-bad address. These draw
	// from a stream of their own, so the incidents above stay as they were.
	g.r = newRNG(o.Seed, streamIncidents, 2)
	later := attackers(g.r, 3, append(slices.Clone(peers), blocklisted()...)...)
	c2, shell, listed := later[0], later[1], later[2]
	peers = append(peers, later...)

	// An implant on the web server, installed during the intruder's
	// session, checks in with its command-and-control server over HTTPS
	// every 300 s with 5 % jitter: a new TLS connection each time, nearly
	// the same size, now and then a task to fetch and its output to send.
	var checkins, beaconFirst, beaconLast int64
	planted("beacon", c2, func() string {
		return fmt.Sprintf("HTTPS check-ins from the web server to %s:443 every 300 s (±15 s) for %s: %d small "+
			"requests of nearly the same size, from an implant installed during the intruder's session.",
			c2, hoursMinutes(beaconLast-beaconFirst), checkins)
	}, func() {
		t := session.t0 + g.r.between(600, 1500)
		end := min(t+g.r.between(18*3600, 22*3600), g.hi-600)
		beaconFirst = t
		output := false
		for ; t < end; t += g.r.between(285, 315) {
			up, down := g.r.between(1_640, 1_760), g.r.between(4_300, 4_500)
			if output { // the previous check-in fetched a task: its output goes up
				up, output = g.r.logu(6_000, 60_000), false
			} else if g.r.percent(2) {
				down, output = g.r.logu(15_000, 120_000), true
			}
			c := conv{proto: protoTCP, t0: t, dur: g.r.between(0, 1)}
			c.fpk, c.fby, c.rpk, c.rby = tcpSizes(up, down)
			g.emit(c, g.toInternet(eniWeb, c2, uint16(g.r.between(32768, 60999)), 443, 8))
			beaconLast = t
			checkins++
		}
	})

	// A reverse shell from the web server to a listener on 4444, held open
	// for hours: the same 5-tuple in every capture window, its keep-alives
	// every 30 s and the operator's bursts of commands and their output.
	var shellConn conv
	planted("long-connection", shell, func() string {
		return fmt.Sprintf("A reverse shell from the web server to %s:4444 held open for %s: one TCP connection "+
			"in every capture window, keep-alives every 30 s and now and then a burst of commands and output.",
			shell, hoursMinutes(shellConn.dur))
	}, func() {
		shellConn = conv{proto: protoTCP, t0: at(680) + g.r.between(0, 3600)}
		shellConn.dur = min(g.r.between(16_200, 21_600), g.hi-shellConn.t0-300)
		n := g.windows(eniWeb, shellConn.t0, shellConn.dur)
		shellConn.perWindow = make([][4]int64, n)
		for i := range shellConn.perWindow {
			w := [4]int64{2, 2 * 70, 2, 2 * 70} // a keep-alive and its ACK each way, twice a minute
			if i == 0 || i == len(shellConn.perWindow)-1 {
				w = [4]int64{3, 3 * 60, 2, 2 * 60} // the handshake or the teardown
			}
			if g.r.percent(20) { // the operator at work: commands in, output out
				out, in := g.r.logu(5, 400), g.r.between(3, 30)
				w[0], w[1] = w[0]+out, w[1]+out*g.r.between(120, 1_400)
				w[2], w[3] = w[2]+in+out/2, w[3]+in*g.r.between(60, 110)+out/2*52
			}
			shellConn.perWindow[i] = w
		}
		g.emit(shellConn, g.toInternet(eniWeb, shell, uint16(g.r.between(32768, 60999)), 4444, 8))
	})

	// An address on the demo's threat-intel list (WriteIntel) probing the
	// web application: a few requests, answered.
	requests := 0
	planted("intel-listed", listed, func() string {
		return fmt.Sprintf("%s, listed in the demo blocklist as a web-exploitation source, makes %d accepted "+
			"HTTP and HTTPS requests to the web server.", listed, requests)
	}, func() {
		t := at(250) + g.r.between(0, 3600)
		for n := g.r.between(3, 6); int64(requests) < n; requests++ {
			c := conv{proto: protoTCP}
			c.t0, c.dur = t, g.r.between(0, 2)
			c.fpk, c.fby, c.rpk, c.rby = tcpSizes(g.r.logu(350, 1_400), g.r.logu(300, 3_000))
			g.emit(c, g.fromInternet(eniWeb, listed, g.ephemeral(), pick(g.r, []uint16{80, 443, 443})))
			t += g.r.between(2, 40)
		}
	})

	// From the app server, reached by lateral SSH, the intruder sweeps its
	// subnet for SSH with one SYN (and one retransmission) per address:
	// nothing answers, the database's security group rejects it, and the
	// intruder turns to the database from the web server instead.
	sweep := env.subnets[env.enis[eniApp].subnet].v4
	swept := 0
	planted("host-sweep", app, func() string {
		return fmt.Sprintf("SYN sweep of port 22 over %d addresses of %s from the app server during the lateral "+
			"SSH session: no host answers, the database's security group rejects it.", swept, sweep)
	}, func() {
		t0 := lateralApp.t0 + g.r.between(90, 240)
		length := g.r.between(15, 45)
		sport := uint16(g.r.between(40000, 65000))
		base := sweep.Addr().As4()
		const first, last = 4, 254 // AWS reserves .0 to .3 and .255 of a subnet
		for host := first; host <= last; host++ {
			a := netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(host)})
			if a == app {
				continue
			}
			t := t0 + int64(host-first)*length/(last-first)
			g.emit(conv{proto: protoTCP, t0: t, dur: 1, fpk: 2, fby: 88, silent: true}, g.toVPC(eniApp, a, sport, 22))
			if a == db {
				g.emit(conv{proto: protoTCP, t0: t, dur: 1, fpk: 2, fby: 88, reject: true}, g.within(eniApp, eniDB, sport, 22)[1])
			}
			swept++
		}
	})

	slices.SortStableFunc(incidents, func(a, b Incident) int { return a.Start.Compare(b.Start) })
	return incidents, g.recs, peers
}

// hoursMinutes formats a duration in seconds as "5 h 07 min".
func hoursMinutes(s int64) string {
	return fmt.Sprintf("%d h %02d min", s/3600, s%3600/60)
}

// scanPorts returns the ports of the port scan in the scanner's random
// order: the well-known ports and common service ports above them.
func (g *gen) scanPorts() []uint16 {
	ports := make([]uint16, 0, 1100)
	for p := uint16(1); p <= 1024; p++ {
		ports = append(ports, p)
	}
	ports = append(ports, 1080, 1433, 1521, 1723, 2049, 2375, 3000, 3306, 3389, 5000, 5432, 5601, 5900,
		5985, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090, 9200, 9300, 10000,
		11211, 27017)
	for i := len(ports) - 1; i > 0; i-- {
		j := g.r.intn(i + 1)
		ports[i], ports[j] = ports[j], ports[i]
	}
	return ports
}

// gigabytes formats a byte count as decimal gigabytes with one decimal.
func gigabytes(n int64) string {
	tenths := (n + 50_000_000) / 100_000_000
	return fmt.Sprintf("%d.%d GB", tenths/10, tenths%10)
}
