package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWatchRead(t *testing.T) {
	if _, err := os.Stat("/proc/self/fdinfo"); err != nil {
		t.Skip("no /proc/self/fdinfo here: progress inside a file is not reported")
	}
	p := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(p, make([]byte, 10_000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 2_500)); err != nil {
		t.Fatal(err)
	}
	got := make(chan ReadProgress, 100)
	stop := watchRead(p, 10_000, 10*time.Millisecond, func(r ReadProgress) { got <- r })
	var r ReadProgress
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no progress reported")
	}
	stop()
	if r.Read != 2_500 || r.Size != 10_000 || !strings.HasPrefix(r.String(), "2.4 KiB of 9.8 KiB (25%)") {
		t.Errorf("progress %+v: %s", r, r)
	}
	// Stopped: nothing more is reported.
	for len(got) > 0 {
		<-got
	}
	time.Sleep(50 * time.Millisecond)
	if len(got) != 0 {
		t.Error("reported after stop")
	}

	t.Run("a file nobody reads", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "idle.log")
		os.WriteFile(other, []byte("x"), 0o644)
		reported := false
		stop := watchRead(other, 1, 5*time.Millisecond, func(ReadProgress) { reported = true })
		time.Sleep(40 * time.Millisecond)
		stop()
		if reported {
			t.Error("progress for a file no descriptor holds")
		}
	})
}
