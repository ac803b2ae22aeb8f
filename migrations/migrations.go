// Package migrations holds the case file's schema as numbered SQL steps and
// the small runner that applies them.
//
// Each step is a file NNNN_name.sql embedded in the binary. Steps run in
// order, each in its own transaction, and every applied step is recorded in
// schema_migrations, so a case file always says which schema it carries.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
)

//go:embed *.sql
var files embed.FS

// Step is one schema migration.
type Step struct {
	Version int
	Name    string
	SQL     string
}

// ErrTooNew is returned when a case file carries a schema newer than this
// binary knows: it was written by a later release.
var ErrTooNew = errors.New("migrations: case schema is newer than this program")

var stepName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Steps returns every embedded step in version order. It fails when a file is
// misnamed or two files share a version.
func Steps() ([]Step, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var steps []Step
	for _, e := range entries {
		m := stepName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: %s: name must be NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(files, path.Join(".", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		steps = append(steps, Step{Version: v, Name: m[2], SQL: string(body)})
	}
	slices.SortFunc(steps, func(a, b Step) int { return a.Version - b.Version })
	for i := 1; i < len(steps); i++ {
		if steps[i].Version == steps[i-1].Version {
			return nil, fmt.Errorf("migrations: two steps with version %04d", steps[i].Version)
		}
	}
	return steps, nil
}

// Latest is the schema version this binary writes.
func Latest() int {
	steps, err := Steps()
	if err != nil || len(steps) == 0 {
		return 0
	}
	return steps[len(steps)-1].Version
}

const versionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       VARCHAR NOT NULL,
	applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
)`

// Current reports the highest applied version, 0 for an empty database.
func Current(ctx context.Context, db *sql.DB) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx,
		`SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'schema_migrations' AND schema_name = 'main'`,
	).Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrations: read version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("migrations: read version: %w", err)
	}
	return int(v.Int64), nil
}

// Check reports whether db is at the latest version, without changing it.
// It returns the current version; err wraps ErrTooNew when the file is newer.
func Check(ctx context.Context, db *sql.DB) (current int, err error) {
	current, err = Current(ctx, db)
	if err != nil {
		return 0, err
	}
	if latest := Latest(); current > latest {
		return current, fmt.Errorf("%w (file has schema %d, this program knows up to %d): upgrade investigator", ErrTooNew, current, latest)
	}
	return current, nil
}

// Apply brings db up to the latest version, one transaction per step, and
// checkpoints afterwards so the file on disk carries the new schema.
func Apply(ctx context.Context, db *sql.DB) (applied int, err error) {
	current, err := Check(ctx, db)
	if err != nil {
		return 0, err
	}
	steps, err := Steps()
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, versionTable); err != nil {
		return 0, fmt.Errorf("migrations: create version table: %w", err)
	}
	for _, s := range steps {
		if s.Version <= current {
			continue
		}
		if err := applyStep(ctx, db, s); err != nil {
			return applied, err
		}
		applied++
	}
	if applied > 0 {
		if _, err := db.ExecContext(ctx, `CHECKPOINT`); err != nil {
			return applied, fmt.Errorf("migrations: checkpoint: %w", err)
		}
	}
	return applied, nil
}

func applyStep(ctx context.Context, db *sql.DB, s Step) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations: %04d_%s: %w", s.Version, s.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if _, err := tx.ExecContext(ctx, s.SQL); err != nil {
		return fmt.Errorf("migrations: %04d_%s: %w", s.Version, s.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, s.Version, s.Name); err != nil {
		return fmt.Errorf("migrations: %04d_%s: record: %w", s.Version, s.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrations: %04d_%s: commit: %w", s.Version, s.Name, err)
	}
	return nil
}
