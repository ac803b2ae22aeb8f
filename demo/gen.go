package demo

import "net/netip"

// gen accumulates records; it is used for one hour of background traffic or
// for the planted incidents, never from two goroutines at once.
type gen struct {
	env    *environment
	peers  *peers
	r      *rng
	recs   []record
	lo, hi int64 // conversations must lie in [lo, hi)
}

// span places a conversation of about dur seconds at random inside
// [g.lo, g.hi), shortening it if it does not fit.
func (g *gen) span(dur int64) (t0, d int64) {
	d = min(dur, g.hi-g.lo-1)
	return g.lo + g.r.int64n(g.hi-g.lo-d), d
}

// conv is one conversation: a flow from an initiator to a responder and,
// unless it was rejected, the responder's replies.
type conv struct {
	t0, dur  int64 // first packet (unix seconds) and duration in seconds
	proto    uint8
	fpk, fby int64 // initiator → responder packets and bytes
	rpk, rby int64 // responder → initiator
	reject   bool  // rejected: only the initiator's packets are logged, as REJECT
	silent   bool  // accepted but unanswered: only the initiator's packets are logged
	fflags   uint8 // when non-zero, the tcp-flags of every forward record
	rflags   uint8 // when non-zero, the tcp-flags of every reply record
	// When set, the forward packets and bytes and the reply packets and
	// bytes of each aggregation window in turn (see windows), in place of
	// fpk..rby spread evenly over the conversation; for a conversation seen
	// on one interface only.
	perWindow [][4]int64
}

// windows returns how many aggregation windows of interface e a
// conversation from t0 lasting dur seconds touches.
func (g *gen) windows(e int, t0, dur int64) int64 {
	ws := t0 - floorMod(t0-g.env.enis[e].phase, 60)
	return (t0+dur-ws)/60 + 1
}

// leg is how one network interface sees a conversation, in the initiator →
// responder direction.
type leg struct {
	eni            int
	src, dst       netip.Addr
	pktSrc, pktDst netip.Addr
	sport, dport   uint16
	egress         bool  // the forward direction leaves the interface
	path           uint8 // traffic-path of whichever direction is egress
}

// emit appends the records of c as seen by each leg: per interface, one
// record per direction and 60-second aggregation window.
func (g *gen) emit(c conv, legs ...leg) {
	t1 := c.t0 + c.dur
	for _, l := range legs {
		phase := g.env.enis[l.eni].phase
		ws := c.t0 - floorMod(c.t0-phase, 60)
		n := (t1-ws)/60 + 1
		var fp, fb, rp, rb int64 // emitted so far
		for i := range n {
			s := max(c.t0, ws+60*i)
			e := min(t1, ws+60*i+59)
			num, den := e-c.t0+1, c.dur+1
			fwd := record{
				start: s, end: e,
				src: l.src, dst: l.dst, pktSrc: l.pktSrc, pktDst: l.pktDst,
				srcPort: l.sport, dstPort: l.dport,
				eni: uint8(l.eni), proto: c.proto, action: actionAccept,
				egress: l.egress,
			}
			fwd.packets, fp = share(c.fpk, num, den, fp)
			fwd.bytes, fb = share(c.fby, num, den, fb)
			if c.perWindow != nil {
				fwd.packets, fwd.bytes = c.perWindow[i][0], c.perWindow[i][1]
			}
			fwd.bytes = max(fwd.bytes, fwd.packets*40)
			if l.egress {
				fwd.path = l.path
			}
			first, last := i == 0, i == n-1
			if c.proto == protoTCP {
				switch {
				case c.fflags != 0:
					fwd.flags = c.fflags
				case c.reject || c.silent:
					fwd.flags = flagSYN
				default:
					fwd.flags = tcpFlags(first, last, flagSYN)
				}
			}
			if c.reject {
				fwd.action = actionReject
			}
			g.recs = append(g.recs, fwd)
			if c.reject || c.silent {
				continue
			}
			rev := record{
				start: s, end: e,
				src: l.dst, dst: l.src, pktSrc: l.pktDst, pktDst: l.pktSrc,
				srcPort: l.dport, dstPort: l.sport,
				eni: uint8(l.eni), proto: c.proto, action: actionAccept,
				egress: !l.egress,
			}
			rev.packets, rp = share(c.rpk, num, den, rp)
			rev.bytes, rb = share(c.rby, num, den, rb)
			if c.perWindow != nil {
				rev.packets, rev.bytes = c.perWindow[i][2], c.perWindow[i][3]
			}
			rev.bytes = max(rev.bytes, rev.packets*40)
			if !l.egress {
				rev.path = l.path
			}
			if c.proto == protoTCP {
				if c.rflags != 0 {
					rev.flags = c.rflags
				} else {
					rev.flags = tcpFlags(first, last, flagSYNACK)
				}
			}
			g.recs = append(g.recs, rev)
		}
	}
}

// share returns the part of total that falls in a window ending num seconds
// into a den-second conversation, given what was emitted before (at least 1).
func share(total, num, den, done int64) (part, cum int64) {
	cum = total * num / den
	return max(cum-done, 1), cum
}

