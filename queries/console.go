package queries

import (
	"context"
	"fmt"

	"github.com/investigator/investigator/store"
)

// TableInfo is a table or view of a case.
type TableInfo struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // BASE TABLE or VIEW, as information_schema says
}

// Tables lists the case's tables and views, by name.
func Tables(ctx context.Context, c *store.Case) ([]TableInfo, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("queries: tables: %w", err)
	}
	defer rows.Close()
	out := []TableInfo{}
	for rows.Next() {
		var t TableInfo
		if err := rows.Scan(&t.Name, &t.Kind); err != nil {
			return nil, fmt.Errorf("queries: tables: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: tables: %w", err)
	}
	return out, nil
}

// SchemaColumn is a column of a table or view, with its type as the engine
// names it (BIGINT, TIMESTAMP, ENUM('ACCEPT', 'REJECT')).
type SchemaColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TableSchema is a table or view of a case and its columns, in order. About
// says what it holds, for the tables an analyst queries ("" for the rest).
type TableSchema struct {
	TableInfo
	About   string         `json:"about,omitempty"`
	Columns []SchemaColumn `json:"columns"`
}

// tableAbout is what the tables an analyst starts from hold.
var tableAbout = map[string]string{
	"flows":         "Every flow record, one typed column per field (NULL where the source had none). Start here.",
	"case_flows":    "The records seen from the focus: src_ip, dst_ip, their scopes, direction, peer_ip, local_ip (a derived table).",
	"address_info":  "Every address of the case: scope, cloud provider and range, org and ASN, threat-intel lists (a derived table).",
	"ingest_files":  "The manifest: every file or object ingested, its source, shape, checksum and counts.",
	"rejects":       "The lines that did not parse, with their source, line number and reason.",
	"focus_ips":     "The addresses the case is about, and where each was learned.",
	"vpc_cidrs":     "The VPC's CIDR blocks: what is internal.",
	"cidr_ranges":   "Cloud-provider ranges loaded into the case.",
	"whois":         "WHOIS answers: one row per looked-up network.",
	"analysis_runs": "Every stored analysis run: name, version, SQL hash, parameters, rows.",
	"findings":      "The investigation's findings.",
	"notes":         "Notes on addresses, rows, findings and filters.",
	"case_log":      "Every change to the record, with its analyst.",
}

// Schema lists the case's tables and views (by name) with their columns and
// types, as the console shows them.
func Schema(ctx context.Context, c *store.Case) ([]TableSchema, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT t.table_name, t.table_type, col.column_name, col.data_type
		FROM information_schema.tables t
		JOIN information_schema.columns col USING (table_catalog, table_schema, table_name)
		WHERE t.table_schema = 'main' AND t.table_catalog = current_database()
		ORDER BY t.table_name, col.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("queries: schema: %w", err)
	}
	defer rows.Close()
	out := []TableSchema{}
	for rows.Next() {
		var t TableInfo
		var col SchemaColumn
		if err := rows.Scan(&t.Name, &t.Kind, &col.Name, &col.Type); err != nil {
			return nil, fmt.Errorf("queries: schema: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Name != t.Name {
			out = append(out, TableSchema{TableInfo: t, About: tableAbout[t.Name]})
		}
		last := &out[len(out)-1]
		last.Columns = append(last.Columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: schema: %w", err)
	}
	return out, nil
}

// Example is a statement to show an analyst what the case's SQL looks like.
type Example struct {
	Name  string `json:"name"` // stable, for the faces to pick one
	Title string `json:"title"`
	SQL   string `json:"sql"`
}

// Examples are the example statements an analyst can start from, each one
// line that runs on any case.
func Examples() []Example {
	return []Example{
		{Name: "actions", Title: "Records by action", SQL: "SELECT action, count(*) FROM flows GROUP BY ALL"},
		{Name: "hours", Title: "Records and bytes by hour", SQL: "SELECT date_trunc('hour', start) AS hour, count(*) AS flows, sum(bytes) AS bytes FROM flows GROUP BY ALL ORDER BY hour"},
		{Name: "peers", Title: "The focus's peers by bytes", SQL: "SELECT peer_ip, direction, count(*) AS flows, sum(bytes) AS bytes, min(start) AS first_seen, max(\"end\") AS last_seen FROM case_flows GROUP BY ALL ORDER BY bytes DESC LIMIT 50"},
		{Name: "rejected-ports", Title: "Ports rejected most", SQL: "SELECT dstport, protocol, count(*) AS flows, count(DISTINCT srcaddr) AS sources FROM flows WHERE action = 'REJECT' GROUP BY ALL ORDER BY flows DESC LIMIT 50"},
		{Name: "orgs", Title: "Who the peers are", SQL: "SELECT org, asn, provider, count(*) AS addresses FROM address_info WHERE NOT local GROUP BY ALL ORDER BY addresses DESC LIMIT 50"},
		{Name: "runs", Title: "Stored analysis runs", SQL: "SELECT run_id, analysis, version, started_at, row_count FROM analysis_runs ORDER BY started_at DESC"},
		{Name: "ranges", Title: "Cloud ranges by provider", SQL: "SELECT provider, count(*) FROM cidr_ranges GROUP BY ALL"},
		{Name: "rejects", Title: "Lines that did not parse", SQL: "SELECT * FROM rejects"},
	}
}

// ExampleSQL is the statement of the example called name ("" when there is none).
func ExampleSQL(name string) string {
	for _, e := range Examples() {
		if e.Name == name {
			return e.SQL
		}
	}
	return ""
}

// Sandbox readies a read-only case for statements an analyst types: one
// connection, so the settings hold for every statement, with no access to
// files or the network and the configuration locked against a SET.
func Sandbox(ctx context.Context, c *store.Case) error {
	c.DB.SetMaxOpenConns(1)
	for _, q := range []string{`SET enable_external_access = false`, `SET lock_configuration = true`} {
		if _, err := c.DB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("queries: sandbox: %s: %w", q, err)
		}
	}
	return nil
}
