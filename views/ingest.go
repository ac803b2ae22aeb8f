package views

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/store"
)

const (
	// DefaultMaxUpload is the most one upload may carry, all files together.
	DefaultMaxUpload int64 = 1 << 30
	// uploadsDir, under the cases folder, holds uploads until their ingest
	// has read them; hidden, so that nothing takes it for a case.
	uploadsDir = ".uploads"
	// uploadSource prefixes an uploaded file's own name in the manifest.
	uploadSource = "upload:"
	// maxFieldBytes bounds a text field of the upload form.
	maxFieldBytes = 64 << 10
	// maxNameBytes bounds an uploaded file's name, as file systems do.
	maxNameBytes = 255
	// ingestKind is the kind of the jobs that ingest.
	ingestKind = "ingest"
)

// IngestVM is a case's Ingest page: the upload and AWS forms, and the
// case's jobs.
type IngestVM struct {
	Case                 string
	UploadHref, PullHref string
	MaxUpload            string // the upload limit, for people
	Upload               UploadForm
	Pull                 PullForm
	// AWS says whether the workbench can pull from AWS; AWSNote is the
	// region it pulls from, or why it cannot.
	AWS     bool
	AWSNote string
	Jobs    []JobVM // the case's jobs, newest first
}

// UploadForm is what the upload form was given, and what was wrong with it.
type UploadForm struct {
	LogFormat, Start, End string
	Error                 string
}

// PullForm is what the AWS form was given, and what was wrong with it.
type PullForm struct {
	LogGroup, Streams, S3URL, Start, End string
	Error                                string
}

// ingestPage shows the forms that load flow logs into the case.
func (s *server) ingestPage(c echo.Context) error {
	caseName := c.Param("case")
	if _, err := s.casePath(caseName); err != nil {
		return err
	}
	return render(c, http.StatusOK, ingestPage(s.ingestVM(c.Request().Context(), caseName)), nil)
}

func (s *server) ingestVM(ctx context.Context, caseName string) IngestVM {
	href := caseHref(caseName) + "/ingest"
	vm := IngestVM{Case: caseName, UploadHref: href + "/upload", PullHref: href + "/pull", MaxUpload: format.Bytes(s.o.MaxUpload)}
	if cfg, err := s.awsConfig(ctx); err != nil {
		vm.AWSNote = err.Error()
	} else {
		vm.AWS, vm.AWSNote = true, "Region "+cfg.Region
	}
	for _, j := range s.jobs.ofCase(caseName) {
		vm.Jobs = append(vm.Jobs, j.view())
	}
	return vm
}

// awsConfig is the AWS configuration pulls use, or why there is none.
func (s *server) awsConfig(ctx context.Context) (aws.Config, error) {
	if s.o.AWS == nil {
		return aws.Config{}, errors.New("this workbench was started without access to AWS")
	}
	return s.o.AWS(ctx)
}

// upload receives flow-log files (a multipart form of at most MaxUpload
// bytes) into a folder of their own under the cases folder, and ingests them
// in a job; the job page follows it. The form's errors come back on the
// Ingest page.
func (s *server) upload(c echo.Context) error {
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	if j, ok := s.jobs.running(caseName); ok {
		return &busyError{job: j} // before reading a body that would wait
	}
	var form UploadForm
	refuse := func(status int, msg string) error {
		vm := s.ingestVM(c.Request().Context(), caseName)
		vm.Upload = form
		vm.Upload.Error = msg
		return render(c, status, ingestPage(vm), nil)
	}
	tooLarge := fmt.Sprintf("The upload is larger than this workbench's limit of %s per upload: send fewer or smaller files at a time, or use investigator ingest on the command line.", format.Bytes(s.o.MaxUpload))
	req := c.Request()
	if req.ContentLength > s.o.MaxUpload {
		return refuse(http.StatusRequestEntityTooLarge, tooLarge)
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, s.o.MaxUpload)
	up, err := s.receive(req)
	if up != nil {
		form = UploadForm{LogFormat: up.logFormat, Start: up.start, End: up.end}
	}
	var tooBig *http.MaxBytesError
	var bad formError
	switch {
	case errors.As(err, &tooBig):
		return refuse(http.StatusRequestEntityTooLarge, tooLarge)
	case errors.As(err, &bad):
		return refuse(http.StatusBadRequest, bad.msg)
	case err != nil:
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(up.dir)
		}
	}()

	o := ingest.Options{Program: s.o.Program, Logger: s.log}
	if up.logFormat != "" {
		if o.LogFormat, err = ingest.ParseLogFormat(up.logFormat, false); err != nil {
			return refuse(http.StatusBadRequest, "Log format: "+err.Error())
		}
	}
	if o.Start, o.End, err = when.Window(up.start, up.end, s.o.Now()); err != nil {
		return refuse(http.StatusBadRequest, "Window: "+err.Error())
	}
	if len(up.files) == 0 {
		return refuse(http.StatusBadRequest, "No files were chosen: choose one or more flow-log files to upload.")
	}
	var names []string
	for _, f := range up.files {
		names = append(names, f.name)
	}
	o.Command = "workbench upload " + strings.Join(names, " ")
	title := fmt.Sprintf("Ingest of %s", format.Nouns(int64(len(names)), "uploaded file"))
	j, err := s.jobs.start(caseName, ingestKind, title, func(ctx context.Context, j *job) error {
		defer os.RemoveAll(up.dir)
		return s.ingestUploads(ctx, j, path, up, o)
	})
	if err != nil {
		return err
	}
	keep = true // the job removes it
	return c.Redirect(http.StatusSeeOther, jobHref(caseName, j.ID))
}

