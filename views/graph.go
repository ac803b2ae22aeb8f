package views

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
)

// The connection graph: server-rendered SVG, laid out here so the templ
// component only places numbers. The layout is a function of the graph
// alone: the focus in the centre, the peers on rings around it in the
// model's order (scope, then weight, then address), so the same data
// always draws the same picture.

const (
	graphWidth       = 1200.0 // the SVG's size (user units): room for labels beside the rings
	graphHeight      = 1000.0
	graphInner       = 190.0 // the first ring's radius
	graphOuter       = 430.0 // the last ring's
	graphPerRing     = 40    // about this many nodes a ring before another is added
	graphMaxRings    = 6
	graphFocusRing   = 55.0 // the focus's addresses, around the centre
	graphMaxPeers    = 500
	graphTableEdges  = 40 // connections listed under the picture
	graphNodeMin     = 5.0
	graphNodeSpan    = 13.0
	graphEdgeMin     = 0.8
	graphEdgeSpan    = 7.0
	graphLabelOffset = 5.0
)

// graphParams is the graph page's filter, as given (validated).
type graphParams struct {
	Start, End, Direction, Port, Scope, Weight, Min, Peers string
}

func (p graphParams) values() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"start", p.Start}, {"end", p.End}, {"direction", p.Direction}, {"port", p.Port}, {"scope", p.Scope},
		{"weight", p.Weight}, {"min", p.Min}, {"peers", p.Peers}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return q
}

// GraphVM is the connection graph page.
type GraphVM struct {
	Case, Href  string
	Stale       bool
	PrepareHref string
	graphParams
	// WeightHref switches the measure between bytes and records.
	WeightHref, WeightOther string
	ViewBox                 string
	Nodes                   []GraphNodeVM
	Edges                   []GraphEdgeVM
	Table                   []GraphEdgeVM // the heaviest connections, as a list
	Summary                 string
	PeerCount, ShownCount   int
	Empty                   bool
}

// GraphNodeVM is a node where it is drawn.
type GraphNodeVM struct {
	ID, Addr, Label, Href, Title string
	Kind, Scope, Class           string
	X, Y, R, FlagR               string
	LabelX, LabelY, Anchor       string
	Flagged                      bool
}

// GraphEdgeVM is an edge where it is drawn, and its line in the table.
type GraphEdgeVM struct {
	From, To, Client, Server string
	X1, Y1, X2, Y2, Width    string
	Class, Href, Title       string
	Services, Sessions       string
	Records, Bytes, Actions  string
	RejectOnly               bool
}

