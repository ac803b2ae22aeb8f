package queries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/investigator/investigator/store"
)

// flowsInputs fingerprints what case_flows is built from: the records, the
// focus and the VPC blocks. enrichInputs adds what address_info also uses.
const (
	flowsInputs = `concat_ws('|',
	(SELECT count(*) FROM addresses),
	(SELECT coalesce(max(id), 0) FROM ingest_files),
	(SELECT count(*) FROM flow_records),
	(SELECT coalesce(string_agg(addr, ',' ORDER BY addr), '') FROM focus_ips),
	(SELECT coalesce(string_agg(cidr, ',' ORDER BY cidr), '') FROM vpc_cidrs))`
	enrichInputs = `concat_ws('|', ` + flowsInputs + `,
	(SELECT coalesce(string_agg(sha256, ',' ORDER BY provider), '') FROM cidr_snapshots),
	(SELECT coalesce(string_agg(sha256, ','), '') FROM asn_snapshots),
	(SELECT coalesce(string_agg(name || '=' || sha256, ',' ORDER BY name), '') FROM intel_snapshots),
	(SELECT count(*) || '@' || coalesce(max(fetched_at)::VARCHAR, '') FROM whois))`
)

// fingerprint is what the case holds now, in one query: the inputs of each
// derived table, and the data version (everything an analysis reads), which
// is the fingerprint of address_info's inputs. A stored result is reused
// only for the same data version.
type fingerprint struct {
	parts map[string]string // derived table -> md5 of its inputs now
	stale []string          // derived tables built from other inputs
}

func (f fingerprint) dataVersion() string { return f.parts["address_info"] }

// parts are the derived tables, in build order, with what each is built
// from. address_info's inputs include the statement that builds it (and so
// the special-purpose list it embeds): a case built by an older definition
// is rebuilt, and its stored results answered again.
var parts = []struct{ name, inputs string }{
	{"address_info", "concat_ws('|', " + enrichInputs + ", '" + definition(addressInfoSQL()) + "')"},
	{"case_flows", flowsInputs},
}

// definition is a short fingerprint of a derived table's statement.
func definition(stmt string) string {
	sum := sha256.Sum256([]byte(stmt))
	return hex.EncodeToString(sum[:8])
}

func currentFingerprint(ctx context.Context, c *store.Case) (fingerprint, error) {
	f := fingerprint{parts: map[string]string{}}
	var cols []string
	for _, p := range parts {
		cols = append(cols, fmt.Sprintf(`md5(%s), coalesce((SELECT built_from FROM enrichment_state WHERE part = '%s'), '')`, p.inputs, p.name))
	}
	dest := make([]any, 2*len(parts))
	now := make([]string, len(parts))
	built := make([]string, len(parts))
	for i := range parts {
		dest[2*i], dest[2*i+1] = &now[i], &built[i]
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")).Scan(dest...); err != nil {
		return f, fmt.Errorf("queries: enrichment state: %w", err)
	}
	for i, p := range parts {
		f.parts[p.name] = now[i]
		if now[i] != built[i] {
			f.stale = append(f.stale, p.name)
		}
	}
	return f, nil
}

// Stale reports whether the derived tables must be rebuilt before analyses run.
func Stale(ctx context.Context, c *store.Case) (bool, error) {
	f, err := currentFingerprint(ctx, c)
	return len(f.stale) > 0, err
}

// Prepare rebuilds the derived tables whose inputs changed: address_info
// (every address of the case with its scope, the most specific cloud range
// holding it — on the same prefix a specific service beats AMAZON, a range with
// a region beats one without, then names decide — its WHOIS network's org and
// ASN, or, without one, the AS of the imported ASN data — and the loaded
// threat-intel lists holding it), then
// case_flows (every flow seen from the focus, with direction and peer). It
// needs the case open for writing; it reports whether it rebuilt anything.
func Prepare(ctx context.Context, c *store.Case) (bool, error) {
	f, err := currentFingerprint(ctx, c)
	if err != nil {
		return false, err
	}
	return prepare(ctx, c, f)
}

