package intel

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// Change is one list whose snapshot a load put into a case.
type Change struct {
	Name    string    `json:"name"`
	Format  string    `json:"format"`
	Source  string    `json:"source"`
	SHA256  string    `json:"sha256"`
	Date    time.Time `json:"date,omitzero"`
	Entries int       `json:"entries"`
	// Previous is the sha256 of the snapshot it replaced, "" when the case
	// had none of this list; PreviousEntries its row count.
	Previous        string `json:"previous,omitempty"`
	PreviousEntries int    `json:"previous_entries,omitempty"`
}

// Held is a list a case holds.
type Held struct {
	Name, SHA256 string
	Entries      int
}

// CaseLists are the lists a case holds, by name (read-only is enough).
func CaseLists(ctx context.Context, c *store.Case) (map[string]Held, error) {
	return caseLists(ctx, c.DB)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func caseLists(ctx context.Context, q querier) (map[string]Held, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, sha256, entries FROM intel_snapshots ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("intel: read the case's lists: %w", err)
	}
	defer rows.Close()
	have := map[string]Held{}
	for rows.Next() {
		var h Held
		if err := rows.Scan(&h.Name, &h.SHA256, &h.Entries); err != nil {
			return nil, fmt.Errorf("intel: read the case's lists: %w", err)
		}
		have[h.Name] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("intel: read the case's lists: %w", err)
	}
	return have, nil
}

// LoadHome puts the home's current snapshots of the named lists (every
// list, when names is empty) into a case, parsing only those the case does
// not hold in the same version. See Load.
func LoadHome(ctx context.Context, c *store.Case, h Home, names []string) ([]Change, error) {
	infos, err := h.Select(names)
	if err != nil {
		return nil, err
	}
	have, err := CaseLists(ctx, c)
	if err != nil {
		return nil, err
	}
	var snaps []Snapshot
	for _, in := range infos {
		if have[in.Name].SHA256 == in.SHA256 {
			continue
		}
		s, err := h.Snapshot(in)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, s)
	}
	return Load(ctx, c, snaps)
}

// Load puts snapshots into a case in one transaction: each snapshot whose
// list the case does not hold, or holds with a different sha256, replaces
// that list's rows in intel_snapshots and intel_entries. Lists not in snaps
// are left as they are. It tells what it changed (nothing: none).
//
// intel_entries.start_num and end_num are the first and last address of the
// entry's prefix as 128-bit numbers, IPv4 mapped into IPv6 (store.AddrNum),
// as in cidr_ranges. snapshot_date is the date the file carries, else when
// it entered the home (s.FetchedAt), else NULL.
func Load(ctx context.Context, c *store.Case, snaps []Snapshot) (changes []Change, err error) {
	seen := map[string]bool{}
	for _, s := range snaps {
		if err := ValidName(s.Name); err != nil {
			return nil, err
		}
		if s.SHA256 == "" || len(s.Entries) == 0 {
			return nil, fmt.Errorf("intel: load %s: an empty snapshot (parse the file with Parse or Home.Snapshot)", s.Name)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("intel: load: two snapshots of list %s: a case holds one per list", s.Name)
		}
		seen[s.Name] = true
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	err = c.InTx(ctx, func(conn *sql.Conn) error {
		have, err := caseLists(ctx, conn)
		if err != nil {
			return err
		}
		for _, s := range snaps {
			cur, ok := have[s.Name]
			if ok && cur.SHA256 == s.SHA256 {
				continue
			}
			if err := replace(ctx, conn, s); err != nil {
				return err
			}
			ch := Change{Name: s.Name, Format: s.Format, Source: s.Source, SHA256: s.SHA256, Date: s.Date, Entries: len(s.Entries)}
			if ok {
				ch.Previous, ch.PreviousEntries = cur.SHA256, cur.Entries
			}
			changes = append(changes, ch)
		}
		if len(changes) == 0 {
			return store.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("intel: load: %w", err)
	}
	return changes, nil
}

// replace swaps one list's rows, inside the caller's transaction.
func replace(ctx context.Context, conn *sql.Conn, s Snapshot) error {
	for _, q := range []string{`DELETE FROM intel_entries WHERE list = ?`, `DELETE FROM intel_snapshots WHERE name = ?`} {
		if _, err := conn.ExecContext(ctx, q, s.Name); err != nil {
			return fmt.Errorf("intel: load %s: %w", s.Name, err)
		}
	}
	var date any
	switch {
	case !s.Date.IsZero():
		date = s.Date.UTC()
	case !s.FetchedAt.IsZero():
		date = s.FetchedAt.UTC()
	}
	var id int32
	err := conn.QueryRowContext(ctx, `INSERT INTO intel_snapshots (name, format, source, sha256, snapshot_date, entries)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, s.Name, s.Format, s.Source, s.SHA256, date, len(s.Entries)).Scan(&id)
	if err != nil {
		return fmt.Errorf("intel: load %s: %w", s.Name, err)
	}
	cols := []string{"snapshot_id", "list", "prefix", "family", "bits", "start_num", "end_num", "entry", "comment", "line"}
	err = store.WithAppender(conn, "intel_entries", cols, func(a *duckdb.Appender) error {
		for i, e := range s.Entries {
			if i%8192 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			lo, hi := prefixNums(e.Prefix)
			var line any
			if e.Line > 0 {
				line = int32(e.Line)
			}
			if err := a.AppendRow(id, s.Name, e.Prefix.String(), uint8(store.Family(e.Prefix.Addr())), uint8(e.Prefix.Bits()),
				lo, hi, e.Value, store.Nullable(e.Comment), line); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("intel: load %s: append entries: %w", s.Name, err)
	}
	return nil
}

// prefixNums is store.PrefixNums as values the appender takes for UHUGEINT:
// an IPv4 prefix's numbers (::ffff:a.b.c.d) fit in 64 bits and are handed
// over as uint64, which saves allocating big.Ints for most rows.
func prefixNums(p netip.Prefix) (lo, hi any) {
	if p.Addr().Is4() {
		b := p.Masked().Addr().As4()
		first := uint64(0xffff)<<32 | uint64(binary.BigEndian.Uint32(b[:]))
		last := first | (uint64(1)<<(32-p.Bits()) - 1)
		return first, last
	}
	l, h := store.PrefixNums(p)
	return l, h
}
