package views

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
)

// flowsPerPage is how many records the flows page shows at a time.
const flowsPerPage = 100

// flowFilter is the flows page's filter, validated; empty fields are unset.
type flowFilter struct {
	Addr, Port, Protocol, Action, Start, End string
}

// values are the filter's query parameters (set ones only).
func (f flowFilter) values() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"addr", f.Addr}, {"port", f.Port}, {"protocol", f.Protocol}, {"action", f.Action}, {"start", f.Start}, {"end", f.End}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return q
}

// flows lists the raw records of the flows view, filtered and paged, ordered
// by start then source address. Filter values are bound, never spliced into
// the SQL; a bad value is a 400 with the reason.
func (s *server) flows(c echo.Context) error {
	ctx := c.Request().Context()
	caseName := c.Param("case")
	p, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	f := flowFilter{Start: get("start"), End: get("end")}
	var where []string
	var args []any
	if v := get("addr"); v != "" {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("addr: not an IP address: %q.", v))
		}
		f.Addr = a.String()
		where = append(where, "(srcaddr = ? OR dstaddr = ? OR pkt_srcaddr = ? OR pkt_dstaddr = ?)")
		args = append(args, f.Addr, f.Addr, f.Addr, f.Addr)
	}
	if v := get("port"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("port: want a number from 0 to 65535, not %q.", v))
		}
		f.Port = strconv.FormatUint(n, 10)
		where = append(where, "(srcport = ? OR dstport = ?)")
		args = append(args, int64(n), int64(n))
	}
	if v := get("protocol"); v != "" {
		n, err := strconv.ParseUint(v, 10, 8)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("protocol: want a protocol number from 0 to 255, not %q.", v))
		}
		f.Protocol = strconv.FormatUint(n, 10)
		where = append(where, "protocol = ?")
		args = append(args, int64(n))
	}
	if v := get("action"); v != "" {
		f.Action = strings.ToUpper(v)
		if f.Action != "ACCEPT" && f.Action != "REJECT" {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("action: want ACCEPT or REJECT, not %q.", v))
		}
		where = append(where, "action::VARCHAR = ?")
		args = append(args, f.Action)
	}
	for _, b := range []struct{ name, value, cond string }{{"start", f.Start, "start >= ?"}, {"end", f.End, "start <= ?"}} {
		if b.value == "" {
			continue
		}
		t, err := when.Parse(b.value, s.o.Now())
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, b.name+": "+err.Error())
		}
		where = append(where, b.cond)
		args = append(args, t)
	}
	page := 1
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("page: want a page number from 1, not %q.", v))
		}
		page = n
	}

	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	totals := `SELECT count(*), coalesce(sum(packets), 0)::BIGINT, coalesce(sum(bytes), 0)::BIGINT,
		count(*) FILTER (action = 'ACCEPT'), count(*) FILTER (action = 'REJECT'), min(start), max("end") FROM flows` + cond
	// One more row than a page tells whether there is a next page.
	query := "SELECT * FROM flows" + cond + " ORDER BY start, srcaddr LIMIT ? OFFSET ?"
	pageArgs := append(slices.Clone(args), int64(flowsPerPage+1), int64((page-1)*flowsPerPage))

	key := "flows " + f.values().Encode() + " " + strconv.Itoa(page)
	if relativeTimes(f) {
		key = "" // relative times move with the clock: not kept
	}
	compute := func() (any, error) { return s.flowRows(ctx, caseName, totals, args, query, pageArgs) }
	var v any
	if key == "" {
		v, err = compute()
	} else {
		v, err = s.cache.get(p, key, compute)
	}
	if err != nil {
		return err
	}
	res := v.(flowRows)
	rows := res.rows
	more := len(rows) > flowsPerPage
	if more {
		rows = rows[:flowsPerPage]
	}
	vm := FlowsVM{Case: caseName, Href: caseHref(caseName) + "/flows", Addr: f.Addr, Port: f.Port, Protocol: f.Protocol, Action: f.Action, Start: f.Start, End: f.End,
		Page: page, First: (page-1)*flowsPerPage + 1, Count: len(rows), Totals: res.totals, Result: simpleTable(caseName, res.cols, rows, true)}
	pageHref := func(n int) string {
		pq := f.values()
		if n > 1 {
			pq.Set("page", strconv.Itoa(n))
		}
		if len(pq) == 0 {
			return vm.Href
		}
		return vm.Href + "?" + pq.Encode()
	}
	if page > 1 {
		vm.PrevHref = pageHref(page - 1)
	}
	if more {
		vm.NextHref = pageHref(page + 1)
	}
	return render(c, http.StatusOK, flowsPage(vm), nil)
}

// relativeTimes reports whether the filter's times depend on the clock.
func relativeTimes(f flowFilter) bool {
	for _, v := range []string{f.Start, f.End} {
		if _, fixed := when.Fixed(v); v != "" && !fixed {
			return true
		}
	}
	return false
}

type flowRows struct {
	totals FlowTotals
	cols   []queries.Column
	rows   [][]any
}

// flowRows reads the totals of the filtered records and one page of them.
func (s *server) flowRows(ctx context.Context, caseName, totals string, args []any, query string, pageArgs []any) (any, error) {
	cs, err := s.openRead(ctx, caseName)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	var r flowRows
	t := &r.totals
	if err := cs.DB.QueryRowContext(ctx, totals, args...).Scan(&t.Records, &t.Packets, &t.Bytes, &t.Accepted, &t.Rejected, &t.First, &t.Last); err != nil {
		return nil, err
	}
	if r.cols, r.rows, err = queries.Query(ctx, cs.DB, query, 0, pageArgs...); err != nil {
		return nil, err
	}
	return r, nil
}
