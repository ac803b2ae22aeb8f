package views

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// RunVM is the page of one stored run: what ran, and its rows as they were
// recorded, the rows a finding rests on marked.
type RunVM struct {
	Case, RunID, Analysis, Title, SHA256, Params, RanAt string
	Version, Rows                                       int
	AnalysisHref                                        string
	Current                                             bool // the analysis's SQL is still this run's
	Evidence                                            []int
	Table                                               TableVM
	// The page shown: rows First… of the run, page Page of Pages.
	First, Page, Pages int
	PrevHref, NextHref string
}

// RowPanelVM is the record of one row of a stored run: its cells, its
// star and notes, the star and tags of its addresses, and the finding form.
type RowPanelVM struct {
	Case, RunID, Analysis, RunHref, CloseHref, PanelID string
	Version, N                                         int
	Cells                                              [][2]string
	Notes                                              NotesVM
	Star                                               StarVM
	Addresses                                          []AddrRecordVM
	Finding                                            *FindingFormVM
}

// AddrRecordVM is an address of a row with its star and tags.
type AddrRecordVM struct {
	Addr, Href string
	Star       StarVM
	Tags       TagsVM
}

// storedRun is a stored run by id, kept while the case is unchanged.
func (s *server) storedRun(ctx context.Context, acc *caseAccess, runID string) (*queries.Result, error) {
	v, err := s.cache.get(acc.path, "run "+runID, func() (any, error) {
		cs, err := acc.read(ctx)
		if err != nil {
			return nil, err
		}
		return queries.StoredRun(ctx, cs, runID)
	})
	if err != nil {
		return nil, err
	}
	return v.(*queries.Result), nil
}

// runTitle is the title of a run's analysis, from the registry.
func (s *server) runTitle(r *queries.Result) string {
	if a, ok := s.reg.Get(r.Analysis); ok {
		return a.Title
	}
	return r.Analysis
}

// runPage shows a stored run; rows=2,3 marks the rows a finding rests on.
func (s *server) runPage(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	acc := s.access(p)
	defer acc.close()
	r, err := s.storedRun(ctx, acc, c.Param("run"))
	if err != nil {
		return notFoundPage(err)
	}
	st, err := s.recordState(ctx, acc)
	if err != nil {
		return err
	}
	vm := RunVM{Case: name, RunID: r.RunID, Analysis: r.Analysis, Title: s.runTitle(r), SHA256: r.SHA256, RanAt: format.Time(r.RanAt),
		Version: r.Version, Rows: len(r.Rows), AnalysisHref: analysisHref(name, r.Analysis)}
	if a, ok := s.reg.Get(r.Analysis); ok && a.SHA256 == r.SHA256 {
		vm.Current = true
	}
	var ps []string
	for k, v := range r.Params {
		if v != nil {
			ps = append(ps, k+"="+format.Cell(k, v))
		}
	}
	slices.Sort(ps)
	vm.Params = strings.Join(ps, " ")
	evidence := map[int]bool{}
	for _, v := range strings.Split(c.QueryParam("rows"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 1 && n <= len(r.Rows) {
			evidence[n] = true
			vm.Evidence = append(vm.Evidence, n)
		}
	}
	// A page of the run: the one asked for, else the first evidence row's.
	vm.Pages = max(1, (len(r.Rows)+resultPageSize-1)/resultPageSize)
	vm.Page = 1
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, "page: want a page number from 1, not "+strconv.Quote(v)+".")
		}
		vm.Page = min(n, vm.Pages)
	} else if len(vm.Evidence) > 0 {
		vm.Page = (slices.Min(vm.Evidence)-1)/resultPageSize + 1
	}
	from := (vm.Page - 1) * resultPageSize
	shown := r.Rows[from:min(from+resultPageSize, len(r.Rows))]
	nums := make([]int, len(shown))
	for i := range nums {
		nums[i] = from + i + 1
	}
	vm.First = from + 1
	pageHref := func(n int) string {
		q := url.Values{}
		if rows := c.QueryParam("rows"); rows != "" {
			q.Set("rows", rows)
		}
		q.Set("page", strconv.Itoa(n))
		return runHref(name, r.RunID) + "?" + q.Encode()
	}
	if vm.Page > 1 {
		vm.PrevHref = pageHref(vm.Page - 1)
	}
	if vm.Page < vm.Pages {
		vm.NextHref = pageHref(vm.Page + 1)
	}
	keep := keptColumns(r.Columns, r.Rows, true)
	vm.Table = tableVM(name, r.Columns, keep, shown, nums)
	marks(&vm.Table, st)
	rowRecords(&vm.Table, name, r.RunID, c.Request().URL.RequestURI(), st, evidence)
	return render(c, http.StatusOK, runPage(vm), nil)
}

