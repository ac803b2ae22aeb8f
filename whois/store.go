package whois

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/investigator/investigator/store"
)

// maxRaw is how much of an answer the case keeps.
const maxRaw = 64 << 10

// netIndex answers "is this address inside a known network?" by exact
// lookups: every network is cut into CIDR blocks, and an address is looked up
// at each block length in use, the way queries' address_info joins ranges.
type netIndex struct {
	blocks map[netip.Prefix]struct{}
	lens4  [33]bool
	lens6  [129]bool
	count  int
}

func newNetIndex() *netIndex { return &netIndex{blocks: map[netip.Prefix]struct{}{}} }

func (x *netIndex) add(first, last netip.Addr) {
	for _, p := range rangePrefixes(first, last) {
		x.blocks[p] = struct{}{}
		if p.Addr().Is4() {
			x.lens4[p.Bits()] = true
		} else {
			x.lens6[p.Bits()] = true
		}
	}
	x.count++
}

// contains reports whether a known network holds a.
func (x *netIndex) contains(a netip.Addr) bool {
	lens := x.lens6[:]
	if a.Is4() {
		lens = x.lens4[:]
	}
	for bits, used := range lens {
		if !used {
			continue
		}
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if _, ok := x.blocks[p]; ok {
			return true
		}
	}
	return false
}

// loadIndex reads the networks stored in the case that are fresh at now
// (every one when maxAge is 0).
func loadIndex(ctx context.Context, db *sql.DB, now time.Time, maxAge time.Duration) (*netIndex, error) {
	x := newNetIndex()
	rows, err := db.QueryContext(ctx, `SELECT start_num::VARCHAR, end_num::VARCHAR, fetched_at FROM whois
		WHERE start_num IS NOT NULL AND end_num IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("whois: read stored answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			lo, hi  string
			fetched time.Time
		)
		if err := rows.Scan(&lo, &hi, &fetched); err != nil {
			return nil, fmt.Errorf("whois: read stored answers: %w", err)
		}
		if maxAge > 0 && now.Sub(fetched) > maxAge {
			continue
		}
		first, ok1 := numAddr(lo)
		last, ok2 := numAddr(hi)
		if !ok1 || !ok2 || first.Is4() != last.Is4() || last.Less(first) {
			continue
		}
		x.add(first, last)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("whois: read stored answers: %w", err)
	}
	return x, nil
}

// numAddr reads a store number (IPv4 mapped into IPv6) back as an address.
func numAddr(s string) (netip.Addr, bool) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return netip.Addr{}, false
	}
	var b [16]byte
	n.FillBytes(b[:])
	return netip.AddrFrom16(b).Unmap(), true
}

// saved is one answer ready for the case.
type saved struct {
	query  netip.Addr
	ans    Answer
	raw    string
	server string   // host:port whose answer it is
	chain  []string // every server asked, in order
}

// networkText is the network as the case shows it: a CIDR, or the range.
func networkText(a Answer) string {
	if len(a.Prefixes) == 1 {
		return a.Prefixes[0].String()
	}
	return a.First.String() + " - " + a.Last.String()
}

// save stores one answer in its own transaction: a crash keeps every answer
// saved before it. The answer replaces a stored one for the same network, and
// stale answers (older than maxAge) that hold the queried address.
func save(ctx context.Context, db *sql.DB, s saved, now time.Time, maxAge time.Duration) error {
	first, last := store.AddrNum(s.ans.First), store.AddrNum(s.ans.Last)
	q := store.AddrNum(s.query)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("whois: save: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	del := `DELETE FROM whois WHERE start_num = ?::UHUGEINT AND end_num = ?::UHUGEINT`
	args := []any{first, last}
	if maxAge > 0 {
		del += ` OR (fetched_at < ? AND ?::UHUGEINT BETWEEN start_num AND end_num)`
		args = append(args, now.Add(-maxAge), q)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return fmt.Errorf("whois: save: %w", err)
	}
	a := s.ans
	_, err = tx.ExecContext(ctx, `INSERT INTO whois (query_ip, network, start_num, end_num, org, netname, country, asn,
			registry, server, fetched_at, raw, handle, org_handle, abuse, created, updated, referral)
		VALUES (?, ?, ?::UHUGEINT, ?::UHUGEINT, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.query.String(), networkText(a), first, last, store.Nullable(a.Org), store.Nullable(a.NetName), store.Nullable(a.Country), store.Nullable(a.ASN),
		store.Nullable(a.Registry), s.server, now.UTC(), clipRaw(utf8Text(s.raw)), store.Nullable(a.Handle), store.Nullable(a.OrgHandle), store.Nullable(a.Abuse),
		date(a.Created), date(a.Updated), chainText(s.chain))
	if err != nil {
		return fmt.Errorf("whois: save: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("whois: save: %w", err)
	}
	return nil
}

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.DateOnly)
}

// clipRaw keeps the first 64 KiB of an answer, cut at a character boundary.
func clipRaw(raw string) string {
	if len(raw) <= maxRaw {
		return raw
	}
	n := maxRaw
	for n > 0 && !utf8.RuneStart(raw[n]) {
		n--
	}
	return raw[:n]
}

// chainText is the referral chain as the case keeps it:
// "whois.iana.org -> whois.arin.net -> rwhois.example.net:4321".
func chainText(chain []string) string {
	out := make([]string, len(chain))
	for i, s := range chain {
		out[i] = strings.TrimSuffix(s, ":43")
	}
	return strings.Join(out, " -> ")
}
