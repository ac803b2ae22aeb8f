package ingest

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/investigator/investigator/store"
)

func newCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), "t", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ingestPaths(t *testing.T, c *store.Case, o Options, paths ...string) []FileResult {
	t.Helper()
	ctx := context.Background()
	in, err := Begin(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	var out []FileResult
	for _, p := range paths {
		out = append(out, in.File(ctx, p))
	}
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeGzip(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(content))
	zw.Close()
	f.Close()
	return p
}

func queryInt(t *testing.T, c *store.Case, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.DB.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