// graph shows the case's connection graph under the filter in the query.
func (s *server) graph(c echo.Context) error {
	ctx := c.Request().Context()
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	gp := graphParams{Start: get("start"), End: get("end")}
	var (
		f          queries.GraphFilter
		start, end *time.Time
	)
	for _, b := range []struct {
		name, value string
		dest        **time.Time
	}{{"start", gp.Start, &start}, {"end", gp.End, &end}} {
		if b.value == "" {
			continue
		}
		t, err := when.Parse(b.value, s.o.Now())
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, b.name+": "+err.Error())
		}
		*b.dest = &t
	}
	if start != nil && end != nil {
		if err := when.Order(*start, *end); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
	}
	switch v := get("direction"); v {
	case "", "inbound", "outbound", "internal":
		gp.Direction, f.Direction = v, v
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("direction: want inbound, outbound or internal, not %q.", v))
	}
	if v := get("port"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("port: want a number from 0 to 65535, not %q.", v))
		}
		port := uint16(n)
		gp.Port, f.Port = strconv.FormatUint(n, 10), &port
	}
	switch v := get("scope"); v {
	case "", "public", "private", "internal", "focus":
		gp.Scope, f.Scope = v, v
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("scope: want public, private, internal or focus, not %q.", v))
	}
	switch v := get("weight"); v {
	case "", "bytes":
		f.Weight = "bytes"
	case "records":
		gp.Weight, f.Weight = v, v
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("weight: want bytes or records, not %q.", v))
	}
	if v := get("min"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("min: want a number of bytes or records, not %q.", v))
		}
		gp.Min, f.Min = strconv.FormatInt(n, 10), n
	}
	if v := get("peers"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > graphMaxPeers {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("peers: want a number from 1 to %d, not %q.", graphMaxPeers, v))
		}
		gp.Peers, f.Peers = strconv.Itoa(n), n
	}

	relative := false
	for _, v := range []string{gp.Start, gp.End} {
		if _, fixed := when.Fixed(v); v != "" && !fixed {
			relative = true
		}
	}
	page := func() (any, error) {
		g, stale, err := s.graphOf(ctx, caseName, start, end, f)
		if err != nil {
			return nil, err
		}
		vm := GraphVM{Case: caseName, Href: caseHref(caseName) + "/graph", graphParams: gp, Stale: stale, PrepareHref: caseHref(caseName) + "/prepare"}
		other := gp
		other.Weight, vm.WeightOther = "records", "records"
		if gp.Weight == "records" {
			other.Weight, vm.WeightOther = "", "bytes"
		}
		vm.WeightHref = hrefWith(vm.Href, other.values())
		if !stale {
			layoutGraph(&vm, g, f)
		}
		return vm, nil
	}
	// A page is kept per filter, but not for a window relative to now.
	var v any
	if relative {
		v, err = page()
	} else {
		v, err = s.cache.get(path, "graph page "+gp.values().Encode(), page)
	}
	if err != nil {
		return err
	}
	vm := v.(GraphVM)
	return render(c, http.StatusOK, graphPage(vm), nil)
}

// graphOf is the case's graph under the filter, or stale when the derived
// tables must be rebuilt first.
func (s *server) graphOf(ctx context.Context, caseName string, start, end *time.Time, f queries.GraphFilter) (queries.Graph, bool, error) {
	cs, err := s.openRead(ctx, caseName)
	if err != nil {
		return queries.Graph{}, false, err
	}
	defer cs.Close()
	stale, err := queries.Stale(ctx, cs)
	if err != nil || stale {
		return queries.Graph{}, stale, err
	}
	g, err := queries.GraphOf(ctx, cs, start, end, f)
	return g, false, err
}

