package ingest

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// insertColumns maps a format's fields onto flow_records: each stored field
// to its column, the rest into one extra map. value gives the SQL expression
// of a field's value (nil when only the column names are wanted). The names
// come back unquoted; store.QuoteIdents quotes them for SQL.
func insertColumns(fields []Field, value func(Field) string) (cols, exprs []string) {
	var entries []string
	for _, f := range fields {
		if f.Stored() {
			cols = append(cols, f.Column())
			if value != nil {
				exprs = append(exprs, value(f))
			}
			continue
		}
		if value != nil {
			entries = append(entries, fmt.Sprintf("(%s, CAST(%s AS VARCHAR))", store.QuoteString(f.Column()), value(f)))
		}
	}
	if !hasExtra(fields) {
		return cols, exprs
	}
	cols = append(cols, "extra")
	if value != nil {
		list := fmt.Sprintf("list_filter([%s], e -> e[2] IS NOT NULL)", strings.Join(entries, ", "))
		exprs = append(exprs, fmt.Sprintf("CASE WHEN len(%s) > 0 THEN map_from_entries(%s) END", list, list))
	}
	return cols, exprs
}

func hasExtra(fields []Field) bool {
	for _, f := range fields {
		if !f.Stored() {
			return true
		}
	}
	return false
}

// appendRow lays out one parsed record for the appender, in the order of
// insertColumns, with the file id last.
func appendRow(fields []Field, vals []any, fileID int64) []driver.Value {
	row := make([]driver.Value, 0, len(fields)+2)
	var extra *duckdb.OrderedMap
	for i, f := range fields {
		if f.Stored() {
			row = append(row, vals[i])
			continue
		}
		if vals[i] == nil {
			continue
		}
		if extra == nil {
			extra = &duckdb.OrderedMap{}
		}
		extra.Set(f.Column(), text(vals[i]))
	}
	if hasExtra(fields) {
		if extra == nil {
			row = append(row, nil)
		} else {
			row = append(row, *extra)
		}
	}
	return append(row, int32(fileID))
}

// text renders a parsed value of a field kept in the extra map.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}
