package views

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/investigator/investigator/queries"
)

func TestCompareCells(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		a, b any
		want int
	}{
		{int64(9), int64(10), -1},
		{2.5, 1.5, 1},
		{t0, t0.Add(time.Second), -1},
		{"10.0.0.9", "10.0.0.10", -1}, // by address, not by text
		{"10.0.0.10", "2001:db8::1", -1},
		{"aws", "google", -1},
		{"x", nil, -1},
		{nil, "x", 1},
		{nil, nil, 0},
	} {
		if got := compareCells(c.a, c.b); got != c.want {
			t.Errorf("compareCells(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestViewRows(t *testing.T) {
	cols := []queries.Column{{Name: "peer_ip"}, {Name: "bytes"}, {Name: "org"}}
	rows := [][]any{
		{"10.0.0.10", int64(5), "Example Org"},
		{"10.0.0.9", nil, "Other"},
		{"10.0.0.11", int64(7), nil},
		{"10.0.0.2", int64(5), "example two"},
	}
	orig := slices.Clone(rows)
	keep := []int{0, 1, 2}
	first := func(rs [][]any) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r[0].(string))
		}
		return out
	}
	for _, c := range []struct {
		name string
		v    resultView
		want []string
	}{
		{"as given", resultView{}, []string{"10.0.0.10", "10.0.0.9", "10.0.0.11", "10.0.0.2"}},
		{"address ascending", resultView{Sort: "peer_ip"}, []string{"10.0.0.2", "10.0.0.9", "10.0.0.10", "10.0.0.11"}},
		{"bytes descending, NULL last, ties as given", resultView{Sort: "bytes", Desc: true}, []string{"10.0.0.11", "10.0.0.10", "10.0.0.2", "10.0.0.9"}},
		{"bytes ascending, NULL last", resultView{Sort: "bytes"}, []string{"10.0.0.10", "10.0.0.2", "10.0.0.11", "10.0.0.9"}},
		{"filter ignores case", resultView{Filter: "EXAMPLE"}, []string{"10.0.0.10", "10.0.0.2"}},
		{"filter matches what is shown", resultView{Filter: "-"}, []string{"10.0.0.9", "10.0.0.11"}}, // NULL shows as "-"
		{"filter and sort", resultView{Filter: "example", Sort: "peer_ip", Desc: true}, []string{"10.0.0.10", "10.0.0.2"}},
	} {
		got, err := viewRows(cols, keep, rows, c.v)
		if err == nil {
			order, _ := viewOrder(cols, keep, rows, c.v)
			for i, n := range order {
				if &rows[n][0] != &got[i][0] {
					t.Errorf("%s: row %d is not row %d of the result", c.name, i, n)
				}
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(first(got), c.want) {
			t.Errorf("%s: %v, want %v", c.name, first(got), c.want)
		}
	}
	if !slices.EqualFunc(rows, orig, func(a, b []any) bool { return a[0] == b[0] }) {
		t.Errorf("the given rows were reordered: %v", first(rows))
	}
	if _, err := viewRows(cols, keep, rows, resultView{Sort: "nope"}); err == nil || !strings.Contains(fmt.Sprint(err), "peer_ip, bytes, org") {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := viewRows(cols, []int{0, 1}, rows, resultView{Sort: "org"}); err == nil {
		t.Error("sorting by a column the table does not show was accepted")
	}
}

// TestResultTable sorts, pages and filters an analysis result through the
// handlers: links keep the analysis's parameters, htmx requests get the
// rows only, bad view parameters are a 400.
func TestResultTable(t *testing.T) {
	// 250 rejected probes from distinct sources: rejected has a row each.
	var lines []string
	for i := range 250 {
		lines = append(lines, fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60001 198.51.%d.%d 10.0.1.10 40000 22 6 %d %d 1700000000 1700000060 REJECT OK",
			i/100, i%100+1, i+1, 100*(i+1)))
	}
	e := newServerWith(t, lines)
	base := "/cases/demo/analyses/rejected"
	cells := func(r response, col string) []string {
		idx := -1
		r.doc.Find(`[data-testid="result-table"] thead th`).Each(func(i int, s *goquery.Selection) {
			if strings.Fields(s.Text())[0] == col {
				idx = i
			}
		})
		if idx < 0 {
			t.Fatalf("no column %s:\n%s", col, r.body)
		}
		var out []string
		r.doc.Find(`[data-testid="result-row"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Find("td").Eq(idx).Text()))
		})
		return out
	}
	num := func(s string) int {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatalf("not a number: %q", s)
		}
		return n
	}

	r := get(t, e, base+"?limit=1000")
	if r.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.code, r.body)
	}
	if got := text(r, `[data-testid="row-total"]`); got != "250" {
		t.Errorf("total %q", got)
	}
	if n := r.doc.Find(`[data-testid="result-row"]`).Length(); n != resultPageSize {
		t.Errorf("first page has %d rows", n)
	}
	if got := text(r, `[data-testid="page"]`); got != "1" {
		t.Errorf("page %q", got)
	}
	if r.doc.Find(`[data-testid="prev-page"]`).Length() != 0 {
		t.Error("a previous link on the first page")
	}

	// Sorting by packets: numbers sort largest first on the first click.
	var sortHref string
	r.doc.Find(`[data-testid="sort-link"]`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("data-column", "") == "packets" {
			sortHref = s.AttrOr("href", "")
		}
	})
	u, err := url.Parse(sortHref)
	if err != nil || u.Query().Get("sort") != "packets" || u.Query().Get("dir") != "desc" || u.Query().Get("limit") != "1000" {
		t.Fatalf("sort link %q", sortHref)
	}
	r = get(t, e, sortHref)
	pk := cells(r, "packets")
	if len(pk) != resultPageSize || num(pk[0]) != 250 || num(pk[99]) != 151 {
		t.Fatalf("sorted by packets, descending: %v", pk)
	}
	if got := r.doc.Find(`th[aria-sort="descending"]`).Text(); !strings.Contains(got, "packets") {
		t.Errorf("aria-sort on %q", got)
	}

	// The next page follows the sort and keeps the parameters.
	next := r.doc.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	nu, _ := url.Parse(next)
	if nu.Query().Get("page") != "2" || nu.Query().Get("sort") != "packets" || nu.Query().Get("limit") != "1000" {
		t.Fatalf("next link %q", next)
	}
	req := httptest.NewRequest(http.MethodGet, next, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "result-rows")
	r = do(t, e, req)
	if r.doc.Find("header").Length() != 0 || r.doc.Find(`#result-rows`).Length() != 1 || r.doc.Find(`[data-testid="runs"]`).Length() != 0 {
		t.Fatalf("htmx page request did not get the rows only:\n%s", r.body)
	}
	if pk := cells(r, "packets"); num(pk[0]) != 150 {
		t.Errorf("second page starts at %v", pk[0])
	}

	// The last page is short; past the end shows the last page.
	r = get(t, e, base+"?limit=1000&sort=packets&dir=desc&page=3")
	if n := r.doc.Find(`[data-testid="result-row"]`).Length(); n != 50 || r.doc.Find(`[data-testid="next-page"]`).Length() != 0 {
		t.Errorf("last page: %d rows", n)
	}
	if got := text(get(t, e, base+"?limit=1000&page=99"), `[data-testid="page"]`); got != "3" {
		t.Errorf("page 99 shows page %q", got)
	}

	// Filtering: addresses of the second hundred only; the filter form keeps
	// the parameters and the sort.
	r = get(t, e, base+"?limit=1000&sort=src_ip&q=198.51.1.")
	if got := text(r, `[data-testid="matched"]`); got != "100" {
		t.Errorf("matched %q", got)
	}
	src := cells(r, "src_ip")
	if len(src) != 100 || src[0] != "198.51.1.1" || src[1] != "198.51.1.2" || src[99] != "198.51.1.100" {
		t.Errorf("filtered, by address: %v … %v", src[:2], src[len(src)-1])
	}
	hidden := map[string]string{}
	r.doc.Find(`[data-testid="result-filter"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		hidden[s.AttrOr("name", "")] = s.AttrOr("value", "")
	})
	if hidden["limit"] != "1000" || hidden["sort"] != "src_ip" {
		t.Errorf("filter form keeps %v", hidden)
	}
	if v := r.doc.Find(`[data-testid="filter-input"]`).AttrOr("value", ""); v != "198.51.1." {
		t.Errorf("filter field shows %q", v)
	}
	r = get(t, e, base+"?q=no-such-thing")
	if text(r, `[data-testid="matched"]`) != "0" || r.doc.Find(`[data-testid="no-rows"]`).Length() != 1 {
		t.Errorf("a filter matching nothing:\n%s", text(r, `[data-testid="result"]`))
	}

	// Bad view parameters are refused with the reason.
	for q, want := range map[string]string{
		"sort=nope": "its columns are", "dir=up": "asc or desc", "page=0": "page number", "page=x": "page number",
	} {
		r := get(t, e, base+"?"+q)
		if r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="error-message"]`), want) {
			t.Errorf("%s: %d %q", q, r.code, text(r, `[data-testid="error-message"]`))
		}
	}
}

