package views

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// Background jobs: tasks that outlive their request (an ingest, an
// enrichment), at most one per case, followed on a job page that polls
// itself. Jobs are kept in memory only: a restart forgets them, never the
// case (what a job wrote is in the case file).

const (
	jobLogLines = 200 // log lines a job keeps: the last ones
	jobsKept    = 100 // ended jobs the workbench remembers
)

// Job states.
const (
	jobRunning = "running"
	jobDone    = "done"
	jobFailed  = "failed"
)

// job is one background task on a case. Its task reports through progress
// and log; the job page reads it through view.
type job struct {
	ID, Case, Kind, Title string
	Started               time.Time

	mu       sync.Mutex
	state    string
	ended    time.Time
	status   string   // the progress text: what the task is doing now
	lines    []string // the last jobLogLines lines of the log
	dropped  int      // earlier lines not kept
	err      string   // why it failed
	ingestID int64    // the manifest entry the task made, when it ingested
}

// progress replaces the job's progress text.
func (j *job) progress(text string) {
	j.mu.Lock()
	j.status = text
	j.mu.Unlock()
}

// log adds a line to the job's log, dropping the oldest beyond jobLogLines.
func (j *job) log(line string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, line)
	if over := len(j.lines) - jobLogLines; over > 0 {
		j.lines = append(j.lines[:0:0], j.lines[over:]...)
		j.dropped += over
	}
}

// setIngest records the ingest the task made: the job page lists its files.
func (j *job) setIngest(id int64) {
	j.mu.Lock()
	j.ingestID = id
	j.mu.Unlock()
}

func (j *job) end(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ended = time.Now()
	j.state = jobDone
	if err != nil {
		j.state, j.err = jobFailed, err.Error()
	}
}

func (j *job) running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state == jobRunning
}

// JobVM is a job as its page shows it.
type JobVM struct {
	ID, Case, Kind, Title string
	Href                  string // the job page
	State                 string // running, done or failed
	Started, Elapsed      string
	Progress              string
	Lines                 []string
	Dropped               int
	Error                 string
	// Files are the manifest entries an ended ingest added, Records their
	// records; FilesNote says why they could not be read.
	Files     []store.File
	Records   int64
	FilesNote string
	ingestID  int64
}

// Running reports whether the job page should keep polling.
func (vm JobVM) Running() bool { return vm.State == jobRunning }

// view is a copy of the job's state for its page.
func (j *job) view() JobVM {
	j.mu.Lock()
	defer j.mu.Unlock()
	end := j.ended
	if j.state == jobRunning {
		end = time.Now()
	}
	return JobVM{
		ID: j.ID, Case: j.Case, Kind: j.Kind, Title: j.Title, Href: jobHref(j.Case, j.ID),
		State: j.state, Started: format.Time(j.Started), Elapsed: elapsed(end.Sub(j.Started)),
		Progress: j.status, Lines: append([]string(nil), j.lines...), Dropped: j.dropped, Error: j.err, ingestID: j.ingestID,
	}
}

// elapsed renders a job's duration as precisely as is useful.
func elapsed(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// jobRunner starts and keeps the jobs. Their context is the workbench's:
// cancelled when the server shuts down, not when a request ends.
type jobRunner struct {
	ctx  context.Context
	log  *slog.Logger
	mu   sync.Mutex
	byID map[string]*job
	all  []*job          // in the order they started
	busy map[string]*job // the running job of each case
}

func newJobRunner(ctx context.Context, log *slog.Logger) *jobRunner {
	return &jobRunner{ctx: ctx, log: log, byID: map[string]*job{}, busy: map[string]*job{}}
}

// busyError refuses a job on a case that already runs one.
type busyError struct{ job *job }

func (e *busyError) Error() string {
	return fmt.Sprintf("case %s is busy with the job %q (%s), started %s UTC: start this one when it has ended",
		e.job.Case, e.job.Title, e.job.ID, format.Time(e.job.Started))
}

// start runs fn in the background as a job on the case, unless the case
// runs a job already (a *busyError naming it). The job ends done when fn
// returns nil, else failed with the error's message.
func (r *jobRunner) start(caseName, kind, title string, fn func(ctx context.Context, j *job) error) (*job, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("views: job id: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.busy[caseName]; cur != nil {
		return nil, &busyError{job: cur}
	}
	if r.ctx.Err() != nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "The workbench is shutting down: no new jobs.")
	}
	j := &job{ID: hex.EncodeToString(id[:]), Case: caseName, Kind: kind, Title: title, Started: time.Now(), state: jobRunning}
	r.byID[j.ID] = j
	r.all = append(r.all, j)
	r.busy[caseName] = j
	r.forget()
	go r.run(j, fn)
	return j, nil
}