func tcpFlags(first, last bool, open uint8) uint8 {
	var f uint8
	if first {
		f |= open
	}
	if last {
		f |= flagFIN
	}
	return f
}

func floorMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// tcpSizes turns application payloads into packet and byte counts for both
// directions: full-size segments, handshake and teardown, and an ACK for
// every other segment received.
func tcpSizes(up, down int64) (fpk, fby, rpk, rby int64) {
	upSeg, downSeg := up/1448, down/1448
	fpk = upSeg + 3 + downSeg/2
	rpk = downSeg + 3 + upSeg/2
	return fpk, up + fpk*52, rpk, down + rpk*52
}

// ephemeral returns a client source port: Linux's range most of the time,
// Windows' otherwise.
func (g *gen) ephemeral() uint16 {
	if g.r.percent(70) {
		return uint16(g.r.between(32768, 60999))
	}
	return uint16(g.r.between(49152, 65535))
}

// Legs for the ways traffic reaches the interfaces.

// fromInternet is a remote host connecting to interface e through the
// internet gateway. IPv4 traffic shows the interface's public address in
// pkt-dstaddr (and pkt-srcaddr of the replies).
func (g *gen) fromInternet(e int, remote netip.Addr, sport, dport uint16) leg {
	n := &g.env.enis[e]
	local, pkt := n.private, n.private
	if remote.Is6() {
		local, pkt = n.v6, n.v6
	} else if n.public.IsValid() {
		pkt = n.public
	}
	return leg{eni: e, src: remote, dst: local, pktSrc: remote, pktDst: pkt,
		sport: sport, dport: dport, path: 8}
}

// toInternet is interface e connecting out through the internet gateway
// (path 8) or a gateway VPC endpoint (path 7).
func (g *gen) toInternet(e int, remote netip.Addr, sport, dport uint16, path uint8) leg {
	n := &g.env.enis[e]
	local, pkt := n.private, n.private
	if remote.Is6() {
		local, pkt = n.v6, n.v6
	} else if path == 8 && n.public.IsValid() {
		pkt = n.public
	}
	return leg{eni: e, src: local, dst: remote, pktSrc: pkt, pktDst: remote,
		sport: sport, dport: dport, egress: true, path: path}
}

// viaNAT is a private instance connecting out through the NAT gateway: the
// instance's interface and both sides of the NAT gateway's interface, as in
// AWS's documented NAT gateway example.
func (g *gen) viaNAT(e int, remote netip.Addr, sport, dport uint16) [3]leg {
	inst := g.env.enis[e].private
	nat := g.env.enis[eniNAT].private
	natPort := uint16(g.r.between(1024, 65535))
	return [3]leg{
		{eni: e, src: inst, dst: remote, pktSrc: inst, pktDst: remote, sport: sport, dport: dport, egress: true, path: 1},
		{eni: eniNAT, src: inst, dst: nat, pktSrc: inst, pktDst: remote, sport: sport, dport: dport, path: 1},
		{eni: eniNAT, src: nat, dst: remote, pktSrc: nat, pktDst: remote, sport: natPort, dport: dport, egress: true, path: 8},
	}
}

// out connects interface e to a public remote: directly when it has a
// public address (or the remote is IPv6), through the NAT gateway otherwise.
func (g *gen) out(c conv, e int, remote netip.Addr, sport, dport uint16) {
	n := &g.env.enis[e]
	if n.public.IsValid() || remote.Is6() {
		g.emit(c, g.toInternet(e, remote, sport, dport, 8))
		return
	}
	legs := g.viaNAT(e, remote, sport, dport)
	g.emit(c, legs[:]...)
}

// within is a conversation between two logged interfaces of the VPC.
func (g *gen) within(a, b int, sport, dport uint16) [2]leg {
	src, dst := g.env.enis[a].private, g.env.enis[b].private
	return [2]leg{
		{eni: a, src: src, dst: dst, pktSrc: src, pktDst: dst, sport: sport, dport: dport, egress: true, path: 1},
		{eni: b, src: src, dst: dst, pktSrc: src, pktDst: dst, sport: sport, dport: dport, path: 1},
	}
}

// fromVPC is an address inside the VPC that is not a logged interface (a
// load balancer's node) connecting to interface e: only e's side is logged.
func (g *gen) fromVPC(e int, remote netip.Addr, sport, dport uint16) leg {
	local := g.env.enis[e].private
	return leg{eni: e, src: remote, dst: local, pktSrc: remote, pktDst: local,
		sport: sport, dport: dport, path: 1}
}

// toVPC is interface e connecting to an address inside the VPC, seen only on
// e's side (the other end has no logged interface, or none at all).
func (g *gen) toVPC(e int, remote netip.Addr, sport, dport uint16) leg {
	local := g.env.enis[e].private
	return leg{eni: e, src: local, dst: remote, pktSrc: local, pktDst: remote,
		sport: sport, dport: dport, egress: true, path: 1}
}

// toResolver is a DNS query from interface e to the VPC resolver.
func (g *gen) toResolver(e int, sport uint16) leg {
	src := g.env.enis[e].private
	return leg{eni: e, src: src, dst: g.env.resolver, pktSrc: src, pktDst: g.env.resolver,
		sport: sport, dport: 53, egress: true, path: 1}
}
