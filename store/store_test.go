package store

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/investigator/investigator/migrations"
)

func TestCreateOpenInfo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c1.duckdb")
	c, err := Create(ctx, path, "c1", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFocus(ctx, []FocusIP{{Addr: netip.MustParseAddr("10.0.1.10"), Source: "flag"}, {Addr: netip.MustParseAddr("2600:1f18::10"), Source: "flag"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.AddVPCCIDRs(ctx, []VPCCIDR{{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Source: "flag"}}); err != nil || n != 1 {
		t.Fatalf("add cidr: %d %v", n, err)
	}
	if n, _ := c.AddVPCCIDRs(ctx, []VPCCIDR{{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Source: "flag"}}); n != 0 {
		t.Fatalf("second add of the same CIDR added %d", n)
	}
	c.Close()

	if _, err := Create(ctx, path, "c1", "test", Options{}); !errors.Is(err, ErrExists) {
		t.Fatalf("create over existing: %v", err)
	}
	r, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info, err := r.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "c1" || info.Schema != migrations.Latest() || len(info.Focus) != 2 || len(info.VPCCIDRs) != 1 {
		t.Fatalf("info = %+v", info)
	}
	var inside bool
	if err := r.DB.QueryRowContext(ctx, `SELECT f.num BETWEEN v.start_num AND v.end_num FROM focus_ips f, vpc_cidrs v WHERE f.addr = '10.0.1.10'`).Scan(&inside); err != nil || !inside {
		t.Fatalf("10.0.1.10 inside 10.0.0.0/16: %v %v", inside, err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "nope.duckdb"), Options{})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		arg, want string
		bad       bool
	}{
		{arg: "incident-42", want: "cases/incident-42.duckdb"},
		{arg: "x.duckdb", want: "x.duckdb"},
		{arg: "/tmp/a/b.duckdb", want: "/tmp/a/b.duckdb"},
		{arg: "../elsewhere/x.duckdb", want: "../elsewhere/x.duckdb"}, // an explicit path is the user's choice
		{arg: "../etc/passwd", bad: true},
		{arg: "a/b", bad: true},
		{arg: "..", bad: true},
		{arg: "a..b", bad: true},
		{arg: ".hidden", bad: true},
		{arg: "", bad: true},
		{arg: "semi;colon", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := Resolve("cases", tt.arg)
			if tt.bad {
				if err == nil {
					t.Fatalf("Resolve(%q) = %q, want an error", tt.arg, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
			}
		})
	}
}

func TestPrefixRange(t *testing.T) {
	for _, tt := range []struct{ prefix, first, last string }{
		{"10.0.0.0/8", "10.0.0.0", "10.255.255.255"},
		{"10.1.2.3/8", "10.0.0.0", "10.255.255.255"}, // host bits are masked
		{"2600:1f18:abc:de00::/56", "2600:1f18:abc:de00::", "2600:1f18:abc:deff:ffff:ffff:ffff:ffff"},
		{"0.0.0.0/0", "0.0.0.0", "255.255.255.255"}, // IPv4 stays in ::ffff:0:0/96
		{"255.255.255.255/32", "255.255.255.255", "255.255.255.255"},
		{"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	} {
		first, last := PrefixRange(netip.MustParsePrefix(tt.prefix))
		if first != AddrNum(netip.MustParseAddr(tt.first)) || last != AddrNum(netip.MustParseAddr(tt.last)) {
			t.Errorf("%s = %s..%s, want %s..%s", tt.prefix, first, last, tt.first, tt.last)
		}
	}
}

func TestOpenNewerSchemaFailsClearly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "future.duckdb")
	c, err := Create(ctx, path, "future", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, 'from_the_future')`, migrations.Latest()+1); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, path, Options{ReadOnly: ro})
		if !errors.Is(err, migrations.ErrTooNew) || !strings.Contains(err.Error(), "upgrade investigator") {
			t.Fatalf("read-only=%v: %v", ro, err)
		}
	}
}

func TestReadOnlyOpenUpgradesAnOlderCase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	// A case file as an older release left it: every step but the last.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := migrations.Steps()
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP))`); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps[:len(steps)-1] {
		if _, err := db.Exec(st.SQL); err != nil {
			t.Fatal(err)
		}
		db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, st.Version, st.Name)
	}
	db.Exec(`INSERT INTO case_info (name) VALUES ('old')`)
	db.Close()

	c, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.ReadOnly {
		t.Fatal("not read-only")
	}
	var v int
	c.DB.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&v)
	if v != migrations.Latest() {
		t.Fatalf("read-only open left schema %d, want %d", v, migrations.Latest())
	}
}

// TestHeldInThisProcess: a case this process holds for writing is in use to
// a reader of the same process (and the reverse), waited for like another
// process's lock, and free again once closed.
func TestHeldInThisProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.duckdb")
	w, err := Create(ctx, path, "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, path, Options{ReadOnly: true, Wait: 100 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Waited < 100*time.Millisecond {
		t.Fatalf("read while this process writes: %v", err)
	}
	if !strings.Contains(err.Error(), "this program") {
		t.Errorf("message: %v", err)
	}
	w.Close()

	r, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	// A writer waits for the reader, and gets the case once it is closed.
	time.AfterFunc(150*time.Millisecond, func() { r.Close() })
	w, err = Open(ctx, path, Options{Wait: 5 * time.Second})
	if err != nil {
		t.Fatalf("write after the reader closed: %v", err)
	}
	w.Close()
}

// TestConcurrentOpensInThisProcess: handles of one process opening and
// closing a case at once wait for each other, as for a lock: DuckDB may
// refuse one at once (a file handle conflict) while another attaches.
func TestConcurrentOpensInThisProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.duckdb")
	c, err := Create(ctx, path, "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Open(ctx, path, Options{ReadOnly: i%4 == 0, Wait: 20 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			c.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