// TestErrorsInPlace: a parameter an analysis cannot take comes back by its
// form (full page and htmx re-run alike), and an htmx request that fails gets
// the error in its target's place, keeping the target's id.
func TestErrorsInPlace(t *testing.T) {
	e := newServer(t)
	r := get(t, e, "/cases/demo/analyses/port-specific")
	if r.code != http.StatusBadRequest || r.doc.Find(`form[data-testid="params"]`).Length() != 1 {
		t.Fatalf("missing port: %d\n%s", r.code, r.body)
	}
	if msg := text(r, `[data-testid="param-error"]`); !strings.Contains(msg, "port") {
		t.Errorf("missing port says %q", msg)
	}
	r = post(t, e, "/cases/demo/analyses/port-specific", url.Values{"port": {"ssh"}}, map[string]string{"HX-Request": "true", "HX-Target": "result"})
	if r.code != http.StatusBadRequest || r.doc.Find("header").Length() != 0 || r.doc.Find(`#result [data-testid="param-error"]`).Length() != 1 {
		t.Errorf("htmx re-run with a bad port: %d\n%s", r.code, r.body)
	}

	req := httptest.NewRequest(http.MethodGet, "/cases/demo/analyses/rejected?sort=nope", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "result-rows")
	r = do(t, e, req)
	if r.code != http.StatusBadRequest || r.doc.Find("header").Length() != 0 {
		t.Fatalf("htmx sort by an unknown column: %d\n%s", r.code, r.body)
	}
	box := r.doc.Find(`#result-rows[data-testid="error"]`)
	if box.Length() != 1 || !strings.Contains(box.Text(), "no column") {
		t.Errorf("the error is not in the target's place:\n%s", r.body)
	}
	// Markup in the target id is escaped, never markup.
	req = httptest.NewRequest(http.MethodGet, "/cases/nope/flows", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", `x"><script>alert(1)</script>`)
	if r = do(t, e, req); r.doc.Find("script").Length() != 0 {
		t.Errorf("target id injected markup:\n%s", r.body)
	}
}

// viewRows is viewOrder's rows.
func viewRows(cols []queries.Column, keep []int, rows [][]any, v resultView) ([][]any, error) {
	order, err := viewOrder(cols, keep, rows, v)
	if err != nil {
		return nil, err
	}
	out := make([][]any, len(order))
	for i, n := range order {
		out[i] = rows[n]
	}
	return out, nil
}

func TestColumnName(t *testing.T) {
	for name, want := range map[string]string{
		"bytes":          "bytes",
		"interval_score": "interval_<wbr>score",
		"a_b_":           "a_<wbr>b_",
		"<i>x_y</i>":     "&lt;i&gt;x_<wbr>y&lt;/i&gt;",
	} {
		var b strings.Builder
		if err := columnName(name).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%q: %q, want %q", name, b.String(), want)
		}
	}
}

// TestHumanCells: a result page shows sizes in binary units with the exact
// count in the cell's title, times with their zone, numbers right-aligned;
// the filter finds a rounded value by its exact form too.
func TestHumanCells(t *testing.T) {
	e := newServer(t)
	r := get(t, e, "/cases/demo/analyses/traffic-summary")
	if r.code != http.StatusOK {
		t.Fatalf("status %d", r.code)
	}
	col := func(name string) int {
		i := -1
		r.doc.Find(`[data-testid="result-table"] thead th`).Each(func(k int, s *goquery.Selection) {
			if s.Find(`[data-testid="sort-link"]`).AttrOr("data-column", "") == name {
				i = k
			}
		})
		if i < 0 {
			t.Fatalf("no column %s:\n%s", name, r.body)
		}
		return i
	}
	bytes, first, flows := col("bytes"), col("first_seen"), col("flows")
	var sizes []string
	r.doc.Find(`[data-testid="result-row"]`).Each(func(_ int, row *goquery.Selection) {
		cells := row.Children()
		b := cells.Eq(bytes)
		sizes = append(sizes, strings.TrimSpace(b.Text())+"|"+b.AttrOr("title", ""))
		if !b.HasClass("num") || !cells.Eq(flows).HasClass("num") || cells.Eq(first).HasClass("num") {
			t.Errorf("alignment: bytes %v, flows %v, first_seen %v", b.HasClass("num"), cells.Eq(flows).HasClass("num"), cells.Eq(first).HasClass("num"))
		}
		if got := strings.TrimSpace(cells.Eq(first).Text()); !strings.HasSuffix(got, " UTC") {
			t.Errorf("first_seen %q", got)
		}
	})
	if !slices.Contains(sizes, "4.2 KiB|4,300 bytes") || !slices.Contains(sizes, "840 B|") {
		t.Errorf("bytes cells %q", sizes)
	}
	for q, want := range map[string]int{"4.2 KiB": 1, "4,300": 1, "840 B": 1, "UTC": 2} {
		f := get(t, e, "/cases/demo/analyses/traffic-summary?q="+url.QueryEscape(q))
		if n := f.doc.Find(`[data-testid="result-row"]`).Length(); n != want {
			t.Errorf("filter %q: %d rows, want %d", q, n, want)
		}
	}
	if h := mustHTML(t, r.doc.Find(`th [data-column="first_seen"]`)); !strings.Contains(h, "first_<wbr/>seen") {
		t.Errorf("first_seen's heading does not break after its underscore: %s", h)
	}
}

func mustHTML(t *testing.T, s *goquery.Selection) string {
	t.Helper()
	h, err := s.Html()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
