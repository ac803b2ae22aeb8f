package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/store"
)

// The detections' semantics on hand-made flow records: for each detection
// the true positives it exists for (and its severity rule), and the busy,
// legitimate services of a web server that it must not report.
//
// The case: a web server (the focus) at 10.0.1.10 and 2600:1f18:abc:de01::10
// in VPC 10.0.0.0/16 and 2600:1f18:abc:de00::/56, four days of traffic from
// 2026-11-20, its interface logged in capture windows of 60 s or 600 s. A
// record's start is the start of its capture window (flow logs round it so);
// its end is the last packet within the window.

const detHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status " +
	"tcp-flags flow-direction pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service"

// The hosts of the case.
const (
	eniWeb     = "eni-0a1b2c3d4e5f60718"
	eniApp     = "eni-0c2d3e4f5a6b7081a"
	eniDB      = "eni-0d3e4f5a6b7c8092b"
	web        = "10.0.1.10"
	web6       = "2600:1f18:abc:de01::10"
	bastion    = "10.0.0.5"
	appServer  = "10.0.2.15"
	dbServer   = "10.0.2.40"
	gitServer  = "10.0.3.20"
	resolver   = "10.0.0.2"
	timeSync   = "169.254.169.123"
	dnsLinkLoc = "169.254.169.253"
)

// Peers of the background: the legitimate traffic.
const (
	office      = "82.165.177.154" // the administrators' office: SSH to the web server every day
	cloudWatch  = "52.46.130.17"   // CloudWatch's endpoint (an AMAZON range): the agent posts every 60 s
	s3Host      = "52.216.176.44"  // S3 (an S3 range): the nightly backup
	s3Host2     = "52.217.12.30"   // S3, another night, another address
	uptime      = "69.162.124.235" // an uptime monitor checking the site every 5 minutes
	ubuntu      = "91.189.91.81"   // the package mirror
	websocket   = "35.186.224.25"  // a chat service the server keeps a websocket open to
	censys      = "162.142.125.33" // the internet's slow scanners: a port an hour
	censys6     = "2602:80d:1000::33"
	bigDownload = "87.240.190.72" // a visitor downloading a large file
)

var (
	t0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Unix()
	// cdnHosts are Cloudflare's: the server's own HTTPS to many of them is
	// a client's, not a sweep.
	cdnHosts = func() []string {
		var out []string
		for i := range 30 {
			out = append(out, fmt.Sprintf("104.%d.%d.%d", 16+i%8, 10+i*7%200, 1+i*13%250))
		}
		return out
	}()
)

const (
	hour = int64(3600)
	day  = 24 * hour
)

// conv is one conversation: a client's connection to a server (or, for
// protocols without ports, one exchange) with what each side sent.
type conv struct {
	eni          string // the interface whose flow log records it
	src, dst     string // client and server
	sport, dport int
	proto        int
	at, dur      int64 // the first packet (Unix seconds) and how long it lasted
	fpk, fby     int64 // client → server
	rpk, rby     int64 // server → client; none when rejected
	reject       bool
	egress       bool   // the client is the interface's host
	dstService   string // pkt-dst-aws-service of the client's records
	retransmits  int    // SYNs a rejected or unanswered client sends
	unanswered   bool   // no reply at all (a dead host, a dropped probe)
	resetOnly    bool   // the server answers with a reset only (a closed port)
}

// flowSet is the records of one flow log with one capture window.
type flowSet struct {
	w     int64
	lines []string
	rng   *rand.Rand
}

