package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

// fakeS3 is gofakes3 with its in-memory backend behind a real HTTP server,
// with a middleware that counts requests and can answer with S3 errors.
type fakeS3 struct {
	backend *s3mem.Backend
	srv     *httptest.Server
	client  *s3.Client

	mu    sync.Mutex
	lists []string // the prefix of every ListObjectsV2 call, in order
	gets  []string // the key of every GetObject call
	// fail, when set, answers a request with an S3 error instead: status,
	// code and message; ok false lets the request through.
	fail func(r *http.Request) (status int, code, msg string, ok bool)
}

func newFakeS3(t testing.TB) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	faker := gofakes3.New(f.backend)
	h := faker.Server()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
		f.mu.Lock()
		fail := f.fail
		switch {
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			f.lists = append(f.lists, q.Get("prefix"))
		case r.Method == http.MethodGet && len(parts) == 2 && parts[1] != "":
			f.gets = append(f.gets, parts[1])
		}
		f.mu.Unlock()
		if fail != nil {
			if status, code, msg, ok := fail(r); ok {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>`, code, msg)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	// gofakes3 writes a header twice on some errors; net/http's complaint
	// about it is noise here.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.client = newClient(f.srv.URL)
	return f
}

// newClient is the real SDK client for an endpoint: path-style, static
// credentials, us-east-1.
func newClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// counts returns and resets the request log.
func (f *fakeS3) counts() (lists, gets []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lists, gets = f.lists, f.gets
	f.lists, f.gets = nil, nil
	return lists, gets
}

func (f *fakeS3) setFail(fn func(r *http.Request) (int, string, string, bool)) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

func (f *fakeS3) bucket(t testing.TB, name string) {
	t.Helper()
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeS3) put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	if _, err := f.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// layout is a way AWS delivers flow logs to S3.
type layout struct {
	name   string
	prefix string // the user prefix before AWSLogs/, "" or ending in "/"
	org    string // an organization folder after AWSLogs/, or ""
	hive   bool
	hourly bool
}

var layouts = []layout{
	{name: "plain-daily"},
	{name: "plain-hourly", hourly: true},
	{name: "hive-daily", hive: true},
	{name: "hive-hourly", hive: true, hourly: true},
	{name: "prefix-org-daily", prefix: "flowlogs/vpc-a/", org: "o-a1b2c3d4e5"},
	{name: "prefix-org-hive-hourly", prefix: "exports/", org: "o-a1b2c3d4e5", hive: true, hourly: true},
}

// location is the region folder of account and region in the layout.
func (l layout) location(account, region string) string {
	p := l.prefix + "AWSLogs/"
	if l.org != "" {
		p += l.org + "/"
	}
	if l.hive {
		return p + "aws-account-id=" + account + "/aws-service=vpcflowlogs/aws-region=" + region + "/"
	}
	return p + account + "/vpcflowlogs/" + region + "/"
}

// day is the folder of the day of t below a location.
func (l layout) day(t time.Time) string { return datePrefix(t, l.hive) }

// key turns a path of demo.WriteTree
// (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/NAME) into the layout's key.
func (l layout) key(t testing.TB, rel, account string) string {
	t.Helper()
	segs := strings.Split(rel, "/")
	if len(segs) != 8 || segs[0] != "AWSLogs" || segs[2] != "vpcflowlogs" {
		t.Fatalf("unexpected demo path %s", rel)
	}
	name := segs[7]
	stamp, ok := objectTime(name)
	if !ok {
		t.Fatalf("no time in %s", name)
	}
	if account == "" {
		account = segs[1]
	}
	k := l.location(account, segs[3]) + l.day(stamp)
	if l.hourly {
		k += hourPrefix(stamp.Hour(), l.hive)
	}
	return k + name
}

// tree is a demo delivery tree on disk, and a reference case holding all of
// it, ingested from the local files without a window.
type tree struct {
	dir   string
	files []string // relative, slash-separated
	ref   *store.Case
	env   demo.Case
}

var (
	smallOnce sync.Once
	small     *tree
	smallErr  error
)

// treeStart is when the small tree starts: it covers one day from 22:00,
// so that the tests' window crosses midnight and holds the Parquet object
// (the demo's batch instance runs in the second hour).
var treeStart = time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)

// smallTree is the tree most tests share: 24 hours, 20,000 records.
func smallTree(t testing.TB) *tree {
	t.Helper()
	smallOnce.Do(func() {
		dir, err := os.MkdirTemp("", "s3logs-test-")
		if err != nil {
			smallErr = err
			return
		}
		small, smallErr = writeTree(dir, demo.Options{Records: 20_000, Days: 1, Start: treeStart})
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return small
}

func writeTree(dir string, o demo.Options) (*tree, error) {
	ctx := context.Background()
	s, err := demo.WriteTree(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	tr := &tree{dir: dir, files: s.Files, env: s.Case}
	tr.ref, err = store.Create(ctx, filepath.Join(dir, "ref.duckdb"), "ref", "test", store.Options{})
	if err != nil {
		return nil, err
	}
	in, err := ingest.Begin(ctx, tr.ref, ingest.Options{})
	if err != nil {
		return nil, err
	}
	for _, f := range s.Files {
		if r := in.File(ctx, filepath.Join(dir, filepath.FromSlash(f))); r.Status != ingest.Loaded {
			return nil, fmt.Errorf("reference ingest of %s: %s %s", f, r.Status, r.Error)
		}
	}
	return tr, in.Finish(ctx)
}

// upload puts the tree into bucket under the layout (and account, when
// given, instead of the demo's) and returns the number of objects.
func (tr *tree) upload(t testing.TB, f *fakeS3, bucket string, l layout, account string) int {
	t.Helper()
	for _, rel := range tr.files {
		data, err := os.ReadFile(filepath.Join(tr.dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		f.put(t, bucket, l.key(t, rel, account), data)
	}
	return len(tr.files)
}

// fingerprint is the count of the records whose start is in [from, to] and
// a hash over them, in c.
func fingerprint(t testing.TB, c *store.Case, from, to time.Time) (n int64, sum string) {
	t.Helper()
	err := c.DB.QueryRow(`SELECT count(*), coalesce(sum(hash(interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status))::VARCHAR, '0')
		FROM flows WHERE start BETWEEN ? AND ?`, from.UTC(), to.UTC()).Scan(&n, &sum)
	if err != nil {
		t.Fatal(err)
	}
	return n, sum
}

func newCase(t testing.TB) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "case.duckdb"), "case", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pull runs Pull into c in a new ingest with the same window.
func pull(t testing.TB, api API, c *store.Case, o Options) (Summary, error) {
	t.Helper()
	ctx := context.Background()
	in, err := ingest.Begin(ctx, c, ingest.Options{Start: &o.Start, End: &o.End})
	if err != nil {
		t.Fatal(err)
	}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	s, perr := Pull(ctx, api, in, o)
	if err := in.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	return s, perr
}

func queryInt(t testing.TB, c *store.Case, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.DB.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func base(key string) string { return path.Base(key) }

// countingAPI counts the calls a pull makes.
type countingAPI struct {
	API
	lists, unDelimited, gets atomic.Int64
}

func (c *countingAPI) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.lists.Add(1)
	if aws.ToString(in.Delimiter) != "/" {
		c.unDelimited.Add(1)
	}
	return c.API.ListObjectsV2(ctx, in, optFns...)
}

func (c *countingAPI) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets.Add(1)
	return c.API.GetObject(ctx, in, optFns...)
}
