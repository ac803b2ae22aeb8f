package queries

import (
	"context"
	"net/netip"

	"github.com/investigator/investigator/store"
)

// Stale reports whether the derived tables must be brought up to date
// before analyses run.
func Stale(ctx context.Context, c *store.Case) (bool, error) {
	d, err := c.DerivedState(ctx)
	return len(d.Stale) > 0, err
}

// Prepare brings the derived tables up to date (store.Case.Derive):
// address_info (every address of the case with its scope, cloud range, WHOIS
// network or AS and threat-intel lists) and case_flows (every flow seen from
// the focus, with direction and peer). It needs the case open for writing
// when they are stale; it reports whether it built anything.
func Prepare(ctx context.Context, c *store.Case) (bool, error) {
	d, err := c.Derive(ctx)
	return len(d.Built) > 0, err
}

// Peers are the case's peers, most active (by flows) first, as TopPeers
// ranks them; max > 0 keeps the first max. It rebuilds the derived tables
// first when they are stale, so the case must then be open for writing.
func Peers(ctx context.Context, c *store.Case, max int) ([]netip.Addr, error) {
	return peers(ctx, c, max, false)
}

// PublicPeers are Peers of scope "public" only: the addresses a WHOIS
// look-up is for.
func PublicPeers(ctx context.Context, c *store.Case, max int) ([]netip.Addr, error) {
	return peers(ctx, c, max, true)
}

func peers(ctx context.Context, c *store.Case, max int, public bool) ([]netip.Addr, error) {
	if _, err := Prepare(ctx, c); err != nil {
		return nil, err
	}
	top, err := topPeers(ctx, c, max, public)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, len(top))
	for i, p := range top {
		out[i] = p.Addr
	}
	return out, nil
}
