package views

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPageCacheFollowsTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.duckdb")
	os.WriteFile(p, []byte("one"), 0o644)
	var pc pageCache
	calls := 0
	compute := func() (any, error) { calls++; return calls, nil }
	for range 3 {
		if v, _ := pc.get(p, "k", compute); v != 1 {
			t.Fatalf("value %v while the file is unchanged", v)
		}
	}
	// A write to the write-ahead log is a change too.
	os.WriteFile(p+".wal", []byte("w"), 0o644)
	if v, _ := pc.get(p, "k", compute); v != 2 {
		t.Fatalf("value %v after the WAL changed", v)
	}
	later := time.Now().Add(time.Minute)
	os.WriteFile(p, []byte("two!"), 0o644)
	os.Chtimes(p, later, later)
	if v, _ := pc.get(p, "k", compute); v != 3 {
		t.Fatalf("value %v after the file changed", v)
	}
	if v, _ := pc.get(p, "other", compute); v != 4 {
		t.Fatalf("another key: %v", v)
	}
	if calls != 4 {
		t.Fatalf("computed %d times", calls)
	}
}