func hrefWith(base string, q url.Values) string {
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// layoutGraph places the graph's nodes and edges.
func layoutGraph(vm *GraphVM, g queries.Graph, f queries.GraphFilter) {
	vm.ViewBox = fmt.Sprintf("0 0 %s %s", num(graphWidth), num(graphHeight))
	vm.PeerCount, vm.ShownCount = g.Peers, g.Shown
	vm.Empty = len(g.Nodes) == 0
	unit := func(n int64) string {
		if f.Weight == "records" {
			return format.Nouns(n, "record")
		}
		return format.Bytes(n)
	}
	var centre, ring []queries.GraphNode
	for _, n := range g.Nodes {
		if n.Kind == "focus" || n.Kind == "local" {
			centre = append(centre, n)
		} else {
			ring = append(ring, n)
		}
	}
	type point struct{ x, y, r float64 }
	at := map[string]point{}
	cx, cy := graphWidth/2, graphHeight/2
	size := func(w int64) float64 {
		if g.MaxWeight <= 0 || w <= 0 {
			return graphNodeMin
		}
		return graphNodeMin + graphNodeSpan*math.Sqrt(float64(w)/float64(g.MaxWeight))
	}
	place := func(n queries.GraphNode, x, y, r, angle float64) {
		at[n.ID] = point{x, y, r}
		vm.Nodes = append(vm.Nodes, nodeVM(vm.Case, vm.Href, vm.graphParams, n, x, y, r, angle, unit))
	}
	for i, n := range centre {
		x, y, angle := cx, cy, -math.Pi/2
		if len(centre) > 1 {
			angle = -math.Pi/2 + 2*math.Pi*float64(i)/float64(len(centre))
			x, y = cx+graphFocusRing*math.Cos(angle), cy+graphFocusRing*math.Sin(angle)
		}
		place(n, x, y, max(size(n.Weight), 12), angle)
	}
	// Rings: as many as the nodes need, each holding a share by its
	// circumference; the inner rings take the first nodes.
	rings := min(graphMaxRings, max(1, (len(ring)+graphPerRing-1)/graphPerRing))
	radii := make([]float64, rings)
	var total float64
	for i := range radii {
		radii[i] = (graphInner + graphOuter) / 2
		if rings > 1 {
			radii[i] = graphInner + (graphOuter-graphInner)*float64(i)/float64(rings-1)
		}
		total += radii[i]
	}
	next := 0
	for i, r := range radii {
		count := int(math.Round(float64(len(ring)) * r / total))
		if i == rings-1 {
			count = len(ring) - next
		}
		count = min(count, len(ring)-next)
		for k := range count {
			// Each ring starts a little further round, so that rings do not
			// line up into spokes.
			angle := -math.Pi/2 + 2*math.Pi*(float64(k)+0.5*float64(i%2))/float64(count)
			n := ring[next+k]
			place(n, cx+r*math.Cos(angle), cy+r*math.Sin(angle), size(n.Weight), angle)
		}
		next += count
	}

	width := func(w int64) float64 {
		if g.MaxEdge <= 0 || w <= 0 {
			return graphEdgeMin
		}
		return graphEdgeMin + graphEdgeSpan*math.Sqrt(float64(w)/float64(g.MaxEdge))
	}
	for i, e := range g.Edges {
		a, b := at[e.From], at[e.To]
		ev := edgeVM(vm.Case, e)
		ev.X1, ev.Y1, ev.X2, ev.Y2, ev.Width = num(a.x), num(a.y), num(b.x), num(b.y), num(width(e.Weight))
		vm.Edges = append(vm.Edges, ev)
		if i < graphTableEdges {
			vm.Table = append(vm.Table, ev)
		}
	}
	// The heaviest drawn last, on top.
	for i, j := 0, len(vm.Edges)-1; i < j; i, j = i+1, j-1 {
		vm.Edges[i], vm.Edges[j] = vm.Edges[j], vm.Edges[i]
	}
	measure := "bytes"
	if f.Weight == "records" {
		measure = "records"
	}
	vm.Summary = fmt.Sprintf("%s, %s shown one by one; %s; edge width and node size by %s.",
		format.Nouns(int64(g.Peers), "peer"), format.Count(int64(g.Shown)), format.Nouns(int64(g.Conversations), "conversation"), measure)
}

// nodeVM is a node at (x, y) with radius r; angle is where it sits round
// the centre, which decides where its label goes.
func nodeVM(caseName, graphHref string, gp graphParams, n queries.GraphNode, x, y, r, angle float64, unit func(int64) string) GraphNodeVM {
	v := GraphNodeVM{ID: n.ID, Addr: n.Addr, Kind: n.Kind, Scope: n.Scope, X: num(x), Y: num(y), R: num(r), FlagR: num(r + 3.5)}
	classes := []string{"node", "kind-" + n.Kind, "scope-" + n.Scope}
	if n.Provider != "" {
		classes = append(classes, "provider")
	}
	if n.RejectOnly() {
		classes = append(classes, "rejected")
	}
	if n.Findings > 0 {
		v.Flagged = true
		classes = append(classes, "flagged")
	}
	v.Class = strings.Join(classes, " ")
	var what []string
	switch n.Kind {
	case "others":
		v.Label = format.Count(int64(n.Count)) + " others"
		what = append(what, fmt.Sprintf("%s other %s peers (%s), not shown one by one", format.Count(int64(n.Count)), n.Scope, n.Direction))
		more := gp
		peers := queries.GraphPeers
		if gp.Peers != "" {
			peers, _ = strconv.Atoi(gp.Peers)
		}
		more.Peers = strconv.Itoa(min(graphMaxPeers, peers*2))
		v.Href = hrefWith(graphHref, more.values())
	default:
		v.Label = shortAddr(n.Addr)
		v.Href = addrHref(caseName, n.Addr)
		role := n.Scope + " peer"
		switch n.Kind {
		case "focus":
			role = "the focus"
		case "local":
			role = n.Scope + " host of the case"
		}
		what = append(what, n.Addr+": "+role)
		if n.Provider != "" {
			p := n.Provider
			if n.CloudService != "" {
				p += " " + n.CloudService
			}
			what = append(what, p)
		}
		if n.Org != "" {
			what = append(what, n.Org)
		}
		if n.ASN != "" {
			what = append(what, n.ASN)
		}
	}
	what = append(what, unit(n.Weight))
	if n.Weight != n.Flows {
		what = append(what, format.Nouns(n.Flows, "record"))
	}
	if n.RejectOnly() {
		what = append(what, "all rejected")
	}
	if n.Findings > 0 {
		what = append(what, fmt.Sprintf("%s (%s)", format.Nouns(int64(n.Findings), "finding"), n.Severity))
	}
	v.Title = strings.Join(what, ", ")
	// The label outside the node, away from the centre.
	cos, sin := math.Cos(angle), math.Sin(angle)
	v.LabelX, v.LabelY = num(x+cos*(r+graphLabelOffset)), num(y+sin*(r+graphLabelOffset)+3.5)
	switch {
	case n.Kind == "focus" || n.Kind == "local":
		v.LabelX, v.LabelY, v.Anchor = num(x), num(y+r+13), "middle"
	case cos > 0.25:
		v.Anchor = "start"
	case cos < -0.25:
		v.Anchor = "end"
	default:
		v.Anchor = "middle"
		v.LabelX = num(x)
		if sin > 0 {
			v.LabelY = num(y + r + 12)
		} else {
			v.LabelY = num(y - r - 5)
		}
	}
	return v
}

// edgeVM is an edge's text and link: the records between the pair on the
// flows page (a group's side: the conversations of the focus's side).
func edgeVM(caseName string, e queries.GraphEdge) GraphEdgeVM {
	v := GraphEdgeVM{From: e.From, To: e.To, Client: e.Client, Server: e.Server, RejectOnly: e.RejectOnly()}
	v.Class = "edge"
	if v.RejectOnly {
		v.Class += " reject"
	}
	q := url.Values{}
	switch {
	case e.Client != "" && e.Server != "":
		q.Set("addr", e.Client)
		q.Set("peer", e.Server)
	case e.Client != "":
		q.Set("addr", e.Client)
		q.Set("view", "conversations")
	default:
		q.Set("addr", e.Server)
		q.Set("view", "conversations")
	}
	if e.Port != nil {
		q.Set("port", strconv.Itoa(*e.Port))
	}
	if e.ProtocolNumber >= 0 {
		q.Set("protocol", strconv.Itoa(e.ProtocolNumber))
	}
	v.Href = caseHref(caseName) + "/flows?" + q.Encode()
	v.Services = strings.Join(e.Services, ", ")
	if e.Ports > len(e.Services) {
		v.Services += fmt.Sprintf(" … (%s)", format.Nouns(int64(e.Ports), "service"))
	}
	v.Sessions = format.Count(e.Sessions)
	v.Records = format.Count(e.Flows)
	v.Bytes = format.Bytes(e.Bytes)
	v.Actions = "ACCEPT"
	switch {
	case e.Accepted == 0:
		v.Actions = "REJECT"
	case e.Rejected > 0:
		v.Actions = "ACCEPT+REJECT"
	}
	v.Title = fmt.Sprintf("%s → %s %s: %s, %s sessions, %s records, %s", orOthers(e.Client), orOthers(e.Server), v.Services, v.Actions, v.Sessions, v.Records, v.Bytes)
	return v
}

// orOthers names a group's side of an edge.
func orOthers(addr string) string {
	if addr == "" {
		return "others"
	}
	return addr
}

// shortAddr keeps a long (IPv6) address's label short: its start and end;
// the node's title has it whole.
func shortAddr(a string) string {
	if len(a) <= 22 {
		return a
	}
	return a[:13] + "…" + a[len(a)-6:]
}
