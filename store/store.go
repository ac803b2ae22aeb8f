// Package store opens case files: one DuckDB file per investigation.
//
// A case file is plain DuckDB. Every connection gets the same engine settings:
// no extension downloads (the tool works offline), a storage version that the
// 1.4 LTS duckdb shell can still open, and bounded memory. DuckDB lets one
// process write a file and excludes every other process while it does, so
// writers hold a case only for as long as they write, and an open that finds
// the case locked waits a little, then says who holds it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the database/sql driver "duckdb"

	"github.com/investigator/investigator/migrations"
)

// StorageVersion is the oldest DuckDB release whose shell must open our files.
const StorageVersion = "v1.4.0"

// Options control how a case is opened.
type Options struct {
	// ReadOnly opens without taking the write lock; other readers may share it.
	ReadOnly bool
	// Wait is how long to keep retrying while another process holds the case.
	Wait time.Duration
	// MemoryLimit for the engine, e.g. "2GB"; empty uses INVESTIGATOR_MEMORY_LIMIT or DefaultMemoryLimit.
	MemoryLimit string
	// Threads for the engine; 0 uses the number of CPUs.
	Threads int
}

// DefaultMemoryLimit keeps a laptop responsive while ingesting millions of records.
const DefaultMemoryLimit = "1536MB"

// DefaultWait is how long a command waits for a case another process holds.
const DefaultWait = 5 * time.Second

// Case is an open case file.
type Case struct {
	Name     string
	Path     string
	DB       *sql.DB
	ReadOnly bool
}

// ErrNotFound is returned when a case file does not exist.
var ErrNotFound = errors.New("store: case not found")

// ErrExists is returned when creating a case that already exists.
var ErrExists = errors.New("store: case already exists")

// ErrLocked is wrapped by *LockedError.
var ErrLocked = errors.New("store: case is in use by another process")

// LockedError says which process holds a case.
type LockedError struct {
	Path    string
	PID     int    // 0 when DuckDB did not say
	Program string // the holder's executable, when DuckDB said
	Waited  time.Duration
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID != 0 {
		prog := e.Program
		if i := strings.LastIndexByte(prog, '/'); i >= 0 {
			prog = prog[i+1:]
		}
		who = fmt.Sprintf("process %d", e.PID)
		if prog != "" {
			who = fmt.Sprintf("process %d (%s)", e.PID, prog)
		}
	}
	return fmt.Sprintf("case %s is in use by %s; waited %s. Wait for that ingest to finish, or stop the program holding it, and try again (--wait sets how long to wait)",
		e.Path, who, e.Waited.Round(time.Millisecond))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// UserMessage is the error's text, which is written for people.
func (e *LockedError) UserMessage() string { return e.Error() }

var lockHolder = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

func lockError(path string, err error, waited time.Duration) (*LockedError, bool) {
	msg := err.Error()
	le := &LockedError{Path: path, Waited: waited}
	if strings.Contains(msg, "different configuration than existing connections") ||
		strings.Contains(msg, "Unique file handle conflict") {
		// This process holds the case already, one handle writing and the
		// other asking to read (or the reverse), or two handles opening or
		// closing it at once: DuckDB refuses at once instead of with a file
		// lock, but it is the same wait.
		le.PID = os.Getpid()
		le.Program = "this program"
		return le, true
	}
	if !strings.Contains(msg, "Could not set lock on file") {
		return nil, false
	}
	if m := lockHolder.FindStringSubmatch(msg); m != nil {
		le.Program = m[1]
		le.PID, _ = strconv.Atoi(m[2])
	}
	return le, true
}

func dsn(path string, o Options) string {
	v := url.Values{}
	v.Set("autoinstall_known_extensions", "false")
	v.Set("autoload_known_extensions", "false")
	v.Set("storage_compatibility_version", StorageVersion)
	mem := o.MemoryLimit
	if mem == "" {
		mem = os.Getenv("INVESTIGATOR_MEMORY_LIMIT")
	}
	if mem == "" {
		mem = DefaultMemoryLimit
	}
	v.Set("memory_limit", mem)
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	v.Set("threads", strconv.Itoa(threads))
	// Checkpoint at close rather than every 16 MB of WAL: an ingest of many
	// files would otherwise rewrite the database over and over.
	v.Set("checkpoint_threshold", "1GB")
	if o.ReadOnly {
		v.Set("access_mode", "READ_ONLY")
	}
	return path + "?" + v.Encode()
}

// Open opens an existing case file. A writable open brings the schema up to
// date; a read-only open refuses a schema older or newer than this program's.
func Open(ctx context.Context, path string, o Options) (*Case, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("store: open case: %w", err)
	}
	return open(ctx, path, o)
}

// Create makes a new case file with the current schema and its case_info row.
func Create(ctx context.Context, path, name, program string, o Options) (*Case, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: create case: %w", err)
	}
	o.ReadOnly = false
	c, err := open(ctx, path, o)
	if err != nil {
		return nil, err
	}
	if _, err := c.DB.ExecContext(ctx, `INSERT INTO case_info (name, created_by) VALUES (?, ?)`, name, program); err != nil {
		c.Close()
		os.Remove(path)
		return nil, fmt.Errorf("store: create case: %w", err)
	}
	return c, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, os.PathSeparator); i > 0 {
		return path[:i]
	}
	return "."
}

func open(ctx context.Context, path string, o Options) (*Case, error) {
	start := time.Now()
	var (
		db  *sql.DB
		err error
	)
	for {
		db, err = connect(ctx, path, o)
		if err == nil {
			break
		}
		waited := time.Since(start)
		le, locked := lockError(path, err, waited)
		if !locked {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		if waited >= o.Wait {
			return nil, le
		}
		select {
		case <-ctx.Done():
			return nil, le
		case <-time.After(min(200*time.Millisecond, o.Wait-waited)):
		}
	}
	c := &Case{Name: nameOf(path), Path: path, DB: db, ReadOnly: o.ReadOnly}
	if o.ReadOnly {
		cur, err := migrations.Check(ctx, db)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		if cur < migrations.Latest() {
			// A case from an older release: bring it up to date once, in a
			// short write, then read as asked.
			db.Close()
			w := o
			w.ReadOnly = false
			wc, err := open(ctx, path, w)
			if err != nil {
				return nil, fmt.Errorf("store: case %s has schema %d and needs an upgrade to %d: %w", path, cur, migrations.Latest(), err)
			}
			wc.Close()
			return open(ctx, path, o)
		}
		return c, nil
	}
	if _, err := migrations.Apply(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return c, nil
}

func connect(ctx context.Context, path string, o Options) (*sql.DB, error) {
	db, err := sql.Open("duckdb", dsn(path, o))
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the case (and its lock).
func (c *Case) Close() error {
	if c == nil || c.DB == nil {
		return nil
	}
	return c.DB.Close()
}

func nameOf(path string) string {
	base := path
	if i := strings.LastIndexByte(base, os.PathSeparator); i >= 0 {
		base = base[i+1:]
	}
	return strings.TrimSuffix(base, ".duckdb")
}
