package views

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

const (
	sqlMaxRows = 1000             // rows shown of a console result
	sqlTimeout = 10 * time.Second // how long a console statement may run
)

// sqlConsole is the SQL console of a case: a form on GET, on POST the
// statement run on a read-only handle with external access off and the
// configuration locked, within a time limit and a row cap. The result or the
// error is shown inline (a fragment for htmx).
func (s *server) sqlConsole(c echo.Context) error {
	caseName := c.Param("case")
	p, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	vm := SQLVM{Case: caseName, Href: caseHref(caseName) + "/sql", Path: abs}
	if c.Request().Method != http.MethodPost {
		return render(c, http.StatusOK, sqlPage(vm), nil)
	}
	vm.Query = strings.TrimSpace(c.FormValue("query"))
	vm.Ran = true
	if vm.Query == "" {
		vm.Error = "No statement given."
	} else {
		s.runConsole(c.Request().Context(), p, &vm)
	}
	return render(c, http.StatusOK, sqlPage(vm), sqlResultFragment(vm))
}

// runConsole runs the console statement into vm. Errors of the statement
// (syntax, permission, read-only, time limit) become vm.Error; a case that
// cannot be opened does too, since the page is already there.
func (s *server) runConsole(ctx context.Context, path string, vm *SQLVM) {
	cs, err := store.Open(ctx, path, store.Options{ReadOnly: true, Wait: s.o.Wait})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			vm.Error = "The case is in use by another program; try again when it has finished."
		} else {
			s.log.Warn("sql console: open", "path", path, "err", err)
			vm.Error = "The case cannot be opened."
		}
		return
	}
	defer cs.Close()
	if err := queries.Sandbox(ctx, cs); err != nil {
		s.log.Error("sql console: lock down", "err", err)
		vm.Error = "The console could not be made safe; the statement was not run."
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sqlTimeout)
	defer cancel()
	began := time.Now()
	cols, rows, err := queries.Query(ctx, cs.DB, vm.Query, sqlMaxRows)
	vm.Duration = time.Since(began).Round(time.Millisecond).String()
	switch {
	case errors.Is(err, queries.ErrTruncated):
		vm.Truncated = true
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		vm.Error = "The statement ran longer than " + sqlTimeout.String() + " and was stopped."
		return
	case err != nil:
		vm.Error = err.Error()
		return
	}
	vm.Result = simpleTable(vm.Case, cols, rows, false)
	vm.Rows = len(rows)
}
