package views

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// cases lists the case files of the folder, each read once while it is
// unchanged; a case held by a writer is shown as in use.
func (s *server) cases(c echo.Context) error {
	ctx := c.Request().Context()
	paths, err := store.List(s.o.CasesDir)
	if err != nil {
		return err
	}
	vm := CasesVM{Dir: s.o.CasesDir}
	if _, err := s.awsConfig(ctx); err == nil {
		vm.AWS = true
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), store.Ext)
		if store.ValidName(name) != nil {
			continue // not reachable by URL; the CLI can still open it by path
		}
		row := CaseRow{Name: name, Href: caseHref(name)}
		v, err := s.cache.get(p, "case row", func() (any, error) { return caseRow(ctx, p, row) })
		switch {
		case errors.Is(err, store.ErrLocked):
			row.Status = "in use"
		case err != nil:
			row.Status = "cannot read"
			s.log.Warn("case summary", "path", p, "err", err)
		default:
			row = v.(CaseRow)
		}
		if st, err := os.Stat(p); err == nil {
			row.Size = st.Size()
		}
		vm.Cases = append(vm.Cases, row)
	}
	return render(c, http.StatusOK, casesPage(vm), nil)
}

// caseRow reads what the cases list shows of one case.
func caseRow(ctx context.Context, path string, row CaseRow) (CaseRow, error) {
	cs, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return row, err
	}
	defer cs.Close()
	sum, err := cs.Brief(ctx)
	if err != nil {
		return row, err
	}
	info, err := cs.Info(ctx)
	if err != nil {
		return row, err
	}
	row.Records, row.First, row.Last, row.LastIngest, row.OK = sum.Records, sum.First, sum.Last, sum.LastIngest, true
	for _, f := range info.Focus {
		row.Focus = append(row.Focus, f.Addr.String())
	}
	row.Description = info.Description
	return row, nil
}

// overview shows one case: counts, time range, focus, CIDRs, recent files.
func (s *server) overview(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	v, err := s.cache.get(p, "overview", func() (any, error) {
		cs, err := s.openRead(ctx, name)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		info, err := cs.Info(ctx)
		if err != nil {
			return nil, err
		}
		sum, err := cs.Summary(ctx)
		if err != nil {
			return nil, err
		}
		files, err := cs.Files(ctx)
		if err != nil {
			return nil, err
		}
		ch, err := charts(ctx, cs, name, sum)
		if err != nil {
			return nil, err
		}
		const lastFiles = 20
		if len(files) > lastFiles {
			files = files[len(files)-lastFiles:]
		}
		enr, err := enrichStatus(ctx, cs)
		if err != nil {
			return nil, err
		}
		vm := OverviewVM{Name: cs.Name, Info: info, Summary: sum, Files: files, Analyses: s.analysisRows(cs.Name), Charts: ch, Enrich: enr,
			CoverageHref: analysisHref(cs.Name, "coverage")}
		if err := overviewCounts(ctx, cs, &vm); err != nil {
			return nil, err
		}
		if vm.Findings, vm.FindingsTotal, err = findingRows(ctx, cs, cs.Name); err != nil {
			return nil, err
		}
		return vm, nil
	})
	if err != nil {
		return err
	}
	vm := v.(OverviewVM)
	vm.Enrich = s.withHome(name, vm.Enrich)
	return render(c, http.StatusOK, overviewPage(vm), nil)
}

// overviewCounts counts the case's peers (the addresses that are not its
// focus) and its coverage gaps as the coverage analysis counts them.
func overviewCounts(ctx context.Context, cs *store.Case, vm *OverviewVM) error {
	o, err := queries.Overview(ctx, cs)
	if err != nil {
		return err
	}
	vm.Peers, vm.GapsText = o.Peers, gapsText(o)
	return nil
}

// analyses lists the analyses of the registry for a case.
func (s *server) analyses(c echo.Context) error {
	name := c.Param("case")
	if _, err := s.casePath(name); err != nil {
		return err
	}
	return render(c, http.StatusOK, analysesPage(AnalysesVM{Case: name, Analyses: s.analysisRows(name)}), nil)
}

