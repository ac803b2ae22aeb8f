// Package whois enriches a case with WHOIS answers: for every public address
// the network holding it, its organisation, country, ASN and abuse contact,
// asked of the registries over port 43 and kept in the case's whois table,
// where queries' address_info picks them up.
//
// It is polite and frugal: one lookup per network (an address inside a
// network the case already knows is answered without a query, and two
// addresses that may share a network are never asked about at the same
// time), every server paced by a limiter of its own, referrals followed one
// hop per query so that each hop waits for its own server's limiter, and a
// server that refuses is retried later, more slowly. Addresses that are not
// globally routable never leave the machine.
package whois

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/net/proxy"
	"golang.org/x/time/rate"

	"github.com/investigator/investigator/store"
)

// Defaults of Options.
const (
	DefaultServer      = "whois.iana.org:43"
	DefaultTimeout     = 10 * time.Second
	DefaultPerServer   = rate.Limit(1)
	DefaultConcurrency = 8
	DefaultMaxAnswer   = 1 << 20
	DefaultTries       = 4
	DefaultBackoff     = 2 * time.Second
)

const (
	// maxHops is the longest referral chain: IANA, a registry, an rwhois
	// server or a national registry, one more.
	maxHops = 4
	// deadAfter is how many addresses in a row a server may fail before the
	// rest of its queue is given up without asking.
	deadAfter = 3
	// recoverAfter is the quiet time before a slowed limiter speeds up a step.
	recoverAfter = 5 * time.Second
	recoverStep  = 1.25
	// floorShare is the slowest a limiter goes, as a share of PerServer.
	floorShare = 1.0 / 16
	maxBackoff = 5 * time.Minute
	// maxErrors caps Summary.Errors.
	maxErrors = 100
)

// Options control Enrich. The zero value asks IANA first, one query per
// second per server, eight queries at a time.
type Options struct {
	// Server is the first server asked, host:port (default whois.iana.org:43);
	// --whois-server replaces it.
	Server string
	// Dialer connects to servers (nil: a net.Dialer). Tests route the real
	// registry host names to local fakes through it.
	Dialer proxy.Dialer
	// Timeout bounds one query, the dial included (default 10s).
	Timeout time.Duration
	// PerServer is the queries per second allowed to each server host, with a
	// burst of 1 (default 1).
	PerServer rate.Limit
	// Concurrency is the most queries in flight (default 8).
	Concurrency int
	// MaxAnswer is the longest answer accepted, in bytes (default 1 MiB).
	MaxAnswer int
	// MaxAge: stored answers older than this are asked again; 0 keeps them forever.
	MaxAge time.Duration
	// Offline sends no query: only the stored answers count.
	Offline bool
	// Max is the most queries sent, every hop and retry counted (0: no limit).
	Max int
	// Now is the clock for fetched_at and MaxAge (default time.Now).
	Now func() time.Time
	// Progress, when set, is called after every event, from one goroutine.
	Progress func(Progress)
	// Tries is how often one server is asked about one address before it is
	// given up (default 4).
	Tries int
	// Backoff is the wait before the first retry; it doubles with every
	// retry (default 2s).
	Backoff time.Duration
}

