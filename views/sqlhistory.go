package views

import (
	"sync"
	"time"
)

// sqlHistoryMax is how many statements the console keeps per case.
const sqlHistoryMax = 50

// sqlHistory is the SQL console's history: the statements run in this serve
// process, per case, newest first. It lives on the server, not in the
// browser: the console works with no script of its own (the pages run htmx
// alone, and the content security policy allows no inline code), the list is
// rendered and tested like any other part of a page, and a statement — which
// may name an address under investigation — is not written to the browser's
// storage or to disk. It ends with the process; the case file keeps only
// what changes the investigation record.
type sqlHistory struct {
	mu     sync.Mutex
	next   int                       // the last id given
	byCase map[string][]HistoryEntry // newest first
}

// HistoryEntry is one statement of the console's history and how its last
// run went.
type HistoryEntry struct {
	ID    int
	Query string
	At    time.Time
	Rows  int
	Error bool
}

// add puts a statement at the top of the case's history; one run before
// moves up rather than appearing twice. It returns the entries.
func (h *sqlHistory) add(caseName string, e HistoryEntry) []HistoryEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byCase == nil {
		h.byCase = map[string][]HistoryEntry{}
	}
	h.next++
	e.ID = h.next
	list := []HistoryEntry{e}
	for _, old := range h.byCase[caseName] {
		if old.Query != e.Query && len(list) < sqlHistoryMax {
			list = append(list, old)
		}
	}
	h.byCase[caseName] = list
	return list
}

// list is the case's history, newest first.
func (h *sqlHistory) list(caseName string) []HistoryEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HistoryEntry(nil), h.byCase[caseName]...)
}

// query is the statement of the case's history entry id.
func (h *sqlHistory) query(caseName string, id int) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.byCase[caseName] {
		if e.ID == id {
			return e.Query, true
		}
	}
	return "", false
}
