package views

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// flowsPerPage is how many records the flows page shows at a time.
const flowsPerPage = 100

// flowFilter is the flows page's filter, validated; empty fields are unset.
// View "conversations" shows the records paired into conversations.
type flowFilter struct {
	Addr, Peer, Port, Protocol, Action, Start, End, View string
}

// values are the filter's query parameters (set ones only).
func (f flowFilter) values() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"addr", f.Addr}, {"peer", f.Peer}, {"port", f.Port}, {"protocol", f.Protocol}, {"action", f.Action},
		{"start", f.Start}, {"end", f.End}, {"view", f.View}} {
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
	var qf queries.FlowFilter
	if v := get("addr"); v != "" {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("addr: not an IP address: %q.", v))
		}
		f.Addr, qf.Addr = a.String(), a
	}
	if v := get("peer"); v != "" {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("peer: not an IP address: %q.", v))
		}
		if !qf.Addr.IsValid() {
			return echo.NewHTTPError(http.StatusBadRequest, "peer: give addr too: the records between addr and peer.")
		}
		f.Peer, qf.Peer = a.String(), a
	}
	switch v := get("view"); v {
	case "", "records":
	case "conversations":
		f.View = v
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("view: want records or conversations, not %q.", v))
	}
	if v := get("port"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("port: want a number from 0 to 65535, not %q.", v))
		}
		f.Port = strconv.FormatUint(n, 10)
		port := uint16(n)
		qf.Port = &port
	}
	if v := get("protocol"); v != "" {
		n, err := strconv.ParseUint(v, 10, 8)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("protocol: want a protocol number from 0 to 255, not %q.", v))
		}
		f.Protocol = strconv.FormatUint(n, 10)
		proto := uint8(n)
		qf.Protocol = &proto
	}
	if v := get("action"); v != "" {
		f.Action = strings.ToUpper(v)
		if f.Action != "ACCEPT" && f.Action != "REJECT" {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("action: want ACCEPT or REJECT, not %q.", v))
		}
		qf.Action = f.Action
	}
	for _, b := range []struct {
		name, value string
		dest        **time.Time
	}{{"start", f.Start, &qf.Start}, {"end", f.End, &qf.End}} {
		if b.value == "" {
			continue
		}
		t, err := when.Parse(b.value, s.o.Now())
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, b.name+": "+err.Error())
		}
		*b.dest = &t
	}
	page := 1
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("page: want a page number from 1, not %q.", v))
		}
		page = n
	}

	key := "flows " + f.values().Encode() + " " + strconv.Itoa(page)
	if relativeTimes(f) {
		key = "" // relative times move with the clock: not kept
	}
	compute := func() (any, error) {
		if f.View == "conversations" {
			return s.conversationsOf(ctx, caseName, qf)
		}
		return s.flowPage(ctx, caseName, qf, queries.Page{Number: page, Size: flowsPerPage})
	}
	var v any
	if key == "" {
		v, err = compute()
	} else {
		v, err = s.cache.get(p, key, compute)
	}
	if err != nil {
		return err
	}
	vm := FlowsVM{Case: caseName, Href: caseHref(caseName) + "/flows", Addr: f.Addr, Peer: f.Peer, Port: f.Port, Protocol: f.Protocol, Action: f.Action,
		Start: f.Start, End: f.End, View: f.View, Page: page}
	toggle := f
	toggle.View = map[string]string{"": "conversations", "conversations": ""}[f.View]
	vm.ToggleHref = vm.Href
	if q := toggle.values(); len(q) > 0 {
		vm.ToggleHref += "?" + q.Encode()
	}
	if conv, ok := v.(conversationsResult); ok {
		vm.Conversations = true
		vm.Stale = conv.Stale
		vm.Count, vm.Total = len(conv.Table.Rows), conv.Total
		vm.Result = simpleTable(caseName, conv.Table.Columns, conv.Table.Rows, true)
		if err := s.flowsRecord(ctx, p, c.Request().URL.RequestURI(), qf, &vm); err != nil {
			return err
		}
		return render(c, http.StatusOK, flowsPage(vm), nil)
	}
	res := v.(queries.FlowPage)
	rows := res.Rows
	t := res.Totals
	totals := FlowTotals{Records: t.Records, Packets: t.Packets, Bytes: t.Bytes, Accepted: t.Accepted, Rejected: t.Rejected, First: t.First, Last: t.Last}
	vm.First, vm.Count, vm.Totals, vm.Result = (page-1)*flowsPerPage+1, len(rows), totals, simpleTable(caseName, res.Columns, rows, true)
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
	if res.More {
		vm.NextHref = pageHref(page + 1)
	}
	if err := s.flowsRecord(ctx, p, c.Request().URL.RequestURI(), qf, &vm); err != nil {
		return err
	}
	return render(c, http.StatusOK, flowsPage(vm), nil)
}