func (o Options) withDefaults() Options {
	if o.Server == "" {
		o.Server = DefaultServer
	}
	if a := serverAddr(o.Server); a != "" {
		o.Server = a
	} else if hostOf(o.Server) == o.Server {
		o.Server += ":43"
	}
	if o.Dialer == nil {
		o.Dialer = defaultDialer()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PerServer <= 0 {
		o.PerServer = DefaultPerServer
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxAnswer <= 0 {
		o.MaxAnswer = DefaultMaxAnswer
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tries <= 0 {
		o.Tries = DefaultTries
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	return o
}

// Summary says what Enrich did.
type Summary struct {
	Addresses int // distinct addresses given
	Special   int // not globally routable: never sent
	Cached    int // inside a known network (stored before, or fetched for another address)
	Queried   int // looked up with queries of their own
	Networks  int // answers stored
	Queries   int // queries sent, every hop and retry counted
	Refused   int // queries a server refused (rate limits); they were retried later
	Failed    int // addresses left without an answer
	Skipped   int // not looked up: Offline, Max reached or cancelled
	Errors    []string
}

func (s Summary) String() string {
	return fmt.Sprintf("%d addresses: %d special, %d cached, %d queried, %d skipped; %d networks stored, %d queries, %d refused, %d failed",
		s.Addresses, s.Special, s.Cached, s.Queried, s.Skipped, s.Networks, s.Queries, s.Refused, s.Failed)
}

// Progress is reported after every event.
type Progress struct {
	Addresses int // to look up: not special
	Done      int // settled: cached, answered, failed or skipped
	Queries   int
	InFlight  int
	Networks  int
	Refused   int
	Failed    int
	Last      string // the latest event, e.g. "whois.arin.net: 74.125.0.0/16 Google LLC"
}

// Enrich looks up the network of every address in addrs (most active first:
// lookups start in that order) and stores each answer in the case's whois
// table as it arrives. Special addresses are skipped; an address inside a
// stored network (fresh enough for MaxAge) is answered without a query.
//
// Lookups run in waves: of the addresses of one /24 (IPv4) or /48 (IPv6)
// one is asked about at a time, and the others wait for its answer, then
// count as answered when its network holds them; one server never gets two
// queries at once for one /16 (/32). Referrals (IANA → registry → rwhois or
// a national registry, at most 4 servers) are followed one query at a time,
// and IANA's answers (and ARIN's transfer pointers) are remembered for the
// addresses after. A refused, reset or timed-out query is retried with
// exponential backoff while its server's limiter slows down; after Tries
// the address is given up and reported.
//
// The error is for what stops the whole run: the case cannot be read or
// written, or ctx ended (the answers stored until then stay).
func Enrich(ctx context.Context, c *store.Case, addrs []netip.Addr, o Options) (Summary, error) {
	o = o.withDefaults()
	if c.ReadOnly && !o.Offline {
		return Summary{}, errors.New("whois: the case is open read-only: WHOIS answers cannot be stored")
	}
	maxAge := o.MaxAge
	if o.Offline {
		maxAge = 0 // nothing can refresh them: every stored answer counts
	}
	idx, err := loadIndex(ctx, c.DB, o.Now(), maxAge)
	if err != nil {
		return Summary{}, err
	}
	e := &enricher{
		ctx:     ctx,
		o:       o,
		c:       c,
		idx:     idx,
		servers: map[string]*server{},
		groups:  map[netip.Prefix]*group{},
		results: make(chan result, o.Concurrency),
	}
	seen := make(map[netip.Addr]bool, len(addrs))
	var todo []item
	for i, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || seen[a] {
			continue
		}
		seen[a] = true
		e.sum.Addresses++
		switch {
		case store.Special(a):
			e.sum.Special++
		case idx.contains(a):
			e.sum.Cached++
		case o.Offline:
			e.sum.Skipped++
		default:
			todo = append(todo, item{addr: a, order: i})
		}
	}
	e.total = e.sum.Addresses - e.sum.Special
	e.done = e.sum.Cached + e.sum.Skipped
	for _, it := range todo {
		e.add(it)
	}
	e.run()
	e.skipRest()
	if e.err != nil {
		return e.sum, e.err
	}
	return e.sum, ctx.Err()
}

// item is an address and its place in the caller's order.
type item struct {
	addr  netip.Addr
	order int
}

// group holds the addresses of one /24 (/48): one is looked up at a time.
type group struct {
	active  *task
	waiting []item
}

// found is an answer worth keeping and where it came from.
type found struct {
	ans    Answer
	raw    string
	server string
}

// task is the lookup of one address, hop by hop.
type task struct {
	item
	group     *group
	server    string   // the next server to ask, host:port
	chain     []string // the servers asked (or skipped by a remembered referral)
	tries     int      // failed tries at the current server
	queries   int
	notBefore time.Time
	best      *found // the last answer with a network, kept should a later hop fail
}

// referral is a remembered pointer: server host said addresses in
// first..last are registered at refer.
type referral struct {
	host        string
	first, last netip.Addr
	refer       string
}

// server is the pacing state of one server host.
type server struct {
	host         string
	lim          *rate.Limiter
	max          rate.Limit
	pausedUntil  time.Time
	cut, changed time.Time
	busy         map[netip.Prefix]int // queries in flight by /16 (/32)
	gaveUp       int                  // addresses given up in a row
	dead         bool
}

// result is the outcome of one query, sent back to the event loop.
type result struct {
	t      *task
	server string
	raw    string
	ans    Answer
	err    error
	sent   time.Time
}

// enricher is the state of one Enrich run; only its event loop touches it.
type enricher struct {
	ctx      context.Context
	o        Options
	c        *store.Case
	idx      *netIndex
	servers  map[string]*server
	groups   map[netip.Prefix]*group
	refs     []referral
	queue    []*task
	inflight int
	results  chan result
	sum      Summary
	total    int
	done     int
	last     string
	err      error // fatal: the case cannot be written
	stopped  bool  // ctx ended or Max reached: nothing more is sent
	moreErrs int
}

// groupKey is the wave an address belongs to; coarseKey the block one server
// is never asked about twice at once.
func groupKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		p, _ := a.Prefix(24)
		return p
	}
	p, _ := a.Prefix(48)
	return p
}

func coarseKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		p, _ := a.Prefix(16)
		return p
	}
	p, _ := a.Prefix(32)
	return p
}