func newFlowSet(window int64, seed uint64) *flowSet {
	return &flowSet{w: window, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// between returns a uniform integer in [lo, hi].
func (s *flowSet) between(lo, hi int64) int64 { return lo + s.rng.Int64N(hi-lo+1) }

// span is what emit wrote: the window of its records and how many.
type span struct {
	first, last int64 // the first record's start and the last record's end
	records     int
}

func (a span) join(b span) span {
	if a.records == 0 {
		return b
	}
	return span{min(a.first, b.first), max(a.last, b.last), a.records + b.records}
}

func (s span) firstTime() time.Time { return time.Unix(s.first, 0).UTC() }
func (s span) lastTime() time.Time  { return time.Unix(s.last, 0).UTC() }

// emit writes the records of c: the client's in every capture window the
// conversation has packets in, and the server's answers, with TCP flags.
func (s *flowSet) emit(c conv) span {
	if c.proto == 0 {
		c.proto = 6
	}
	end := c.at + c.dur
	w0, wn := c.at/s.w*s.w, end/s.w*s.w
	n := (wn-w0)/s.w + 1
	out := span{}
	for i := range n {
		ws := w0 + i*s.w
		last := min(end, ws+s.w-1)
		if i == n-1 {
			last = end
		}
		// A window's share of the totals, at least one packet's worth.
		share := func(total, minimum int64) int64 {
			v := total / n
			if i == 0 {
				v += total % n
			}
			return max(v, minimum)
		}
		var fFlags, rFlags int
		if c.proto == 6 {
			if i == 0 {
				fFlags, rFlags = 2, 18
			}
			if i == n-1 && !c.reject && !c.unanswered {
				fFlags, rFlags = fFlags|1, rFlags|1
			}
		}
		fpk, fby := share(c.fpk, 1), share(c.fby, 40)
		if c.reject || c.unanswered {
			fpk, fby = int64(1+c.retransmits), int64(60*(1+c.retransmits))
		}
		action := "ACCEPT"
		if c.reject {
			action = "REJECT"
		}
		fdir, rdir := "ingress", "egress"
		if c.egress {
			fdir, rdir = "egress", "ingress"
		}
		pktSrc := c.src // pkt-srcaddr: no NAT between
		s.lines = append(s.lines, flowLine(c.eni, c.src, c.dst, c.sport, c.dport, c.proto, fpk, fby, ws, last, action, fFlags, fdir, pktSrc, c.dst, "", c.dstService))
		out = out.join(span{ws, last, 1})
		switch {
		case c.reject || c.unanswered:
			return out
		case c.resetOnly:
			s.lines = append(s.lines, flowLine(c.eni, c.dst, c.src, c.dport, c.sport, c.proto, 1, 40, ws, last, "ACCEPT", 4, rdir, c.dst, pktSrc, c.dstService, ""))
			return out.join(span{ws, last, 1})
		case c.rpk == 0:
			continue
		}
		rpk, rby := share(c.rpk, 1), share(c.rby, 40)
		s.lines = append(s.lines, flowLine(c.eni, c.dst, c.src, c.dport, c.sport, c.proto, rpk, rby, ws, last, "ACCEPT", rFlags, rdir, c.dst, pktSrc, c.dstService, ""))
		out = out.join(span{ws, last, 1})
	}
	return out
}

func flowLine(eni, src, dst string, sport, dport, proto int, pk, by, start, end int64, action string, flags int, dir, pktSrc, pktDst, srcSvc, dstSvc string) string {
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	ports := fmt.Sprintf("%d %d", sport, dport)
	if proto != 6 && proto != 17 {
		ports = "0 0"
	}
	return fmt.Sprintf("5 123456789012 %s %s %s %s %d %d %d %d %d %s OK %d %s %s %s %s %s",
		eni, src, dst, ports, proto, pk, by, start, end, action, flags, dir, pktSrc, pktDst, dash(srcSvc), dash(dstSvc))
}

// ephemeral is a client port.
func (s *flowSet) ephemeral() int { return int(s.between(32768, 60999)) }

// background is a busy web server's legitimate traffic over four days: what
// no detection may report (but the websocket, a long connection of medium
// severity).
func (s *flowSet) background() {
	// Visitors of the site, over IPv4 and IPv6, and the server's answers:
	// a lot of bytes leave, on connections the visitors opened.
	var visitors []string
	firstOctets := []int{81, 84, 88, 91, 93, 95, 109, 151, 176, 185, 188, 195, 212, 213, 217}
	for i := range 120 {
		visitors = append(visitors, fmt.Sprintf("%d.%d.%d.%d", firstOctets[i%len(firstOctets)], 20+i*3%200, i*17%250, 1+i*29%250))
	}
	for i := range 20 {
		visitors = append(visitors, fmt.Sprintf("2a01:4f8:%x:%x::%x", 0x100+i, i*7, 1+i))
	}
	for range 400 {
		v := visitors[s.rng.IntN(len(visitors))]
		dst, port := web, 443
		if strings.Contains(v, ":") {
			dst = web6
		}
		if s.rng.IntN(10) == 0 {
			port = 80
		}
		s.emit(conv{eni: eniWeb, src: v, dst: dst, sport: s.ephemeral(), dport: port, at: t0 + s.between(0, 4*day-hour), dur: s.between(1, 90),
			fpk: s.between(8, 40), fby: s.between(900, 6000), rpk: s.between(20, 1500), rby: s.between(20_000, 2_000_000)})
	}
	// A visitor downloads a 2.5 GB file: the server's answer, not an upload.
	s.emit(conv{eni: eniWeb, src: bigDownload, dst: web, sport: 51234, dport: 443, at: t0 + 30*hour + 600, dur: 1800,
		fpk: 60_000, fby: 3_200_000, rpk: 1_700_000, rby: 2_500_000_000})
	// An uptime monitor fetches the home page every 5 minutes.
	for t := t0 + 40; t < t0+4*day; t += 300 {
		s.emit(conv{eni: eniWeb, src: uptime, dst: web, sport: s.ephemeral(), dport: 443, at: t, dur: 1, fpk: 9, fby: 1400, rpk: 9, rby: 18_000})
	}
	// The CloudWatch agent posts metrics every 60 s, a new connection each time.
	for t := t0 + 7; t < t0+4*day; t += 60 {
		s.emit(conv{eni: eniWeb, src: web, dst: cloudWatch, sport: s.ephemeral(), dport: 443, at: t + s.between(0, 2), dur: 1, egress: true,
			fpk: 12, fby: 3100 + s.between(0, 80), rpk: 10, rby: 5200})
	}
	// Amazon Time Sync every 1024 s, and DNS to the VPC's resolver and the
	// link-local one.
	for t := t0 + 3; t < t0+4*day; t += 1024 {
		s.emit(conv{eni: eniWeb, src: web, dst: timeSync, sport: 123, dport: 123, proto: 17, at: t, egress: true, fpk: 1, fby: 76, rpk: 1, rby: 76})
	}
	for t := t0 + 11; t < t0+4*day; t += s.between(120, 480) {
		dst := resolver
		if s.rng.IntN(4) == 0 {
			dst = dnsLinkLoc
		}
		s.emit(conv{eni: eniWeb, src: web, dst: dst, sport: s.ephemeral(), dport: 53, proto: 17, at: t, egress: true, fpk: 2, fby: 140, rpk: 2, rby: 300})
	}
	for d := range int64(4) {
		// The nightly backup to S3: 3 GB up. Two nights' records name the
		// service (pkt-dst-aws-service), two do not: its range does.
		svc, host := "S3", s3Host
		if d >= 2 {
			svc, host = "", s3Host2
		}
		s.emit(conv{eni: eniWeb, src: web, dst: host, sport: s.ephemeral(), dport: 443, at: t0 + d*day + 2*hour + 120, dur: 1500, egress: true,
			fpk: 2_100_000, fby: 3_000_000_000, rpk: 700_000, rby: 36_000_000, dstService: svc})
		// Package updates.
		s.emit(conv{eni: eniWeb, src: web, dst: ubuntu, sport: s.ephemeral(), dport: 80, at: t0 + d*day + 6*hour + 300, dur: 20, egress: true,
			fpk: 300, fby: 16_000, rpk: 4000, rby: 5_800_000})
		// The administrators: from the office straight to the web server
		// and, through the bastion, every working day.
		s.emit(conv{eni: eniWeb, src: office, dst: web, sport: s.ephemeral(), dport: 22, at: t0 + d*day + 8*hour + s.between(0, 1800), dur: s.between(600, 2400),
			fpk: 2500, fby: 240_000, rpk: 3000, rby: 1_400_000})
		s.emit(conv{eni: eniWeb, src: bastion, dst: web, sport: s.ephemeral(), dport: 22, at: t0 + d*day + 9*hour + s.between(0, 1800), dur: s.between(900, 2400),
			fpk: 2000, fby: 200_000, rpk: 2400, rby: 900_000})
		// The deploy job pulls from the git server over SSH every morning.
		s.emit(conv{eni: eniWeb, src: web, dst: gitServer, sport: s.ephemeral(), dport: 22, at: t0 + d*day + 7*hour + 600, dur: 40, egress: true,
			fpk: 200, fby: 30_000, rpk: 600, rby: 800_000})
	}
	// The server's own HTTPS to many CDN hosts: a client, answered.
	for i, h := range cdnHosts {
		for k := range int64(3) {
			s.emit(conv{eni: eniWeb, src: web, dst: h, sport: s.ephemeral(), dport: 443, at: t0 + int64(i)*2000 + k*day + s.between(0, 900), dur: s.between(1, 30), egress: true,
				fpk: 20, fby: 4000, rpk: 60, rby: 90_000})
		}
	}
	// A websocket to a chat service, held open for ten hours.
	s.emit(conv{eni: eniWeb, src: web, dst: websocket, sport: 41000, dport: 443, at: t0 + 13*hour + 17, dur: 10 * hour, egress: true,
		fpk: 1200, fby: 600_000, rpk: 1200, rby: 900_000})
	// The internet's slow scanners: one port an hour, all rejected, two in
	// five of them the well-known ports of databases and remote access.
	known := []int{21, 23, 445, 1433, 3306, 5432, 5900, 6379, 9200, 11211, 27017}
	for i := range int64(96) {
		port := int(s.between(1, 65535))
		if i%5 < 2 {
			port = known[s.rng.IntN(len(known))]
		}
		src, dst := censys, web
		if i%3 == 0 {
			src, dst = censys6, web6
		}
		s.emit(conv{eni: eniWeb, src: src, dst: dst, sport: s.ephemeral(), dport: port, at: t0 + i*hour + s.between(0, 3000), reject: true})
	}
	// Pings, and GRE to the app server inside the VPC (an overlay).
	for i := range int64(50) {
		v := visitors[i]
		s.emit(conv{eni: eniWeb, src: v, dst: web, proto: 1, at: t0 + i*1700, fpk: 4, fby: 336, rpk: 4, rby: 336})
	}
	for t := t0 + 300; t < t0+4*day; t += 3 * hour {
		s.emit(conv{eni: eniWeb, src: web, dst: appServer, proto: 47, at: t, dur: 600, egress: true, fpk: 400, fby: 300_000, rpk: 400, rby: 300_000})
	}
}

// awsRanges is a small excerpt of AWS's ip-ranges.json: S3, an AMAZON
// range (CloudWatch's endpoints), DynamoDB, and EC2 (customers' instances).
const awsRanges = `{"syncToken": "1763596800", "createDate": "2026-11-19-00-00-00", "prefixes": [
 {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
 {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
 {"ip_prefix": "52.46.128.0/19", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
 {"ip_prefix": "52.94.0.0/22", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
 {"ip_prefix": "52.94.0.0/22", "region": "us-east-1", "service": "DYNAMODB", "network_border_group": "us-east-1"},
 {"ip_prefix": "3.80.0.0/12", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
 {"ip_prefix": "3.80.0.0/12", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}
], "ipv6_prefixes": [
 {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
 {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}
]}`

// detCase makes a case of the web server with the provider ranges loaded,
// and ingests the flow sets.
func detCase(t *testing.T, sets ...*flowSet) *store.Case {
	t.Helper()
	ctx := context.Background()
	c := emptyCase(t)
	if _, err := c.AddFocus(ctx, []store.FocusIP{
		{Addr: netip.MustParseAddr(web), Source: "test"}, {Addr: netip.MustParseAddr(web6), Source: "test"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddVPCCIDRs(ctx, []store.VPCCIDR{
		{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Source: "test"}, {Prefix: netip.MustParsePrefix("2600:1f18:abc:de00::/56"), Source: "test"},
	}); err != nil {
		t.Fatal(err)
	}
	aws, err := cidrs.Parse("ip-ranges.json", []byte(awsRanges), "")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := cidrs.Parse("cloudflare-ips-v4.txt", []byte("104.16.0.0/13\n104.24.0.0/14\n"), "cloudflare")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cidrs.LoadIntoCase(ctx, c, []cidrs.Snapshot{aws, cf}); err != nil {
		t.Fatal(err)
	}
	addFlows(t, c, sets...)
	return c
}

// addFlows ingests more records into the case, a file per flow set.
func addFlows(t *testing.T, c *store.Case, sets ...*flowSet) {
	t.Helper()
	for _, s := range sets {
		ingestText(t, c, detHeader+"\n"+strings.Join(s.lines, "\n")+"\n")
	}
}

// Incidents.

// bruteForce is n password guesses from src at dst:port from at on, a new
// connection every 8 to 30 s: rejected by the security group, or accepted
// and failing (a few kilobytes each way, seconds long).
func (s *flowSet) bruteForce(src, dst string, port int, at int64, n int, accepted bool) (span, int64) {
	var sp span
	t := at
	for range n {
		c := conv{eni: eniWeb, src: src, dst: dst, sport: s.ephemeral(), dport: port, at: t, reject: !accepted, retransmits: 1}
		if accepted {
			c.dur = s.between(3, 9)
			c.fpk, c.fby, c.rpk, c.rby = s.between(12, 20), s.between(1800, 2600), s.between(10, 16), s.between(2400, 3400)
		}
		sp = sp.join(s.emit(c))
		t = c.at + c.dur + s.between(8, 30)
	}
	return sp, t
}

// sessionText is how the title of a brute force that got in tells its
// session: the minutes from its first record to its last packet, rounded.
func sessionText(sp span, bytes string) string {
	return fmt.Sprintf("then a %d-minute session of %s: it got in", (sp.last-sp.first+30)/60, bytes)
}

// found is a finding a detection must make.
type found struct {
	title    string // exact, or a prefix when it ends in "*"
	severity store.Severity
	addrs    []string
	ports    []int
	window   span // checked when it has records
	weight   int64
}

// detect runs a detection on the case and turns every row into a finding,
// as triage does.
func detect(t *testing.T, c *store.Case, name string, given map[string]string) []store.DetectionRow {
	t.Helper()
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Get(name)
	if !ok || a.Detection == nil {
		t.Fatalf("%s is not a detection", name)
	}
	params, err := a.Bind(given, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), c, a, params, Options{Program: "test", Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Detection.CheckColumns(a.Name, r.Columns); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d rows in %v", name, len(r.Rows), r.Duration.Round(time.Microsecond))
	var out []store.DetectionRow
	for i := range r.Rows {
		cand, err := a.Detection.Candidate(a, r, i)
		if err != nil {
			t.Fatal(err)
		}
		if cand.Finding.Detection != name || cand.Finding.DetectionVersion != a.Version || cand.Finding.Source != store.FromDetection {
			t.Errorf("row %d: detection %q v%d source %q", i+1, cand.Finding.Detection, cand.Finding.DetectionVersion, cand.Finding.Source)
		}
		out = append(out, cand)
	}
	return out
}

// expect compares the findings with the wanted ones, in order.
func expect(t *testing.T, got []store.DetectionRow, want ...found) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(want):
			f := got[i].Finding
			t.Errorf("unexpected finding %d: %q [%s] %v", i+1, f.Title, f.Severity, f.Subjects)
			continue
		case i >= len(got):
			t.Errorf("missing finding %d: %q [%s]", i+1, want[i].title, want[i].severity)
			continue
		}
		f, w := got[i].Finding, want[i]
		if p, ok := strings.CutSuffix(w.title, "*"); ok && !strings.HasPrefix(f.Title, p) || !ok && f.Title != w.title {
			t.Errorf("finding %d: title %q, want %q", i+1, f.Title, w.title)
		}
		if f.Severity != w.severity {
			t.Errorf("finding %d (%s): severity %s, want %s", i+1, f.Title, f.Severity, w.severity)
		}
		if fmt.Sprint(f.Subjects.Addresses) != fmt.Sprint(w.addrs) || fmt.Sprint(f.Subjects.Ports) != fmt.Sprint(w.ports) {
			t.Errorf("finding %d (%s): subjects %v %v, want %v %v", i+1, f.Title, f.Subjects.Addresses, f.Subjects.Ports, w.addrs, w.ports)
		}
		if w.window.records > 0 {
			if f.FirstSeen == nil || f.LastSeen == nil || !f.FirstSeen.Equal(w.window.firstTime()) || !f.LastSeen.Equal(w.window.lastTime()) {
				t.Errorf("finding %d (%s): window %v – %v, want %v – %v", i+1, f.Title, f.FirstSeen, f.LastSeen, w.window.firstTime(), w.window.lastTime())
			}
		}
		if got[i].Weight != w.weight {
			t.Errorf("finding %d (%s): weight %d, want %d", i+1, f.Title, got[i].Weight, w.weight)
		}
	}
}

// windows are the two capture windows flow logs offer.
var windows = []int64{60, 600}

func forWindows(t *testing.T, f func(t *testing.T, w int64)) {
	for _, w := range windows {
		t.Run(fmt.Sprintf("window %ds", w), func(t *testing.T) { f(t, w) })
	}
}

// session is an interactive session: a connection that lasts and moves data.
func (s *flowSet) session(src, dst string, port int, at, dur, fby, rby int64) span {
	return s.emit(conv{eni: eniWeb, src: src, dst: dst, sport: s.ephemeral(), dport: port, at: at, dur: dur,
		fpk: fby / 100, fby: fby, rpk: rby / 1000, rby: rby})
}

func TestDetectSSHBruteForce(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 2)
		s.background()
		a, _ := s.bruteForce("185.220.101.47", web, 22, t0+3*hour+600, 60, false)
		b, _ := s.bruteForce("2a03:b0c0:3:d0::1a51:c001", web6, 22, t0+5*hour, 150, false)
		// The security group lets these through: failed logins.
		c, _ := s.bruteForce("61.177.172.140", web, 22, t0+11*hour, 40, true)
		// A brute force that gets in: a session of 2.2 MB after it.
		d, next := s.bruteForce("218.92.0.112", web, 22, t0+day+6*hour, 80, true)
		dSession := s.session("218.92.0.112", web, 22, next+120, 2100, 250_000, 1_950_000)
		// Over IPv6, one that gets in with a quiet session: little data,
		// but longer than a capture window.
		e, next := s.bruteForce("2a0b:4140:8a2::50", web6, 22, t0+2*day+hour, 30, true)
		eSession := s.session("2a0b:4140:8a2::50", web6, 22, next+60, 1500, 9_000, 21_000)
		f, _ := s.bruteForce("45.141.84.10", web, 3389, t0+3*day, 30, false)
		// A scanner that knocks on SSH every two or three hours for four
		// days: forty rejected attempts, but no more than twelve a day.
		for at := t0 + 1000; at < t0+4*day; at += s.between(2*hour, 3*hour) {
			s.emit(conv{eni: eniWeb, src: "162.142.125.40", dst: web, sport: s.ephemeral(), dport: 22, at: at, reject: true})
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "ssh-brute-force", nil),
			found{"SSH brute force on 10.0.1.10 from 218.92.0.112: 80 attempts, " + sessionText(dSession, "2.0 MiB"), store.SeverityCritical,
				[]string{"218.92.0.112", web}, []int{22}, d.join(dSession), 80},
			found{"SSH brute force on 2600:1f18:abc:de01::10 from 2a0b:4140:8a2::50: 30 attempts, " + sessionText(eSession, "29.2 KiB"), store.SeverityCritical,
				[]string{"2a0b:4140:8a2::50", web6}, []int{22}, e.join(eSession), 30},
			found{"SSH brute force on 10.0.1.10 from 61.177.172.140: 40 attempts, the security group let them through", store.SeverityHigh,
				[]string{"61.177.172.140", web}, []int{22}, c, 40},
			found{"SSH brute force on 2600:1f18:abc:de01::10 from 2a03:b0c0:3:d0::1a51:c001: 150 attempts, all rejected", store.SeverityMedium,
				[]string{"2a03:b0c0:3:d0::1a51:c001", web6}, []int{22}, b, 150},
			found{"SSH brute force on 10.0.1.10 from 185.220.101.47: 60 attempts, all rejected", store.SeverityLow,
				[]string{"185.220.101.47", web}, []int{22}, a, 60},
			found{"RDP brute force on 10.0.1.10 from 45.141.84.10: 30 attempts, all rejected", store.SeverityLow,
				[]string{"45.141.84.10", web}, []int{3389}, f, 30},
		)
	})
}