// staleUpload is the age past which an upload's folder is left over from a
// server that stopped during its ingest: no ingest of an upload lasts a day.
const staleUpload = 24 * time.Hour

// removeStaleUploads removes the upload folders older than before; younger
// ones may be another server's, ingesting now.
func (s *server) removeStaleUploads(before time.Time) {
	base := filepath.Join(s.o.CasesDir, uploadsDir)
	entries, err := os.ReadDir(base)
	if err != nil {
		return // none yet
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || !strings.HasPrefix(e.Name(), "upload-") || info.ModTime().After(before) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(base, e.Name())); err != nil {
			s.log.Warn("remove a stale upload", "dir", e.Name(), "err", err)
			continue
		}
		s.log.Info("removed an upload left by a stopped server", "dir", e.Name())
	}
}

// received is an upload saved to disk: its folder, its files and the
// form's text fields.
type received struct {
	dir                   string
	files                 []uploadedFile
	logFormat, start, end string
}

type uploadedFile struct {
	name, path string // the file's own name; where it was saved
	size       int64
}

// formError is a mistake in the upload form, said to the user.
type formError struct{ msg string }

func (e formError) Error() string { return e.msg }

// receive saves the files of a multipart upload, each under its own base
// name in a new folder under the cases folder, and reads the text fields.
// On error nothing stays on disk; the fields read so far come back all the
// same, for the form.
func (s *server) receive(req *http.Request) (*received, error) {
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, formError{"The upload must be a multipart form (multipart/form-data): " + err.Error()}
	}
	base := filepath.Join(s.o.CasesDir, uploadsDir)
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("views: uploads folder: %w", err)
	}
	dir, err := os.MkdirTemp(base, "upload-")
	if err != nil {
		return nil, fmt.Errorf("views: uploads folder: %w", err)
	}
	up := &received{dir: dir}
	if err := up.read(mr); err != nil {
		os.RemoveAll(dir)
		return up, err
	}
	return up, nil
}

// read saves the file parts of the "files" field and reads the text fields
// (which come before them on the form, but may come in any order).
func (up *received) read(mr *multipart.Reader) error {
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return uploadError(err)
		}
		_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			return formError{"A part of the upload has no valid Content-Disposition: " + err.Error()}
		}
		raw, isFile := params["filename"]
		if !isFile {
			var dst *string
			switch part.FormName() {
			case "log_format":
				dst = &up.logFormat
			case "start":
				dst = &up.start
			case "end":
				dst = &up.end
			default:
				continue // not ours; NextPart skips the rest
			}
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return uploadError(err)
			}
			if len(v) > maxFieldBytes {
				return formError{fmt.Sprintf("The field %s is longer than %s.", part.FormName(), format.Bytes(maxFieldBytes))}
			}
			*dst = strings.TrimSpace(string(v))
			continue
		}
		if part.FormName() != "files" || raw == "" {
			continue // another field's file, or a file field with nothing chosen
		}
		name, err := uploadName(raw)
		if err != nil {
			return err
		}
		if seen[name] {
			return formError{fmt.Sprintf("Two files are named %q: upload them one at a time.", name)}
		}
		seen[name] = true
		f := uploadedFile{name: name, path: filepath.Join(up.dir, name)}
		if f.size, err = saveFile(f.path, part); err != nil {
			return err
		}
		up.files = append(up.files, f)
	}
}

