package views

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/store"
)

// newIngestServer makes a cases folder holding the empty case "demo" and
// returns the workbench over it, with the options mod sets, and the folder.
func newIngestServer(t *testing.T, mod func(*Options)) (*echo.Echo, string) {
	t.Helper()
	dir := t.TempDir()
	c, err := store.Create(context.Background(), filepath.Join(dir, "demo"+store.Ext), "demo", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	o := Options{CasesDir: dir, Program: "test", Context: t.Context()}
	if mod != nil {
		mod(&o)
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e, dir
}

type upFile struct {
	name string
	data []byte
}

// uploadReq is a multipart upload of the files, with the text fields
// before them as the form sends them.
func uploadReq(t *testing.T, target string, fields map[string]string, files ...upFile) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("files", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, target, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// startJob posts the request and returns the job page it redirects to.
func startJob(t *testing.T, e *echo.Echo, req *http.Request) string {
	t.Helper()
	r := do(t, e, req)
	loc := r.hdr.Get("Location")
	if r.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/demo/jobs/") {
		t.Fatalf("status %d, Location %q, want 303 to a job:\n%s", r.code, loc, r.body)
	}
	return loc
}

// waitJob polls the job page until the job has ended, within a deadline.
func waitJob(t *testing.T, e *echo.Echo, href string) response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := get(t, e, href)
		if r.code != http.StatusOK {
			t.Fatalf("job page: status %d:\n%s", r.code, r.body)
		}
		if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobRunning {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job is still running:\n%s", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// caseCount counts in the case, opened read-only as the duckdb shell would.
func caseCount(t *testing.T, dir, query string) int64 {
	t.Helper()
	c, err := store.Open(context.Background(), filepath.Join(dir, "demo"+store.Ext), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int64
	if err := c.DB.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// uploadsLeft lists what remains in the uploads folder.
func uploadsLeft(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, uploadsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// defaultLines are n header-less records in the default format, the i-th
// from 198.51.100.<base+i>.
func defaultLines(base, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.%d 10.0.1.10 %d 22 6 10 840 %d %d REJECT OK",
			base+i, 40000+i, 1700000000+60*i, 1700000060+60*i))
	}
	return out
}

func join(lines []string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func TestIngestPage(t *testing.T) {
	e, _ := newIngestServer(t, nil)

	t.Run("forms", func(t *testing.T) {
		if r := get(t, e, "/cases/demo"); r.doc.Find(`[data-testid="nav-ingest"][href="/cases/demo/ingest"]`).Length() != 1 {
			t.Errorf("no Ingest link in the case's navigation:\n%s", r.body)
		}
		r := get(t, e, "/cases/demo/ingest")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		form := r.doc.Find(`form[data-testid="upload-form"]`)
		if action, _ := form.Attr("action"); action != "/cases/demo/ingest/upload" {
			t.Errorf("upload action %q", action)
		}
		if enc, _ := form.Attr("enctype"); enc != "multipart/form-data" {
			t.Errorf("upload enctype %q", enc)
		}
		if form.Find(`input[type="file"][name="files"][multiple]`).Length() != 1 {
			t.Error("no multiple file input")
		}
		for _, n := range []string{"log_format", "start", "end"} {
			if form.Find(`[name="`+n+`"]`).Length() != 1 {
				t.Errorf("no %s field", n)
			}
		}
		if !strings.Contains(text(r, `[data-testid="upload"]`), "1.0 GiB") {
			t.Error("the upload limit is not shown")
		}
	})

	t.Run("AWS not configured", func(t *testing.T) {
		r := get(t, e, "/cases/demo/ingest")
		holds(t, "the explanation", text(r, `[data-testid="aws-howto"]`),
			"not available", "without access to AWS", "AWS_PROFILE", "AWS_REGION", "AWS_ACCESS_KEY_ID")
		if _, disabled := r.doc.Find(`[data-testid="pull-form"] fieldset`).Attr("disabled"); !disabled {
			t.Error("the AWS form is usable")
		}
		p := post(t, e, "/cases/demo/ingest/pull", url.Values{"s3": {"s3://bucket/"}}, nil)
		if p.code != http.StatusBadRequest || !strings.Contains(text(p, `[data-testid="pull-error"]`), "AWS is not available") {
			t.Errorf("a pull without AWS: status %d:\n%s", p.code, text(p, `[data-testid="pull-error"]`))
		}
	})

	t.Run("AWS configuration that fails", func(t *testing.T) {
		e, _ := newIngestServer(t, func(o *Options) {
			o.AWS = func(context.Context) (aws.Config, error) {
				return aws.Config{}, errors.New("aws: no region: pass --region, or set AWS_REGION or a region in the profile")
			}
		})
		r := get(t, e, "/cases/demo/ingest")
		if msg := text(r, `[data-testid="aws-unavailable"]`); !strings.Contains(msg, "no region") {
			t.Errorf("the reason is not shown: %q", msg)
		}
	})

	t.Run("unknown case", func(t *testing.T) {
		for _, target := range []string{"/cases/nosuch/ingest", "/cases/..%2Fetc/ingest"} {
			if r := get(t, e, target); r.code != http.StatusNotFound {
				t.Errorf("%s: status %d", target, r.code)
			}
		}
		r := do(t, e, uploadReq(t, "/cases/nosuch/ingest/upload", nil, upFile{"a.log", join(defaultLines(1, 1))}))
		if r.code != http.StatusNotFound {
			t.Errorf("upload to no case: status %d", r.code)
		}
	})
}

func TestUpload(t *testing.T) {
	e, dir := newIngestServer(t, nil)
	good := join(defaultLines(1, 3))
	bad := join(append(defaultLines(10, 1), "2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.99 10.0.1.10 40000 22 6 ten 840 1700000000 1700000060 REJECT OK", defaultLines(11, 1)[0]))
	junk := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 7}, 300)...)

	t.Run("good, malformed and garbage files", func(t *testing.T) {
		href := startJob(t, e, uploadReq(t, "/cases/demo/ingest/upload", nil,
			upFile{"good.log", good}, upFile{"bad.log", bad}, upFile{"junk.bin", junk}))
		r := waitJob(t, e, href)
		if got := text(r, `[data-testid="job-title"]`); got != "Ingest of 3 uploaded files" {
			t.Errorf("title %q", got)
		}
		if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobFailed {
			t.Errorf("state %q, want failed (a file was refused)", state)
		}
		if msg := text(r, `[data-testid="job-error"]`); msg != "1 of 3 files did not land" {
			t.Errorf("error %q", msg)
		}
		logText := text(r, `[data-testid="job-log"]`)
		holds(t, "the log", logText,
			"loaded     upload:good.log: 3 records",
			"loaded     upload:bad.log: 2 records, 1 rejected line",
			"  line 2: ",
			"refused    upload:junk.bin: ")
		if i := strings.Index(logText, "refused    upload:junk.bin: "); i >= 0 && len(strings.TrimSpace(strings.SplitN(logText[i:], ": ", 2)[1])) < 10 {
			t.Errorf("no reason for the refusal:\n%s", logText)
		}
		if got := text(r, `[data-testid="job-progress"]`); !strings.HasPrefix(got, "5 records from 2 files into demo in ") || !strings.HasSuffix(got, "(0 already ingested, 1 refused, 0 failed, 1 rejected line)") {
			t.Errorf("progress %q", got)
		}
		if got := text(r, `[data-testid="job-records"]`); got != "5" {
			t.Errorf("records shown %q", got)
		}
		rows := r.doc.Find(`[data-testid="job-file-row"]`)
		if rows.Length() != 2 || !strings.Contains(rows.Text(), "upload:good.log") || !strings.Contains(rows.Text(), "upload:bad.log") {
			t.Errorf("files added:\n%s", rows.Text())
		}
		if strings.Contains(r.body, dir) {
			t.Error("the page shows the temporary folder")
		}
		if _, polling := r.doc.Find(`[data-testid="job"]`).Attr("hx-trigger"); polling {
			t.Error("an ended job still polls")
		}
		for _, l := range []string{"job-overview", "job-manifest"} {
			if r.doc.Find(`[data-testid="`+l+`"]`).Length() != 1 {
				t.Errorf("no %s link", l)
			}
		}
		if n := caseCount(t, dir, `SELECT count(*) FROM flows`); n != 5 {
			t.Errorf("%d flows in the case, want 5", n)
		}
		if n := caseCount(t, dir, `SELECT count(*) FROM rejects WHERE line = 2`); n != 1 {
			t.Errorf("%d rejects on line 2, want 1", n)
		}
		if n := caseCount(t, dir, `SELECT count(*) FROM ingest_files WHERE source LIKE '%.uploads%'`); n != 0 {
			t.Error("the manifest names the temporary folder")
		}
		if left := uploadsLeft(t, dir); len(left) != 0 {
			t.Errorf("left in the uploads folder: %v", left)
		}
		if o := get(t, e, "/cases/demo/ingest"); o.doc.Find(`[data-testid="job-row"][data-state="failed"] a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("the job is not listed on the Ingest page:\n%s", text(o, `[data-testid="jobs"]`))
		}
	})

	t.Run("the same upload again adds nothing", func(t *testing.T) {
		r := waitJob(t, e, startJob(t, e, uploadReq(t, "/cases/demo/ingest/upload", nil, upFile{"good.log", good}, upFile{"bad.log", bad})))
		if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobDone {
			t.Errorf("state %q:\n%s", state, text(r, `[data-testid="job"]`))
		}
		logText := text(r, `[data-testid="job-log"]`)
		if !strings.Contains(logText, "unchanged  upload:good.log: already ingested (same content as upload:good.log)") {
			t.Errorf("log:\n%s", logText)
		}
		if r.doc.Find(`[data-testid="job-no-files"]`).Length() != 1 {
			t.Error("the page does not say that nothing was added")
		}
		if n := caseCount(t, dir, `SELECT count(*) FROM flows`); n != 5 {
			t.Errorf("%d flows, want still 5", n)
		}
	})

	t.Run("a path in a file name", func(t *testing.T) {
		r := waitJob(t, e, startJob(t, e, uploadReq(t, "/cases/demo/ingest/upload", nil,
			upFile{"../../etc/x", join(defaultLines(20, 1))}, upFile{`..\..\win\y`, join(defaultLines(30, 1))})))
		if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobDone {
			t.Fatalf("state %q:\n%s", state, text(r, `[data-testid="job"]`))
		}
		if n := caseCount(t, dir, `SELECT count(*) FROM ingest_files WHERE source IN ('upload:x', 'upload:y')`); n != 2 {
			t.Errorf("%d manifest rows named upload:x and upload:y", n)
		}
		for _, p := range []string{filepath.Join(dir, "etc"), filepath.Join(dir, uploadsDir, "etc"), filepath.Join(filepath.Dir(dir), "etc"), filepath.Join(dir, "win")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s was written", p)
			}
		}
		if left := uploadsLeft(t, dir); len(left) != 0 {
			t.Errorf("left in the uploads folder: %v", left)
		}
	})

	t.Run("markup in a file name is escaped", func(t *testing.T) {
		const name = "<img src=x onerror=alert(1)>.log"
		r := waitJob(t, e, startJob(t, e, uploadReq(t, "/cases/demo/ingest/upload", nil, upFile{name, join(defaultLines(40, 1))})))
		if strings.Contains(r.body, "<img") || !strings.Contains(text(r, `[data-testid="job-files"]`), "upload:"+name) {
			t.Errorf("the name is not shown escaped:\n%s", r.body)
		}
	})

	before := caseCount(t, dir, `SELECT count(*) FROM ingest_files`)
	for _, tc := range []struct {
		name   string
		fields map[string]string
		files  []upFile
		want   string
	}{
		{"bad log format", map[string]string{"log_format": "${version} ${no-such-field}"}, []upFile{{"a.log", join(defaultLines(50, 1))}}, "Log format: "},
		{"bad window", map[string]string{"start": "2023-11-15", "end": "2023-11-14"}, []upFile{{"a.log", join(defaultLines(50, 1))}}, "Window: the start (2023-11-15 00:00:00 UTC) must be before the end (2023-11-14 00:00:00 UTC)"},
		{"no files", nil, nil, "No files were chosen"},
		{"nothing chosen", nil, []upFile{{"", nil}}, "No files were chosen"},
		{"a name that is no name", nil, []upFile{{"dir/", join(defaultLines(50, 1))}}, `An uploaded file has no name ("dir/")`},
		{"two files of one name", nil, []upFile{{"a/f.log", join(defaultLines(50, 1))}, {"b/f.log", join(defaultLines(51, 1))}}, `Two files are named "f.log"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, e, uploadReq(t, "/cases/demo/ingest/upload", tc.fields, tc.files...))
			if r.code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400:\n%s", r.code, r.body)
			}
			if msg := text(r, `[data-testid="upload-error"]`); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			if v, ok := tc.fields["log_format"]; ok {
				if got, _ := r.doc.Find(`[data-testid="upload-log-format"]`).Attr("value"); got != v {
					t.Errorf("the form lost the log format: %q", got)
				}
			}
			if left := uploadsLeft(t, dir); len(left) != 0 {
				t.Errorf("left in the uploads folder: %v", left)
			}
			if n := caseCount(t, dir, `SELECT count(*) FROM ingest_files`); n != before {
				t.Errorf("the manifest changed: %d -> %d", before, n)
			}
		})
	}

	t.Run("cross-site upload refused", func(t *testing.T) {
		req := uploadReq(t, "/cases/demo/ingest/upload", nil, upFile{"c.log", join(defaultLines(60, 1))})
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if r := do(t, e, req); r.code != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.code)
		}
		if left := uploadsLeft(t, dir); len(left) != 0 {
			t.Errorf("left in the uploads folder: %v", left)
		}
	})
}

