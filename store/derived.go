package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The derived tables are what analyses read besides the records:
// address_info (every address of the case with its scope, cloud range,
// WHOIS network or AS, and threat-intel lists), case_flows (every flow
// seen from the focus, with direction and peer), case_flow_hours (those
// flows rolled up per hour, peer, direction, action and service port),
// case_interface_minutes (every interface's records rolled up per minute),
// case_service_halves (every TCP and UDP record rolled up per half hour,
// endpoints and service port, as a request or an answer) and
// case_conversations (those flows paired into conversations, per hour,
// and case_conversation_totals for the whole case). They are kept up to
// date incrementally: when only flow records were added since a table was
// built, the records of the new files (their new addresses, the hours they
// fall in) are added to it alone, so an ingest pays for its files, not for
// the case. A table is rebuilt in full when anything else it is built from
// changed: the focus, the VPC blocks, the enrichment snapshots, WHOIS
// answers, its definition, or records that went away.

// recordsInputs are what the records part of a fingerprint is made of: the
// addresses, the last file and the records.
const recordsInputs = `concat_ws('|',
	(SELECT count(*) FROM addresses),
	(SELECT coalesce(max(id), 0) FROM ingest_files),
	(SELECT count(*) FROM flow_records))`

// flowsContext is what case_flows is built from besides the records: the
// focus and the VPC blocks, which decide every address's scope.
const flowsContext = `concat_ws('|',
	(SELECT coalesce(string_agg(addr, ',' ORDER BY addr), '') FROM focus_ips),
	(SELECT coalesce(string_agg(cidr, ',' ORDER BY cidr), '') FROM vpc_cidrs))`

// infoContext adds what address_info also uses: the enrichment.
const infoContext = `concat_ws('|', ` + flowsContext + `,
	(SELECT coalesce(string_agg(sha256, ',' ORDER BY provider), '') FROM cidr_snapshots),
	(SELECT coalesce(string_agg(sha256, ','), '') FROM asn_snapshots),
	(SELECT coalesce(string_agg(name || '=' || sha256, ',' ORDER BY name), '') FROM intel_snapshots),
	(SELECT count(*) || '@' || coalesce(max(fetched_at)::VARCHAR, '') FROM whois))`

// derivedTable is one derived table: what it is built from besides the
// records (its definition included, so a case built by an older one is
// rebuilt), and how to add to it what it lacks: the rows of the records of
// the files after a file (-1: every file).
type derivedTable struct {
	name    string
	context string
	add     func(ctx context.Context, tx *sql.Tx, after int64) error
}

// exec is a derived table's add made of one statement, given after as $1
// when it takes it.
func exec(stmt string, byFile bool) func(context.Context, *sql.Tx, int64) error {
	return func(ctx context.Context, tx *sql.Tx, after int64) error {
		var args []any
		if byFile {
			args = append(args, after)
		}
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	}
}

// derivedTables in build order: case_flows reads address_info's scopes,
// case_flow_hours and case_conversations read case_flows.
var derivedTables = func() []derivedTable {
	info := addressInfoSQL()
	flows := `INSERT INTO case_flows SELECT * FROM case_flows_view WHERE file_id > $1`
	minutes := `INSERT INTO case_interface_minutes SELECT * FROM interface_minutes_of($1, '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)`
	return []derivedTable{
		{"address_info", "concat_ws('|', " + infoContext + ", '" + definition(info) + "')", exec(info, false)},
		{"case_flows", "concat_ws('|', " + flowsContext + ", '" + definition(flows) + "')", exec(flows, true)},
		{"case_flow_hours", "concat_ws('|', " + flowsContext + ", " + macrosAsOf(15) + ", '" + definition(flowHoursSQL+flowTotalsSQL) + "')", flowHours.build},
		{"case_interface_minutes", "concat_ws('|', " + macrosAsOf(15) + ", '" + definition(minutes) + "')", exec(minutes, true)},
		{"case_service_halves", "concat_ws('|', " + macrosAsOf(15) + ", '" + definition(serviceHalvesSQL) + "')", serviceHalves.build},
		{"case_conversations", "concat_ws('|', " + flowsContext + ", " + conversationsContext + ", '" + definition(conversationsSQL+conversationTotalsSQL(true)) + "')", addConversations},
	}
}()

