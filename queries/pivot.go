package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// Table is a small result: its columns and rows, values as in results.
type Table struct {
	Columns []Column
	Rows    [][]any
}

// AddressPivot is what a case knows about one address.
type AddressPivot struct {
	// Totals are its flows as the peer of the focus.
	Totals PeerTotals
	// Counterparts are the local addresses it talked to (local_ip, flows,
	// packets, bytes, rejected, first_seen, last_seen), most flows first.
	Counterparts Table
	// Services are its conversations: the services it used or offered (a
	// client's port to a server's, the answers with the requests), largest
	// first; Conversations counts them all.
	Services      []Conversation
	Conversations int
	// Info is its address_info row, nil when the case has none.
	Info *AddressInfo
	// Whois is the smallest stored WHOIS network holding it, nil when none.
	Whois *WhoisNetwork
}

// PeerTotals count the flows of one peer.
type PeerTotals struct {
	Flows, Packets, Bytes, Accepted, Rejected int64
	First, Last                               *time.Time // the first start and the last end; nil without flows
}

// AddressInfo is an address's row of address_info ("" where unknown).
type AddressInfo struct {
	Scope, Provider, CloudService, CloudRegion, CloudPrefix, Org, ASN string
	// Intel are the loaded threat-intel lists holding it, sorted; none when
	// no list does.
	Intel []string
}

// WhoisNetwork is a stored WHOIS network ("" where the answer said nothing).
type WhoisNetwork struct {
	Network, Org, Netname, Country, ASN, Registry, Server string
	FetchedAt                                             time.Time
}

// Pivot reads what the case knows about addr from its derived tables as they
// are (the caller checks Stale): its totals, its top counterparts and
// services (top > 0 rows each, ties by address and port), its address_info
// row and its WHOIS network.
func Pivot(ctx context.Context, c *store.Case, addr netip.Addr, top int) (AddressPivot, error) {
	var p AddressPivot
	a := addr.String()
	t := &p.Totals
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(packets), 0)::BIGINT, coalesce(sum(bytes), 0)::BIGINT,
		min(start), max("end"),
		count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
		FROM case_flows WHERE peer_ip = ?`, a).
		Scan(&t.Flows, &t.Packets, &t.Bytes, &t.First, &t.Last, &t.Accepted, &t.Rejected); err != nil {
		return p, fmt.Errorf("queries: pivot: totals: %w", err)
	}
	utc(t.First)
	utc(t.Last)

	var err error
	p.Counterparts.Columns, p.Counterparts.Rows, err = Query(ctx, c.DB, `SELECT local_ip, count(*) AS flows, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
		count(*) FILTER (WHERE action = 'REJECT') AS rejected, min(start) AS first_seen, max("end") AS last_seen
		FROM case_flows WHERE peer_ip = ? GROUP BY local_ip ORDER BY flows DESC, local_ip LIMIT ?`, 0, a, limitArg(top))
	if err != nil {
		return p, fmt.Errorf("queries: pivot: counterparts: %w", err)
	}
	all, err := Conversations(ctx, c, ConversationFilter{Addr: addr})
	if err != nil {
		return p, fmt.Errorf("queries: pivot: %w", err)
	}
	p.Conversations = len(all)
	p.Services = all[:min(len(all), max(top, 0))]

	var (
		info  AddressInfo
		lists string
	)
	// The list names are letters, digits, '-' and '_': a comma joins them safely.
	err = c.DB.QueryRowContext(ctx, `SELECT scope, coalesce(provider, ''), coalesce(cloud_service, ''), coalesce(cloud_region, ''),
		coalesce(cloud_prefix, ''), coalesce(org, ''), coalesce(asn, ''), coalesce(array_to_string(intel, ','), '') FROM address_info WHERE addr = ?`, a).
		Scan(&info.Scope, &info.Provider, &info.CloudService, &info.CloudRegion, &info.CloudPrefix, &info.Org, &info.ASN, &lists)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return p, fmt.Errorf("queries: pivot: address info: %w", err)
	default:
		if lists != "" {
			info.Intel = strings.Split(lists, ",")
		}
		p.Info = &info
	}

	var w WhoisNetwork
	err = c.DB.QueryRowContext(ctx, `SELECT coalesce(w.network, ''), coalesce(w.org, ''), coalesce(w.netname, ''), coalesce(w.country, ''),
		coalesce(w.asn, ''), coalesce(w.registry, ''), coalesce(w.server, ''), w.fetched_at
		FROM whois w, address_info a WHERE a.addr = ? AND a.num BETWEEN w.start_num AND w.end_num
		ORDER BY w.end_num - w.start_num LIMIT 1`, a).
		Scan(&w.Network, &w.Org, &w.Netname, &w.Country, &w.ASN, &w.Registry, &w.Server, &w.FetchedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return p, fmt.Errorf("queries: pivot: whois: %w", err)
	default:
		w.FetchedAt = w.FetchedAt.UTC()
		p.Whois = &w
	}
	return p, nil
}

// utc puts a scanned time in UTC.
func utc(t *time.Time) {
	if t != nil {
		*t = t.UTC()
	}
}
