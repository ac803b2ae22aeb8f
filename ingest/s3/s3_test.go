package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/awsenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if small != nil {
		small.ref.Close()
		os.RemoveAll(small.dir)
	}
	os.Exit(code)
}

const bucketName = "flowlogs-bucket"

// The window of most tests crosses midnight: 23:10 on the first day to
// 00:40 on the second. Widened by the margin it is 22:10 to 01:40.
var (
	winStart = time.Date(2026, 11, 20, 23, 10, 0, 0, time.UTC)
	winEnd   = time.Date(2026, 11, 21, 0, 40, 0, 0, time.UTC)
	day1     = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	day2     = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
)

// partitions are the day and hour folders a pull of the window lists below
// a location, when the URL names the location or above (days) or the
// second day (day2only).
func (l layout) partitions(loc string, day2only bool) []string {
	var out []string
	days := []time.Time{day1, day2}
	if day2only {
		days = days[1:]
	}
	for _, d := range days {
		out = append(out, loc+l.day(d))
		if !l.hourly {
			continue
		}
		hours := []int{22, 23}
		if d.Equal(day2) {
			hours = []int{0, 1}
		}
		for _, h := range hours {
			out = append(out, loc+l.day(d)+hourPrefix(h, l.hive))
		}
	}
	slices.Sort(out)
	return out
}

func TestPullLayouts(t *testing.T) {
	tr := smallTree(t)
	account, region := tr.env.AccountID, tr.env.Region
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeS3(t)
			f.bucket(t, bucketName)
			tr.upload(t, f, bucketName, l, "")
			loc := l.location(account, region)
			urls := []struct {
				name, url string
				from      time.Time // the records expected start here (or at the window's start)
				parts     []string
			}{
				{"bucket", "s3://" + bucketName, winStart, l.partitions(loc, false)},
				{"location", "s3://" + bucketName + "/" + loc, winStart, l.partitions(loc, false)},
				{"day", "s3://" + bucketName + "/" + loc + l.day(day2), day2, l.partitions(loc, true)},
			}
			if l.prefix != "" {
				urls[0] = struct {
					name, url string
					from      time.Time
					parts     []string
				}{"user-prefix", "s3://" + bucketName + "/" + strings.TrimSuffix(l.prefix, "/"), winStart, l.partitions(loc, false)}
			}
			for _, u := range urls {
				t.Run(u.name, func(t *testing.T) {
					t.Parallel()
					pullAndCheck(t, f, tr, u.url, u.from, u.parts, l)
				})
			}
		})
	}
}

