package whois

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// referral is a remembered pointer: server host said addresses in
// first..last are registered at refer.
type referral struct {
	host        string
	first, last netip.Addr
	refer       string
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

// allowedReferral refuses referrals a hostile answer could use to make us
// connect somewhere odd: IP literals in special blocks and localhost.
func allowedReferral(server string) bool {
	h := hostOf(server)
	if h == "" || h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return !store.Special(ip)
	}
	return true
}
