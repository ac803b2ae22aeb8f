package s3

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

// BenchmarkPull500Objects pulls 500 objects holding 5,000,000 records (the
// demo tree over a week: three text flow logs an hour and one Parquet
// object) from gofakes3 over HTTP, and in the same run ingests the same
// local files as a tree with Ingester.Items (after the pull, so that it has
// the warmer caches), and reports both rates and
// their ratio (the aim: a pull at 80% of the local rate or better).
//
//	go test -run '^$' -bench Pull500 -benchtime 1x ./ingest/s3/
func BenchmarkPull500Objects(b *testing.B) {
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	dir := b.TempDir()
	t0 := time.Now()
	s, err := demo.WriteTree(ctx, dir, demo.Options{Records: 5_000_000, Days: 7, Start: start})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d records in %d objects in %s", s.Records, len(s.Files), time.Since(t0).Round(time.Millisecond))
	f := newFakeS3(b)
	f.bucket(b, bucketName)
	tr := &tree{dir: dir, files: s.Files}
	tr.upload(b, f, bucketName, layouts[0], "")
	end := start.AddDate(0, 0, 7).Add(-time.Second)

	var pullRate, localRate float64
	b.ResetTimer()
	for b.Loop() {
		// The objects from S3.
		c := benchCase(b)
		in, err := ingest.Begin(ctx, c, ingest.Options{Start: &start, End: &end})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		sum, err := Pull(ctx, f.client, in, Options{URL: "s3://" + bucketName, Start: start, End: end, TempDir: b.TempDir()})
		pullTime := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		in.Finish(ctx)
		c.Close()
		// The same files, local, one by one.
		c = benchCase(b)
		in, err = ingest.Begin(ctx, c, ingest.Options{Start: &start, End: &end})
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		var local int64
		items := make([]ingest.Item, len(s.Files))
		for i, rel := range s.Files {
			items[i] = ingest.Item{Path: filepath.Join(dir, filepath.FromSlash(rel))}
		}
		for _, r := range in.Items(ctx, items, ingest.ItemEvents{}) {
			if r.Status != ingest.Loaded {
				b.Fatalf("%s: %s %s", r.Path, r.Status, r.Error)
			}
			local += r.Records
		}
		localTime := time.Since(t0)
		in.Finish(ctx)
		c.Close()

		if sum.Records != local || local != int64(s.Records) || sum.Downloaded != int64(len(s.Files)) {
			b.Fatalf("pulled %d records from %d objects, local %d, want %d from %d", sum.Records, sum.Downloaded, local, s.Records, len(s.Files))
		}
		localRate = float64(local) / localTime.Seconds()
		pullRate = float64(sum.Records) / pullTime.Seconds()
		b.Logf("local: %d records in %s (%.0f/s); pull: %d objects, %.1f MB in %s (%.0f/s): %.0f%%",
			local, localTime.Round(time.Millisecond), localRate, sum.Downloaded, float64(sum.Bytes)/1e6,
			pullTime.Round(time.Millisecond), pullRate, 100*pullRate/localRate)
	}
	b.ReportMetric(pullRate, "pull-records/s")
	b.ReportMetric(localRate, "local-records/s")
	b.ReportMetric(100*pullRate/localRate, "pull-%-of-local")
}

func benchCase(b *testing.B) *store.Case {
	b.Helper()
	dir, err := os.MkdirTemp(b.TempDir(), "case")
	if err != nil {
		b.Fatal(err)
	}
	c, err := store.Create(context.Background(), filepath.Join(dir, "bench.duckdb"), "bench", "bench", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}