func (e *enricher) server(hostPort string) *server {
	h := serverKey(hostPort)
	s := e.servers[h]
	if s == nil {
		s = &server{host: h, lim: rate.NewLimiter(e.o.PerServer, 1), max: e.o.PerServer, busy: map[netip.Prefix]int{}}
		e.servers[h] = s
	}
	return s
}

// add schedules the lookup of it: now, or after the lookup under way in its group.
func (e *enricher) add(it item) {
	k := groupKey(it.addr)
	g := e.groups[k]
	if g == nil {
		g = &group{}
		e.groups[k] = g
	}
	if g.active != nil {
		g.waiting = append(g.waiting, it)
		return
	}
	e.start(g, it)
}

func (e *enricher) start(g *group, it item) {
	t := &task{item: it, group: g, server: e.o.Server}
	g.active = t
	e.route(t)
}

// route queues t for its next server, skipping the hops a remembered
// referral answers, or settles it when a known network holds its address.
func (e *enricher) route(t *task) {
	for {
		if e.idx.contains(t.addr) {
			e.settleCached(t)
			return
		}
		if e.server(t.server).dead {
			e.giveUp(t, fmt.Errorf("whois: %s: given up after %d addresses in a row failed", serverKey(t.server), deadAfter))
			return
		}
		r, ok := e.referralFor(serverKey(t.server), t.addr)
		if !ok || len(t.chain)+1 >= maxHops || inChain(t.chain, r.refer) {
			break
		}
		t.chain = append(t.chain, t.server)
		t.server = r.refer
	}
	e.queue = append(e.queue, t)
}

func (e *enricher) referralFor(host string, a netip.Addr) (referral, bool) {
	var (
		best  referral
		found bool
	)
	for _, r := range e.refs {
		if r.host != host || a.Is4() != r.first.Is4() || a.Less(r.first) || r.last.Less(a) {
			continue
		}
		if !found || rangeSize(r.first, r.last).Less(rangeSize(best.first, best.last)) {
			best, found = r, true
		}
	}
	return best, found
}

func inChain(chain []string, server string) bool {
	return slices.ContainsFunc(chain, func(s string) bool { return serverKey(s) == serverKey(server) })
}

// run is the event loop: it sends what the limiters allow, handles answers
// as they come, and sleeps until the next query may go.
func (e *enricher) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	done := e.ctx.Done()
	for {
		now := time.Now()
		if e.err != nil || e.ctx.Err() != nil {
			e.stopped = true
		}
		if !e.stopped {
			e.dispatch(now)
		}
		if e.inflight == 0 && (len(e.queue) == 0 || e.stopped) {
			return
		}
		var wake <-chan time.Time
		if !e.stopped && e.inflight < e.o.Concurrency {
			if at, ok := e.nextWake(now); ok {
				timer.Reset(max(at.Sub(now), 0))
				wake = timer.C
			}
		}
		select {
		case r := <-e.results:
			e.handle(r)
		case <-wake:
		case <-done:
			done = nil
		}
		if wake != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		e.report()
	}
}

