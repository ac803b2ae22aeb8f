package queries

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/investigator/investigator/store"
)

// PeerCount is a peer of the case and how many of its flows it is in.
type PeerCount struct {
	Addr  netip.Addr
	Flows int64
}

// PortCount is a destination port and how many flows went to it.
type PortCount struct {
	Port  int
	Flows int64
}

// TopPeers ranks the case's peers by flows (ties by address), from
// case_flows as it is: the caller decides whether stale derived tables are
// rebuilt first. n > 0 keeps the first n.
func TopPeers(ctx context.Context, c *store.Case, n int) ([]PeerCount, error) {
	return topPeers(ctx, c, n, false)
}

// topPeers is TopPeers, of the public peers only (scope "public" in
// address_info: outside the VPC and globally reachable) when public is set.
func topPeers(ctx context.Context, c *store.Case, n int, public bool) ([]PeerCount, error) {
	scope := ""
	if public {
		scope = ` AND peer_ip IN (SELECT addr FROM address_info WHERE scope = 'public')`
	}
	rows, err := c.DB.QueryContext(ctx, `SELECT peer_ip::VARCHAR, count(*) AS n FROM case_flows WHERE peer_ip IS NOT NULL`+scope+`
		GROUP BY peer_ip ORDER BY n DESC, peer_ip LIMIT ?`, limitArg(n))
	if err != nil {
		return nil, fmt.Errorf("queries: top peers: %w", err)
	}
	defer rows.Close()
	out := []PeerCount{}
	for rows.Next() {
		var (
			s string
			p PeerCount
		)
		if err := rows.Scan(&s, &p.Flows); err != nil {
			return nil, fmt.Errorf("queries: top peers: %w", err)
		}
		if p.Addr, err = netip.ParseAddr(s); err == nil {
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: top peers: %w", err)
	}
	return out, nil
}

// TopPorts ranks the destination ports of case_flows by flows (ties by
// port). n > 0 keeps the first n.
func TopPorts(ctx context.Context, c *store.Case, n int) ([]PortCount, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT dstport, count(*) AS n FROM case_flows WHERE dstport IS NOT NULL
		GROUP BY dstport ORDER BY n DESC, dstport LIMIT ?`, limitArg(n))
	if err != nil {
		return nil, fmt.Errorf("queries: top ports: %w", err)
	}
	defer rows.Close()
	out := []PortCount{}
	for rows.Next() {
		var p PortCount
		if err := rows.Scan(&p.Port, &p.Flows); err != nil {
			return nil, fmt.Errorf("queries: top ports: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: top ports: %w", err)
	}
	return out, nil
}

// limitArg is a LIMIT's argument: n > 0 rows, else all of them.
func limitArg(n int) any {
	if n > 0 {
		return int64(n)
	}
	return nil
}