// notFoundPage makes a record the case does not hold the 404 it is.
func notFoundPage(err error) error {
	var nf *store.NotFoundError
	if errors.As(err, &nf) {
		return echo.NewHTTPError(http.StatusNotFound, nf.UserMessage())
	}
	return err
}

// rowPanel is the record of one row of a stored run: a page, or (htmx)
// the panel the row's button opens under it; close=1 answers an empty
// panel, which closes it.
func (s *server) rowPanel(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	if isHTMX(c) && c.QueryParam("close") == "1" {
		return c.HTML(http.StatusOK, "")
	}
	acc := s.access(p)
	defer acc.close()
	r, err := s.storedRun(ctx, acc, c.Param("run"))
	if err != nil {
		return notFoundPage(err)
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(r.Rows) {
		return echo.NewHTTPError(http.StatusNotFound, "Run "+r.RunID+" has no row "+c.Param("n")+": it has "+strconv.Itoa(len(r.Rows))+".")
	}
	st, err := s.recordState(ctx, acc)
	if err != nil {
		return err
	}
	next := c.Request().URL.Path
	if isHTMX(c) {
		// The panel is on the page that asked for it.
		if u, err := url.Parse(c.Request().Header.Get("HX-Current-URL")); err == nil {
			next = safeNext(name, u.RequestURI())
		}
	}
	vm := s.rowPanelVM(name, r, n, next, st)
	return render(c, http.StatusOK, rowPage(vm), rowPanel(vm))
}

func (s *server) rowPanelVM(caseName string, r *queries.Result, n int, next string, st *recordState) RowPanelVM {
	scope := "p" + strconv.Itoa(n) + "-"
	ref := rowRef(r.RunID, n)
	vm := RowPanelVM{Case: caseName, RunID: r.RunID, Analysis: r.Analysis, Version: r.Version, N: n,
		RunHref: runHref(caseName, r.RunID) + "?rows=" + strconv.Itoa(n) + "#row-" + strconv.Itoa(n), PanelID: "panel-" + strconv.Itoa(n)}
	vm.CloseHref = rowHref(caseName, r.RunID, n) + "?close=1"
	rec := s.recordVM(caseName, ref, scope, next, st, nil)
	vm.Notes, vm.Star = *rec.Notes, *rec.Star
	vm.Star.Compact = false
	row := r.Rows[n-1]
	var seen []string
	for i, col := range r.Columns {
		shown, exact := format.Human(col.Name, row[i])
		if exact != "" {
			shown += " (" + exact + ")"
		}
		vm.Cells = append(vm.Cells, [2]string{col.Name, shown})
		v, ok := row[i].(string)
		if !ok || !addressColumns[col.Name] {
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil || slices.Contains(seen, a.Unmap().String()) {
			continue
		}
		addr := a.Unmap().String()
		seen = append(seen, addr)
		arec := s.recordVM(caseName, addrRef(addr), scope, next, st, nil)
		vm.Addresses = append(vm.Addresses, AddrRecordVM{Addr: addr, Href: addrHref(caseName, addr), Star: *arec.Star, Tags: *arec.Tags})
	}
	vm.Finding = rowForm(newWidget(caseName, ref, scope, next), r, s.runTitle(r), n)
	return vm
}