// pullAndCheck pulls the window from url into a new case and checks that
// it holds exactly the reference records that start in [from, winEnd],
// that only the partitions parts were listed, and that a second pull adds
// and downloads nothing.
func pullAndCheck(t *testing.T, f *fakeS3, tr *tree, url string, from time.Time, parts []string, l layout) {
	c := newCase(t)
	api := &countingAPI{API: f.client}
	s, err := pull(t, api, c, Options{URL: url, Start: winStart, End: winEnd})
	if err != nil {
		t.Fatal(err)
	}
	wantN, wantSum := fingerprint(t, tr.ref, from, winEnd)
	gotN, gotSum := fingerprint(t, c, from, winEnd)
	if all := queryInt(t, c, `SELECT count(*) FROM flows`); wantN == 0 || gotN != wantN || gotSum != wantSum || all != gotN {
		t.Fatalf("case holds %d records (%d in the window, hash %s), want %d (hash %s); summary %+v", all, gotN, gotSum, wantN, wantSum, s)
	}
	if s.Records != wantN || s.Failed != 0 || s.Skipped != 0 || s.Downloaded != s.Objects || s.Objects == 0 || s.Note != "" {
		t.Fatalf("summary %+v", s)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files WHERE source LIKE 's3://%' AND dedup_key LIKE 's3:%#%'`); n != s.Objects {
		t.Fatalf("%d manifest entries, want %d", n, s.Objects)
	}
	if len(s.Locations) != 1 || s.Locations[0].Prefix != l.location(tr.env.AccountID, tr.env.Region) || s.Locations[0].Hive != l.hive || s.Locations[0].Hourly != l.hourly || s.Locations[0].Daily == l.hourly {
		t.Fatalf("locations %v", s.Locations)
	}
	parquet := 0
	for _, r := range s.Results {
		if r.Status != ingest.Loaded {
			t.Fatalf("result %+v", r)
		}
		if r.Shape == ingest.ShapeParquet {
			parquet++
		}
	}
	if want := boolInt(from.Equal(winStart)); parquet != want { // the batch instance runs on the first day
		t.Fatalf("%d Parquet objects pulled, want %d", parquet, want)
	}
	got := slices.Sorted(slices.Values(s.Partitions))
	if !slices.Equal(got, parts) {
		t.Fatalf("listed partitions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(parts, "\n"))
	}
	// Every list call was a folder listing (Delimiter "/"), each partition
	// once, and the rest is discovery: a handful of calls.
	if api.unDelimited.Load() != 0 || api.lists.Load() > int64(len(parts))+8 {
		t.Fatalf("%d list calls (%d without a delimiter) for %d partitions", api.lists.Load(), api.unDelimited.Load(), len(parts))
	}
	if api.gets.Load() != s.Objects {
		t.Fatalf("%d GetObject calls for %d objects", api.gets.Load(), s.Objects)
	}

	// Again: nothing downloaded, nothing added.
	api2 := &countingAPI{API: f.client}
	s2, err := pull(t, api2, c, Options{URL: url, Start: winStart, End: winEnd})
	if err != nil {
		t.Fatal(err)
	}
	if api2.gets.Load() != 0 || s2.Skipped != s.Objects || s2.Downloaded != 0 || s2.Records != 0 {
		t.Fatalf("second pull: %d gets, summary %+v", api2.gets.Load(), s2)
	}
	if n, sum := fingerprint(t, c, from, winEnd); n != wantN || sum != wantSum || queryInt(t, c, `SELECT count(*) FROM flows`) != wantN {
		t.Fatalf("second pull changed the case: %d records", n)
	}
	for _, r := range s2.Results {
		if r.Status != ingest.Duplicate || r.DuplicateOf != r.Path {
			t.Fatalf("second pull result %+v", r)
		}
	}
}

func TestPullResume(t *testing.T) {
	tr := smallTree(t)
	f := newFakeS3(t)
	f.bucket(t, bucketName)
	tr.upload(t, f, bucketName, layouts[1], "")
	url := "s3://" + bucketName + "/AWSLogs/"
	wantN, wantSum := fingerprint(t, tr.ref, winStart, winEnd)

	c := newCase(t)
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, err := ingest.Begin(ctx, c, ingest.Options{Start: &winStart, End: &winEnd})
	if err != nil {
		t.Fatal(err)
	}
	// Batches of two: the cancel comes while objects are still to be ingested.
	s1, err := Pull(ctx, f.client, in, Options{URL: url, Start: winStart, End: winEnd, TempDir: tmp, Concurrency: 2, Batch: 2,
		Progress: func(p Progress) {
			if p.Ingested >= 3 {
				cancel()
			}
		}})
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run it again") {
		t.Fatalf("interrupted pull: %v", err)
	}
	done := queryInt(t, c, `SELECT count(*) FROM ingest_files`)
	if done < 3 || done >= s1.Objects && s1.Objects > 0 {
		t.Fatalf("%d objects landed before the cancel; summary %+v", done, s1)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
	_, gets := f.counts()

	s2, err := pull(t, f.client, c, Options{URL: url, Start: winStart, End: winEnd, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	_, gets = f.counts()
	if s2.Skipped != done || int64(len(gets)) != s2.Objects-done || s2.Downloaded != s2.Objects-done {
		t.Fatalf("resumed pull: %d gets, summary %+v (%d were in)", len(gets), s2, done)
	}
	if n, sum := fingerprint(t, c, winStart, winEnd); n != wantN || sum != wantSum {
		t.Fatalf("resumed case holds %d records (%s), want %d (%s)", n, sum, wantN, wantSum)
	}
	if all := queryInt(t, c, `SELECT count(*) FROM flows`); all != wantN {
		t.Fatalf("%d records in the case, want %d", all, wantN)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestPullAccountsRegions(t *testing.T) {
	tr := smallTree(t)
	f := newFakeS3(t)
	f.bucket(t, bucketName)
	l := layouts[0]
	const other = "210987654321"
	tr.upload(t, f, bucketName, l, "")
	tr.upload(t, f, bucketName, l, other)
	wantN, _ := fingerprint(t, tr.ref, winStart, winEnd)
	url := "s3://" + bucketName

	c := newCase(t)
	s, err := pull(t, f.client, c, Options{URL: url, Start: winStart, End: winEnd})
	if err != nil || s.Records != 2*wantN || len(s.Locations) != 2 {
		t.Fatalf("both accounts: %v %+v", err, s)
	}

	c = newCase(t)
	s, err = pull(t, f.client, c, Options{URL: url, Start: winStart, End: winEnd, Accounts: []string{other}})
	if err != nil || s.Records != wantN || len(s.Locations) != 1 || s.Locations[0].Account != other {
		t.Fatalf("account filter: %v %+v", err, s)
	}
	for _, r := range s.Results {
		if !strings.Contains(r.Path, "/"+other+"/") {
			t.Fatalf("pulled %s", r.Path)
		}
	}

	c = newCase(t)
	s, err = pull(t, f.client, c, Options{URL: url, Start: winStart, End: winEnd, Regions: []string{"eu-west-1"}})
	if err != nil || s.Records != 0 || !strings.Contains(s.Note, "region us-east-1 of "+other) {
		t.Fatalf("region filter: %v %+v", err, s)
	}
	if _, err := pull(t, f.client, c, Options{URL: url, Start: winStart, End: winEnd, Accounts: []string{"12345"}}); err == nil || !strings.Contains(err.Error(), "12-digit") {
		t.Fatalf("bad account: %v", err)
	}
}

func TestPullNothingMatched(t *testing.T) {
	tr := smallTree(t)
	f := newFakeS3(t)
	f.bucket(t, bucketName)
	l := layouts[3]
	tr.upload(t, f, bucketName, l, "")
	f.put(t, bucketName, "other/readme.txt", []byte("not a flow log"))
	loc := l.location(tr.env.AccountID, tr.env.Region)

	t.Run("no delivery folder", func(t *testing.T) {
		c := newCase(t)
		s, err := pull(t, f.client, c, Options{URL: "s3://" + bucketName + "/other/", Start: winStart, End: winEnd})
		if err != nil || s.Objects != 0 || !strings.Contains(s.Note, "found no VPC flow log delivery folder") || !strings.Contains(s.Note, "s3://"+bucketName+"/other/") {
			t.Fatalf("%v %+v", err, s)
		}
	})
	t.Run("none delivered in the window", func(t *testing.T) {
		// With a margin of a minute, a window between the hourly objects
		// of a daily layout: its day is listed, nothing in it matches.
		l := layouts[4]
		tr.upload(t, f, bucketName, l, "")
		c := newCase(t)
		start := day2.Add(10*time.Hour + 20*time.Minute)
		s, err := pull(t, f.client, c, Options{URL: "s3://" + bucketName + "/" + l.prefix, Start: start, End: start.Add(10 * time.Minute), Margin: time.Minute})
		if err != nil || s.Objects != 0 || s.Listed == 0 || len(s.Partitions) != 1 {
			t.Fatalf("%v %+v", err, s)
		}
		for _, want := range []string{"nothing matched", "none delivered within the window", "/o-a1b2c3d4e5/", "/YYYY/MM/DD/ (daily partitions)"} {
			if !strings.Contains(s.Note, want) {
				t.Fatalf("note %q lacks %q", s.Note, want)
			}
		}
	})
	t.Run("window after the data", func(t *testing.T) {
		c := newCase(t)
		s, err := pull(t, f.client, c, Options{URL: "s3://" + bucketName, Start: day2.AddDate(0, 0, 5), End: day2.AddDate(0, 0, 6)})
		if err != nil || s.Objects != 0 || s.Listed != 0 || !strings.Contains(s.Note, "nothing matched") || !strings.Contains(s.Note, loc) {
			t.Fatalf("%v %+v", err, s)
		}
	})
}

func TestPullErrors(t *testing.T) {
	tr := smallTree(t)
	f := newFakeS3(t)
	f.bucket(t, bucketName)
	tr.upload(t, f, bucketName, layouts[0], "")
	opts := func(url string) Options { return Options{URL: url, Start: winStart, End: winEnd} }

	t.Run("no such bucket", func(t *testing.T) {
		_, err := pull(t, f.client, newCase(t), opts("s3://no-such-bucket/AWSLogs/"))
		var ae *awsenv.Error
		if !errors.As(err, &ae) || ae.Kind != "NoSuchBucket" || !strings.Contains(err.Error(), "bucket no-such-bucket does not exist") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("list denied", func(t *testing.T) {
		f.setFail(func(r *http.Request) (int, string, string, bool) {
			return 403, "AccessDenied", "Access Denied", r.URL.Query().Get("list-type") == "2"
		})
		defer f.setFail(nil)
		_, err := pull(t, f.client, newCase(t), opts("s3://"+bucketName))
		var ae *awsenv.Error
		if !errors.As(err, &ae) || ae.Kind != "denied" || !strings.Contains(err.Error(), "s3:ListBucket") || !strings.Contains(err.Error(), "s3://"+bucketName+"/") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("get denied", func(t *testing.T) {
		f.setFail(func(r *http.Request) (int, string, string, bool) {
			return 403, "AccessDenied", "Access Denied", r.URL.Query().Get("list-type") == ""
		})
		defer f.setFail(nil)
		c := newCase(t)
		s, err := pull(t, f.client, c, opts("s3://"+bucketName))
		var ae *awsenv.Error
		if !errors.As(err, &ae) || ae.Kind != "denied" || !strings.Contains(err.Error(), "s3:GetObject") || !strings.Contains(err.Error(), "kms:Decrypt") {
			t.Fatalf("%v", err)
		}
		if s.Records != 0 || queryInt(t, c, `SELECT count(*) FROM flows`) != 0 {
			t.Fatalf("summary %+v", s)
		}
	})
	t.Run("one object gone", func(t *testing.T) {
		var (
			mu   sync.Mutex
			gone string
		)
		f.setFail(func(r *http.Request) (int, string, string, bool) {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Query().Get("list-type") != "" || gone != "" && !strings.HasSuffix(r.URL.Path, gone) {
				return 0, "", "", false
			}
			gone = base(r.URL.Path)
			return 404, "NoSuchKey", "The specified key does not exist.", true
		})
		defer f.setFail(nil)
		c := newCase(t)
		s, err := pull(t, f.client, c, opts("s3://"+bucketName))
		if err != nil || s.Failed != 1 || s.Downloaded != s.Objects-1 {
			t.Fatalf("%v %+v", err, s)
		}
		var failed []ingest.FileResult
		for _, r := range s.Results {
			if r.Status == ingest.Failed {
				failed = append(failed, r)
			}
		}
		if len(failed) != 1 || !strings.Contains(failed[0].Error, "deleted after it was listed") || !strings.HasSuffix(failed[0].Path, gone) {
			t.Fatalf("failed results %+v", failed)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []Options{
			{URL: "flowlogs-bucket/AWSLogs", Start: winStart, End: winEnd},
			{URL: "s3://" + bucketName},
			{URL: "s3://" + bucketName, Start: winEnd, End: winStart},
		} {
			if _, err := Pull(context.Background(), f.client, nil, o); err == nil || !strings.HasPrefix(err.Error(), "s3: ") {
				t.Errorf("%+v: %v", o, err)
			}
		}
	})
}

func TestPullPaginates(t *testing.T) {
	// A day folder of 1,501 objects (two pages of ListObjectsV2), of which
	// one was delivered in the window.
	tr := smallTree(t)
	f := newFakeS3(t)
	f.bucket(t, bucketName)
	data, err := os.ReadFile(filepath.Join(tr.dir, filepath.FromSlash(tr.files[0])))
	if err != nil {
		t.Fatal(err)
	}
	day := layouts[0].location("123456789012", "us-east-1") + layouts[0].day(day2)
	name := func(stamp string, i int) string {
		return fmt.Sprintf("%s123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_%s_%08x.log.gz", day, stamp, i)
	}
	for i := range 1500 {
		f.put(t, bucketName, name("20261121T0300Z", i), data)
	}
	f.put(t, bucketName, name("20261121T1025Z", 0), data)
	start := day2.Add(10*time.Hour + 20*time.Minute)
	api := &countingAPI{API: f.client}
	s, err := pull(t, api, newCase(t), Options{URL: "s3://" + bucketName + "/" + day, Start: start, End: start.Add(10 * time.Minute), Margin: time.Minute})
	if err != nil || s.Listed != 1501 || s.OutsideWindow != 1500 || s.Objects != 1 || s.Downloaded != 1 || api.lists.Load() != 2 || s.Requests != 2 {
		t.Fatalf("%v: %d list calls, %+v", err, api.lists.Load(), s)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