func (r *jobRunner) run(j *job, fn func(ctx context.Context, j *job) error) {
	r.log.Info("job started", "job", j.ID, "case", j.Case, "kind", j.Kind, "title", j.Title)
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				r.log.Error("job panicked", "job", j.ID, "panic", p, "stack", string(debug.Stack()))
				err = errors.New("internal error; the server log has the details")
			}
		}()
		return fn(r.ctx, j)
	}()
	if err != nil && r.ctx.Err() != nil {
		err = errors.New("stopped: the workbench was shut down; what landed before is in the case")
	}
	// The case is free before the job shows as ended, so that whoever sees
	// it ended can start the next one.
	r.mu.Lock()
	delete(r.busy, j.Case)
	r.mu.Unlock()
	j.end(err)
	r.log.Info("job ended", "job", j.ID, "case", j.Case, "err", err)
}

// forget drops the oldest ended jobs beyond jobsKept. r.mu is held.
func (r *jobRunner) forget() {
	ended := 0
	for _, j := range r.all {
		if !j.running() {
			ended++
		}
	}
	kept := r.all[:0]
	for _, j := range r.all {
		if ended > jobsKept && !j.running() {
			delete(r.byID, j.ID)
			ended--
			continue
		}
		kept = append(kept, j)
	}
	r.all = kept
}

// get finds a job by id.
func (r *jobRunner) get(id string) (*job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.byID[id]
	return j, ok
}

// running is the job running on the case, if any.
func (r *jobRunner) running(caseName string) (*job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.busy[caseName]
	return j, ok
}

// ofCase lists the case's jobs, newest first.
func (r *jobRunner) ofCase(caseName string) []*job {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*job
	for i := len(r.all) - 1; i >= 0; i-- {
		if r.all[i].Case == caseName {
			out = append(out, r.all[i])
		}
	}
	return out
}

// jobPage shows a job: a full page, or for htmx (its own polling) the
// fragment, which stops polling once the job has ended.
func (s *server) jobPage(c echo.Context) error {
	caseName := c.Param("case")
	j, ok := s.jobs.get(c.Param("id"))
	if !ok || j.Case != caseName {
		return echo.NewHTTPError(http.StatusNotFound, "No such job: jobs are kept in memory while the workbench runs, so a restart forgets them (what they wrote is in the case).")
	}
	vm := j.view()
	if !vm.Running() && vm.ingestID != 0 {
		s.jobFiles(c.Request().Context(), &vm)
	}
	return render(c, http.StatusOK, jobPage(vm), jobFragment(vm))
}

// jobFiles reads the manifest entries of the job's ingest into vm.
func (s *server) jobFiles(ctx context.Context, vm *JobVM) {
	cs, err := s.openRead(ctx, vm.Case)
	if err != nil {
		s.log.Warn("job page: open case", "case", vm.Case, "err", err)
		vm.FilesNote = "The case cannot be read just now, so the files this job added are not listed; the case overview has them."
		return
	}
	defer cs.Close()
	files, err := cs.Files(ctx)
	if err != nil {
		s.log.Warn("job page: manifest", "case", vm.Case, "err", err)
		vm.FilesNote = "The case's manifest cannot be read; the case overview may say more."
		return
	}
	for _, f := range files {
		if f.IngestID == vm.ingestID {
			vm.Files = append(vm.Files, f)
			vm.Records += f.Records
		}
	}
}

// jobError is the page for an error that a job of this workbench explains:
// a job refused because the case runs one (409), or a page of a case that a
// running job holds for writing (503). Both link to the running job.
func (s *server) jobError(err error, c echo.Context) (int, templ.Component, bool) {
	var busy *busyError
	if errors.As(err, &busy) {
		vm := busy.job.view()
		return http.StatusConflict, jobBusyPage(http.StatusConflict, "A job is already running on this case; start this one when it has ended.", vm), true
	}
	caseName := c.Param("case")
	if caseName == "" || !errors.Is(err, store.ErrLocked) {
		return 0, nil, false
	}
	j, ok := s.jobs.running(caseName)
	if !ok {
		return 0, nil, false
	}
	vm := j.view()
	msg := "An " + vm.Kind + " from this workbench is running on this case and holds it for writing; its pages are back when the job has ended."
	if vm.Kind != "ingest" {
		msg = "A job from this workbench (" + vm.Kind + ") is running on this case and holds it for writing; its pages are back when the job has ended."
	}
	return http.StatusServiceUnavailable, jobBusyPage(http.StatusServiceUnavailable, msg, vm), true
}

func jobHref(caseName, id string) string {
	return caseHref(caseName) + "/jobs/" + url.PathEscape(id)
}
