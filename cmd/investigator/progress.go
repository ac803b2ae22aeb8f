package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
)

// progress draws a one-line progress bar on stderr when stderr is a
// terminal, and nothing otherwise (logs and CI stay clean).
type progress struct {
	a       *app
	total   int
	records int64
	began   time.Time
}

func newProgress(a *app, total int) *progress {
	return &progress{a: a, total: total, began: time.Now()}
}

func (p *progress) file(i int, path string) {
	if !p.a.terminal {
		return
	}
	const width = 24
	filled := width * i / max(p.total, 1)
	bar := make([]byte, width)
	for j := range bar {
		bar[j] = '.'
		if j < filled {
			bar[j] = '#'
		}
	}
	fmt.Fprintf(p.a.stderr, "\r\033[K[%s] %d/%d files, %s records, %s  %s", bar, i, p.total, format.Count(p.records),
		time.Since(p.began).Round(time.Second), filepath.Base(path))
}

// reading shows how far the current file's reading has come.
func (p *progress) reading(i int, r ingest.ReadProgress) {
	if !p.a.terminal {
		return
	}
	if p.total == 0 { // an object of a pull, whose own progress has the counts
		fmt.Fprintf(p.a.stderr, "\r\033[K  %s: %s", filepath.Base(r.Path), r)
		return
	}
	fmt.Fprintf(p.a.stderr, "\r\033[K[%d/%d files, %s records, %s]  %s: %s", i, p.total, format.Count(p.records),
		time.Since(p.began).Round(time.Second), filepath.Base(r.Path), r)
}

func (p *progress) done(r ingest.FileResult) { p.records += r.Records }

func (p *progress) finish() {
	if p.a.terminal {
		fmt.Fprint(p.a.stderr, "\r\033[K")
	}
}
