package asn

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/netip"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// LoadIntoCase puts a snapshot into a case, in one transaction: when the case
// holds no ASN snapshot, or one with a different sha256, asn_snapshots and
// asn_ranges are emptied and filled with s (a case holds one ASN snapshot).
// changed reports whether anything was written. snapshot_date is the date
// the file carries (a MaxMind DB's build), else when it entered the home
// (s.FetchedAt), else NULL.
//
// asn_ranges.start_num and end_num are the first and last address as 128-bit
// numbers, IPv4 mapped into IPv6 (store.AddrNum), so an address's AS is
//
//	SELECT asn, as_name FROM asn_ranges WHERE start_num <= num AND end_num >= num
func LoadIntoCase(ctx context.Context, c *store.Case, s Snapshot) (changed bool, err error) {
	if s.SHA256 == "" || s.Format == "" || len(s.Ranges) == 0 {
		return false, errors.New("asn: load: an empty snapshot (parse the file with Parse or Home.Current)")
	}
	err = c.InTx(ctx, func(conn *sql.Conn) error {
		have, err := caseSHA(ctx, conn)
		if err != nil {
			return err
		}
		if have == s.SHA256 {
			return store.ErrNoChange
		}
		changed = true
		return replace(ctx, conn, s)
	})
	if err != nil {
		return false, fmt.Errorf("asn: load: %w", err)
	}
	return changed, nil
}

// Sync loads the home's current snapshot into a case (see LoadIntoCase),
// parsing it only when the case does not already hold it. A home without
// ASN data changes nothing and is not an error.
func Sync(ctx context.Context, c *store.Case, h Home) (changed bool, err error) {
	in, err := h.CurrentInfo()
	if err != nil || in == nil {
		return false, err
	}
	have, err := caseSHA(ctx, c.DB)
	if err != nil || have == in.SHA256 {
		return false, err
	}
	s, _, err := h.Current()
	if err != nil {
		return false, err
	}
	if s == nil { // removed since CurrentInfo
		return false, nil
	}
	return LoadIntoCase(ctx, c, *s)
}

// CaseSHA is the sha256 of the file the case's ASN data came from; "" when
// it holds none. Read-only is enough.
func CaseSHA(ctx context.Context, c *store.Case) (string, error) { return caseSHA(ctx, c.DB) }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// caseSHA is the sha256 of the case's ASN snapshot; "" when it has none (or,
// which no load leaves, several).
func caseSHA(ctx context.Context, q querier) (string, error) {
	rows, err := q.QueryContext(ctx, `SELECT sha256 FROM asn_snapshots`)
	if err != nil {
		return "", fmt.Errorf("asn: read the case's ASN snapshot: %w", err)
	}
	defer rows.Close()
	var shas []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", fmt.Errorf("asn: read the case's ASN snapshot: %w", err)
		}
		shas = append(shas, s)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("asn: read the case's ASN snapshot: %w", err)
	}
	if len(shas) != 1 {
		return "", nil
	}
	return shas[0], nil
}

// replace swaps the case's ASN rows for s, inside the caller's transaction.
func replace(ctx context.Context, conn *sql.Conn, s Snapshot) error {
	// asn_snapshots.id has no default: the next one is taken by hand, so a
	// replaced snapshot's id is never reused.
	var id int32
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM asn_snapshots`).Scan(&id); err != nil {
		return fmt.Errorf("asn: load: %w", err)
	}
	for _, q := range []string{`DELETE FROM asn_ranges`, `DELETE FROM asn_snapshots`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("asn: load: %w", err)
		}
	}
	var date any
	switch {
	case !s.Date.IsZero():
		date = s.Date.UTC()
	case !s.FetchedAt.IsZero():
		date = s.FetchedAt.UTC()
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO asn_snapshots (id, source, format, sha256, snapshot_date, ranges)
		VALUES (?, ?, ?, ?, ?, ?)`, id, s.Source, s.Format, s.SHA256, date, int64(len(s.Ranges))); err != nil {
		return fmt.Errorf("asn: load: %w", err)
	}
	cols := []string{"snapshot_id", "family", "start_num", "end_num", "asn", "as_name", "country"}
	err := store.WithAppender(conn, "asn_ranges", cols, func(a *duckdb.Appender) error {
		for i, r := range s.Ranges {
			if i%8192 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if !r.First.IsValid() || !r.Last.IsValid() {
				return fmt.Errorf("range %d has no addresses", i)
			}
			if reason := checkRange(r.First.Unmap(), r.Last.Unmap()); reason != "" {
				return fmt.Errorf("range %d (%s-%s) is not a range: %s", i, r.First, r.Last, reason)
			}
			if err := a.AppendRow(id, uint8(store.Family(r.First)), addrNum(r.First), addrNum(r.Last),
				int64(r.ASN), store.Nullable(r.Name), store.Nullable(r.Country)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("asn: load: append ranges: %w", err)
	}
	return nil
}

// addrNum is store.AddrNum as a value the appender takes for UHUGEINT: the
// address as a 128-bit number, IPv4 mapped into IPv6. An IPv4 address
// (::ffff:a.b.c.d) fits in 64 bits and is handed over as a uint64, which
// saves allocating a big.Int for most rows.
func addrNum(a netip.Addr) any {
	b := a.As16()
	if binary.BigEndian.Uint64(b[:8]) == 0 {
		return binary.BigEndian.Uint64(b[8:])
	}
	return new(big.Int).SetBytes(b[:])
}
