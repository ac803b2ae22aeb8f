package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNoChange, returned by the function given to InTx, rolls the
// transaction back and makes InTx return nil: there was nothing to write.
var ErrNoChange = errors.New("store: nothing to change")

// InTx runs fn inside one transaction on one connection of the case (a
// connection, not a sql.Tx, so that fn can use the DuckDB appender through
// conn.Raw). The transaction commits when fn returns nil and rolls back
// otherwise: all of fn's writes land, or none do.
func (c *Case) InTx(ctx context.Context, fn func(conn *sql.Conn) error) (err error) {
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(conn); err != nil {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && !errors.Is(err, ErrNoChange) {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rerr))
		}
		if errors.Is(err, ErrNoChange) {
			return nil
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