func (s *server) analysisRows(caseName string) []AnalysisRow {
	var out []AnalysisRow
	for _, a := range s.reg.All() {
		out = append(out, AnalysisRow{Name: a.Name, Title: a.Title, Description: a.Description, Version: a.Version, Href: analysisHref(caseName, a.Name)})
	}
	return out
}

// analysis shows an analysis with its parameters and a result: on GET the
// stored result for these parameters (run when there is none), on POST a
// fresh run. htmx requests get the result fragment (and the run history,
// swapped out of band) only.
func (s *server) analysis(c echo.Context) error {
	ctx := c.Request().Context()
	caseName := c.Param("case")
	acc, a, given, res, err := s.analysisResult(c)
	defer acc.close()
	var bad *paramError
	if errors.As(err, &bad) {
		// The form again, saying what is wrong, with no result.
		vm := AnalysisVM{Case: caseName, Analysis: a, Href: analysisHref(caseName, a.Name), Values: given, ParamError: bad.msg}
		if vm.Runs, err = s.runHistory(ctx, acc, a.Name); err != nil {
			return err
		}
		return render(c, http.StatusBadRequest, analysisPage(vm), analysisFragment(vm))
	}
	if err != nil {
		return err
	}
	// A re-run shows its result from the top; browsing a result keeps the
	// view the address asks for.
	var view resultView
	if c.Request().Method == http.MethodGet {
		if view, err = parseResultView(c.QueryParams()); err != nil {
			return err
		}
	}
	vm := AnalysisVM{Case: caseName, Analysis: a, Href: analysisHref(caseName, a.Name), Values: given}
	if vm.Result, err = resultVM(caseName, vm.Href, given, res, view); err != nil {
		return err
	}
	vm.Result.CSVHref, vm.Result.JSONHref = downloadHrefs(caseName, a.Name, given)
	st, err := s.recordState(ctx, acc)
	if err != nil {
		return err
	}
	marks(&vm.Result.TableVM, st)
	rowRecords(&vm.Result.TableVM, caseName, vm.Result.RunID, c.Request().URL.RequestURI(), st, nil)
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "result-rows" {
		// Sorting, paging or filtering: the rows only, the rest stays.
		return render(c, http.StatusOK, resultRows(vm.Result), nil)
	}
	if vm.Runs, err = s.runHistory(ctx, acc, a.Name); err != nil {
		return err
	}
	return render(c, http.StatusOK, analysisPage(vm), analysisFragment(vm))
}

// paramError is a parameter an analysis cannot take (a missing port, a time
// that is not one): a 400 whose message the analysis page shows by its form.
type paramError struct {
	msg string
}

func (e *paramError) Error() string { return e.msg }

// Unwrap makes it the 400 it is where no form shows it (the downloads).
func (e *paramError) Unwrap() error { return echo.NewHTTPError(http.StatusBadRequest, e.msg) }

// analysisResult resolves the case and analysis of the request, binds the
// given parameters (form on POST, query on GET) and answers them as the
// analysis page does: a fresh run on POST, else the stored result. The
// request's access to the case comes back with it (nil when there is no
// such case), for the caller to read more and close.
func (s *server) analysisResult(c echo.Context) (acc *caseAccess, a queries.Analysis, given map[string]string, res *queries.Result, err error) {
	ctx := c.Request().Context()
	path, err := s.casePath(c.Param("case"))
	if err != nil {
		return
	}
	acc = s.access(path)
	a, ok := s.reg.Get(c.Param("name"))
	if !ok {
		err = echo.NewHTTPError(http.StatusNotFound, "No such analysis.")
		return
	}
	var values url.Values
	if c.Request().Method == http.MethodPost {
		values, err = c.FormParams()
		if err != nil {
			err = echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
			return
		}
	} else {
		values = c.QueryParams()
	}
	given = map[string]string{}
	for _, prm := range a.Params {
		if v := strings.TrimSpace(values.Get(prm.Name)); v != "" {
			given[prm.Name] = v
		}
	}
	params, err := a.Bind(given, s.o.Now())
	if err != nil {
		err = &paramError{msg: err.Error()}
		return
	}
	res, err = s.run(ctx, acc, a, params, c.Request().Method == http.MethodPost)
	return
}