// macrosAsOf stands for the macros a table is built with, which
// migrations define (conversation_hours, flow_hours_of): the schema's
// version up to the last migration that changed them, so that a later
// migration rebuilds only the tables whose macros it changes; it raises
// their version here. (Reading a macro's text from the catalog would cost
// every page of the workbench 12 ms.)
func macrosAsOf(version int) string {
	return fmt.Sprintf(`(SELECT max(version) FROM schema_migrations WHERE version <= %d)`, version)
}

// serviceHalvesSQL adds the rolled-up halves of the files after $1.
const serviceHalvesSQL = `INSERT INTO case_service_halves SELECT * FROM service_halves_of($1, '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)`

// flowHoursSQL rolls up the records of the files after $1, and
// flowTotalsSQL regroups rolled-up flows without the hour (by every column
// but the sums).
const (
	flowHoursSQL  = `CREATE OR REPLACE TEMP TABLE new_flow_hours AS SELECT * FROM flow_hours_of($1, '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)`
	flowTotalsSQL = `SELECT * EXCLUDE (flows, packets, bytes, first_seen, last_seen),
		sum(flows)::BIGINT, sum(packets)::BIGINT, sum(bytes)::BIGINT, min(first_seen), max(last_seen)
		FROM %s GROUP BY ALL`
)

// A rollup is a rolled-up table that ingest keeps only where it rolls up
// (migration 0015): flag is the macro that says whether it is kept, worth
// the one that says whether the records of the files after a file roll up
// to less than half their number, tables what it keeps, and add adds the
// rows of the files after a file (-1: every file) to them.
type rollup struct {
	flag, worth string
	tables      []string
	add         func(ctx context.Context, tx *sql.Tx, after int64) error
}

var (
	flowHours     = rollup{"flow_hours_kept", "flow_hours_worth", []string{"case_flow_hours", "case_flow_totals"}, addFlowHours}
	serviceHalves = rollup{"service_halves_kept", "service_halves_worth", []string{"case_service_halves"},
		exec(serviceHalvesSQL, true)}
)