// dispatch sends queries while there is room: the earliest address (in the
// caller's order) whose server's limiter has a token and that no query in
// flight to that server shares a /16 (/32) with.
func (e *enricher) dispatch(now time.Time) {
	for e.inflight < e.o.Concurrency {
		if e.o.Max > 0 && e.sum.Queries >= e.o.Max {
			e.stopped = true
			return
		}
		ready := map[*server]bool{}
		bi := -1
		for i, t := range e.queue {
			if t.notBefore.After(now) {
				continue
			}
			s := e.server(t.server)
			ok, seen := ready[s]
			if !seen {
				ok = s.ready(now)
				ready[s] = ok
			}
			if !ok || s.busy[coarseKey(t.addr)] > 0 {
				continue
			}
			if bi < 0 || t.order < e.queue[bi].order {
				bi = i
			}
		}
		if bi < 0 {
			return
		}
		t := e.queue[bi]
		e.queue = slices.Delete(e.queue, bi, bi+1)
		s := e.server(t.server)
		s.lim.AllowN(now, 1)
		e.launch(t, s, now)
	}
}

// ready reports whether s may be sent a query now, and lets a slowed
// limiter recover a step after a quiet spell.
func (s *server) ready(now time.Time) bool {
	if cur := s.lim.Limit(); cur < s.max && now.Sub(s.changed) >= recoverAfter {
		s.lim.SetLimitAt(now, min(s.max, cur*recoverStep))
		s.changed = now
	}
	return !s.pausedUntil.After(now) && s.lim.TokensAt(now) >= 1
}

// wait is how long until s may be sent a query.
func (s *server) wait(now time.Time) time.Duration {
	w := max(s.pausedUntil.Sub(now), 0)
	if tok := s.lim.TokensAt(now); tok < 1 && s.lim.Limit() > 0 && s.lim.Limit() != rate.Inf {
		w = max(w, time.Duration((1-tok)/float64(s.lim.Limit())*float64(time.Second))+time.Millisecond)
	}
	return w
}

// throttle slows s down after a refusal of a query sent at sent; a query
// sent before the last cut says nothing about the rate now.
func (s *server) throttle(sent, now time.Time) {
	if sent.Before(s.cut) {
		return
	}
	s.lim.SetLimitAt(now, max(s.lim.Limit()/2, s.max*floorShare))
	s.cut, s.changed = now, now
}

// nextWake is when the next queued query may go (false: only an answer can
// make one go).
func (e *enricher) nextWake(now time.Time) (time.Time, bool) {
	var (
		at    time.Time
		found bool
	)
	waits := map[*server]time.Duration{}
	for _, t := range e.queue {
		s := e.server(t.server)
		if s.busy[coarseKey(t.addr)] > 0 {
			continue
		}
		w, ok := waits[s]
		if !ok {
			w = s.wait(now)
			waits[s] = w
		}
		when := now.Add(w)
		if t.notBefore.After(when) {
			when = t.notBefore
		}
		if !found || when.Before(at) {
			at, found = when, true
		}
	}
	return at, found
}

func (e *enricher) launch(t *task, s *server, now time.Time) {
	e.inflight++
	e.sum.Queries++
	t.queries++
	s.busy[coarseKey(t.addr)]++
	srv, a := t.server, t.addr
	go func() {
		raw, err := ask(e.ctx, e.o, srv, a)
		var ans Answer
		if err == nil {
			ans, err = Parse(srv, raw)
		}
		e.results <- result{t: t, server: srv, raw: raw, ans: ans, err: err, sent: now}
	}()
}