// portScan probes ports of dst from src, one connection each, a few a
// second: the security group rejects them but for the open ones, which
// answer.
func (s *flowSet) portScan(src, dst string, ports []int, open map[int]bool, at int64) span {
	var sp span
	for i, p := range ports {
		c := conv{eni: eniWeb, src: src, dst: dst, sport: s.ephemeral(), dport: p, at: at + int64(i)/3, reject: !open[p]}
		if open[p] {
			c.fpk, c.fby, c.rpk, c.rby = 2, 104, 1, 60
		}
		sp = sp.join(s.emit(c))
	}
	return sp
}

func portRange(lo, hi int) []int {
	var out []int
	for p := lo; p <= hi; p++ {
		out = append(out, p)
	}
	return out
}

func TestDetectPortScan(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 3)
		s.background()
		// The first thousand ports in six minutes; the web ports answer.
		a := s.portScan("45.61.185.186", web, portRange(1, 1000), map[int]bool{80: true, 443: true}, t0+21*hour+3120)
		// Over IPv6, a scan that finds a host whose security group is open
		// to everything: every closed port answers too (a reset).
		open := map[int]bool{}
		for _, p := range []int{21, 22, 25, 80, 110, 111, 139, 143} {
			open[p] = true
		}
		b := s.portScan("2a0b:4140:8a2::66", web6, portRange(1, 200), open, t0+2*day+7200)
		// A partner's API that the server calls forty times an hour, whose
		// host also checks the server's port 80 once: the answers to the
		// server's calls reach forty of its ports, but they are answers.
		for i := range int64(40) {
			s.emit(conv{eni: eniWeb, src: web, dst: "3.91.200.40", sport: s.ephemeral(), dport: 443, at: t0 + 15*hour + i*90, dur: 2, egress: true,
				fpk: 10, fby: 2000, rpk: 12, rby: 9000})
		}
		s.emit(conv{eni: eniWeb, src: "3.91.200.40", dst: web, sport: s.ephemeral(), dport: 80, at: t0 + 15*hour + 1000, dur: 1, fpk: 6, fby: 500, rpk: 6, rby: 900})
		cs := detCase(t, s)
		expect(t, detect(t, cs, "port-scan", nil),
			found{"Port scan of 10.0.1.10 from 45.61.185.186: 1000 ports, 2 answered", store.SeverityMedium, []string{"45.61.185.186", web}, nil, a, 1000},
			found{"Port scan of 2600:1f18:abc:de01::10 from 2a0b:4140:8a2::66: 200 ports, 8 answered", store.SeverityHigh, []string{"2a0b:4140:8a2::66", web6}, nil, b, 200},
		)
	})
}

