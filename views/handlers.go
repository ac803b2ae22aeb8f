package views

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	sum, err := cs.Summary(ctx)
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
		return vm, nil
	})
	if err != nil {
		return err
	}
	vm := v.(OverviewVM)
	vm.Enrich = s.withHome(name, vm.Enrich)
	return render(c, http.StatusOK, overviewPage(vm), nil)
}

// coverageGap is the silence between records the overview counts as a gap
// in coverage (the coverage analysis's default).
const coverageGap = 15 * time.Minute

// overviewCounts counts the case's peers (the addresses that are not its
// focus) and the silences longer than coverageGap between its records.
func overviewCounts(ctx context.Context, cs *store.Case, vm *OverviewVM) error {
	if err := cs.DB.QueryRowContext(ctx, `SELECT count(*) FROM addresses a WHERE NOT EXISTS (SELECT 1 FROM focus_ips f WHERE f.addr = a.addr)`).
		Scan(&vm.Peers); err != nil {
		return fmt.Errorf("views: peers: %w", err)
	}
	// Records reduced to one row a minute, as the coverage analysis does.
	var longest sql.NullFloat64
	err := cs.DB.QueryRowContext(ctx, `WITH m AS (
			SELECT time_bucket(INTERVAL 1 MINUTE, start) AS minute, min(start) AS first_start, max("end") AS last_end
			FROM flows WHERE start IS NOT NULL GROUP BY ALL
		), r AS (
			SELECT first_start, max(last_end) OVER (ORDER BY minute ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen_until FROM m
		)
		SELECT count(*), max(epoch(first_start - seen_until)) FROM r WHERE first_start - seen_until > to_seconds(?::DOUBLE)`,
		coverageGap.Seconds()).Scan(&vm.Gaps, &longest)
	if err != nil {
		return fmt.Errorf("views: coverage gaps: %w", err)
	}
	vm.LongestGap = time.Duration(longest.Float64 * float64(time.Second))
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
	p, a, given, res, err := s.analysisResult(c)
	var bad *paramError
	if errors.As(err, &bad) {
		// The form again, saying what is wrong, with no result.
		vm := AnalysisVM{Case: caseName, Analysis: a, Href: analysisHref(caseName, a.Name), Values: given, ParamError: bad.msg}
		if vm.Runs, err = s.runHistory(ctx, p, caseName, a.Name); err != nil {
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
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "result-rows" {
		// Sorting, paging or filtering: the rows only, the rest stays.
		return render(c, http.StatusOK, resultRows(vm.Result), nil)
	}
	if vm.Runs, err = s.runHistory(ctx, p, caseName, a.Name); err != nil {
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
// analysis page does: a fresh run on POST, else the stored result.
func (s *server) analysisResult(c echo.Context) (path string, a queries.Analysis, given map[string]string, res *queries.Result, err error) {
	ctx := c.Request().Context()
	path, err = s.casePath(c.Param("case"))
	if err != nil {
		return
	}
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
	res, err = s.run(ctx, path, a, params, c.Request().Method == http.MethodPost)
	return
}

// runHistoryLen is how many runs of an analysis its page lists.
const runHistoryLen = 20

// runHistory lists the last runs of one analysis in a case, newest first.
func (s *server) runHistory(ctx context.Context, path, caseName, analysis string) ([]RunRow, error) {
	v, err := s.cache.get(path, "runs "+analysis, func() (any, error) {
		cs, err := s.openRead(ctx, caseName)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		runs, err := queries.Runs(ctx, cs)
		if err != nil {
			return nil, err
		}
		out := []RunRow{}
		for _, r := range runs {
			if r.Analysis != analysis {
				continue
			}
			out = append(out, runRow(r))
			if len(out) == runHistoryLen {
				break
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]RunRow), nil
}

// run answers an analysis: a stored result through a read-only handle when
// one exists and the derived tables are current, else a run on a handle
// opened for writing just for it.
func (s *server) run(ctx context.Context, path string, a queries.Analysis, params map[string]any, fresh bool) (*queries.Result, error) {
	o := queries.Options{Fresh: fresh, Program: s.o.Program}
	if !fresh {
		if r, ok := s.storedResult(ctx, path, a, params); ok {
			return r, nil
		}
	}
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	return queries.Run(ctx, cs, a, params, o)
}

// storedResult answers from the case's stored runs through a read-only
// handle, when it has the same question on the same data.
func (s *server) storedResult(ctx context.Context, path string, a queries.Analysis, params map[string]any) (*queries.Result, bool) {
	key, err := json.Marshal(params)
	if err != nil {
		return nil, false
	}
	v, err := s.cache.get(path, "stored "+a.Name+" "+a.SHA256+" "+string(key), func() (any, error) {
		cs, err := store.Open(ctx, path, store.Options{ReadOnly: true, Wait: s.o.Wait})
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		r, err := queries.Stored(ctx, cs, a, params)
		if err != nil || r == nil {
			return nil, errors.New("no stored result") // not kept: the next request looks again
		}
		return r, nil
	})
	if err != nil {
		return nil, false
	}
	return v.(*queries.Result), true
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
