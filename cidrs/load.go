package cidrs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/cidrs/asn"
	"github.com/investigator/investigator/store"
)

// Change is one provider whose snapshot a load put into a case.
type Change struct {
	Provider string    `json:"provider"`
	Source   string    `json:"source"`
	SHA256   string    `json:"sha256"`
	Date     time.Time `json:"date,omitzero"`
	Prefixes int       `json:"prefixes"`
	// Previous is the sha256 of the snapshot it replaced, "" when the case had
	// none of this provider; PreviousPrefixes its row count.
	Previous         string `json:"previous,omitempty"`
	PreviousPrefixes int    `json:"previous_prefixes,omitempty"`
}

// LoadIntoCase puts snapshots into a case in one transaction: each snapshot
// whose provider has no snapshot in the case, or one with a different sha256,
// replaces that provider's rows in cidr_snapshots and cidr_ranges. Providers
// not in snaps are left as they are. changed reports whether anything was
// written.
func LoadIntoCase(ctx context.Context, c *store.Case, snaps []Snapshot) (changed bool, err error) {
	ch, err := Load(ctx, c, snaps)
	return len(ch) > 0, err
}

// Sync loads the home's current snapshots into a case (see LoadIntoCase). A
// home without snapshots changes nothing and is not an error.
func Sync(ctx context.Context, c *store.Case, h Home) (changed bool, err error) {
	ch, err := SyncChanges(ctx, c, h)
	return len(ch) > 0, err
}

// SyncChanges is Sync, telling what it changed. It parses only the snapshots
// the case does not already hold.
func SyncChanges(ctx context.Context, c *store.Case, h Home) ([]Change, error) {
	held, err := CaseHeld(ctx, c)
	if err != nil {
		return nil, err
	}
	pending, err := h.pendingRanges(held)
	if err != nil {
		return nil, err
	}
	var snaps []Snapshot
	for _, in := range pending {
		s, err := h.snapshot(in)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, s)
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	return Load(ctx, c, snaps)
}

// Held is what a case holds of the snapshots a home folder keeps: each
// provider's range snapshot and the ASN data, by the sha256 of their files.
type Held struct {
	Ranges map[string]string // provider -> sha256
	ASN    string            // "" when it holds none
}

// CaseHeld reads what the case holds (read-only is enough).
func CaseHeld(ctx context.Context, c *store.Case) (Held, error) {
	have, err := caseSnapshots(ctx, c.DB)
	if err != nil {
		return Held{}, err
	}
	held := Held{Ranges: map[string]string{}}
	for p, s := range have {
		held.Ranges[p] = s.sha
	}
	held.ASN, err = asn.CaseSHA(ctx, c)
	return held, err
}

// pendingRanges are the home's current range snapshots a case that holds
// held lacks: what SyncChanges loads.
func (h Home) pendingRanges(held Held) ([]Info, error) {
	infos, err := h.List()
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, in := range infos {
		if held.Ranges[in.Provider] != in.SHA256 {
			out = append(out, in)
		}
	}
	return out, nil
}

// Pending is what SyncHome would load into a case that holds held, for
// people: "aws of 2026-11-20", "ASN data of 2026-11-21". It reads the home
// folder only.
func (h Home) Pending(held Held) ([]string, error) {
	day := func(date, fetched time.Time) string {
		if date.IsZero() {
			date = fetched
		}
		return date.UTC().Format(time.DateOnly)
	}
	ranges, err := h.pendingRanges(held)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range ranges {
		out = append(out, in.Provider+" of "+day(in.Date, in.FetchedAt))
	}
	in, err := h.ASN().CurrentInfo()
	if err != nil {
		return out, err
	}
	if in != nil && in.SHA256 != held.ASN {
		out = append(out, "ASN data of "+day(in.Date, in.FetchedAt))
	}
	return out, nil
}

// HomeChanges is what SyncHome put into a case.
type HomeChanges struct {
	Ranges []Change // the provider snapshots loaded
	ASN    bool     // the home's ASN data was loaded
}