func TestDetectHostSweep(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 4)
		s.background()
		// From the web server, SSH on forty hosts of the VPC in two minutes:
		// three answer, ten refuse (a reset), the rest are not there.
		var vpc span
		for i := range 40 {
			c := conv{eni: eniWeb, src: web, dst: fmt.Sprintf("10.0.2.%d", 10+i), sport: s.ephemeral(), dport: 22, at: t0 + 2*day + 3*hour + int64(i)*3, egress: true}
			switch {
			case i%13 == 0:
				c.dur, c.fpk, c.fby, c.rpk, c.rby = 2, 8, 900, 7, 1500
			case i%4 == 0:
				c.fpk, c.fby, c.resetOnly = 1, 60, true
			default:
				c.unanswered, c.retransmits = true, 2
			}
			vpc = vpc.join(s.emit(c))
		}
		// Telnet on sixty addresses of the internet, Mirai-like: nothing
		// answers but two resets; each probe is three SYNs.
		var inet span
		for i := range 60 {
			c := conv{eni: eniWeb, src: web, dst: fmt.Sprintf("%d.%d.%d.%d", 41+i%9, 3+i*7%250, 1+i*11%250, 1+i*37%250), sport: s.ephemeral(), dport: 23,
				at: t0 + 3*day + 5*hour + int64(i)*2, egress: true, unanswered: true, retransmits: 2}
			if i < 2 {
				c.unanswered, c.resetOnly, c.fpk, c.fby = false, true, 1, 60
			}
			inet = inet.join(s.emit(c))
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "host-sweep", nil),
			found{"Sweep of port 23 over 60 hosts from 10.0.1.10", store.SeverityMedium, []string{web}, []int{23}, inet, 60},
			found{"Sweep of port 22 over 40 hosts from 10.0.1.10", store.SeverityHigh, []string{web}, []int{22}, vpc, 40},
		)
	})
}