// handle takes one query's outcome: follow a referral, keep an answer,
// retry later, or give up.
func (e *enricher) handle(r result) {
	e.inflight--
	s := e.server(r.server)
	k := coarseKey(r.t.addr)
	if s.busy[k]--; s.busy[k] <= 0 {
		delete(s.busy, k)
	}
	t := r.t
	now := time.Now()
	if r.err == nil {
		s.gaveUp = 0
		t.chain = append(t.chain, r.server)
		t.tries, t.notBefore = 0, time.Time{}
		a := r.ans
		if a.Pointer {
			e.last = fmt.Sprintf("%s: %s is registered at %s", serverKey(r.server), networkText(a), serverKey(a.Refer))
			e.refs = append(e.refs, referral{host: serverKey(r.server), first: a.First, last: a.Last, refer: a.Refer})
			e.reroute(serverKey(r.server), a.First, a.Last)
			e.follow(t, a.Refer)
			return
		}
		f := &found{ans: a, raw: r.raw, server: r.server}
		if t.best != nil {
			if !within(a, t.best.ans) {
				f = t.best // a referral's answer about another network: keep the registry's
			} else {
				f.ans = inherit(a, t.best.ans)
			}
		}
		if a.Refer != "" && f != t.best {
			t.best = f
			e.follow(t, a.Refer)
			return
		}
		e.settle(t, f)
		return
	}
	if e.ctx.Err() != nil {
		e.requeueOrSkip(t)
		return
	}
	retry, pause := classify(r.err)
	var re *RefusedError
	if errors.As(r.err, &re) {
		e.sum.Refused++
	}
	err := r.err
	if retry {
		t.tries++
		s.throttle(r.sent, now)
		wait := backoff(e.o.Backoff, t.tries)
		e.last = fmt.Sprintf("%s: %v; trying again in %s", serverKey(r.server), r.err, wait.Round(time.Millisecond))
		if pause {
			if until := now.Add(wait); until.After(s.pausedUntil) {
				s.pausedUntil = until
			}
		}
		if t.tries < e.o.Tries {
			t.notBefore = now.Add(wait)
			e.queue = append(e.queue, t)
			return
		}
		s.gaveUp++
		err = fmt.Errorf("gave up on %s after %d tries: %w", serverKey(r.server), t.tries, r.err)
	}
	t.chain = append(t.chain, r.server)
	e.giveUp(t, err)
	if retry && s.gaveUp >= deadAfter && !s.dead {
		s.dead = true
		e.addError(fmt.Sprintf("%s: gave up on the server after %d addresses in a row failed", s.host, deadAfter))
		e.reroute(s.host, netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}))
		e.reroute(s.host, netip.IPv6Unspecified(), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
	}
}

// giveUp ends t without an answer of its last server: with the best answer
// an earlier hop gave, else as failed.
func (e *enricher) giveUp(t *task, err error) {
	if t.best != nil {
		if retry, _ := classify(err); retry || errors.Is(err, ErrTooLarge) {
			e.addError(fmt.Sprintf("%s: %v (kept the answer of %s)", t.addr, err, serverKey(t.best.server)))
		}
		e.settle(t, t.best)
		return
	}
	e.sum.Queried++
	e.sum.Failed++
	e.done++
	e.addError(fmt.Sprintf("%s: %v", t.addr, err))
	e.last = fmt.Sprintf("%s: failed: %v", t.addr, err)
	e.finish(t)
}

// follow sends t on to refer, unless the chain is too long, loops, or
// points somewhere no WHOIS server should be.
func (e *enricher) follow(t *task, refer string) {
	var why error
	switch {
	case refer == "":
		why = errors.New("whois: the answer points to no server")
	case len(t.chain) >= maxHops:
		why = fmt.Errorf("whois: more than %d servers in the referral chain %s", maxHops, chainText(t.chain))
	case inChain(t.chain, refer):
		why = fmt.Errorf("whois: referral loop: %s -> %s", chainText(t.chain), serverKey(refer))
	case !allowedReferral(refer):
		why = fmt.Errorf("whois: refused to follow a referral to %s", refer)
	}
	if why != nil {
		e.giveUp(t, why)
		return
	}
	t.server, t.tries, t.notBefore = refer, 0, time.Time{}
	e.route(t)
}

// reroute moves the queued tasks for host inside first..last on to where
// a referral just learned points.
func (e *enricher) reroute(host string, first, last netip.Addr) {
	var moved []*task
	e.queue = slices.DeleteFunc(e.queue, func(t *task) bool {
		if serverKey(t.server) != host || t.addr.Is4() != first.Is4() || t.addr.Less(first) || last.Less(t.addr) {
			return false
		}
		moved = append(moved, t)
		return true
	})
	for _, t := range moved {
		e.route(t)
	}
}

