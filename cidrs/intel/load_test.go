package intel

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func newCase(t testing.TB) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	h := Home{Dir: t.TempDir()}
	dir := writeFiles(t, map[string]string{"exit-addresses": torExits, "drop.txt": spamhausDROP})
	if _, err := h.Import([]string{dir}, ""); err != nil {
		t.Fatal(err)
	}
	c := newCase(t)
	changes, err := LoadHome(ctx, c, h, []string{"tor-exits"})
	if err != nil || len(changes) != 1 || changes[0].Name != "tor-exits" || changes[0].Entries != 3 || changes[0].Previous != "" {
		t.Fatalf("load: %+v %v", changes, err)
	}
	// Only the list asked for.
	held, err := CaseLists(ctx, c)
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %v %v", held, err)
	}

	// The rows: numbers as store.AddrNum gives them (IPv4 mapped into IPv6),
	// the entry and comment as listed, the line.
	rows, err := c.DB.QueryContext(ctx, `SELECT e.list, e.prefix, e.family, e.bits, e.start_num::VARCHAR, e.end_num::VARCHAR, e.entry, e.comment, e.line,
		s.format, s.source, s.snapshot_date, s.entries
		FROM intel_entries e JOIN intel_snapshots s ON s.id = e.snapshot_id ORDER BY e.start_num`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			list, prefix, lo, hi, entry, comment, format, source string
			family, bits, line, n                                int
			date                                                 time.Time
		)
		if err := rows.Scan(&list, &prefix, &family, &bits, &lo, &hi, &entry, &comment, &line, &format, &source, &date, &n); err != nil {
			t.Fatal(err)
		}
		p := netip.MustParsePrefix(prefix)
		wlo, whi := store.PrefixRange(p)
		if lo != wlo || hi != whi || lo != store.AddrNum(p.Addr()) {
			t.Errorf("%s: numbers %s-%s, want %s-%s", prefix, lo, hi, wlo, whi)
		}
		if format != FormatTor || source != "exit-addresses" || n != 3 || date.UTC().Format(time.DateTime) != "2026-11-20 08:11:35" {
			t.Errorf("snapshot %s %s %d %v", format, source, n, date)
		}
		got = append(got, fmt.Sprintf("%s %s %d/%d %s %d %s", list, prefix, family, bits, entry, line, comment[:10]))
	}
	want := []string{
		"tor-exits 162.247.74.201/32 4/32 162.247.74.201 4 exit node ",
		"tor-exits 185.220.101.1/32 4/32 185.220.101.1 8 exit node ",
		"tor-exits 2001:db8:7::1/128 6/128 2001:db8:7::1 9 exit node ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Loading every list: only the one the case lacks is written; again, nothing.
	changes, err = LoadHome(ctx, c, h, nil)
	if err != nil || len(changes) != 1 || changes[0].Name != "spamhaus-drop" {
		t.Fatalf("load all: %+v %v", changes, err)
	}
	if changes, err = LoadHome(ctx, c, h, nil); err != nil || len(changes) != 0 {
		t.Fatalf("load again: %+v %v", changes, err)
	}

	// A new version of a list replaces that list's snapshot in the case, and
	// leaves the other alone.
	d2 := writeFiles(t, map[string]string{"exit-addresses": "ExitNode AB\nExitAddress 198.51.100.9 2026-11-22 00:00:00\n"})
	if _, err := h.Import([]string{filepath.Join(d2, "exit-addresses")}, ""); err != nil {
		t.Fatal(err)
	}
	changes, err = LoadHome(ctx, c, h, nil)
	if err != nil || len(changes) != 1 || changes[0].Previous == "" || changes[0].PreviousEntries != 3 || changes[0].Entries != 1 {
		t.Fatalf("replace: %+v %v", changes, err)
	}
	var tor, drop, snaps int
	if err := c.DB.QueryRow(`SELECT count(*) FILTER (list = 'tor-exits'), count(*) FILTER (list = 'spamhaus-drop'),
		(SELECT count(*) FROM intel_snapshots) FROM intel_entries`).Scan(&tor, &drop, &snaps); err != nil {
		t.Fatal(err)
	}
	if tor != 1 || drop != 3 || snaps != 2 {
		t.Fatalf("after the replacement: %d tor rows, %d drop rows, %d snapshots", tor, drop, snaps)
	}

	// address_info follows: the derived tables are stale, then carry the lists.
	if stale, err := queries.Stale(ctx, c); err != nil || !stale {
		t.Fatalf("stale after a load: %v %v", stale, err)
	}
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: netip.MustParseAddr("10.0.1.10"), Source: "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := queries.Prepare(ctx, c); err != nil {
		t.Fatal(err)
	}
	var lists string
	if err := c.DB.QueryRow(`SELECT coalesce(array_to_string(intel, ','), 'NULL') FROM address_info WHERE addr = '10.0.1.10'`).Scan(&lists); err != nil || lists != "" {
		t.Fatalf("the focus's lists: %q %v", lists, err)
	}

	// A snapshot stored in the home that was changed is refused, and the
	// case keeps what it had.
	in, _ := h.CurrentInfo("spamhaus-drop")
	os.WriteFile(filepath.Join(h.Dir, "intel", in.File), []byte("1.2.3.4\n"), 0o644)
	c.DB.Exec(`DELETE FROM intel_snapshots WHERE name = 'spamhaus-drop'`)
	if _, err := LoadHome(ctx, c, h, []string{"spamhaus-drop"}); err == nil || !strings.Contains(err.Error(), "has changed since it was stored") {
		t.Fatalf("damaged: %v", err)
	}
	if _, err := LoadHome(ctx, c, h, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "no such list") {
		t.Fatalf("unknown list: %v", err)
	}
	if _, err := Load(ctx, c, []Snapshot{{Name: "x"}}); err == nil {
		t.Fatal("an empty snapshot loaded")
	}
}

// bigList is a plain list of n entries: /32s, and every tenth a /24 or an
// IPv6 /64.
func bigList(n int) []byte {
	var b strings.Builder
	b.WriteString("# Last updated: 2026-11-20 00:00:00 UTC\n")
	for i := range n {
		switch {
		case i%10 == 3:
			fmt.Fprintf(&b, "2001:db8:%x:%x::/64 # net %d\n", i>>16, i&0xffff, i)
		case i%10 == 7:
			fmt.Fprintf(&b, "%d.%d.%d.0/24\n", 11+i>>16, (i>>8)&255, i&255)
		default:
			fmt.Fprintf(&b, "%d.%d.%d.%d ; host %d\n", 100+i>>24, (i>>16)&255, (i>>8)&255, i&255, i)
		}
	}
	return []byte(b.String())
}

// TestLoadLarge: a 100,000-entry list parses and lands whole (its speed is
// BenchmarkParseLoad100k's, in make bench).
func TestLoadLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("a 100,000-entry list")
	}
	s, err := Parse("big.txt", bigList(100_000), "")
	if err != nil {
		t.Fatal(err)
	}
	c := newCase(t)
	if _, err := Load(context.Background(), c, []Snapshot{s}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM intel_entries`).Scan(&n); err != nil || len(s.Entries) != 100_000 || n != 100_000 {
		t.Fatalf("%d entries parsed, %d in the case (%v)", len(s.Entries), n, err)
	}
}

func BenchmarkParseLoad100k(b *testing.B) {
	data := bigList(100_000)
	for b.Loop() {
		s, err := Parse("big.txt", data, "")
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c := newCase(b)
		b.StartTimer()
		if _, err := Load(context.Background(), c, []Snapshot{s}); err != nil {
			b.Fatal(err)
		}
	}
}