// beacon is an implant checking in with its server every interval ± jitter
// seconds for the given time: a new connection each time, of nearly the
// same size. It returns the first record's start, the start of the last
// check-in's first record, and the check-ins.
func (s *flowSet) beacon(src, dst string, port int, at, interval, jitter, length int64) (span, int) {
	var sp span
	n := 0
	for t := at; t < at+length; t += interval {
		c := conv{eni: eniWeb, src: src, dst: dst, sport: s.ephemeral(), dport: port, at: t + s.between(-jitter, jitter), dur: s.between(0, 1), egress: true,
			fpk: 9, fby: s.between(1640, 1760), rpk: 8, rby: s.between(4300, 4500)}
		one := s.emit(c)
		if n == 0 {
			sp.first = one.first
		}
		sp.last, sp.records = one.first, sp.records+one.records
		n++
	}
	return sp, n
}

// hours is how a title tells the hours between two times.
func hours(sp span) string {
	return strconv.FormatFloat(math.Round(float64(sp.last-sp.first)/360)/10, 'f', -1, 64)
}

func TestDetectBeaconing(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 5)
		s.background()
		// To a server on EC2 (customers' addresses are not AWS's services)
		// every 300 ± 30 s for 20 hours.
		a, na := s.beacon(web, "3.91.200.17", 443, t0+day+7*hour+45, 300, 30, 20*hour)
		// Over IPv6, every 600 ± 20 s for 14 hours, to port 8443.
		b, nb := s.beacon(web6, "2a0b:4140:8a2::17", 8443, t0+2*day+3*hour, 600, 20, 14*hour)
		cs := detCase(t, s)
		// The window is from the first check-in to the last.
		expect(t, detect(t, cs, "beaconing", nil),
			found{"Beaconing from 10.0.1.10 to 3.91.200.17:443 every 300 s for " + hours(a) + " h (score *", store.SeverityHigh,
				[]string{web, "3.91.200.17"}, []int{443}, a, int64(na)},
			found{"Beaconing from 2600:1f18:abc:de01::10 to 2a0b:4140:8a2::17:8443 every 600 s for " + hours(b) + " h (score *", store.SeverityHigh,
				[]string{web6, "2a0b:4140:8a2::17"}, []int{8443}, b, int64(nb)},
		)
	})
}

func TestDetectLongConnection(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 6)
		s.background()
		// A reverse shell held open for six hours: keep-alives in every window.
		a := s.emit(conv{eni: eniWeb, src: web, dst: "5.188.206.14", sport: 45112, dport: 4444, at: t0 + 2*day + 11*hour + 23, dur: 6 * hour, egress: true,
			fpk: 2000, fby: 400_000, rpk: 2000, rby: 900_000})
		// Over IPv6, a tunnel to 8443 for five hours, which reconnects from
		// another port and lasts four and a half more: one finding.
		b := s.emit(conv{eni: eniWeb, src: web6, dst: "2a0b:4140:8a2::88", sport: 50022, dport: 8443, at: t0 + 3*day + 2*hour, dur: 5 * hour, egress: true,
			fpk: 1500, fby: 300_000, rpk: 1500, rby: 300_000})
		b = b.join(s.emit(conv{eni: eniWeb, src: web6, dst: "2a0b:4140:8a2::88", sport: 50388, dport: 8443, at: t0 + 3*day + 7*hour + 30, dur: 4*hour + 1800, egress: true,
			fpk: 1500, fby: 300_000, rpk: 1500, rby: 300_000}))
		// The same 5-tuple for three hours, silent for forty minutes, three
		// hours again: two connections, neither four hours long.
		s.emit(conv{eni: eniWeb, src: web, dst: "193.142.146.20", sport: 47001, dport: 8443, at: t0 + day + 2*hour, dur: 3 * hour, egress: true,
			fpk: 900, fby: 90_000, rpk: 900, rby: 90_000})
		s.emit(conv{eni: eniWeb, src: web, dst: "193.142.146.20", sport: 47001, dport: 8443, at: t0 + day + 5*hour + 2400, dur: 3 * hour, egress: true,
			fpk: 900, fby: 90_000, rpk: 900, rby: 90_000})
		ws := span{}
		// The background's websocket: long, but HTTPS.
		for _, l := range s.lines {
			if strings.Contains(l, " "+websocket+" ") {
				f := strings.Fields(l)
				st, _ := strconv.ParseInt(f[10], 10, 64)
				en, _ := strconv.ParseInt(f[11], 10, 64)
				if f[3] == web { // the client's records
					ws = ws.join(span{st, en, 1})
				}
			}
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "long-connection", nil),
			found{"Connection 10.0.1.10 ↔ 35.186.224.25:443 open for 10 h", store.SeverityMedium, []string{web, websocket}, []int{443}, ws, int64(ws.records)},
			found{"Connection 10.0.1.10 ↔ 5.188.206.14:4444 open for 6 h", store.SeverityHigh, []string{web, "5.188.206.14"}, []int{4444}, a, int64(a.records / 2)},
			found{"Connection 2600:1f18:abc:de01::10 ↔ 2a0b:4140:8a2::88:8443 open for 5 h (the longest of 2)", store.SeverityHigh,
				[]string{web6, "2a0b:4140:8a2::88"}, []int{8443}, b, int64(b.records / 2)},
		)
		// A gap allowed to be an hour long joins the two halves.
		joined := false
		for _, c := range detect(t, cs, "long-connection", map[string]string{"max_gap": "1h"}) {
			joined = joined || c.Finding.Title == "Connection 10.0.1.10 ↔ 193.142.146.20:8443 open for 6.7 h"
		}
		if !joined {
			t.Error("with --max-gap 1h the connection split by 40 minutes is not one")
		}
	})
}

