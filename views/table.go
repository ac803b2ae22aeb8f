package views

import (
	"cmp"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
)

// resultPageSize is how many rows of a result an analysis page shows at a time.
const resultPageSize = 100

// resultView is how an analysis page shows a result: filtered by a text,
// sorted by a column, one page at a time. The zero value is the analysis's
// own order, unfiltered, first page. It changes what is shown only: the
// stored result and its downloads stay whole.
type resultView struct {
	Sort   string // a column name; "" keeps the analysis's order
	Desc   bool
	Filter string // rows with a cell containing it, ignoring case
	Page   int    // from 1
}

// parseResultView reads the view from query parameters sort, dir, q and page.
func parseResultView(q url.Values) (resultView, error) {
	v := resultView{Sort: strings.TrimSpace(q.Get("sort")), Filter: strings.TrimSpace(q.Get("q")), Page: 1}
	switch d := q.Get("dir"); d {
	case "", "asc":
	case "desc":
		v.Desc = true
	default:
		return v, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("dir: want asc or desc, not %q.", d))
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return v, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("page: want a page number from 1, not %q.", p))
		}
		v.Page = n
	}
	return v, nil
}

// values are the view's query parameters (set ones only).
func (v resultView) values() url.Values {
	q := url.Values{}
	if v.Sort != "" {
		q.Set("sort", v.Sort)
		if v.Desc {
			q.Set("dir", "desc")
		}
	}
	if v.Filter != "" {
		q.Set("q", v.Filter)
	}
	if v.Page > 1 {
		q.Set("page", strconv.Itoa(v.Page))
	}
	return q
}

// viewOrder filters and sorts rows (the shown columns decide the filter,
// as the user sees them) and gives the indexes of the rows to show, in
// order, without touching the slice it was given: results are shared by
// the page cache.
func viewOrder(cols []queries.Column, keep []int, rows [][]any, v resultView) ([]int, error) {
	out := make([]int, 0, len(rows))
	for i, row := range rows {
		if v.Filter == "" {
			out = append(out, i)
			continue
		}
		needle := strings.ToLower(v.Filter)
		for _, k := range keep {
			// The text shown, or the exact value behind a rounded one
			// (1.9 MiB is 1,992,294 bytes): either finds the row.
			shown, exact := format.Human(cols[k].Name, row[k])
			if strings.Contains(strings.ToLower(shown), needle) || exact != "" && strings.Contains(strings.ToLower(exact), needle) {
				out = append(out, i)
				break
			}
		}
	}
	if v.Sort == "" {
		return out, nil
	}
	col := slices.IndexFunc(cols, func(c queries.Column) bool { return c.Name == v.Sort })
	if col < 0 || !slices.Contains(keep, col) {
		var names []string
		for _, i := range keep {
			names = append(names, cols[i].Name)
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("sort: no column %q in this result; its columns are %s.", v.Sort, strings.Join(names, ", ")))
	}
	slices.SortStableFunc(out, func(i, j int) int {
		a, b := rows[i], rows[j]
		c := compareCells(a[col], b[col])
		if v.Desc && a[col] != nil && b[col] != nil { // NULLs last whichever the direction
			c = -c
		}
		return c
	})
	return out, nil
}

