package ingest

import (
	"context"
	"testing"
)

// TestIngestID: each ingest has its own id, the files it loads carry it, and
// an item named by the caller is recorded under that name (what the
// workbench does with an uploaded file's original name).
func TestIngestID(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	p := writeFile(t, "a.log", "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700000060 ACCEPT OK\n")
	first, err := Begin(ctx, c, Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := Begin(ctx, c, Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if in.ID() == first.ID() || in.ID() == 0 {
		t.Fatalf("ids %d and %d", first.ID(), in.ID())
	}
	r := in.Item(ctx, Item{Path: p, Source: "upload:a.log"})
	if r.Status != Loaded || r.Path != "upload:a.log" {
		t.Fatalf("result %+v", r)
	}
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files WHERE ingest_id = ? AND source = 'upload:a.log'`, in.ID()); n != 1 {
		t.Errorf("%d manifest rows of ingest %d named upload:a.log", n, in.ID())
	}
}