func TestDetectExfiltration(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 7)
		s.background()
		// 4.2 GB uploaded over three HTTPS connections in about an hour.
		var a span
		for i := range int64(3) {
			a = a.join(s.emit(conv{eni: eniWeb, src: web, dst: "45.61.210.36", sport: s.ephemeral(), dport: 443, at: t0 + 2*day + 19*hour + 720 + i*20, dur: 3600 - i*20,
				egress: true, fpk: 1_000_000, fby: 1_400_000_000, rpk: 300_000, rby: 40_000}))
		}
		// Over IPv6, 350 MB to a host the server's IPv6 address talks to
		// little else than a CDN.
		b := s.emit(conv{eni: eniWeb, src: web6, dst: "2a0b:4140:8a2::99", sport: s.ephemeral(), dport: 443, at: t0 + 3*day + 4*hour, dur: 900,
			egress: true, fpk: 250_000, fby: 350_000_000, rpk: 60_000, rby: 3_000_000})
		for i := range int64(5) {
			s.emit(conv{eni: eniWeb, src: web6, dst: "2606:4700::6810:84e5", sport: s.ephemeral(), dport: 443, at: t0 + i*day/2, dur: 5,
				egress: true, fpk: 30, fby: 6000, rpk: 200, rby: 250_000})
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "exfiltration", nil),
			found{"3.9 GiB sent from 10.0.1.10 to 45.61.210.36 (35000× what came back)", store.SeverityCritical, []string{web, "45.61.210.36"}, nil, a, 4_200_000_000},
			found{"333.7 MiB sent from 2600:1f18:abc:de01::10 to 2a0b:4140:8a2::99 (116.7× what came back)", store.SeverityHigh, []string{web6, "2a0b:4140:8a2::99"}, nil, b, 350_000_000},
		)
	})
}

// TestDetectExfiltrationAmongBusyPeers: the totals of peers the focus sends
// a lot to all along (a sync service, partners' APIs) grow with the length
// of the case;
// an upload of an hour is still far above what the focus sends a peer in an
// hour, and the busy peers, which answer in kind, are no finding.
func TestDetectExfiltrationAmongBusyPeers(t *testing.T) {
	s := newFlowSet(600, 17)
	s.background()
	// Sixty peers, most of those the focus sends to, 20 MB up and 18 MB
	// down every six hours for four days: 320 MB each, more in all than a
	// fiftieth of the upload.
	for p := range 60 {
		for at := t0 + int64(p)*300; at < t0+4*day; at += 6 * hour {
			s.emit(conv{eni: eniWeb, src: web, dst: fmt.Sprintf("151.101.%d.20", 10+p), sport: s.ephemeral(), dport: 443, at: at, dur: 120,
				egress: true, fpk: 16_000, fby: 20_000_000, rpk: 14_000, rby: 18_000_000})
		}
	}
	var a span
	for i := range int64(3) {
		a = a.join(s.emit(conv{eni: eniWeb, src: web, dst: "45.61.210.36", sport: s.ephemeral(), dport: 443, at: t0 + 2*day + 19*hour + 720 + i*20, dur: 3600 - i*20,
			egress: true, fpk: 1_000_000, fby: 1_400_000_000, rpk: 300_000, rby: 40_000}))
	}
	cs := detCase(t, s)
	expect(t, detect(t, cs, "exfiltration", nil),
		found{"3.9 GiB sent from 10.0.1.10 to 45.61.210.36 (35000× what came back)", store.SeverityCritical, []string{web, "45.61.210.36"}, nil, a, 4_200_000_000})
}

func TestDetectSensitivePortProbe(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 8)
		s.background()
		// Database ports, over and over for twenty minutes, all rejected.
		var a span
		for i, p := range []int{3306, 5432, 6379, 27017, 3306, 1433, 3306} {
			for k := range int64(5) {
				a = a.join(s.emit(conv{eni: eniWeb, src: "139.59.30.187", dst: web, sport: s.ephemeral(), dport: p, at: t0 + 3*hour + int64(i)*170 + k*31, reject: true, retransmits: 1}))
			}
		}
		// Over IPv6, Redis, which the security group lets in: two sessions.
		var b span
		for k := range int64(2) {
			b = b.join(s.emit(conv{eni: eniWeb, src: "2a03:b0c0:2:d0::5e1:f001", dst: web6, sport: s.ephemeral(), dport: 6379, at: t0 + 2*day + 14*hour + k*400, dur: 3,
				fpk: 6, fby: 400, rpk: 5, rby: 900}))
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "sensitive-port-probe", nil),
			found{"Sensitive ports probed on 2600:1f18:abc:de01::10 from 2a03:b0c0:2:d0::5e1:f001 (Redis): 2 flows, 2 accepted", store.SeverityHigh,
				[]string{"2a03:b0c0:2:d0::5e1:f001", web6}, nil, b, 2},
			found{"Sensitive ports probed on 10.0.1.10 from 139.59.30.187 (MSSQL, MongoDB, MySQL, PostgreSQL and 1 more): 35 flows, 0 accepted", store.SeverityLow,
				[]string{"139.59.30.187", web}, nil, a, 35},
		)
	})
}

