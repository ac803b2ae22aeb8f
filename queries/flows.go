package queries

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// FlowFilter chooses records of the flows view; zero fields match all.
type FlowFilter struct {
	// Addr matches either end of a record, as logged or as the packet's
	// (srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr).
	Addr netip.Addr
	// Peer, with Addr, keeps the records between the two (either way).
	Peer netip.Addr
	// Port matches either port; Protocol the IANA protocol number.
	Port     *uint16
	Protocol *uint8
	// Action is ACCEPT or REJECT ("": both).
	Action string
	// Start and End bound the records' start, both inclusive.
	Start, End *time.Time
}

// Page is one page of a list: Number from 1, Size rows.
type Page struct {
	Number, Size int
}

// FlowTotals count the records a filter matches.
type FlowTotals struct {
	Records, Packets, Bytes, Accepted, Rejected int64
	First, Last                                 *time.Time // the first start and the last end; nil without records
}

// FlowPage is one page of filtered records, ordered by start then source
// address: the totals of all that match, the page's rows (every column of
// flows), and whether a next page has rows.
type FlowPage struct {
	Totals  FlowTotals
	Columns []Column
	Rows    [][]any
	More    bool
}

// Flows reads the totals of the records the filter matches and one page of
// them. Every filter value is bound as a parameter.
func Flows(ctx context.Context, c *store.Case, f FlowFilter, p Page) (FlowPage, error) {
	var out FlowPage
	if p.Number < 1 || p.Size < 1 {
		return out, fmt.Errorf("queries: flows: page %d of %d rows", p.Number, p.Size)
	}
	var (
		where []string
		args  []any
	)
	switch {
	case f.Addr.IsValid() && f.Peer.IsValid():
		a, b := f.Addr.String(), f.Peer.String()
		where = append(where, "((? IN (srcaddr, pkt_srcaddr) AND ? IN (dstaddr, pkt_dstaddr)) OR (? IN (srcaddr, pkt_srcaddr) AND ? IN (dstaddr, pkt_dstaddr)))")
		args = append(args, a, b, b, a)
	case f.Addr.IsValid():
		a := f.Addr.String()
		where = append(where, "(srcaddr = ? OR dstaddr = ? OR pkt_srcaddr = ? OR pkt_dstaddr = ?)")
		args = append(args, a, a, a, a)
	case f.Peer.IsValid():
		return out, fmt.Errorf("queries: flows: a peer without an address")
	}
	if f.Port != nil {
		where = append(where, "(srcport = ? OR dstport = ?)")
		args = append(args, int64(*f.Port), int64(*f.Port))
	}
	if f.Protocol != nil {
		where = append(where, "protocol = ?")
		args = append(args, int64(*f.Protocol))
	}
	switch f.Action {
	case "":
	case "ACCEPT", "REJECT":
		where = append(where, "action::VARCHAR = ?")
		args = append(args, f.Action)
	default:
		return out, fmt.Errorf("queries: flows: action %q is not ACCEPT or REJECT", f.Action)
	}
	if f.Start != nil {
		where = append(where, "start >= ?")
		args = append(args, f.Start.UTC())
	}
	if f.End != nil {
		where = append(where, "start <= ?")
		args = append(args, f.End.UTC())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}

	t := &out.Totals
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(packets), 0)::BIGINT, coalesce(sum(bytes), 0)::BIGINT,
		count(*) FILTER (action = 'ACCEPT'), count(*) FILTER (action = 'REJECT'), min(start), max("end") FROM flows`+cond, args...).
		Scan(&t.Records, &t.Packets, &t.Bytes, &t.Accepted, &t.Rejected, &t.First, &t.Last); err != nil {
		return out, fmt.Errorf("queries: flows: totals: %w", err)
	}
	utc(t.First)
	utc(t.Last)
	// One more row than a page tells whether there is a next page.
	pageArgs := append(append([]any{}, args...), int64(p.Size+1), int64(p.Number-1)*int64(p.Size))
	var err error
	out.Columns, out.Rows, err = Query(ctx, c.DB, "SELECT * FROM flows"+cond+" ORDER BY start, srcaddr LIMIT ? OFFSET ?", 0, pageArgs...)
	if err != nil {
		return out, fmt.Errorf("queries: flows: %w", err)
	}
	if len(out.Rows) > p.Size {
		out.Rows, out.More = out.Rows[:p.Size], true
	}
	return out, nil
}
