package views

import (
	"context"
	"errors"

	"github.com/investigator/investigator/store"
)

// caseAccess is one request's access to a case file: a read-only handle
// opened at most once, when first needed, and kept until the request ends or
// a write needs the case (DuckDB will not open a file for writing beside this
// process's reader). What a write reads on its own handle for the rest of
// the request (the run history) is kept here, so the case is not opened
// read-only a second time.
type caseAccess struct {
	path   string
	o      store.Options // how a read-only open waits
	opened bool
	ro     *store.Case
	roErr  error
	// runs is the run history a run read on its write handle (nil: none).
	runs []RunRow
	// record is the investigation record a run read on its write handle
	// (nil: none).
	record *recordState
}

func (s *server) access(path string) *caseAccess {
	return &caseAccess{path: path, o: store.Options{ReadOnly: true, Wait: s.o.Wait}}
}

// read is the request's read-only handle, opened on first use. An open that
// failed fails again without a second try.
func (a *caseAccess) read(ctx context.Context) (*store.Case, error) {
	if !a.opened {
		a.opened = true
		a.ro, a.roErr = store.Open(ctx, a.path, a.o)
	}
	return a.ro, a.roErr
}

// closeRead releases the read-only handle, for a write to open the case;
// the request reads no more through it.
func (a *caseAccess) closeRead() {
	if a == nil {
		return
	}
	if a.ro != nil {
		a.ro.Close()
	}
	a.opened, a.ro, a.roErr = true, nil, errReadClosed
}

// close ends the request's access.
func (a *caseAccess) close() { a.closeRead() }

// errReadClosed is a read asked for after a write in the same request: a
// mistake of this package, since what a request reads after it wrote comes
// from the write handle.
var errReadClosed = errors.New("views: the case was read after a write in the same request")
