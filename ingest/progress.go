package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/internal/format"
)

// ReadProgress is how far the reading of one file has come: a large file
// must not look hung.
type ReadProgress struct {
	Path    string // the file as its result names it
	Read    int64  // bytes of the file read so far
	Size    int64  // bytes of the file
	Elapsed time.Duration
}

// String is the progress for people: "57.0 MiB of 108.4 MiB (52%), 25.3 MiB/s".
func (p ReadProgress) String() string {
	s := format.Bytes(p.Read) + " of " + format.Bytes(p.Size)
	if p.Size > 0 {
		s += fmt.Sprintf(" (%d%%)", p.Read*100/p.Size)
	}
	if sec := p.Elapsed.Seconds(); sec > 0 {
		s += ", " + format.Bytes(int64(float64(p.Read)/sec)) + "/s"
	}
	return s
}

// progressEvery is how often a file's reading is reported.
const progressEvery = 500 * time.Millisecond

// watchRead reports, every interval until stop is called, how far this
// process has read the file at path. The engine reads a file itself, so the
// only witness is the offset of the descriptor it has open on the file
// (Linux's /proc/self/fdinfo), which its sequential reads advance; the line
// parser's reads advance it the same way. Where there is no /proc, or the
// file is read by position, it reports nothing.
func watchRead(path string, size int64, every time.Duration, report func(ReadProgress)) (stop func()) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	began := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		fd := ""
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var pos int64
			var ok bool
			// An offset of 0 says nothing: a reader by position (Parquet)
			// does not move it.
			if fd, pos, ok = readOffset(abs, fd); ok && pos > 0 {
				report(ReadProgress{Path: path, Read: min(pos, size), Size: size, Elapsed: time.Since(began)})
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// readOffset is the offset of this process's descriptor open on abs: the
// one found before (fd) when it still is, else the first that is.
func readOffset(abs, fd string) (string, int64, bool) {
	if fd == "" || !isFile(fd, abs) {
		fd = ""
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return "", 0, false
		}
		for _, e := range entries {
			if isFile(e.Name(), abs) {
				fd = e.Name()
				break
			}
		}
		if fd == "" {
			return "", 0, false
		}
	}
	info, err := os.ReadFile("/proc/self/fdinfo/" + fd)
	if err != nil {
		return "", 0, false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "pos:"); ok {
			pos, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return fd, pos, err == nil
		}
	}
	return "", 0, false
}

func isFile(fd, abs string) bool {
	target, err := os.Readlink("/proc/self/fd/" + fd)
	return err == nil && target == abs
}