// compareCells orders two values of one column: NULL after everything,
// numbers and times by value, addresses by address (10.0.0.9 before
// 10.0.0.10), other text by text.
func compareCells(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch a := a.(type) {
	case int64:
		if b, ok := b.(int64); ok {
			return cmp.Compare(a, b)
		}
	case float64:
		if b, ok := b.(float64); ok {
			return cmp.Compare(a, b)
		}
	case time.Time:
		if b, ok := b.(time.Time); ok {
			return a.Compare(b)
		}
	case string:
		if b, ok := b.(string); ok {
			x, errA := netip.ParseAddr(a)
			y, errB := netip.ParseAddr(b)
			if errA == nil && errB == nil {
				return x.Compare(y)
			}
			// Durations (an INTERVAL comes as 1h30m0s) by length.
			if d, errA := time.ParseDuration(a); errA == nil {
				if e, errB := time.ParseDuration(b); errB == nil {
					return cmp.Compare(d, e)
				}
			}
			return strings.Compare(a, b)
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// keptColumns are the indexes of the columns a table shows; with dropEmpty,
// columns empty in every row (org before any WHOIS, provider before any
// ranges) are left out, as in the command line's tables.
func keptColumns(cols []queries.Column, rows [][]any, dropEmpty bool) []int {
	var keep []int
	for i := range cols {
		if !dropEmpty || len(rows) == 0 {
			keep = append(keep, i)
			continue
		}
		for _, row := range rows {
			if row[i] != nil && row[i] != "" {
				keep = append(keep, i)
				break
			}
		}
	}
	return keep
}

// tableVM turns the kept columns of rows into text cells as people read
// them (format.Human: sizes in binary units, times with their zone; the
// exact value of a rounded one in Titles), every address of an address
// column a link to its pivot page. Numbers and durations are right-aligned.
// nums, when not nil, are the rows' numbers (from 1) in the stored run they
// come from.
func tableVM(caseName string, cols []queries.Column, keep []int, rows [][]any, nums []int) TableVM {
	vm := TableVM{Numeric: make([]bool, len(keep)), RowNums: nums}
	for k, i := range keep {
		vm.Columns = append(vm.Columns, cols[i].Name)
		vm.Numeric[k] = numericType(cols[i].Type)
	}
	for _, row := range rows {
		out := make([]string, len(keep))
		titles := make([]string, len(keep))
		links := make([]string, len(keep))
		for k, i := range keep {
			out[k], titles[k] = format.Human(cols[i].Name, row[i])
			switch row[i].(type) {
			case int64, float64:
				vm.Numeric[k] = true
			}
			if addressColumns[cols[i].Name] {
				links[k] = addrHref(caseName, out[k])
			}
		}
		vm.Rows = append(vm.Rows, out)
		vm.Titles = append(vm.Titles, titles)
		vm.Links = append(vm.Links, links)
	}
	return vm
}

// numericType reports whether a column of this database type holds
// quantities, right-aligned in a table: numbers and durations (an INTERVAL
// comes as text, 1h30m0s).
func numericType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
		"FLOAT", "DOUBLE", "DECIMAL", "INTERVAL":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL(")
}

// simpleTable is a table of every column and row, as they come.
func simpleTable(caseName string, cols []queries.Column, rows [][]any, dropEmpty bool) TableVM {
	return tableVM(caseName, cols, keptColumns(cols, rows, dropEmpty), rows, nil)
}

// resultVM shows one page of a result under a view. base is the analysis
// page with the run's parameters; every link it makes keeps them.
func resultVM(caseName, base string, given map[string]string, r *queries.Result, v resultView) (ResultVM, error) {
	keep := keptColumns(r.Columns, r.Rows, true)
	order, err := viewOrder(r.Columns, keep, r.Rows, v)
	if err != nil {
		return ResultVM{}, err
	}
	pages := max(1, (len(order)+resultPageSize-1)/resultPageSize)
	v.Page = max(1, min(v.Page, pages)) // past the end: the last page
	from := (v.Page - 1) * resultPageSize
	var shown [][]any
	var nums []int
	for _, i := range order[from:min(from+resultPageSize, len(order))] {
		shown = append(shown, r.Rows[i])
		nums = append(nums, i+1)
	}
	vm := ResultVM{
		RunID: r.RunID, Version: r.Version, RanAt: format.Time(r.RanAt), Cached: r.Cached, Duration: r.Duration.Round(time.Millisecond).String(),
		Total: len(r.Rows), Matched: len(order), Page: v.Page, Pages: pages, First: from + 1, Filter: v.Filter,
		TableVM: tableVM(caseName, r.Columns, keep, shown, nums),
	}
	vm.Sorted, vm.Desc = v.Sort, v.Desc
	href := func(w resultView) string {
		q := w.values()
		for k, val := range given {
			q.Set(k, val)
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	vm.FilterAction = base
	keepQ := url.Values{}
	for k, val := range given {
		keepQ.Set(k, val)
	}
	if v.Sort != "" {
		keepQ.Set("sort", v.Sort)
		if v.Desc {
			keepQ.Set("dir", "desc")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keepQ)) {
		vm.Hidden = append(vm.Hidden, [2]string{k, keepQ.Get(k)})
	}
	for k, name := range vm.Columns {
		// A new column sorts largest first when it holds numbers; the sorted
		// one flips. Sorting starts again at the first page.
		w := resultView{Sort: name, Desc: vm.Numeric[k], Filter: v.Filter, Page: 1}
		if name == v.Sort {
			w.Desc = !v.Desc
		}
		vm.SortHrefs = append(vm.SortHrefs, href(w))
	}
	if v.Page > 1 {
		w := v
		w.Page--
		vm.PrevHref = href(w)
	}
	if v.Page < pages {
		w := v
		w.Page++
		vm.NextHref = href(w)
	}
	return vm, nil
}

// ariaSort tells assistive technology how a table is sorted by column c.
func ariaSort(t TableVM, c string) string {
	switch {
	case c != t.Sorted:
		return "none"
	case t.Desc:
		return "descending"
	}
	return "ascending"
}

// sortMark shows how a table is sorted by column c.
func sortMark(t TableVM, c string) string {
	switch {
	case c != t.Sorted:
		return ""
	case t.Desc:
		return "▼"
	}
	return "▲"
}

// columnName is a column's name that may break after its underscores
// (interval_<wbr>score) where the table has to be narrow: printed. Each
// part is escaped; the <wbr> elements are the only markup.
func columnName(name string) templ.Component {
	var b strings.Builder
	for i, part := range strings.SplitAfter(name, "_") {
		if part == "" {
			continue
		}
		if i > 0 {
			b.WriteString("<wbr>")
		}
		b.WriteString(html.EscapeString(part))
	}
	return templ.Raw(b.String())
}
