package migrations

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func memDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStepsAreNumberedFromOne(t *testing.T) {
	steps, err := Steps()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		if s.Version != i+1 {
			t.Fatalf("step %d has version %d: versions must run 1, 2, 3 ... without gaps", i, s.Version)
		}
	}
	if Latest() != len(steps) {
		t.Fatalf("Latest() = %d with %d steps", Latest(), len(steps))
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := memDB(t)
	n, err := Apply(ctx, db)
	if err != nil || n != Latest() {
		t.Fatalf("first apply: %d, %v", n, err)
	}
	n, err = Apply(ctx, db)
	if err != nil || n != 0 {
		t.Fatalf("second apply: %d, %v", n, err)
	}
	if v, _ := Current(ctx, db); v != Latest() {
		t.Fatalf("current = %d", v)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	db := memDB(t)
	if _, err := Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, 'from_the_future')`, Latest()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, db); !errors.Is(err, ErrTooNew) {
		t.Fatalf("apply over a newer schema: %v", err)
	}
}

func TestFailedStepRollsBack(t *testing.T) {
	ctx := context.Background()
	db := memDB(t)
	if _, err := db.Exec(versionTable); err != nil {
		t.Fatal(err)
	}
	err := applyStep(ctx, db, Step{Version: 1, Name: "broken", SQL: `CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table`})
	if err == nil {
		t.Fatal("a broken step applied")
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half'`).Scan(&n)
	if n != 0 {
		t.Fatal("the broken step's first statement survived")
	}
	if v, _ := Current(ctx, db); v != 0 {
		t.Fatalf("version recorded for a failed step: %d", v)
	}
}