func prepare(ctx context.Context, c *store.Case, f fingerprint) (bool, error) {
	todo := f.stale
	if len(todo) == 0 {
		return false, nil
	}
	if c.ReadOnly {
		return false, fmt.Errorf("queries: the case's derived tables (%s) are out of date and the case is open read-only", strings.Join(todo, ", "))
	}
	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("queries: enrich: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	for _, p := range parts {
		if !slices.Contains(todo, p.name) {
			continue
		}
		var steps []string
		switch p.name {
		case "address_info":
			steps = []string{`DELETE FROM address_info`, addressInfoSQL()}
		case "case_flows":
			steps = []string{`CREATE OR REPLACE TABLE case_flows AS SELECT * FROM case_flows_view`}
		}
		steps = append(steps,
			`DELETE FROM enrichment_state WHERE part = '`+p.name+`'`,
			`INSERT INTO enrichment_state VALUES ('`+p.name+`', '`+f.parts[p.name]+`', now()::TIMESTAMP)`)
		for _, q := range steps {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return false, fmt.Errorf("queries: build %s: %w", p.name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("queries: enrich: %w", err)
	}
	return true, nil
}

// addressInfoSQL fills address_info: every address of the case with its
// scope, cloud range, WHOIS network or AS, and the threat-intel lists
// holding it (intel: their names, sorted; empty when none does).
func addressInfoSQL() string {
	var special []string
	// The blocks that are not globally reachable: scope "private".
	for _, p := range store.SpecialPrefixes() {
		first, last := store.PrefixRange(p)
		special = append(special, fmt.Sprintf("(%s::UHUGEINT, %s::UHUGEINT)", first, last))
	}
	return `INSERT INTO address_info
		WITH a AS (
			SELECT addr, family, num FROM addresses
			UNION SELECT addr, family, num FROM focus_ips
		),
		special(first_num, last_num) AS (VALUES ` + strings.Join(special, ", ") + `),
		priv AS (SELECT DISTINCT a.addr FROM a JOIN special s ON a.num BETWEEN s.first_num AND s.last_num),
		internal AS (SELECT DISTINCT a.addr FROM a JOIN vpc_cidrs v ON a.num BETWEEN v.start_num AND v.end_num),
		-- Containment as an equality join: for every prefix length the ranges
		-- use, the address's network at that length is looked up directly (a
		-- range join of every address with every range is far slower).
		lengths AS (SELECT DISTINCT family, bits, CASE family WHEN 4 THEN 32 - bits ELSE 128 - bits END AS host_bits FROM cidr_ranges),
		networks AS (
			SELECT a.addr, a.family, l.bits,
				CASE WHEN l.host_bits >= 128 THEN 0::UHUGEINT ELSE (a.num >> l.host_bits::UTINYINT) << l.host_bits::UTINYINT END AS net
			FROM a JOIN lengths l ON l.family = a.family
		),
		cloud AS (
			SELECT n.addr, first({'provider': r.provider, 'service': r.service, 'region': r.region, 'prefix': r.prefix}
				ORDER BY r.bits DESC, coalesce(r.service, 'AMAZON') = 'AMAZON', r.region IS NULL, r.provider, r.service, r.region) AS best
			FROM networks n JOIN cidr_ranges r ON r.family = n.family AND r.bits = n.bits AND r.start_num = n.net
			GROUP BY n.addr
		),
		who AS (
			SELECT a.addr, arg_min({'org': w.org, 'asn': w.asn}, w.end_num - w.start_num) AS best
			FROM a JOIN whois w ON a.num BETWEEN w.start_num AND w.end_num
			GROUP BY a.addr
		),
		-- ASN ranges do not overlap: the range with the greatest start at or
		-- below the address is the only candidate (an as-of join, not a range join).
		asn AS (
			SELECT a.addr, r.asn, r.as_name
			FROM a ASOF JOIN asn_ranges r ON r.family = a.family AND a.num >= r.start_num
			WHERE a.num <= r.end_num
		),
		-- The threat-intel lists holding each address, found the same way as
		-- the cloud ranges: the address's network at every prefix length the
		-- lists use, looked up directly.
		intel_lengths AS (SELECT DISTINCT family, bits, CASE family WHEN 4 THEN 32 - bits ELSE 128 - bits END AS host_bits FROM intel_entries),
		intel_networks AS (
			SELECT a.addr, a.family, l.bits,
				CASE WHEN l.host_bits >= 128 THEN 0::UHUGEINT ELSE (a.num >> l.host_bits::UTINYINT) << l.host_bits::UTINYINT END AS net
			FROM a JOIN intel_lengths l ON l.family = a.family
		),
		intel AS (
			SELECT n.addr, list_sort(list_distinct(list(e.list))) AS lists
			FROM intel_networks n JOIN intel_entries e ON e.family = n.family AND e.bits = n.bits AND e.start_num = n.net
			GROUP BY n.addr
		),
		bare AS (SELECT (SELECT count(*) FROM focus_ips) + (SELECT count(*) FROM vpc_cidrs) = 0 AS yes)
		SELECT a.addr, a.family, a.num,
			CASE WHEN f.num IS NOT NULL THEN 'focus' WHEN i.addr IS NOT NULL THEN 'internal'
				WHEN p.addr IS NOT NULL THEN 'private' ELSE 'public' END,
			f.num IS NOT NULL OR i.addr IS NOT NULL OR (p.addr IS NOT NULL AND (SELECT yes FROM bare)),
			c.best.provider, c.best.service, c.best.region, c.best.prefix,
			coalesce(w.best.org, n.as_name), coalesce(w.best.asn, 'AS' || n.asn),
			coalesce(t.lists, []::VARCHAR[])
		FROM a
		LEFT JOIN (SELECT DISTINCT num FROM focus_ips) f ON f.num = a.num
		LEFT JOIN internal i ON i.addr = a.addr
		LEFT JOIN priv p ON p.addr = a.addr
		LEFT JOIN cloud c ON c.addr = a.addr
		LEFT JOIN who w ON w.addr = a.addr
		LEFT JOIN asn n ON n.addr = a.addr
		LEFT JOIN intel t ON t.addr = a.addr`
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
