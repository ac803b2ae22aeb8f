package store

import "strings"

// QuoteIdent quotes an SQL identifier: "name", a double quote doubled. The
// rule is standard SQL's, so it holds for DuckDB and for Athena (Trino) alike.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteIdents quotes each name (QuoteIdent) and joins them with ", ": a
// column list.
func QuoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// QuoteString quotes an SQL string literal: 'text', a single quote doubled.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Nullable is s as a value to bind or append: NULL when it is empty.
func Nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