// SyncHome loads the home folder into a case, as both faces do before a
// case is analysed: the providers' current range snapshots the case does not
// hold yet (SyncChanges), then the home's ASN data when the case holds other
// (asn.Sync), each in its own transaction. It parses only what the case
// lacks; a home without snapshots changes nothing and is not an error. On an
// error the changes are those already made.
func SyncHome(ctx context.Context, c *store.Case, h Home) (HomeChanges, error) {
	var (
		ch  HomeChanges
		err error
	)
	if ch.Ranges, err = SyncChanges(ctx, c, h); err != nil {
		return ch, err
	}
	ch.ASN, err = asn.Sync(ctx, c, h.ASN())
	return ch, err
}

type caseSnapshot struct {
	sha      string
	prefixes int
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func caseSnapshots(ctx context.Context, q querier) (map[string]caseSnapshot, error) {
	rows, err := q.QueryContext(ctx, `SELECT provider, sha256, prefixes FROM cidr_snapshots ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cidrs: read the case's snapshots: %w", err)
	}
	defer rows.Close()
	have := map[string]caseSnapshot{}
	for rows.Next() {
		var (
			p string
			s caseSnapshot
		)
		if err := rows.Scan(&p, &s.sha, &s.prefixes); err != nil {
			return nil, fmt.Errorf("cidrs: read the case's snapshots: %w", err)
		}
		have[p] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cidrs: read the case's snapshots: %w", err)
	}
	return have, nil
}

// Load is LoadIntoCase, telling what it changed.
func Load(ctx context.Context, c *store.Case, snaps []Snapshot) (changes []Change, err error) {
	seen := map[string]bool{}
	for _, s := range snaps {
		if err := ValidProvider(s.Provider); err != nil {
			return nil, err
		}
		if seen[s.Provider] {
			return nil, fmt.Errorf("cidrs: load: two snapshots of provider %s: a case holds one per provider", s.Provider)
		}
		seen[s.Provider] = true
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	err = c.InTx(ctx, func(conn *sql.Conn) error {
		have, err := caseSnapshots(ctx, conn)
		if err != nil {
			return err
		}
		for _, s := range snaps {
			cur, ok := have[s.Provider]
			if ok && cur.sha == s.SHA256 {
				continue
			}
			if err := replace(ctx, conn, s); err != nil {
				return err
			}
			ch := Change{Provider: s.Provider, Source: s.Source, SHA256: s.SHA256, Date: s.Date, Prefixes: len(s.Ranges)}
			if ok {
				ch.Previous, ch.PreviousPrefixes = cur.sha, cur.prefixes
			}
			changes = append(changes, ch)
		}
		if len(changes) == 0 {
			return store.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cidrs: load: %w", err)
	}
	return changes, nil
}

// replace swaps one provider's rows, inside the caller's transaction.
func replace(ctx context.Context, conn *sql.Conn, s Snapshot) error {
	for _, q := range []string{`DELETE FROM cidr_ranges WHERE provider = ?`, `DELETE FROM cidr_snapshots WHERE provider = ?`} {
		if _, err := conn.ExecContext(ctx, q, s.Provider); err != nil {
			return fmt.Errorf("cidrs: load %s: %w", s.Provider, err)
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
	err := conn.QueryRowContext(ctx, `INSERT INTO cidr_snapshots (provider, source, sha256, snapshot_date, prefixes)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, s.Provider, s.Source, s.SHA256, date, len(s.Ranges)).Scan(&id)
	if err != nil {
		return fmt.Errorf("cidrs: load %s: %w", s.Provider, err)
	}
	cols := []string{"snapshot_id", "provider", "service", "region", "prefix", "family", "bits", "start_num", "end_num"}
	err = store.WithAppender(conn, "cidr_ranges", cols, func(a *duckdb.Appender) error {
		for i, r := range s.Ranges {
			if i%8192 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			lo, hi := store.PrefixNums(r.Prefix)
			if err := a.AppendRow(id, s.Provider, store.Nullable(r.Service), store.Nullable(r.Region), r.Prefix.String(),
				uint8(store.Family(r.Prefix.Addr())), uint8(r.Prefix.Bits()), lo, hi); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cidrs: load %s: append ranges: %w", s.Provider, err)
	}
	return nil
}
