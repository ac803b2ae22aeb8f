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

// Example is a statement to show an analyst what the case's SQL looks like.
type Example struct {
	Name  string `json:"name"` // stable, for the faces to pick one
	Title string `json:"title"`
	SQL   string `json:"sql"`
}

// Examples are the example statements, each one line that runs on any case.
func Examples() []Example {
	return []Example{
		{Name: "actions", Title: "Records by action", SQL: "SELECT action, count(*) FROM flows GROUP BY ALL"},
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
