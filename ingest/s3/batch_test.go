package s3

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/moto"
	"github.com/investigator/investigator/store"
)

// mixedObjects are objects to put beside the small tree in its first day's
// folder, delivered in the tests' window: a bad line, another version, a
// truncated gzip, a copy of another (under its own key), an HTML page, and
// a few good ones; by file name.
func mixedObjects(t *testing.T, tr *tree) map[string][]byte {
	t.Helper()
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	at := winStart.Add(20 * time.Minute).Unix()
	object := func(obj, n int) string {
		ls := []string{header}
		for i := range n {
			ls = append(ls, fmt.Sprintf("2 123456789012 eni-0000000000000%04d 10.0.9.%d 203.0.113.%d %d 443 6 3 300 %d %d ACCEPT OK",
				obj, i%250, obj%250, 1024+i, at+int64(i), at+int64(i)+60))
		}
		return strings.Join(ls, "\n") + "\n"
	}
	name := func(id, stamp string) string {
		return fmt.Sprintf("123456789012_vpcflowlogs_us-east-1_fl-0%s_%s_%s.log.gz", id, stamp, id)
	}
	out := map[string][]byte{}
	for i := range 6 {
		out[name(fmt.Sprintf("good%d", i), "20261120T2330Z")] = gz(object(i, 50))
	}
	bad := strings.Replace(object(10, 30), "10.0.9.7 ", "10.0.9.7 not a record ", 1)
	out[name("badline", "20261120T2335Z")] = gz(bad)
	out[name("v5", "20261120T2340Z")] = gz("version vpc-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status interface-id account-id pkt-srcaddr pkt-dstaddr flow-direction traffic-path tcp-flags\n" +
		fmt.Sprintf("5 vpc-1 10.0.2.15 52.216.1.1 40000 443 6 3 300 %d %d ACCEPT OK eni-1 123456789012 10.0.2.15 52.216.1.1 egress 8 19\n", at, at+60))
	var big strings.Builder
	big.WriteString(object(11, 20_000))
	full := gz(big.String())
	out[name("truncated", "20261120T2345Z")] = full[:len(full)/2]
	out[name("copy", "20261120T2350Z")] = out[name("good0", "20261120T2330Z")]
	out[name("html", "20261120T2355Z")] = []byte("<html><body>Access denied</body></html>\n")
	return out
}

// TestPullBatches: a pull ingests the objects of a window in batches, and
// lands exactly what a pull of one object at a time lands: the same
// results, manifest, records and rejects; from gofakes3 and, when it is
// installed, moto.
func TestPullBatches(t *testing.T) {
	tr := smallTree(t)
	extra := mixedObjects(t, tr)
	l := layouts[1]
	dayDir := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/20/"
	for _, tt := range []struct {
		name   string
		client func(t *testing.T) *s3.Client
	}{
		{"gofakes3", func(t *testing.T) *s3.Client {
			f := newFakeS3(t)
			f.bucket(t, bucketName)
			tr.upload(t, f, bucketName, l, "")
			for n, data := range extra {
				f.put(t, bucketName, l.key(t, dayDir+n, ""), data)
			}
			return f.client
		}},
		{"moto", func(t *testing.T) *s3.Client {
			client := newClient(moto.Start(t))
			ctx := context.Background()
			if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName)}); err != nil {
				t.Fatal(err)
			}
			put := func(key string, data []byte) {
				if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucketName), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, rel := range tr.files {
				data, err := os.ReadFile(filepath.Join(tr.dir, filepath.FromSlash(rel)))
				if err != nil {
					t.Fatal(err)
				}
				put(l.key(t, rel, ""), data)
			}
			for n, data := range extra {
				put(l.key(t, dayDir+n, ""), data)
			}
			return client
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client(t)
			one := newCase(t)
			want, err := pull(t, client, one, Options{URL: "s3://" + bucketName, Start: winStart, End: winEnd, Batch: 1})
			if err != nil {
				t.Fatal(err)
			}
			batched := newCase(t)
			var log bytes.Buffer
			got, err := pullLogged(t, client, batched, Options{URL: "s3://" + bucketName, Start: winStart, End: winEnd}, &log)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(log.String(), `msg="ingest: batch loaded"`) == 0 {
				t.Errorf("no batch:\n%s", log.String())
			}
			if got.Objects != want.Objects || got.Records != want.Records || got.Rejected != want.Rejected || got.Failed != want.Failed ||
				got.Downloaded != want.Downloaded || got.Skipped != want.Skipped || len(got.Results) != len(want.Results) {
				t.Fatalf("batched pull %+v\nwant %+v", got, want)
			}
			if want.Failed != 1 || want.Rejected < 2 || want.Objects < int64(len(extra)+5) {
				t.Fatalf("the objects are not what they should be: %+v", want)
			}
			byPath := func(rs []ingest.FileResult) []string {
				var out []string
				for _, r := range rs {
					out = append(out, fmt.Sprintf("%s %s %d %d %d %s %s", r.Path, r.Status, r.Records, r.Rejected, r.OutsideWindow, r.Shape, r.Error))
				}
				slices.Sort(out)
				return out
			}
			if g, w := byPath(got.Results), byPath(want.Results); !slices.Equal(g, w) {
				t.Errorf("results:\n got %q\nwant %q", g, w)
			}
			ws, gs := caseRows(t, one), caseRows(t, batched)
			for k := range ws {
				if !slices.Equal(ws[k], gs[k]) {
					t.Errorf("%s differ: %d rows batched, %d one at a time", k, len(gs[k]), len(ws[k]))
				}
			}
		})
	}
}

// pullLogged is pull with the ingest's debug log written to w.
func pullLogged(t *testing.T, api API, c *store.Case, o Options, w *bytes.Buffer) (Summary, error) {
	t.Helper()
	ctx := context.Background()
	in, err := ingest.Begin(ctx, c, ingest.Options{Start: &o.Start, End: &o.End,
		Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	o.TempDir = t.TempDir()
	s, perr := Pull(ctx, api, in, o)
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(o.TempDir); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
	return s, perr
}

// caseRows are the case's manifest, records and rejects, by source rather
// than file id, sorted.
func caseRows(t *testing.T, c *store.Case) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, q := range map[string]string{
		"manifest": `SELECT concat_ws('|', source, dedup_key, size, sha256, compression, shape, fields::VARCHAR, records, rejected, outside_window,
				nodata, skipdata, first_start, last_end) FROM ingest_files`,
		"records": `SELECT concat_ws('|', m.source, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status, pkt_srcaddr, tcp_flags)
				FROM flow_records r JOIN ingest_files m ON m.id = r.file_id`,
		"rejects":   `SELECT concat_ws('|', m.source, r.line, r.reason, r.raw) FROM rejects r JOIN ingest_files m ON m.id = r.file_id`,
		"addresses": `SELECT concat_ws('|', addr, family, num) FROM addresses`,
	} {
		rows, err := c.DB.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		rows.Close()
		slices.Sort(got)
		out[name] = got
	}
	return out
}