// saveFile writes r to a new file at path.
func saveFile(path string, r io.Reader) (int64, error) {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("views: save upload: %w", err)
	}
	in := &readSide{r: r}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case in.err != nil:
		return n, uploadError(in.err)
	case err != nil:
		return n, fmt.Errorf("views: save upload: %w", err)
	}
	return n, nil
}

// readSide keeps the error of reading the upload, to tell it from an error
// of writing the file.
type readSide struct {
	r   io.Reader
	err error
}

func (rs *readSide) Read(p []byte) (int, error) {
	n, err := rs.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		rs.err = err
	}
	return n, err
}

// uploadError is an error reading the upload: a body over the limit (kept
// as it is), else a form the user's side cut short or broke.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return formError{"The upload was cut short or is not a valid multipart form: " + err.Error()}
}

// ingestUploads ingests the saved files into the case in one ingest, as
// investigator ingest does, logging each file's outcome. It fails when a
// file did not land.
func (s *server) ingestUploads(ctx context.Context, j *job, path string, up *received, o ingest.Options) error {
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer cs.Close()
	in, err := ingest.Begin(ctx, cs, o)
	if err != nil {
		return err
	}
	j.setIngest(in.ID())
	var t ingest.Totals
	for i, f := range up.files {
		if ctx.Err() != nil {
			break
		}
		j.progress(fmt.Sprintf("File %d of %d: %s (%s)", i+1, len(up.files), f.name, format.Bytes(f.size)))
		r := in.Item(ctx, ingest.Item{Path: f.path, Source: uploadSource + f.name})
		for _, l := range r.Report() {
			j.log(l)
		}
		t.Add(r)
	}
	if err := in.Finish(ctx); err != nil {
		return err
	}
	j.progress(t.String())
	if err := ctx.Err(); err != nil {
		return err
	}
	if bad := t.Refused + t.Failed; bad > 0 {
		return fmt.Errorf("%d of %d files did not land: the log says why", bad, len(up.files))
	}
	return nil
}

// pullAWS pulls flow logs from AWS into the case in a job: from the log
// group and the S3 location the form names, else from the flow logs
// discovery recorded in the case. The window defaults to the last day.
func (s *server) pullAWS(c echo.Context) error {
	ctx := c.Request().Context()
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
	}
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	f := PullForm{LogGroup: get("log_group"), Streams: get("streams"), S3URL: get("s3"), Start: get("start"), End: get("end")}
	refuse := func(msg string) error {
		vm := s.ingestVM(ctx, caseName)
		vm.Pull = f
		vm.Pull.Error = msg
		return render(c, http.StatusBadRequest, ingestPage(vm), nil)
	}
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return refuse("AWS is not available: " + format.Message(err.Error()) + ".")
	}
	start, end, err := when.Window(f.Start, f.End, s.o.Now())
	if err != nil {
		return refuse("Window: " + err.Error())
	}
	// A pull needs a window: the last day unless told otherwise, resolved
	// once, so that pulling again asks for the same slices.
	if end == nil {
		now := s.o.Now().UTC().Truncate(time.Second)
		end = &now
	}
	if start == nil {
		st := end.Add(-24 * time.Hour)
		start = &st
	}
	if !start.Before(*end) {
		return refuse(fmt.Sprintf("Window: the start (%s UTC) must be before the end (%s UTC).", format.Time(*start), format.Time(*end)))
	}
	// The sources the form names, recorded as the command line would name them.
	var named []pipeline.Source
	var targets, cmd []string
	if f.LogGroup != "" {
		src := pipeline.Source{Kind: pipeline.CloudWatchLogs, Target: f.LogGroup, Streams: splitList(f.Streams), From: "log group"}
		named, targets = append(named, src), append(targets, src.Target)
		cmd = append(cmd, "--log-group", src.Target)
		for _, st := range src.Streams {
			cmd = append(cmd, "--log-stream", st)
		}
	} else if f.Streams != "" {
		return refuse("Log streams belong to a log group: name the log group too.")
	}
	if f.S3URL != "" {
		named, targets = append(named, pipeline.Source{Kind: pipeline.S3, Target: f.S3URL, From: "S3 location"}), append(targets, f.S3URL)
		cmd = append(cmd, "--s3", f.S3URL)
	}
	title := "Ingest from the case's flow logs in AWS"
	if len(targets) > 0 {
		title = "Ingest from AWS: " + strings.Join(targets, ", ")
	}
	cmd = append(cmd, "--start", start.UTC().Format(time.RFC3339), "--end", end.UTC().Format(time.RFC3339))
	o := ingest.Options{Start: start, End: end, Command: "workbench pull " + strings.Join(cmd, " "), Program: s.o.Program, Logger: s.log}
	j, err := s.jobs.start(caseName, ingestKind, title, func(ctx context.Context, j *job) error {
		return s.pullInto(ctx, j, cfg, path, named, o)
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, jobHref(caseName, j.ID))
}