// build brings the rollup up to date with the files after after: a full
// build keeps it where the case's records roll up; a kept one has the new
// files' rows added (it stays kept); one not kept is looked at again when
// the new files' records roll up, and built in full when the case's now do.
// What is paid where it is not kept is an estimate over the new files.
func (r rollup) build(ctx context.Context, tx *sql.Tx, after int64) error {
	var kept bool
	if err := tx.QueryRowContext(ctx, `SELECT `+r.flag+`()`).Scan(&kept); err != nil {
		return err
	}
	worth := func(after int64) (bool, error) {
		var ok bool
		err := tx.QueryRowContext(ctx, `SELECT worth FROM `+r.worth+`($1)`, after).Scan(&ok)
		return ok, err
	}
	if after >= 0 && kept {
		return r.add(ctx, tx, after)
	}
	if after >= 0 {
		if ok, err := worth(after); err != nil || !ok {
			return err
		}
	}
	keep, err := worth(-1)
	if err != nil {
		return err
	}
	for _, t := range r.tables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return err
		}
	}
	if keep != kept {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE MACRO %s() AS %t`, r.flag, keep)); err != nil {
			return err
		}
	}
	if !keep {
		return nil
	}
	return r.add(ctx, tx, -1)
}

// addFlowHours adds the rolled-up flows of the files after after to
// case_flow_hours and case_flow_totals, and regroups the totals once they
// hold more than twice the rows they need: each ingest adds a row for
// every peer, port and action it saw, and regrouping costs the totals, not
// the case, so it is done rarely.
func addFlowHours(ctx context.Context, tx *sql.Tx, after int64) error {
	exec := func(stmts ...string) error {
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, flowHoursSQL, after); err != nil {
		return err
	}
	err := exec(`INSERT INTO case_flow_hours SELECT * FROM new_flow_hours`,
		`INSERT INTO case_flow_totals `+fmt.Sprintf(flowTotalsSQL, `(SELECT * EXCLUDE (hour) FROM new_flow_hours)`),
		`DROP TABLE new_flow_hours`)
	if err != nil {
		return err
	}
	var regroup bool
	err = tx.QueryRowContext(ctx, `SELECT count(*) > 2 * count(DISTINCT hash(*COLUMNS(* EXCLUDE (flows, packets, bytes, first_seen, last_seen))))
		FROM case_flow_totals`).Scan(&regroup)
	if err != nil || !regroup {
		return err
	}
	return exec(`CREATE OR REPLACE TEMP TABLE flow_totals_regrouped AS `+fmt.Sprintf(flowTotalsSQL, `case_flow_totals`),
		`DELETE FROM case_flow_totals`,
		`INSERT INTO case_flow_totals SELECT * FROM flow_totals_regrouped`,
		`DROP TABLE flow_totals_regrouped`)
}

// conversationsContext is what case_conversations is built from besides the
// flows: the service ports the case knows (a port's kind decides the server
// side) and the conversation_hours macro.
var conversationsContext = `(SELECT coalesce(string_agg(port::VARCHAR, ',' ORDER BY port), '') FROM ref_ports), ` + macrosAsOf(14)

// conversationsSQL recomputes the conversations of the hours from $1 to $2.
const conversationsSQL = `INSERT INTO case_conversations SELECT * FROM conversation_hours($1::TIMESTAMP, $2::TIMESTAMP + INTERVAL 1 HOUR - INTERVAL 1 MICROSECOND)`

// conversationKey is what a conversation is (NULL ports made comparable),
// and inConversationKeys keeps the conversations of conversation_keys.
const (
	conversationKey    = `client, server, coalesce(server_port, -1) AS port, protocol, direction`
	inConversationKeys = `(client, server, coalesce(server_port, -1), protocol, direction) IN (SELECT (client, server, port, protocol, direction) FROM conversation_keys)`
)

// conversationTotalsSQL adds to case_conversation_totals the whole-case
// conversations of case_conversations, those of the keys in
// conversation_keys when keyed.
func conversationTotalsSQL(keyed bool) string {
	where := ""
	if keyed {
		where = ` WHERE ` + inConversationKeys
	}
	return `INSERT INTO case_conversation_totals
		SELECT client, server, server_port, protocol, direction,
			sum(sessions), sum(flows), sum(bytes_to_server), sum(bytes_to_client),
			sum(packets_to_server), sum(packets_to_client), sum(rejected), min(first_seen), max(last_seen)
		FROM case_conversations` + where + `
		GROUP BY client, server, server_port, protocol, direction`
}

// addConversations recomputes the conversations of every hour the records
// of the files after after start in (conversations are paired within the
// hour, and an hour's records may come from many files: an S3 tree writes
// one object per interface every few minutes), and the whole-case totals:
// in full when those hours are all the case has (a first ingest), else
// only those of the conversations the hours held before or hold now.
func addConversations(ctx context.Context, tx *sql.Tx, after int64) error {
	exec := func(stmt string, args ...any) error {
		_, err := tx.ExecContext(ctx, stmt, args...)
		return err
	}
	var first, last sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT date_trunc('hour', min(start)), date_trunc('hour', max(start)) FROM case_flows WHERE file_id > $1`, after).Scan(&first, &last)
	if err != nil {
		return err
	}
	var others bool // conversations of other hours
	err = tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM case_conversations WHERE $1::TIMESTAMP IS NULL OR hour < $1 OR hour > $2`, first, last).Scan(&others)
	if err != nil {
		return err
	}
	switch {
	case !first.Valid && others:
		return nil // no new records
	case !others:
		// Every hour, and the totals in full.
		for _, stmt := range []string{`DELETE FROM case_conversation_totals`, `DELETE FROM case_conversations`} {
			if err := exec(stmt); err != nil {
				return err
			}
		}
		if !first.Valid {
			return nil
		}
		if err := pairHours(ctx, tx, first.Time, last.Time); err != nil {
			return err
		}
		return keepTotals(ctx, tx)
	}
	var kept bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM case_conversation_totals)`).Scan(&kept); err != nil {
		return err
	}
	keys := `SELECT DISTINCT ` + conversationKey + ` FROM case_conversations WHERE hour BETWEEN $1 AND $2`
	if kept {
		if err := exec(`CREATE OR REPLACE TEMP TABLE conversation_keys AS `+keys, first.Time, last.Time); err != nil {
			return err
		}
	}
	if err := exec(`DELETE FROM case_conversations WHERE hour BETWEEN $1 AND $2`, first.Time, last.Time); err != nil {
		return err
	}
	if err := pairHours(ctx, tx, first.Time, last.Time); err != nil {
		return err
	}
	if !kept {
		// Not worth keeping when the case was smaller (its first hour:
		// every conversation one hour long) need not hold now.
		return keepTotals(ctx, tx)
	}
	if err := exec(`INSERT INTO conversation_keys `+keys, first.Time, last.Time); err != nil {
		return err
	}
	for _, stmt := range []string{`DELETE FROM case_conversation_totals WHERE ` + inConversationKeys, conversationTotalsSQL(true), `DROP TABLE conversation_keys`} {
		if err := exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// keepTotals builds case_conversation_totals in full, where they save
// reading the hours: where most conversations last more than an hour.
// Where most last one (scanners: one probe a port), they would be the
// hours again, and are not kept: the analysis reads the hours when the
// totals are empty.
func keepTotals(ctx context.Context, tx *sql.Tx) error {
	var worth bool
	err := tx.QueryRowContext(ctx, `SELECT count(*) > 2 * approx_count_distinct(hash(client, server, server_port, protocol, direction)) FROM case_conversations`).Scan(&worth)
	if err != nil || !worth {
		return err
	}
	_, err = tx.ExecContext(ctx, conversationTotalsSQL(false))
	return err
}

// pairHours adds to case_conversations the conversations of the hours from
// first to last, a run of hours at a time, which bounds the memory the
// pairing takes (5M records at once spill, and take twice as long).
func pairHours(ctx context.Context, tx *sql.Tx, first, last time.Time) error {
	chunks, err := hourChunks(ctx, tx, first, last)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if _, err := tx.ExecContext(ctx, conversationsSQL, c[0], c[1]); err != nil {
			return err
		}
	}
	return nil
}

