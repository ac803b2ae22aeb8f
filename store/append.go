package store

import (
	"database/sql"
	"database/sql/driver"

	"github.com/duckdb/duckdb-go/v2"
)

// WithAppender runs fn with DuckDB's appender for the columns cols of table
// on conn (inside the caller's transaction, see InTx): the fast way to
// write many rows. The appender is flushed when fn returns nil and dropped
// otherwise.
func WithAppender(conn *sql.Conn, table string, cols []string, fn func(*duckdb.Appender) error) error {
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderWithColumns(dc.(driver.Conn), "", "", table, cols)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			a.Close()
			return err
		}
		return a.Close()
	})
}