// flowsRecord adds the record of the page's filter (its star, notes and
// finding form, and the tags of its address), and the marks of the
// addresses the records show.
func (s *server) flowsRecord(ctx context.Context, path, next string, qf queries.FlowFilter, vm *FlowsVM) error {
	acc := s.access(path)
	defer acc.close()
	st, err := s.recordState(ctx, acc)
	if err != nil {
		return err
	}
	marks(&vm.Result, st)
	var f store.FlowsFilter
	if qf.Addr.IsValid() {
		f.Addresses = []string{qf.Addr.Unmap().String()}
	}
	if qf.Port != nil {
		f.Ports = []int{int(*qf.Port)}
	}
	if qf.Protocol != nil {
		p := int(*qf.Protocol)
		f.Protocol = &p
	}
	f.Action = qf.Action
	// To the second, as the widgets' forms post them: one filter, one target.
	for _, b := range []struct{ from, to **time.Time }{{&qf.Start, &f.Start}, {&qf.End, &f.End}} {
		if *b.from != nil {
			t := (*b.from).UTC().Truncate(time.Second)
			*b.to = &t
		}
	}
	ref := flowsRef(f)
	form := flowsForm(newWidget(vm.Case, ref, "", next), f, vm.Totals.First, vm.Totals.Last)
	vm.Record = s.recordVM(vm.Case, ref, "", next, st, form)
	if len(f.Addresses) > 0 {
		a := addrRef(f.Addresses[0])
		vm.Record.Tags = &TagsVM{widget: newWidget(vm.Case, a, "", next), Tags: st.tags[a.key()], Of: true}
	}
	return nil
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

// flowsConversations is how many conversations the flows page shows.
const flowsConversations = 500

// conversationsResult is the flows page's conversations view: the largest
// of the filter's conversations, how many there are, or Stale when the
// derived tables must be rebuilt first.
type conversationsResult struct {
	Table queries.Table
	Total int
	Stale bool
}

// conversationsOf pairs the filter's records into conversations.
func (s *server) conversationsOf(ctx context.Context, caseName string, f queries.FlowFilter) (any, error) {
	cs, err := s.openRead(ctx, caseName)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	stale, err := queries.Stale(ctx, cs)
	if err != nil || stale {
		return conversationsResult{Stale: stale}, err
	}
	t, err := queries.ConversationRows(ctx, cs, queries.ConversationFilter{Addr: f.Addr, Peer: f.Peer, Port: f.Port, Protocol: f.Protocol,
		Action: f.Action, Start: f.Start, End: f.End})
	if err != nil {
		return nil, err
	}
	res := conversationsResult{Table: t, Total: len(t.Rows)}
	res.Table.Rows = t.Rows[:min(len(t.Rows), flowsConversations)]
	return res, nil
}

// flowPage reads one page of the filtered records and their totals.
func (s *server) flowPage(ctx context.Context, caseName string, f queries.FlowFilter, page queries.Page) (any, error) {
	cs, err := s.openRead(ctx, caseName)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	return queries.Flows(ctx, cs, f, page)
}