func TestDetectExternalDNS(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 9)
		s.background()
		// A host that asks Google's resolver: forty queries over UDP, three
		// over TCP (large answers); and one over IPv6.
		var a, b, c, d span
		for i := range int64(43) {
			proto := 17
			if i%15 == 14 {
				proto = 6
			}
			a = a.join(s.emit(conv{eni: eniWeb, src: web, dst: "8.8.8.8", sport: s.ephemeral(), dport: 53, proto: proto, at: t0 + day + i*1300, dur: 1, egress: true,
				fpk: 2, fby: 150, rpk: 2, rby: 600}))
		}
		for i := range int64(10) {
			b = b.join(s.emit(conv{eni: eniWeb, src: web6, dst: "2001:4860:4860::8888", sport: s.ephemeral(), dport: 53, proto: 17, at: t0 + 2*day + i*600, egress: true,
				fpk: 1, fby: 90, rpk: 1, rby: 200}))
		}
		// DNS over TLS to Cloudflare's resolver.
		for i := range int64(4) {
			c = c.join(s.emit(conv{eni: eniWeb, src: web, dst: "1.1.1.1", sport: s.ephemeral(), dport: 853, at: t0 + 3*day + i*3600, dur: 5, egress: true,
				fpk: 40, fby: 9000, rpk: 40, rby: 20_000}))
		}
		// A DNS tunnel: 15 MB of queries in two hours.
		for i := range int64(120) {
			d = d.join(s.emit(conv{eni: eniWeb, src: web, dst: "45.32.11.8", sport: s.ephemeral(), dport: 53, proto: 17, at: t0 + 2*day + 5*hour + i*60, dur: 50, egress: true,
				fpk: 600, fby: 125_000, rpk: 600, rby: 90_000}))
		}
		cs := detCase(t, s)
		flows := func(sp span) int64 { return int64(sp.records / 2) }
		expect(t, detect(t, cs, "external-dns", nil),
			found{"10.0.1.10 resolves names on 45.32.11.8:53 (" + fmt.Sprint(flows(d)) + " flows)", store.SeverityMedium, []string{web, "45.32.11.8"}, []int{53}, d, flows(d)},
			found{"10.0.1.10 resolves names on 8.8.8.8:53 (" + fmt.Sprint(flows(a)) + " flows)", store.SeverityLow, []string{web, "8.8.8.8"}, []int{53}, a, flows(a)},
			found{"2600:1f18:abc:de01::10 resolves names on 2001:4860:4860::8888:53 (10 flows)", store.SeverityLow, []string{web6, "2001:4860:4860::8888"}, []int{53}, b, 10},
			found{"10.0.1.10 resolves names on 1.1.1.1:853 (" + fmt.Sprint(flows(c)) + " flows)", store.SeverityMedium, []string{web, "1.1.1.1"}, []int{853}, c, flows(c)},
		)
	})
}

func TestDetectUnusualProtocol(t *testing.T) {
	forWindows(t, func(t *testing.T, w int64) {
		s := newFlowSet(w, 10)
		s.background()
		// GRE to a host on the internet, and IPsec (ESP) to a VPN peer.
		var gre, esp span
		for i := range int64(12) {
			gre = gre.join(s.emit(conv{eni: eniWeb, src: web, dst: "185.100.87.41", proto: 47, at: t0 + day + i*900, dur: 800, egress: true,
				fpk: 300, fby: 200_000, rpk: 300, rby: 200_000}))
		}
		for i := range int64(3) {
			esp = esp.join(s.emit(conv{eni: eniWeb, src: "34.120.11.5", dst: web, proto: 50, at: t0 + 2*day + i*7200, dur: 3000,
				fpk: 500, fby: 400_000, rpk: 500, rby: 300_000}))
		}
		cs := detCase(t, s)
		expect(t, detect(t, cs, "unusual-protocol", nil),
			found{fmt.Sprintf("GRE (47) between 10.0.1.10 and 185.100.87.41: %d flows", gre.records), store.SeverityMedium, []string{web, "185.100.87.41"}, nil, gre, int64(gre.records)},
			found{fmt.Sprintf("ESP (50) between 10.0.1.10 and 34.120.11.5: %d flows", esp.records), store.SeverityMedium, []string{web, "34.120.11.5"}, nil, esp, int64(esp.records)},
		)
	})
}

// both records c on the client's interface and on the server's: a
// conversation inside the VPC between two logged hosts.
func (s *flowSet) both(c conv, serverENI string) span {
	c.egress = true
	sp := s.emit(c)
	c.eni, c.egress = serverENI, false
	return sp.join(s.emit(c))
}

func TestDetectLateralMovement(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "signal over IPv4", true: "signal over IPv6"}[v6], func(t *testing.T) {
			forWindows(t, func(t *testing.T, w int64) {
				s := newFlowSet(w, 11)
				s.background()
				// A brute force that gets in (over IPv6 in the second case: the
				// session reaches the web server's IPv6 address, the SSH that
				// follows leaves from its IPv4 one).
				intruder, target := "218.92.0.112", web
				if v6 {
					intruder, target = "2a0b:4140:8a2::50", web6
				}
				_, next := s.bruteForce(intruder, target, 22, t0+day+6*hour, 60, true)
				session := s.session(intruder, target, 22, next+120, 2400, 250_000, 1_950_000)
				// Ten minutes in, SSH to the app server; then to the database,
				// whose dump comes back.
				app := s.both(conv{eni: eniWeb, src: web, dst: appServer, sport: s.ephemeral(), dport: 22, at: session.first + 600, dur: 500,
					fpk: 800, fby: 90_000, rpk: 900, rby: 400_000}, eniApp)
				db := s.both(conv{eni: eniWeb, src: web, dst: dbServer, sport: s.ephemeral(), dport: 22, at: session.first + 1300, dur: 900,
					fpk: 90_000, fby: 5_000_000, rpk: 3_000_000, rby: 4_000_000_000}, eniDB)
				// Two days later, SMB to a file server, with no session from the
				// internet before it: medium.
				smb := s.emit(conv{eni: eniWeb, src: web, dst: "10.0.3.30", sport: s.ephemeral(), dport: 445, at: t0 + 3*day + 12*hour, dur: 30, egress: true,
					fpk: 40, fby: 9000, rpk: 40, rby: 30_000})
				cs := detCase(t, s)
				n := func(sp span) int64 { return int64(sp.records / 2) }
				expect(t, detect(t, cs, "lateral-movement", nil),
					found{fmt.Sprintf("SSH from 10.0.1.10 to 10.0.2.40: %d flows, %[1]d accepted, after a session from the internet", n(db)), store.SeverityHigh,
						[]string{web, dbServer}, []int{22}, db, n(db)},
					found{fmt.Sprintf("SSH from 10.0.1.10 to 10.0.2.15: %d flows, %[1]d accepted, after a session from the internet", n(app)), store.SeverityHigh,
						[]string{web, appServer}, []int{22}, app, n(app)},
					found{fmt.Sprintf("SMB from 10.0.1.10 to 10.0.3.30: %d flows, %[1]d accepted", n(smb)), store.SeverityMedium,
						[]string{web, "10.0.3.30"}, []int{445}, smb, n(smb)},
				)
			})
		})
	}
}

