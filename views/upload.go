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

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/usererr"
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
)

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

	in := pipeline.Request{Start: up.start, End: up.end, Now: s.o.Now(), Program: s.o.Program, Logger: s.log}
	if up.logFormat != "" {
		if in.LogFormat, err = ingest.ParseLogFormat(up.logFormat, false); err != nil {
			return refuse(http.StatusBadRequest, "Log format: "+err.Error())
		}
	}
	if _, _, err = pipeline.Window(up.start, up.end, s.o.Now(), false); err != nil {
		return refuse(http.StatusBadRequest, "Window: "+usererr.Message(err))
	}
	if len(up.files) == 0 {
		return refuse(http.StatusBadRequest, "No files were chosen: choose one or more flow-log files to upload.")
	}
	var names []string
	for _, f := range up.files {
		names = append(names, f.name)
		in.Items = append(in.Items, ingest.Item{Path: f.path, Source: uploadSource + f.name})
	}
	in.Command = "workbench upload " + strings.Join(names, " ")
	title := fmt.Sprintf("Ingest of %s", format.Nouns(int64(len(names)), "uploaded file"))
	j, err := s.jobs.start(caseName, ingestKind, title, func(ctx context.Context, j *job) error {
		defer os.RemoveAll(up.dir)
		return s.ingestJob(ctx, j, path, caseName, in)
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
