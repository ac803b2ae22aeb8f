package whois

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/investigator/investigator/store"
)

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