func TestUploadLimit(t *testing.T) {
	e, dir := newIngestServer(t, func(o *Options) { o.MaxUpload = 1024 })
	big := join(defaultLines(1, 40)) // about 4 KiB
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("length known %v", known), func(t *testing.T) {
			req := uploadReq(t, "/cases/demo/ingest/upload", nil, upFile{"big.log", big})
			if !known {
				req.ContentLength = -1 // as a chunked body: the limit is met while reading
			}
			r := do(t, e, req)
			if r.code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413:\n%s", r.code, r.body)
			}
			if msg := text(r, `[data-testid="upload-error"]`); !strings.Contains(msg, "limit of 1.0 KiB per upload") {
				t.Errorf("message %q", msg)
			}
			if left := uploadsLeft(t, dir); len(left) != 0 {
				t.Errorf("left in the uploads folder: %v", left)
			}
			if n := caseCount(t, dir, `SELECT count(*) FROM ingests`); n != 0 {
				t.Errorf("%d ingests recorded", n)
			}
		})
	}
}

// gatedS3 is gofakes3 behind a real HTTP server whose object listings wait
// while the gate is closed.
type gatedS3 struct {
	backend *s3mem.Backend
	srv     *httptest.Server
	gate    chan struct{}
	waiting chan struct{} // a listing is waiting at the gate
}

