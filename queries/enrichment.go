package queries

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/investigator/investigator/store"
)

// RangeSnapshot is one snapshot of ranges loaded into a case.
type RangeSnapshot struct {
	Provider, Source, SHA256 string
	Date                     *time.Time // the snapshot's own date, nil when it has none
	LoadedAt                 time.Time
	Count                    int64 // prefixes (ranges, for the ASN data)
}

// EnrichmentStatus is what enrichment a case holds.
type EnrichmentStatus struct {
	Ranges []RangeSnapshot // provider range snapshots, by provider
	ASN    *RangeSnapshot  // the ASN data (Provider "ASN"), nil when none
	// Intel are the threat-intel lists (Provider is the list's name, Count
	// its entries), by name.
	Intel []RangeSnapshot
	// Networks are the stored WHOIS networks, the last fetched at LastFetched
	// (nil when none).
	Networks    int64
	LastFetched *time.Time
	// Public are the case's public addresses, Covered those a stored WHOIS
	// network holds (as address_info has them).
	Public, Covered int64
	// Stale: the derived tables (and so Public and Covered) are out of date.
	Stale bool
}

// Enrichment reads what enrichment the case holds. It only reads.
func Enrichment(ctx context.Context, c *store.Case) (EnrichmentStatus, error) {
	var s EnrichmentStatus
	rows, err := c.DB.QueryContext(ctx, `SELECT provider, source, sha256, snapshot_date, loaded_at, prefixes FROM cidr_snapshots ORDER BY provider`)
	if err != nil {
		return s, fmt.Errorf("queries: enrichment: range snapshots: %w", err)
	}
	defer rows.Close()
	s.Ranges = []RangeSnapshot{}
	for rows.Next() {
		var r RangeSnapshot
		if err := rows.Scan(&r.Provider, &r.Source, &r.SHA256, &r.Date, &r.LoadedAt, &r.Count); err != nil {
			return s, fmt.Errorf("queries: enrichment: range snapshots: %w", err)
		}
		utc(r.Date)
		r.LoadedAt = r.LoadedAt.UTC()
		s.Ranges = append(s.Ranges, r)
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("queries: enrichment: range snapshots: %w", err)
	}

	if s.Intel, err = intelSnapshots(ctx, c); err != nil {
		return s, err
	}

	var (
		src, sha sql.NullString
		date     *time.Time
		loaded   *time.Time
		n        sql.NullInt64
	)
	// A case holds one ASN snapshot at most.
	if err := c.DB.QueryRowContext(ctx, `SELECT any_value(source), any_value(sha256), any_value(snapshot_date), max(loaded_at), sum(ranges)::BIGINT FROM asn_snapshots`).
		Scan(&src, &sha, &date, &loaded, &n); err != nil {
		return s, fmt.Errorf("queries: enrichment: ASN snapshot: %w", err)
	}
	if src.Valid {
		r := RangeSnapshot{Provider: "ASN", Source: src.String, SHA256: sha.String, Date: date, Count: n.Int64}
		utc(r.Date)
		if loaded != nil {
			r.LoadedAt = loaded.UTC()
		}
		s.ASN = &r
	}

	if err := c.DB.QueryRowContext(ctx, `SELECT count(*), max(fetched_at) FROM whois`).Scan(&s.Networks, &s.LastFetched); err != nil {
		return s, fmt.Errorf("queries: enrichment: WHOIS networks: %w", err)
	}
	utc(s.LastFetched)
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*),
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM whois w WHERE a.num BETWEEN w.start_num AND w.end_num))
		FROM address_info a WHERE scope = 'public'`).Scan(&s.Public, &s.Covered); err != nil {
		return s, fmt.Errorf("queries: enrichment: WHOIS coverage: %w", err)
	}
	if s.Stale, err = Stale(ctx, c); err != nil {
		return s, err
	}
	return s, nil
}

// intelSnapshots are the threat-intel lists the case holds, by name.
func intelSnapshots(ctx context.Context, c *store.Case) ([]RangeSnapshot, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT name, source, sha256, snapshot_date, loaded_at, entries FROM intel_snapshots ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("queries: enrichment: threat-intel lists: %w", err)
	}
	defer rows.Close()
	out := []RangeSnapshot{}
	for rows.Next() {
		var r RangeSnapshot
		if err := rows.Scan(&r.Provider, &r.Source, &r.SHA256, &r.Date, &r.LoadedAt, &r.Count); err != nil {
			return nil, fmt.Errorf("queries: enrichment: threat-intel lists: %w", err)
		}
		utc(r.Date)
		r.LoadedAt = r.LoadedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: enrichment: threat-intel lists: %w", err)
	}
	return out, nil
}