// chunkRecords is about how many records of case_flows are paired into
// conversations at a time.
var chunkRecords int64 = 1_000_000

// hourChunks splits the hours from first to last into runs of whole hours
// holding about chunkRecords records each (an hour holding more is a run
// of its own): the first and last hour of each.
func hourChunks(ctx context.Context, tx *sql.Tx, first, last time.Time) ([][2]time.Time, error) {
	rows, err := tx.QueryContext(ctx, `SELECT date_trunc('hour', start) AS h, count(*) FROM case_flows
		WHERE start >= $1 AND start < $2::TIMESTAMP + INTERVAL 1 HOUR GROUP BY h ORDER BY h`, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var chunks [][2]time.Time
	var n int64
	for rows.Next() {
		var h time.Time
		var count int64
		if err := rows.Scan(&h, &count); err != nil {
			return nil, err
		}
		if len(chunks) == 0 || n+count > chunkRecords {
			chunks = append(chunks, [2]time.Time{h, h})
			n = 0
		}
		chunks[len(chunks)-1][1] = h
		n += count
	}
	return chunks, rows.Err()
}

// definition is a short fingerprint of a derived table's statement.
func definition(stmt string) string {
	sum := sha256.Sum256([]byte(stmt))
	return hex.EncodeToString(sum[:8])
}

// Derived is the state of the derived tables.
type Derived struct {
	// DataVersion fingerprints everything an analysis reads: the records and
	// address_info's context. A stored result is reused only for the same one.
	DataVersion string
	// Stale are the derived tables not up to date with the case, in build order.
	Stale []string
	// Built are the tables Derive brought up to date; Extended says which of
	// them only had the new files' rows added.
	Built, Extended []string
}

// derivedState is one table's state now and as built.
type derivedState struct {
	now, context        string // fingerprint and context now
	built, builtContext string // as built ("" when never)
	builtFile           int64  // the last file it holds the records of (-1: none)
	builtRecords        int64  // how many records the case held then
	stale               bool
}

// DerivedState reports whether the derived tables are up to date, and the
// data version. It only reads.
func (c *Case) DerivedState(ctx context.Context) (Derived, error) {
	st, _, err := derivedStates(ctx, c.DB)
	if err != nil {
		return Derived{}, err
	}
	return derivedOf(st), nil
}

func derivedOf(st []derivedState) Derived {
	d := Derived{DataVersion: st[0].now}
	for i, s := range st {
		if s.stale {
			d.Stale = append(d.Stale, derivedTables[i].name)
		}
	}
	return d
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// derivedStates reads every derived table's state, and the last file of
// the case, in one query.
func derivedStates(ctx context.Context, q queryer) ([]derivedState, int64, error) {
	cols := []string{recordsInputs, `(SELECT coalesce(max(id), 0) FROM ingest_files)`}
	for _, t := range derivedTables {
		state := func(col, none string) string {
			return fmt.Sprintf(`coalesce((SELECT %s FROM enrichment_state WHERE part = '%s'), %s)`, col, t.name, none)
		}
		cols = append(cols, "md5("+t.context+")", state("built_from", "''"), state("context", "''"),
			state("file_id", "-1"), state("records", "-1"))
	}
	var records string
	var last int64
	st := make([]derivedState, len(derivedTables))
	dest := []any{&records, &last}
	for i := range st {
		s := &st[i]
		dest = append(dest, &s.context, &s.built, &s.builtContext, &s.builtFile, &s.builtRecords)
	}
	if err := q.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")).Scan(dest...); err != nil {
		return nil, 0, fmt.Errorf("store: derived tables: %w", err)
	}
	for i := range st {
		s := &st[i]
		s.now = fingerprintOf(s.context, records)
		s.stale = s.now != s.built
	}
	return st, last, nil
}

// extendable reports whether only records were added since the table was
// built: the same context, and every record it lacks is of a later file
// (the files it holds still hold what they held). Counting the later
// files' records reads only their row groups: file ids grow with the rows.
func (s derivedState) extendable(ctx context.Context, q queryer) (bool, error) {
	if s.builtContext != s.context || s.builtFile < 0 {
		return false, nil
	}
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_records WHERE file_id > $1) = (SELECT count(*) FROM flow_records) - $2`,
		s.builtFile, s.builtRecords).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: derived tables: %w", err)
	}
	return ok, nil
}

// fingerprintOf is a table's fingerprint: its context and the records.
func fingerprintOf(context, records string) string {
	sum := sha256.Sum256([]byte(context + "|" + records))
	return hex.EncodeToString(sum[:16])
}

// Derive brings the derived tables up to date: it adds the rows of the new
// files where only records were added, and rebuilds a table in full
// otherwise. It needs the case open for writing when anything is stale.
func (c *Case) Derive(ctx context.Context) (Derived, error) {
	st, _, err := derivedStates(ctx, c.DB)
	if err != nil {
		return Derived{}, err
	}
	d := derivedOf(st)
	if len(d.Stale) == 0 {
		return d, nil
	}
	if c.ReadOnly {
		return d, fmt.Errorf("store: the case's derived tables (%s) are out of date and the case is open read-only", strings.Join(d.Stale, ", "))
	}
	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("store: derived tables: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	// Read again inside the transaction: what it builds is what it records.
	st, last, err := derivedStates(ctx, tx)
	if err != nil {
		return d, err
	}
	d = derivedOf(st)
	for i, t := range derivedTables {
		s := st[i]
		if !s.stale {
			continue
		}
		extend, err := s.extendable(ctx, tx)
		if err != nil {
			return d, err
		}
		after := int64(-1)
		if extend {
			after = s.builtFile
			d.Extended = append(d.Extended, t.name)
		} else if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
			return d, fmt.Errorf("store: rebuild %s: %w", t.name, err)
		}
		if err := t.add(ctx, tx, after); err != nil {
			return d, fmt.Errorf("store: build %s: %w", t.name, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO enrichment_state
			VALUES ($1, $2, now()::TIMESTAMP, $3, $4, (SELECT count(*) FROM flow_records))`,
			t.name, s.now, s.context, last)
		if err != nil {
			return d, fmt.Errorf("store: build %s: %w", t.name, err)
		}
		d.Built = append(d.Built, t.name)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("store: derived tables: %w", err)
	}
	d.Stale = nil
	return d, nil
}

// addressInfoSQL adds to address_info the addresses of the case it does not
// hold yet (all of them when it is empty), each with its scope, the most
// specific cloud range holding it — on the same prefix a specific service
// beats AMAZON, a range with a region beats one without, then names decide
// — its WHOIS network's org and ASN, or, without one, the AS of the imported
// ASN data, and the threat-intel lists holding it (intel: their names,
// sorted; empty when none does).
func addressInfoSQL() string {
	var special []string
	// The blocks that are not globally reachable: scope "private".
	for _, p := range SpecialPrefixes() {
		first, last := PrefixRange(p)
		special = append(special, fmt.Sprintf("(%s::UHUGEINT, %s::UHUGEINT)", first, last))
	}
	return `INSERT INTO address_info
		WITH a AS (
			SELECT x.addr, x.family, x.num FROM (
				SELECT addr, family, num FROM addresses
				UNION SELECT addr, family, num FROM focus_ips
			) x
			WHERE NOT EXISTS (SELECT 1 FROM address_info i WHERE i.addr = x.addr)
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