// TestTriageOfIncidents: triage of a case holding several incidents among
// the background makes one finding per row of each detection and nothing
// for the legitimate traffic; a second triage adds nothing; a dismissed
// finding whose evidence grows is reopened, one whose row is the same stays
// dismissed, with no more evidence.
func TestTriageOfIncidents(t *testing.T) {
	ctx := context.Background()
	s := newFlowSet(60, 13)
	s.background()
	s.bruteForce("185.220.101.47", web, 22, t0+3*hour+600, 60, false)
	_, next := s.bruteForce("218.92.0.112", web, 22, t0+day+6*hour, 80, true)
	session := s.session("218.92.0.112", web, 22, next+120, 2100, 250_000, 1_950_000)
	s.both(conv{eni: eniWeb, src: web, dst: appServer, sport: s.ephemeral(), dport: 22, at: session.first + 600, dur: 500,
		fpk: 800, fby: 90_000, rpk: 900, rby: 400_000}, eniApp)
	s.portScan("45.61.185.186", web, portRange(1, 1000), map[int]bool{80: true, 443: true}, t0+21*hour+3120)
	s.beacon(web, "3.91.200.17", 443, session.last+900, 300, 30, 20*hour)
	for i := range int64(3) {
		s.emit(conv{eni: eniWeb, src: web, dst: "45.61.210.36", sport: s.ephemeral(), dport: 443, at: t0 + 2*day + 19*hour + i*20, dur: 3600 - i*20,
			egress: true, fpk: 1_000_000, fby: 1_400_000_000, rpk: 300_000, rby: 40_000})
	}
	c := detCase(t, s)
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	triage := func() TriageResult {
		t.Helper()
		r, err := Triage(ctx, c, reg, TriageOptions{Analyst: "test", Program: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range r.Runs {
			t.Logf("%s: %d rows (new %d, updated %d, reopened %d, unchanged %d, cached %v) in %v",
				run.Detection, run.Rows, run.New, run.Updated, run.Reopened, run.Unchanged, run.Cached, run.Took.Round(time.Microsecond))
		}
		return r
	}
	first := triage()
	byDetection := map[string][]store.Finding{}
	for _, f := range first.Findings {
		byDetection[f.Detection] = append(byDetection[f.Detection], f)
	}
	want := map[string]int{"ssh-brute-force": 2, "port-scan": 1, "beaconing": 1, "exfiltration": 1, "lateral-movement": 1, "long-connection": 1}
	for _, a := range reg.Detections() {
		if got := len(byDetection[a.Name]); got != want[a.Name] {
			var titles []string
			for _, f := range byDetection[a.Name] {
				titles = append(titles, f.Title)
			}
			t.Errorf("%s: %d findings, want %d: %q", a.Name, got, want[a.Name], titles)
		}
	}
	for _, run := range first.Runs {
		if run.New != run.Rows || run.Updated+run.Reopened+run.Unchanged != 0 {
			t.Errorf("first triage, %s: %+v", run.Detection, run)
		}
	}

	again := triage()
	for _, run := range again.Runs {
		if !run.Cached || run.New+run.Updated+run.Reopened != 0 || run.Unchanged != run.Rows {
			t.Errorf("second triage, %s: %+v", run.Detection, run)
		}
	}
	if len(again.Findings) != len(first.Findings) {
		t.Fatalf("second triage: %d findings, first %d", len(again.Findings), len(first.Findings))
	}

	// Dismiss the port scan and the rejected brute force; the scanner comes
	// back for 300 more ports, the brute forcer does not.
	scan := byDetection["port-scan"][0]
	var rejected store.Finding
	for _, f := range byDetection["ssh-brute-force"] {
		if f.Severity == store.SeverityLow {
			rejected = f
		}
	}
	for _, id := range []string{scan.ID, rejected.ID} {
		dismissed, reason := store.StatusDismissed, "our own scanner"
		if err := c.SetFinding(ctx, "ana", id, store.FindingChange{Status: &dismissed, Reason: &reason}); err != nil {
			t.Fatal(err)
		}
	}
	more := newFlowSet(60, 14)
	more.portScan("45.61.185.186", web, portRange(1001, 1300), nil, t0+3*day+hour)
	addFlows(t, c, more)
	// The data changed, so every detection runs again; only the port scan's
	// row differs from what its finding holds.
	third := triage()
	for _, run := range third.Runs {
		reopened := 0
		if run.Detection == "port-scan" {
			reopened = 1
		}
		if run.Cached || run.New+run.Updated != 0 || run.Reopened != reopened || run.Reopened+run.Unchanged != run.Rows {
			t.Errorf("triage after new records, %s: %+v", run.Detection, run)
		}
	}
	for _, id := range []string{scan.ID, rejected.ID} {
		f, err := c.Finding(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case id == scan.ID && (f.Status != store.StatusOpen || f.Reason != "reopened by port-scan: its evidence grew from 1000 to 1300" ||
			f.Title != "Port scan of 10.0.1.10 from 45.61.185.186: 1300 ports, 2 answered" || len(f.Evidence) != 2):
			t.Errorf("the port scan after it grew: %s %q %q, %d evidence", f.Status, f.Reason, f.Title, len(f.Evidence))
		case id == rejected.ID && (f.Status != store.StatusDismissed || f.Reason != "our own scanner" || len(f.Evidence) != 1):
			t.Errorf("the rejected brute force, unchanged: %s %q, %d evidence", f.Status, f.Reason, len(f.Evidence))
		}
	}

	// The findings as JSON: from a detection, named with its version.
	b, err := json.Marshal(third)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			ID               string `json:"id"`
			Source           string `json:"source"`
			Detection        string `json:"detection"`
			DetectionVersion int    `json:"detection_version"`
			Evidence         []struct {
				Analysis string `json:"analysis"`
				Version  int    `json:"version"`
				SHA256   string `json:"sha256"`
			} `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != len(first.Findings) {
		t.Fatalf("JSON: %d findings, want %d", len(doc.Findings), len(first.Findings))
	}
	for _, f := range doc.Findings {
		a, ok := reg.Get(f.Detection)
		if f.Source != "detection" || !ok || f.DetectionVersion != a.Version || len(f.Evidence) == 0 ||
			f.Evidence[0].Analysis != a.Name || f.Evidence[0].Version != a.Version || f.Evidence[0].SHA256 != a.SHA256 {
			t.Errorf("JSON finding %s: source %q detection %q v%d, evidence %+v", f.ID, f.Source, f.Detection, f.DetectionVersion, f.Evidence)
		}
	}
}