func newGatedS3(t *testing.T) *gatedS3 {
	t.Helper()
	g := &gatedS3{backend: s3mem.New(), gate: make(chan struct{}), waiting: make(chan struct{}, 1)}
	h := gofakes3.New(g.backend).Server()
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") == "2" {
			select {
			case g.waiting <- struct{}{}:
			default:
			}
			<-g.gate
		}
		h.ServeHTTP(w, r)
	}))
	g.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // gofakes3 writes a header twice on some errors
	g.srv.Start()
	t.Cleanup(g.srv.Close)
	return g
}

// TestPullS3 pulls a delivered object from a fake S3 through the Ingest
// page's AWS form, and holds the pull at the fake's first listing to see the
// job running: its page polls, a second job is refused, and the case's
// pages say an ingest holds the case.
func TestPullS3(t *testing.T) {
	s3f := newGatedS3(t)
	if err := s3f.backend.CreateBucket("flow-bucket"); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintln(zw, header)
	for _, l := range defaultLines(1, 7) {
		fmt.Fprintln(zw, l)
	}
	zw.Close()
	const key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2023/11/14/123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20231114T2215Z_abcd1234.log.gz"
	if _, err := s3f.backend.PutObject("flow-bucket", key, map[string]string{}, bytes.NewReader(gz.Bytes()), int64(gz.Len()), nil); err != nil {
		t.Fatal(err)
	}
	e, dir := newIngestServer(t, func(o *Options) {
		o.AWS = func(context.Context) (aws.Config, error) {
			return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s3f.srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}, nil
		}
	})
	if r := get(t, e, "/cases/demo/ingest"); !strings.Contains(text(r, `[data-testid="aws-note"]`), "Region us-east-1") {
		t.Errorf("AWS configured, but the page says:\n%s", text(r, `[data-testid="aws"]`))
	}

	t.Run("form errors", func(t *testing.T) {
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"streams": {"eni-1-all"}}, "Log streams belong to a log group"},
			{url.Values{"s3": {"s3://flow-bucket/"}, "start": {"2023-11-15"}, "end": {"2023-11-14"}}, "Window: the start (2023-11-15 00:00:00 UTC) must be before the end (2023-11-14 00:00:00 UTC)"},
			{url.Values{"s3": {"s3://flow-bucket/"}, "start": {"3000-01-01"}}, "Window: the start (3000-01-01 00:00:00 UTC) must be before the end ("},
		} {
			r := do(t, e, httptestForm("/cases/demo/ingest/pull", tc.form))
			if r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="pull-error"]`), tc.want) {
				t.Errorf("%v: status %d, message %q, want %q", tc.form, r.code, text(r, `[data-testid="pull-error"]`), tc.want)
			}
			if got, _ := r.doc.Find(`[data-testid="pull-s3"]`).Attr("value"); got != tc.form.Get("s3") {
				t.Errorf("the form lost the S3 location: %q", got)
			}
		}
	})

	t.Run("nothing named, nothing recorded", func(t *testing.T) {
		r := waitJob(t, e, startJob(t, e, httptestForm("/cases/demo/ingest/pull", url.Values{})))
		if got := text(r, `[data-testid="job-title"]`); got != "Ingest from the case's flow logs in AWS" {
			t.Errorf("title %q", got)
		}
		if msg := text(r, `[data-testid="job-error"]`); !strings.HasPrefix(msg, "nothing to pull from") {
			t.Errorf("error %q", msg)
		}
	})

	href := startJob(t, e, httptestForm("/cases/demo/ingest/pull", url.Values{
		"s3": {"s3://flow-bucket/"}, "start": {"2023-11-14T22:00:00Z"}, "end": {"2023-11-14T23:00:00Z"},
	}))
	select {
	case <-s3f.waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the pull never listed the bucket")
	}

	t.Run("running", func(t *testing.T) {
		r := get(t, e, href)
		sec := r.doc.Find(`[data-testid="job"]`)
		if state, _ := sec.Attr("data-state"); state != jobRunning {
			t.Fatalf("state %q", state)
		}
		for attr, want := range map[string]string{"hx-get": href, "hx-trigger": "every 1s", "hx-swap": "outerHTML"} {
			if got, _ := sec.Attr(attr); got != want {
				t.Errorf("%s=%q, want %q", attr, got, want)
			}
		}
		if got := text(r, `[data-testid="job-title"]`); got != "Ingest from AWS: s3://flow-bucket/" {
			t.Errorf("title %q", got)
		}
		if got := text(r, `[data-testid="job-progress"]`); got != "Pulling s3 s3://flow-bucket/" {
			t.Errorf("progress %q", got)
		}
		// The poll gets the fragment alone.
		req := httptest.NewRequest(http.MethodGet, href, nil)
		req.Header.Set("HX-Request", "true")
		f := do(t, e, req)
		if f.doc.Find("html > head > title").Length() != 0 || f.doc.Find(`[data-testid="job"]`).Length() != 1 || f.doc.Find(`[data-testid="job-title"]`).Length() != 0 {
			t.Errorf("the poll got more than the fragment:\n%s", f.body)
		}
	})

	t.Run("a second job is refused", func(t *testing.T) {
		for _, req := range []*http.Request{
			uploadReq(t, "/cases/demo/ingest/upload", nil, upFile{"a.log", join(defaultLines(1, 1))}),
			httptestForm("/cases/demo/ingest/pull", url.Values{"s3": {"s3://flow-bucket/"}}),
		} {
			r := do(t, e, req)
			if r.code != http.StatusConflict {
				t.Fatalf("%s: status %d, want 409:\n%s", req.URL, r.code, r.body)
			}
			if msg := text(r, `[data-testid="error-message"]`); !strings.Contains(msg, "already running") {
				t.Errorf("message %q", msg)
			}
			if l := r.doc.Find(`[data-testid="busy-job-link"]`); l.AttrOr("href", "") != href || !strings.Contains(l.Text(), "s3://flow-bucket/") {
				t.Errorf("the refusal does not name the running job:\n%s", text(r, `[data-testid="busy-job"]`))
			}
		}
		if left := uploadsLeft(t, dir); len(left) != 0 {
			t.Errorf("left in the uploads folder: %v", left)
		}
	})

	t.Run("pages of the held case", func(t *testing.T) {
		r := get(t, e, "/cases/demo")
		if r.code != http.StatusServiceUnavailable {
			t.Fatalf("overview: status %d, want 503:\n%s", r.code, r.body)
		}
		if msg := text(r, `[data-testid="error-message"]`); !strings.Contains(msg, "An ingest from this workbench is running") {
			t.Errorf("message %q", msg)
		}
		if l, _ := r.doc.Find(`[data-testid="busy-job-link"]`).Attr("href"); l != href {
			t.Errorf("link %q, want %q", l, href)
		}
		if i := get(t, e, "/cases/demo/ingest"); i.doc.Find(`[data-testid="job-row"][data-state="running"]`).Length() != 1 {
			t.Errorf("the Ingest page does not list the running job:\n%s", i.body)
		}
	})

	close(s3f.gate)
	r := waitJob(t, e, href)
	if state, _ := r.doc.Find(`[data-testid="job"]`).Attr("data-state"); state != jobDone {
		t.Fatalf("state %q:\n%s", state, text(r, `[data-testid="job"]`))
	}
	if _, polling := r.doc.Find(`[data-testid="job"]`).Attr("hx-trigger"); polling {
		t.Error("an ended job still polls")
	}
	if got := text(r, `[data-testid="job-records"]`); got != "7" {
		t.Errorf("records shown %q:\n%s", got, text(r, `[data-testid="job"]`))
	}
	if rows := r.doc.Find(`[data-testid="job-file-row"]`); rows.Length() != 1 || !strings.Contains(rows.Text(), "s3://flow-bucket/"+key) {
		t.Errorf("files added:\n%s", rows.Text())
	}
	if logText := text(r, `[data-testid="job-log"]`); !strings.Contains(logText, "pulling    s3 s3://flow-bucket/ (S3 location)") || !strings.Contains(logText, "7 records") {
		t.Errorf("log:\n%s", logText)
	}
	if n := caseCount(t, dir, `SELECT count(*) FROM flows`); n != 7 {
		t.Errorf("%d flows in the case, want 7", n)
	}
	if o := get(t, e, "/cases/demo"); o.code != http.StatusOK {
		t.Errorf("overview after the job: status %d", o.code)
	}
}

// httptestForm is a same-origin POST of a urlencoded form.
func httptestForm(target string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// TestStaleUploads: a server starting removes the upload folders a stopped
// server left more than a day ago, and keeps younger ones (another server's,
// ingesting now) and anything else.
func TestStaleUploads(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, uploadsDir)
	old, young, other := filepath.Join(base, "upload-old"), filepath.Join(base, "upload-young"), filepath.Join(base, "notes")
	for _, d := range []string{old, young, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "a.log"), []byte("x"), 0o600)
	}
	past := time.Now().Add(-2 * staleUpload)
	for _, d := range []string{old, other} {
		if err := os.Chtimes(d, past, past); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(Options{CasesDir: dir, Program: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the day-old upload is still there: %v", err)
	}
	for _, d := range []string{young, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

// holds fails the test for each of wants that text (what) does not hold.
func holds(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}
