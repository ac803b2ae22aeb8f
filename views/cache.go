package views

import (
	"os"
	"sync"
	"time"
)

// pageCache keeps what pages computed from a case for as long as the case
// file is unchanged: a write changes the file or its write-ahead log, so
// their sizes and modification times identify the data. Browsing a case
// that nobody writes then costs a stat, not an open and a scan of millions
// of records — and the case is not held open between requests, so a CLI
// ingest can always take it.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry // case file path -> its entry
}

type cacheEntry struct {
	state  fileState
	values map[string]any
}

type fileState struct {
	size, walSize int64
	mod, walMod   time.Time
}

const maxCachedValues = 256 // per case: pivots of many addresses must not grow without end

func stateOf(path string) (fileState, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return fileState{}, false
	}
	fs := fileState{size: st.Size(), mod: st.ModTime()}
	if wal, err := os.Stat(path + ".wal"); err == nil {
		fs.walSize, fs.walMod = wal.Size(), wal.ModTime()
	}
	return fs, true
}

// get returns the value stored under key for the case file's current state,
// computing (and keeping) it when there is none. Errors are not kept.
func (p *pageCache) get(path, key string, compute func() (any, error)) (any, error) {
	state, ok := stateOf(path)
	if ok {
		p.mu.Lock()
		if e := p.entries[path]; e != nil && e.state == state {
			if v, ok := e.values[key]; ok {
				p.mu.Unlock()
				return v, nil
			}
		}
		p.mu.Unlock()
	}
	v, err := compute()
	if err != nil || !ok {
		return v, err
	}
	// Keep it only if the file did not change while it was computed.
	if after, ok := stateOf(path); !ok || after != state {
		return v, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[string]*cacheEntry{}
	}
	e := p.entries[path]
	if e == nil || e.state != state || len(e.values) >= maxCachedValues {
		e = &cacheEntry{state: state, values: map[string]any{}}
		p.entries[path] = e
	}
	e.values[key] = v
	return v, nil
}
