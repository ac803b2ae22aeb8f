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