// settle stores f as the answer of t, then settles every queued address its
// network holds.
func (e *enricher) settle(t *task, f *found) {
	now := e.o.Now()
	s := saved{query: t.addr, ans: f.ans, raw: f.raw, server: f.server, chain: t.chain}
	if err := save(context.WithoutCancel(e.ctx), e.c.DB, s, now, e.o.MaxAge); err != nil {
		e.err = err
		e.sum.Queried++
		e.sum.Failed++
		e.done++
		e.finish(t)
		return
	}
	e.idx.add(f.ans.First, f.ans.Last)
	e.sum.Networks++
	e.sum.Queried++
	e.done++
	e.last = fmt.Sprintf("%s: %s %s", serverKey(f.server), networkText(f.ans), f.ans.Org)
	e.finish(t)
	var held []*task
	e.queue = slices.DeleteFunc(e.queue, func(q *task) bool {
		if q.addr.Is4() != f.ans.First.Is4() || q.addr.Less(f.ans.First) || f.ans.Last.Less(q.addr) {
			return false
		}
		held = append(held, q)
		return true
	})
	for _, q := range held {
		e.settleCached(q)
	}
}

// settleCached ends t: a known network holds its address.
func (e *enricher) settleCached(t *task) {
	if t.queries > 0 {
		e.sum.Queried++
	} else {
		e.sum.Cached++
	}
	e.done++
	e.finish(t)
}

// finish ends the lookup under way in t's group and starts the next one
// whose address no known network holds.
func (e *enricher) finish(t *task) {
	g := t.group
	if g.active == t {
		g.active = nil
	}
	for g.active == nil && len(g.waiting) > 0 {
		it := g.waiting[0]
		g.waiting = g.waiting[1:]
		if e.idx.contains(it.addr) {
			e.sum.Cached++
			e.done++
			continue
		}
		if e.stopped {
			g.waiting = append([]item{it}, g.waiting...)
			return
		}
		e.start(g, it)
	}
}

// requeueOrSkip keeps t queued after ctx ended: skipRest counts it.
func (e *enricher) requeueOrSkip(t *task) { e.queue = append(e.queue, t) }

// skipRest counts what was never looked up (Max reached, ctx ended).
func (e *enricher) skipRest() {
	n := len(e.queue)
	for _, g := range e.groups {
		n += len(g.waiting)
	}
	e.queue = nil
	if n == 0 {
		return
	}
	e.sum.Skipped += n
	e.done += n
	switch {
	case e.err != nil:
	case e.ctx.Err() != nil:
		e.addError(fmt.Sprintf("cancelled: %d addresses not looked up", n))
	case e.o.Max > 0:
		e.addError(fmt.Sprintf("stopped after %d queries (the most allowed): %d addresses not looked up", e.o.Max, n))
	}
	e.report()
}

func (e *enricher) addError(msg string) {
	if len(e.sum.Errors) < maxErrors {
		e.sum.Errors = append(e.sum.Errors, msg)
		return
	}
	e.moreErrs++
	e.sum.Errors[maxErrors-1] = fmt.Sprintf("… and %d more errors", e.moreErrs)
}

func (e *enricher) report() {
	if e.o.Progress == nil {
		return
	}
	e.o.Progress(Progress{
		Addresses: e.total, Done: e.done, Queries: e.sum.Queries, InFlight: e.inflight,
		Networks: e.sum.Networks, Refused: e.sum.Refused, Failed: e.sum.Failed, Last: e.last,
	})
}

func backoff(base time.Duration, tries int) time.Duration {
	d := base
	for i := 1; i < tries && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// within reports whether a's network lies inside b's.
func within(a, b Answer) bool {
	return a.First.Is4() == b.First.Is4() && !a.First.Less(b.First) && !b.Last.Less(a.Last)
}

// inherit fills what a referral's answer a leaves out from the registry's
// answer about the network around it.
func inherit(a, parent Answer) Answer {
	if a.Org == "" {
		a.Org, a.OrgHandle = parent.Org, parent.OrgHandle
	}
	if a.Country == "" {
		a.Country = parent.Country
	}
	if a.ASN == "" {
		a.ASN = parent.ASN
	}
	if a.Abuse == "" {
		a.Abuse = parent.Abuse
	}
	return a
}
