package whois

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// found is an answer worth keeping and where it came from.
type found struct {
	ans    Answer
	raw    string
	server string
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