// pullInto pulls the sources (none: the case's recorded flow logs) into
// the case in one ingest, with their progress as the job's. It fails when a
// source did.
func (s *server) pullInto(ctx context.Context, j *job, cfg aws.Config, path string, sources []pipeline.Source, o ingest.Options) error {
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer cs.Close()
	if len(sources) == 0 {
		if sources, err = pipeline.Discovered(ctx, cs, nil); err != nil {
			return err
		}
		if len(sources) == 0 {
			return errors.New("nothing to pull from: the case records no flow log that can be read back (investigator ingest --instance-id discovers them); name a log group or an S3 location")
		}
	}
	in, err := ingest.Begin(ctx, cs, o)
	if err != nil {
		return err
	}
	j.setIngest(in.ID())
	j.log(fmt.Sprintf("Window %s → %s UTC (by record start)", format.Time(*o.Start), format.Time(*o.End)))
	reps := pipeline.All(ctx, cfg, cs, in, sources, pipeline.Options{
		Start: *o.Start, End: *o.End,
		CloudWatchProgress: func(p cloudwatch.Progress) {
			j.progress(fmt.Sprintf("%d of %d slices, %s events, %s records, %d requests (%d throttled, %.1f/s)",
				p.Done, p.Slices, format.Count(p.Events), format.Count(p.Records), p.Requests, p.Throttled, p.Rate))
		},
		S3Progress: func(p s3.Progress) {
			j.progress(fmt.Sprintf("%d of %d objects (%d already in the case), %s, %s records",
				p.Ingested+p.Skipped, p.Objects, p.Skipped, format.Bytes(p.Bytes), format.Count(p.Records)))
		},
		Pulling: func(src pipeline.Source) {
			j.progress("Pulling " + src.Kind + " " + src.Target)
			j.log(fmt.Sprintf("pulling    %s %s (%s)", src.Kind, src.Target, src.From))
		},
		Pulled: func(r pipeline.Report) {
			if r.Summary != "" {
				j.log("           " + r.Summary)
			}
			if r.Error != "" {
				j.log(fmt.Sprintf("failed     %s %s: %s", r.Kind, r.Target, r.Error))
			}
		},
		Explain: func(err error) string { return format.Message(err.Error()) },
	})
	if err := in.Finish(ctx); err != nil {
		return err
	}
	var records int64
	failed := 0
	for _, r := range reps {
		records += r.Records
		if r.Error != "" {
			failed++
		}
	}
	j.progress(fmt.Sprintf("%s from %s", format.Nouns(records, "record"), format.Nouns(int64(len(reps)), "AWS source")))
	if err := ctx.Err(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d AWS sources failed (the log says why); pulling again resumes where it stopped", failed, len(reps))
	}
	return nil
}

// uploadName is the name an uploaded file is saved and known by: the base
// name of what the browser sent (never a path: whatever precedes the last /
// or \ is dropped), refused when empty, "." or "..", too long, or holding
// control characters.
func uploadName(raw string) (string, error) {
	name := raw
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "" || name == "." || name == "..":
		return "", formError{fmt.Sprintf("An uploaded file has no name (%q): every file needs one.", raw)}
	case len(name) > maxNameBytes:
		return "", formError{fmt.Sprintf("An uploaded file's name is longer than %d bytes: %.40q…", maxNameBytes, name)}
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", formError{fmt.Sprintf("An uploaded file's name holds control characters: %q.", name)}
	}
	return name, nil
}
