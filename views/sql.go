package views

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

const (
	sqlMaxRows    = 1000             // rows shown of a console result
	sqlMaxCSVRows = 100_000          // rows a console result downloads as CSV
	sqlTimeout    = 10 * time.Second // how long a console statement may run
)

// sqlConsole is the SQL console of a case. On GET, the page: the editor
// (holding an example, ?example=NAME, or a statement of the history,
// ?history=ID), the examples, the history and the case's schema; an htmx
// GET gets the editor alone, which is how a click on an example or a past
// statement puts it in place. On POST, the statement run on a read-only
// handle with external access off and the configuration locked, within a
// time limit and a row cap; the result or the error is shown inline (for
// htmx, the result, with the history swapped out of band).
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
	href := caseHref(caseName) + "/sql"
	vm := SQLVM{Case: caseName, Href: href, CSVHref: href + "/result.csv", Path: abs, Examples: queries.Examples()}
	if c.Request().Method != http.MethodPost {
		if vm.Query, err = s.editorQuery(c, caseName); err != nil {
			return err
		}
		vm.History = s.history.list(caseName)
		if !isHTMX(c) {
			vm.Schema, vm.SchemaError = s.caseSchema(c.Request().Context(), p)
		}
		return render(c, http.StatusOK, sqlPage(vm), sqlEditor(vm))
	}
	vm.Query = strings.TrimSpace(c.FormValue("query"))
	vm.Ran = true
	if vm.Query == "" {
		vm.Error = "No statement given."
	} else {
		began := time.Now()
		cols, rows, truncated, msg := s.runConsole(c.Request().Context(), p, vm.Query, sqlMaxRows)
		vm.Duration = time.Since(began).Round(time.Millisecond).String()
		vm.Error, vm.Truncated = msg, truncated
		if msg == "" {
			vm.Result = simpleTable(vm.Case, cols, rows, false)
			vm.Rows = len(rows)
		}
		s.history.add(caseName, HistoryEntry{Query: vm.Query, At: time.Now(), Rows: vm.Rows, Error: msg != ""})
	}
	vm.History = s.history.list(caseName)
	if !isHTMX(c) {
		vm.Schema, vm.SchemaError = s.caseSchema(c.Request().Context(), p)
	}
	return render(c, http.StatusOK, sqlPage(vm), sqlRunFragment(vm))
}

// editorQuery is the statement the editor opens with: an example, a
// statement of the history, or none.
func (s *server) editorQuery(c echo.Context, caseName string) (string, error) {
	if name := c.QueryParam("example"); name != "" {
		q := queries.ExampleSQL(name)
		if q == "" {
			return "", echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("No example statement named %q.", name))
		}
		return q, nil
	}
	if h := c.QueryParam("history"); h != "" {
		id, err := strconv.Atoi(h)
		q, ok := s.history.query(caseName, id)
		if err != nil || !ok {
			return "", echo.NewHTTPError(http.StatusNotFound, "That statement is not in this console's history (it keeps the last "+strconv.Itoa(sqlHistoryMax)+" statements while the workbench runs).")
		}
		return q, nil
	}
	return "", nil
}

// caseSchema is the case's tables and views with their columns, kept while
// the case file is unchanged; when the case cannot be read it says why
// instead, since the console works without it.
func (s *server) caseSchema(ctx context.Context, path string) ([]queries.TableSchema, string) {
	v, err := s.cache.get(path, "schema", func() (any, error) {
		cs, err := store.Open(ctx, path, store.Options{ReadOnly: true, Wait: s.o.Wait})
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		return queries.Schema(ctx, cs)
	})
	switch {
	case errors.Is(err, store.ErrLocked):
		return nil, "The case is in use by another program: its tables are listed when it is free."
	case err != nil:
		s.log.Warn("sql console: schema", "path", path, "err", err)
		return nil, "The case's tables could not be read."
	}
	return schemaOrder(v.([]queries.TableSchema)), ""
}

// schemaOrder puts the tables an analyst starts from first, flows at the
// top, then the others, each by name. It does not change the cached list.
func schemaOrder(tables []queries.TableSchema) []queries.TableSchema {
	rank := func(t queries.TableSchema) int {
		switch {
		case t.Name == "flows":
			return 0
		case t.About != "":
			return 1
		}
		return 2
	}
	out := slices.Clone(tables)
	slices.SortStableFunc(out, func(a, b queries.TableSchema) int { return cmp.Compare(rank(a), rank(b)) })
	return out
}

// sqlCSV downloads the result of a console statement as CSV, written as
// analysis results are (queries.WriteCSV) and named CASE-sql-TIME.csv. It
// runs the statement again, under the console's rules, and refuses a
// result longer than sqlMaxCSVRows rather than cut it short.
func (s *server) sqlCSV(c echo.Context) error {
	caseName := c.Param("case")
	p, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(c.FormValue("query"))
	if query == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "No statement given.")
	}
	cols, rows, truncated, msg := s.runConsole(c.Request().Context(), p, query, sqlMaxCSVRows)
	switch {
	case msg != "":
		return echo.NewHTTPError(http.StatusBadRequest, msg)
	case truncated:
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"The result has more than %s rows, the most the console downloads: add a LIMIT, or write all of it with investigator sql %s --format csv.",
			format.Count(sqlMaxCSVRows), caseName))
	}
	var buf bytes.Buffer
	if err := queries.WriteCSV(&buf, cols, rows); err != nil {
		return err
	}
	attachment(c, caseName, "sql", s.o.Now().UTC().Format("20060102-150405"), "csv")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// runConsole runs a console statement on a read-only, locked-down handle,
// within sqlTimeout, giving at most maxRows rows (truncated: there were
// more). A failure is msg, written for the analyst: the statement's error
// (syntax, permission, read-only), the time limit, or a case that cannot be
// opened.
func (s *server) runConsole(ctx context.Context, path, query string, maxRows int) (cols []queries.Column, rows [][]any, truncated bool, msg string) {
	cs, err := store.Open(ctx, path, store.Options{ReadOnly: true, Wait: s.o.Wait})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, nil, false, "The case is in use by another program; try again when it has finished."
		}
		s.log.Warn("sql console: open", "path", path, "err", err)
		return nil, nil, false, "The case cannot be opened."
	}
	defer cs.Close()
	if err := queries.Sandbox(ctx, cs); err != nil {
		s.log.Error("sql console: lock down", "err", err)
		return nil, nil, false, "The console could not be made safe; the statement was not run."
	}
	ctx, cancel := context.WithTimeout(ctx, sqlTimeout)
	defer cancel()
	cols, rows, err = queries.Query(ctx, cs.DB, query, maxRows)
	switch {
	case errors.Is(err, queries.ErrTruncated):
		return cols, rows, true, ""
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return nil, nil, false, "The statement ran longer than " + sqlTimeout.String() + " and was stopped."
	case err != nil:
		return nil, nil, false, err.Error()
	}
	return cols, rows, false, ""
}