// runHistoryLen is how many runs of an analysis its page lists.
const runHistoryLen = 20

// runHistory lists the last runs of one analysis in a case, newest first:
// those a run of this request read on its write handle, else through the
// request's read-only handle.
func (s *server) runHistory(ctx context.Context, acc *caseAccess, analysis string) ([]RunRow, error) {
	if acc.runs != nil {
		return acc.runs, nil
	}
	v, err := s.cache.get(acc.path, "runs "+analysis, func() (any, error) {
		cs, err := acc.read(ctx)
		if err != nil {
			return nil, err
		}
		return runRows(ctx, cs, analysis)
	})
	if err != nil {
		return nil, err
	}
	return v.([]RunRow), nil
}

func runRows(ctx context.Context, cs *store.Case, analysis string) ([]RunRow, error) {
	runs, err := queries.RunHistory(ctx, cs, analysis, runHistoryLen)
	if err != nil {
		return nil, err
	}
	out := make([]RunRow, len(runs))
	for i, r := range runs {
		out[i] = runRow(r)
	}
	return out, nil
}

// run answers an analysis: a stored result through the request's read-only
// handle when the case has one for the same question on the same data; else
// (a miss, or a fresh run asked for) a run on a handle opened for writing
// just for it, which also reads the run history the page lists. A case that
// cannot be read is an error, never taken for a miss.
func (s *server) run(ctx context.Context, acc *caseAccess, a queries.Analysis, params map[string]any, fresh bool) (*queries.Result, error) {
	if !fresh {
		r, err := s.storedResult(ctx, acc, a, params)
		if err != nil || r != nil {
			return r, err
		}
	}
	acc.closeRead()
	cs, err := store.Open(ctx, acc.path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	r, err := queries.Run(ctx, cs, a, params, queries.Options{Fresh: fresh, Program: s.o.Program})
	if err != nil {
		return nil, err
	}
	if acc.runs, err = runRows(ctx, cs, a.Name); err != nil {
		return nil, err
	}
	if acc.record, err = readRecordState(ctx, cs); err != nil {
		return nil, err
	}
	return r, nil
}

// errNoStored is a miss of storedResult's cache look-up (errors are not kept,
// so the next request looks again).
var errNoStored = errors.New("views: no stored result")

// storedResult is the case's stored result of the same question on the same
// data, nil when there is none.
func (s *server) storedResult(ctx context.Context, acc *caseAccess, a queries.Analysis, params map[string]any) (*queries.Result, error) {
	key, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	v, err := s.cache.get(acc.path, "stored "+a.Name+" "+a.SHA256+" "+string(key), func() (any, error) {
		cs, err := acc.read(ctx)
		if err != nil {
			return nil, err
		}
		r, err := queries.Stored(ctx, cs, a, params)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, errNoStored
		}
		return r, nil
	})
	switch {
	case errors.Is(err, errNoStored):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return v.(*queries.Result), nil
}

// downloadHrefs are the CSV and JSON downloads of an analysis with the
// given parameters.
func downloadHrefs(caseName, analysis string, given map[string]string) (csvHref, jsonHref string) {
	q := url.Values{}
	for k, v := range given {
		q.Set(k, v)
	}
	query := ""
	if len(q) > 0 {
		query = "?" + q.Encode()
	}
	base := analysisHref(caseName, analysis) + "/result"
	return base + ".csv" + query, base + ".json" + query
}

func caseHref(name string) string { return "/cases/" + url.PathEscape(name) }

func analysisHref(caseName, analysis string) string {
	return caseHref(caseName) + "/analyses/" + url.PathEscape(analysis)
}
