package views

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitEnded polls the job until it has ended, within a deadline.
func waitEnded(t *testing.T, j *job) JobVM {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for j.running() {
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running", j.Title)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return j.view()
}

func TestJobRunner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newJobRunner(ctx, slog.New(slog.DiscardHandler))

	t.Run("one job per case", func(t *testing.T) {
		release := make(chan struct{})
		first, err := r.start("a", "ingest", "First", func(ctx context.Context, j *job) error {
			j.progress("waiting")
			<-release
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.ID) != 16 || strings.Trim(first.ID, "0123456789abcdef") != "" {
			t.Errorf("id %q: want 16 hex digits", first.ID)
		}
		_, err = r.start("a", "ingest", "Second", func(context.Context, *job) error { return nil })
		var busy *busyError
		if !errors.As(err, &busy) || busy.job != first || !strings.Contains(err.Error(), `"First"`) || !strings.Contains(err.Error(), first.ID) {
			t.Errorf("second job on the case: %v", err)
		}
		other, err := r.start("b", "ingest", "Elsewhere", func(context.Context, *job) error { return nil })
		if err != nil {
			t.Fatalf("a job on another case: %v", err)
		}
		waitEnded(t, other)
		if j, ok := r.running("a"); !ok || j != first {
			t.Errorf("running on a: %v %v", j, ok)
		}
		if vm := first.view(); vm.State != jobRunning || vm.Progress != "waiting" || !vm.Running() {
			t.Errorf("first while running: %+v", vm)
		}
		close(release)
		if vm := waitEnded(t, first); vm.State != jobDone || vm.Error != "" {
			t.Errorf("first ended: %+v", vm)
		}
		if _, ok := r.running("a"); ok {
			t.Error("case a still busy")
		}
		if got, ok := r.get(first.ID); !ok || got != first {
			t.Error("ended job forgotten")
		}
		if jobs := r.ofCase("a"); len(jobs) != 1 || jobs[0] != first {
			t.Errorf("jobs of a: %v", jobs)
		}
	})

	t.Run("failure, panic and a bounded log", func(t *testing.T) {
		j, err := r.start("c", "ingest", "Fails", func(ctx context.Context, j *job) error {
			for i := range jobLogLines + 50 {
				j.log(fmt.Sprintf("line %d", i))
			}
			return errors.New("3 of 3 files did not land")
		})
		if err != nil {
			t.Fatal(err)
		}
		vm := waitEnded(t, j)
		if vm.State != jobFailed || vm.Error != "3 of 3 files did not land" {
			t.Errorf("failed job: state %s, error %q", vm.State, vm.Error)
		}
		if len(vm.Lines) != jobLogLines || vm.Dropped != 50 || vm.Lines[0] != "line 50" || vm.Lines[len(vm.Lines)-1] != fmt.Sprintf("line %d", jobLogLines+49) {
			t.Errorf("log: %d lines, %d dropped, first %q", len(vm.Lines), vm.Dropped, vm.Lines[0])
		}
		p, err := r.start("c", "ingest", "Panics", func(context.Context, *job) error { panic("boom") })
		if err != nil {
			t.Fatal(err)
		}
		if vm := waitEnded(t, p); vm.State != jobFailed || !strings.Contains(vm.Error, "internal error") {
			t.Errorf("panicking job: %+v", vm)
		}
	})

	t.Run("ended jobs are forgotten beyond the limit", func(t *testing.T) {
		r := newJobRunner(ctx, slog.New(slog.DiscardHandler))
		var first *job
		for i := range jobsKept + 5 {
			j, err := r.start("d", "ingest", fmt.Sprint(i), func(context.Context, *job) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			waitEnded(t, j)
			if i == 0 {
				first = j
			}
		}
		if _, ok := r.get(first.ID); ok {
			t.Error("the oldest job is still kept")
		}
		// The limit applies when a job starts: the one that starts is kept
		// besides jobsKept ended ones.
		if n := len(r.ofCase("d")); n != jobsKept+1 {
			t.Errorf("%d jobs kept, want %d", n, jobsKept+1)
		}
	})

	t.Run("shutdown stops jobs", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r := newJobRunner(ctx, slog.New(slog.DiscardHandler))
		started := make(chan struct{})
		j, err := r.start("e", "ingest", "Long", func(ctx context.Context, j *job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		cancel()
		if vm := waitEnded(t, j); vm.State != jobFailed || !strings.Contains(vm.Error, "shut down") {
			t.Errorf("stopped job: %+v", vm)
		}
		if _, err := r.start("e", "ingest", "Late", func(context.Context, *job) error { return nil }); err == nil {
			t.Error("a job started after shutdown")
		}
	})
}

func TestJobPage(t *testing.T) {
	e := newServer(t)
	for _, target := range []string{"/cases/demo/jobs/0123456789abcdef", "/cases/nosuch/jobs/0123456789abcdef"} {
		r := get(t, e, target)
		if r.code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, r.code)
		}
		if msg := text(r, `[data-testid="error-message"]`); !strings.Contains(msg, "No such job") {
			t.Errorf("%s: message %q", target, msg)
		}
	}
}
