package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func TestInTx(t *testing.T) {
	ctx := context.Background()
	c, err := Create(ctx, filepath.Join(t.TempDir(), "tx.duckdb"), "tx", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	insert := func(conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `INSERT INTO rejects VALUES (1, 1, 'r', 'x')`)
		return err
	}
	count := func() int {
		var n int
		c.DB.QueryRow(`SELECT count(*) FROM rejects`).Scan(&n)
		return n
	}
	boom := errors.New("boom")
	if err := c.InTx(ctx, func(conn *sql.Conn) error { insert(conn); return boom }); !errors.Is(err, boom) || count() != 0 {
		t.Fatalf("failed fn: err %v, %d rows kept", err, count())
	}
	if err := c.InTx(ctx, func(conn *sql.Conn) error { insert(conn); return ErrNoChange }); err != nil || count() != 0 {
		t.Fatalf("no change: err %v, %d rows kept", err, count())
	}
	if err := c.InTx(ctx, insert); err != nil || count() != 1 {
		t.Fatalf("commit: err %v, %d rows", err, count())
	}
}
