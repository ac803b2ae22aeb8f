package demo

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// writeText writes the records of recs listed in order as a gzip text
// object: the header line, then one line per record.
func writeText(name string, enc *encoder, recs []record, order []sortKey) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: %w", cerr)
		}
	}()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	line := enc.header()
	for _, k := range order {
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("demo: write %s: %w", name, err)
		}
		line = enc.appendRecord(line[:0], &recs[k.pos])
	}
	if _, err := bw.Write(line); err != nil {
		return fmt.Errorf("demo: write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demo: write %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("demo: write %s: %w", name, err)
	}
	return nil
}

// writeParquet writes the records of recs listed in order as a Parquet object with AWS's schema for the
// flow log's fields (underscore column names; INT32 for version, ports,
// protocol, tcp_flags and traffic_path; INT64 for packets, bytes, start and
// end; strings otherwise; NULL where a text record has "-"), using an
// in-memory DuckDB.
func writeParquet(ctx context.Context, name string, enc *encoder, recs []record, order []sortKey) (err error) {
	db, err := sql.Open("duckdb", "?threads=1&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		return fmt.Errorf("demo: open duckdb: %w", err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: close duckdb: %w", cerr)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("demo: open duckdb: %w", err)
	}
	defer conn.Close()

	cols := make([]string, len(enc.fields))
	for i, f := range enc.fields {
		typ := "VARCHAR"
		switch f.spec().kind {
		case kindInt32:
			typ = "INTEGER"
		case kindInt64:
			typ = "BIGINT"
		}
		cols[i] = store.QuoteIdent(f.spec().column) + " " + typ
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE flows ("+strings.Join(cols, ", ")+")"); err != nil {
		return fmt.Errorf("demo: create parquet table: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("not a driver connection")
		}
		app, err := duckdb.NewAppenderFromConn(dconn, "", "flows")
		if err != nil {
			return err
		}
		row := make([]driver.Value, len(enc.fields))
		var buf []byte
		for _, k := range order {
			for j, f := range enc.fields {
				buf = enc.appendField(buf[:0], f, &recs[k.pos])
				if row[j], err = parquetValue(f, buf); err != nil {
					return err
				}
			}
			if err := app.AppendRow(row...); err != nil {
				return errors.Join(err, app.Close())
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("demo: append parquet rows: %w", err)
	}
	copySQL := "COPY flows TO '" + strings.ReplaceAll(name, "'", "''") + "' (FORMAT parquet, COMPRESSION gzip)"
	if _, err := conn.ExecContext(ctx, copySQL); err != nil {
		return fmt.Errorf("demo: write %s: %w", name, err)
	}
	return nil
}

// parquetValue converts the text form of a field to its Parquet value.
func parquetValue(f field, text []byte) (driver.Value, error) {
	if string(text) == "-" {
		return nil, nil
	}
	switch f.spec().kind {
	case kindInt32:
		v, err := strconv.ParseInt(string(text), 10, 32)
		return int32(v), err
	case kindInt64:
		return strconv.ParseInt(string(text), 10, 64)
	}
	return string(text), nil
}
