package queries

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/investigator/investigator/store"
)

// The connection graph: the focus, its peers and the internal hosts it
// talks to as nodes, its conversations as edges. The model is built from
// the conversations analysis's rows; the faces lay it out.

// GraphFilter chooses what the graph shows; zero fields show everything.
type GraphFilter struct {
	// Direction keeps the conversations of one direction: inbound (a peer
	// is the client), outbound, internal.
	Direction string
	// Port keeps the conversations with this server port.
	Port *uint16
	// Scope keeps the peers of one scope: public, private, internal (and
	// focus, for conversations between the focus's own addresses).
	Scope string
	// Weight is what measures traffic: "bytes" (the default) or
	// "records"; Min drops the peers with less than this of it.
	Weight string
	Min    int64
	// Peers is how many peers get a node of their own (the default
	// GraphPeers); the rest are folded into one "others" node per scope
	// and direction.
	Peers int
}

// GraphPeers is how many peers the graph shows one by one unless told.
const GraphPeers = 60

// Graph is the model of the connection graph.
type Graph struct {
	Nodes []GraphNode
	Edges []GraphEdge
	// Peers are the peers the filter kept, Shown those with a node of
	// their own; Conversations the conversations the filter kept.
	Peers, Shown, Conversations int
	// MaxWeight is the largest node weight, MaxEdge the largest edge
	// weight (in the filter's measure), for scaling.
	MaxWeight, MaxEdge int64
}

// GraphNode is an address, or a group of peers ("N others").
type GraphNode struct {
	ID   string // the address, or "others:DIRECTION:SCOPE"
	Addr string // "" for a group
	// Kind is focus (an address of the case's instances), local (a host of
	// the VPC, in a case without a focus), peer or others.
	Kind                   string
	Scope                  string
	Provider, CloudService string
	Org, ASN               string
	Direction              string // a group's: the direction of its conversations
	Count                  int    // the addresses it stands for
	Bytes, Flows           int64
	Weight                 int64 // Bytes or Flows, as the filter weighs
	Accepted, Rejected     int64
	Findings               int    // open findings naming it
	Severity               string // the highest of their severities
}

// RejectOnly reports whether every record of the node's traffic was rejected.
func (n GraphNode) RejectOnly() bool { return n.Accepted == 0 && n.Rejected > 0 }

// add counts traffic to the node.
func (n *GraphNode) add(bytes, flows, accepted, rejected int64) {
	n.Bytes += bytes
	n.Flows += flows
	n.Accepted += accepted
	n.Rejected += rejected
}

// GraphEdge is the conversations from one node's clients to another's
// servers.
type GraphEdge struct {
	From, To       string // node ids: the client side, the server side
	Client, Server string // the addresses; "" on a group's side
	// Services are the first few "22/tcp" of its conversations, Ports how
	// many server ports (and protocols) there are in all.
	Services               []string
	Ports                  int
	Conversations          int
	Sessions, Flows, Bytes int64
	Weight                 int64
	Accepted, Rejected     int64
	Port                   *int // the one server port, when there is one
	ProtocolNumber         int  // the one protocol, when there is one (else -1)
}

// RejectOnly reports whether every record on the edge was rejected.
func (e GraphEdge) RejectOnly() bool { return e.Accepted == 0 }

// Flag is what the case's findings say about an address.
type Flag struct {
	Findings int
	Severity store.Severity
}

// Flags are the open (not dismissed) findings by address.
func Flags(ctx context.Context, c *store.Case) (map[string]Flag, error) {
	fs, err := c.Findings(ctx, store.FindingFilter{WithoutDismissed: true})
	if err != nil {
		return nil, fmt.Errorf("queries: graph: %w", err)
	}
	out := map[string]Flag{}
	for _, f := range fs {
		for _, a := range f.Subjects.Addresses {
			fl := out[a]
			fl.Findings++
			if fl.Severity == "" || f.Severity.Rank() > fl.Severity.Rank() {
				fl.Severity = f.Severity
			}
			out[a] = fl
		}
	}
	return out, nil
}

// scopeOrder sorts peers: the case's own hosts first, the internet last.
func scopeOrder(s string) int {
	switch s {
	case "focus":
		return 0
	case "internal":
		return 1
	case "private":
		return 2
	case "public":
		return 3
	}
	return 4
}

// GraphData is what a graph is built from: conversations, and the peers
// already folded into their groups (GraphOf folds, in the case, the peers
// that cannot get a node of their own).
type GraphData struct {
	Convs []Conversation
	// Tail is the conversations of the folded peers, an edge of a group
	// each.
	Tail []GraphTail
}

// GraphTail is the conversations of folded peers of one group with one
// address of the case's side: an edge of the group's node.
type GraphTail struct {
	// Group is the group's node id, "others:DIRECTION:SCOPE"; GroupPeers
	// how many peers the whole group folds (the same on all its edges).
	Group, Direction, Scope string
	GroupPeers              int
	// Local is the case's side, the server when PeerIsClient.
	Local, LocalScope string
	PeerIsClient      bool
	Conversations     int
	Sessions, Flows   int64
	Bytes             int64
	Accepted          int64
	Rejected          int64
	// Services are every service of its conversations ("22/tcp"), with
	// the bytes of each.
	Services     []string
	ServiceBytes []int64
	// Port and ProtocolNumber are those of all its conversations, when
	// they share one (nil, -1 otherwise).
	Port           *int
	ProtocolNumber int
}

// service names a conversation's service on an edge: "22/tcp", "icmp".
func service(protocol string, port *int) string {
	svc := strings.ToLower(protocol)
	if port != nil {
		svc = strconv.Itoa(*port) + "/" + svc
	}
	return svc
}

// BuildGraph makes the graph of conversations under the filter: a node per
// focus address and per peer (the side outside the focus; between two
// focus addresses, both are focus nodes), the peers beyond the filter's
// number folded into groups. Peers named by findings come first, then the
// heaviest by bytes and by records alike, so that both the large
// transfers and the many small rejected attempts keep their own nodes.
// The same conversations give the same graph, and the same with some of
// their peers already folded (d.Tail, as GraphOf reads them).
func BuildGraph(d GraphData, flags map[string]Flag, f GraphFilter) (Graph, error) {
	var g Graph
	if err := f.check(); err != nil {
		return g, err
	}
	convs := d.Convs
	weigh := func(bytes, flows int64) int64 {
		if f.Weight == "records" {
			return flows
		}
		return bytes
	}
	limit := f.limit()

	// The peer of a conversation, and its scope.
	peerOf := func(cv Conversation) (string, string) {
		if cv.Direction == "inbound" {
			return cv.Client, cv.ClientScope
		}
		return cv.Server, cv.ServerScope
	}
	type peer struct {
		node   GraphNode
		ip     netip.Addr
		convs  []int
		ranked bool
	}
	peers := map[string]*peer{}
	for i := range convs {
		cv := &convs[i]
		if f.Direction != "" && cv.Direction != f.Direction {
			continue
		}
		if f.Port != nil && (cv.Port == nil || *cv.Port != int(*f.Port)) {
			continue
		}
		addr, scope := peerOf(*cv)
		if f.Scope != "" && scope != f.Scope {
			continue
		}
		p := peers[addr]
		if p == nil {
			p = &peer{node: GraphNode{ID: addr, Addr: addr, Kind: "peer", Scope: scope, Count: 1}}
			p.ip, _ = netip.ParseAddr(addr)
			if scope == "focus" {
				p.node.Kind = "focus"
			}
			if cv.Peer == addr {
				p.node.Provider, p.node.CloudService, p.node.Org, p.node.ASN = cv.Provider, cv.CloudService, cv.Org, cv.ASN
			}
			peers[addr] = p
		}
		p.node.add(cv.Bytes, cv.Flows, cv.Accepted, cv.Rejected)
		p.convs = append(p.convs, i)
	}
	// The direction a peer moved the most bytes in (then records, then
	// the name): the group it is folded into.
	direction := func(idx []int) string {
		best := convs[idx[0]].Direction
		if len(idx) == 1 {
			return best
		}
		type sum struct {
			dir          string
			bytes, flows int64
		}
		var by []sum // a peer's directions: one or two
		for _, i := range idx {
			j := slices.IndexFunc(by, func(s sum) bool { return s.dir == convs[i].Direction })
			if j < 0 {
				by, j = append(by, sum{dir: convs[i].Direction}), len(by)
			}
			by[j].bytes += convs[i].Bytes
			by[j].flows += convs[i].Flows
		}
		top := slices.MaxFunc(by, func(a, b sum) int {
			return cmp.Or(cmp.Compare(a.bytes, b.bytes), cmp.Compare(a.flows, b.flows), strings.Compare(b.dir, a.dir))
		})
		return top.dir
	}
	var list []*peer
	for _, p := range peers {
		p.node.Weight = weigh(p.node.Bytes, p.node.Flows)
		if p.node.Weight < f.Min {
			continue
		}
		if fl, ok := flags[p.node.Addr]; ok {
			p.node.Findings, p.node.Severity = fl.Findings, string(fl.Severity)
		}
		list = append(list, p)
	}
	g.Peers = len(list)

	// Which peers keep a node of their own: flagged ones first (the most
	// severe, then the heaviest), then by bytes and by records in turn.
	ranked := 0
	take := func(p *peer) {
		if !p.ranked && ranked < limit {
			p.ranked = true
			ranked++
		}
	}
	// Comparisons that fall back on the address (cmp.Or would compare the
	// addresses every time).
	by := func(x, y int64, a, b *peer) int {
		if c := cmp.Compare(y, x); c != 0 {
			return c
		}
		return a.ip.Compare(b.ip)
	}
	var flagged []*peer
	for _, p := range list {
		if p.node.Findings > 0 && p.node.Kind != "focus" {
			flagged = append(flagged, p)
		}
	}
	slices.SortFunc(flagged, func(a, b *peer) int {
		if c := cmp.Compare(store.Severity(b.node.Severity).Rank(), store.Severity(a.node.Severity).Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.node.Findings, a.node.Findings); c != 0 {
			return c
		}
		return by(a.node.Weight, b.node.Weight, a, b)
	})
	for _, p := range flagged {
		if ranked < limit/2 {
			take(p)
		}
	}
	bytes := slices.Clone(list)
	slices.SortFunc(bytes, func(a, b *peer) int { return by(a.node.Bytes, b.node.Bytes, a, b) })
	flows := slices.Clone(list)
	slices.SortFunc(flows, func(a, b *peer) int { return by(a.node.Flows, b.node.Flows, a, b) })
	for i := 0; i < len(list) && ranked < limit; i++ {
		take(bytes[i])
		take(flows[i])
	}

	// Nodes: the ranked peers and the groups, then the local side of each
	// conversation (the focus's addresses; in a case without a focus, the
	// VPC's hosts) as the edges meet them.
	nodes := map[string]*GraphNode{}
	home := map[string]string{} // peer address -> its node
	group := func(id, dir, scope string) *GraphNode {
		n := nodes[id]
		if n == nil {
			n = &GraphNode{ID: id, Kind: "others", Scope: scope, Direction: dir}
			nodes[id] = n
		}
		return n
	}
	for _, p := range list {
		if p.ranked || p.node.Kind == "focus" {
			n := p.node
			nodes[n.ID] = &n
			home[n.Addr] = n.ID
			continue
		}
		dir := direction(p.convs)
		n := group("others:"+dir+":"+p.node.Scope, dir, p.node.Scope)
		home[p.node.Addr] = n.ID
		n.Count++
		n.add(p.node.Bytes, p.node.Flows, p.node.Accepted, p.node.Rejected)
		if p.node.Findings > 0 {
			n.Findings += p.node.Findings
			if store.Severity(p.node.Severity).Rank() > store.Severity(n.Severity).Rank() {
				n.Severity = p.node.Severity
			}
		}
	}
	counted := map[string]bool{} // the groups whose folded peers the tail counted
	for _, t := range d.Tail {
		n := group(t.Group, t.Direction, t.Scope)
		if !counted[t.Group] {
			counted[t.Group] = true
			n.Count += t.GroupPeers
			g.Peers += t.GroupPeers
		}
		n.add(t.Bytes, t.Flows, t.Accepted, t.Rejected)
	}
	type traffic struct {
		conversations                              int
		sessions, flows, bytes, accepted, rejected int64
	}
	local := func(addr, scope string, tr traffic) string {
		n := nodes[addr]
		if n == nil {
			n = &GraphNode{ID: addr, Addr: addr, Kind: "local", Scope: scope, Count: 1}
			if scope == "focus" {
				n.Kind = "focus"
			}
			if fl, ok := flags[addr]; ok {
				n.Findings, n.Severity = fl.Findings, string(fl.Severity)
			}
			nodes[addr] = n
		}
		if n.Kind != "peer" && n.Kind != "others" && home[addr] == "" {
			n.add(tr.bytes, tr.flows, tr.accepted, tr.rejected)
		}
		return addr
	}

	// Edges: the kept conversations of the kept peers, by node pair.
	type key struct{ from, to string }
	edges := map[key]*GraphEdge{}
	services := map[key]map[string]int64{} // every service of an edge, with its bytes
	edge := func(from, to, client, server string, port *int, protocol int, tr traffic) *GraphEdge {
		k := key{from, to}
		e := edges[k]
		if e == nil {
			e = &GraphEdge{From: from, To: to, ProtocolNumber: protocol}
			if nodes[from].Kind != "others" {
				e.Client = client
			}
			if nodes[to].Kind != "others" {
				e.Server = server
			}
			if port != nil {
				p := *port
				e.Port = &p
			}
			edges[k] = e
			services[k] = map[string]int64{}
		}
		if e.Port != nil && (port == nil || *port != *e.Port) {
			e.Port = nil
		}
		if e.ProtocolNumber != protocol {
			e.ProtocolNumber = -1
		}
		e.Conversations += tr.conversations
		e.Sessions += tr.sessions
		e.Flows += tr.flows
		e.Bytes += tr.bytes
		e.Accepted += tr.accepted
		e.Rejected += tr.rejected
		g.Conversations += tr.conversations
		return e
	}
	addService := func(e *GraphEdge, svc string, bytes int64) {
		services[key{e.From, e.To}][svc] += bytes
	}
	for _, p := range list {
		for _, i := range p.convs {
			cv := &convs[i]
			tr := traffic{1, cv.Sessions, cv.Flows, cv.Bytes, cv.Accepted, cv.Rejected}
			var from, to string
			if p.node.Addr == cv.Client {
				from, to = home[cv.Client], local(cv.Server, cv.ServerScope, tr)
			} else {
				from, to = local(cv.Client, cv.ClientScope, tr), home[cv.Server]
			}
			addService(edge(from, to, cv.Client, cv.Server, cv.Port, cv.ProtocolNumber, tr), service(cv.Protocol, cv.Port), cv.Bytes)
		}
	}
	for _, t := range d.Tail {
		tr := traffic{t.Conversations, t.Sessions, t.Flows, t.Bytes, t.Accepted, t.Rejected}
		var e *GraphEdge
		if t.PeerIsClient {
			e = edge(t.Group, local(t.Local, t.LocalScope, tr), "", t.Local, t.Port, t.ProtocolNumber, tr)
		} else {
			e = edge(local(t.Local, t.LocalScope, tr), t.Group, t.Local, "", t.Port, t.ProtocolNumber, tr)
		}
		for i, svc := range t.Services {
			addService(e, svc, t.ServiceBytes[i])
		}
	}
	for _, n := range nodes {
		n.Weight = weigh(n.Bytes, n.Flows)
		if n.Kind == "peer" {
			g.Shown++
		}
		g.MaxWeight = max(g.MaxWeight, n.Weight)
		g.Nodes = append(g.Nodes, *n)
	}
	for k, e := range edges {
		e.Weight = weigh(e.Bytes, e.Flows)
		g.MaxEdge = max(g.MaxEdge, e.Weight)
		// The first few services: the most bytes first.
		svcs := make([]string, 0, len(services[k]))
		for svc := range services[k] {
			svcs = append(svcs, svc)
		}
		slices.SortFunc(svcs, func(a, b string) int {
			return cmp.Or(cmp.Compare(services[k][b], services[k][a]), strings.Compare(a, b))
		})
		e.Ports = len(svcs)
		e.Services = svcs[:min(len(svcs), 5)]
		g.Edges = append(g.Edges, *e)
	}
	// The order the faces lay them out in: the focus, then the peers by
	// scope, weight and address, then the groups.
	kind := map[string]int{"focus": 0, "local": 1, "peer": 2, "others": 3}
	slices.SortFunc(g.Nodes, func(a, b GraphNode) int {
		if c := cmp.Compare(kind[a.Kind], kind[b.Kind]); c != 0 {
			return c
		}
		if c := cmp.Compare(scopeOrder(a.Scope), scopeOrder(b.Scope)); c != 0 {
			return c
		}
		if a.Kind == "focus" {
			return addrCompare(a.Addr, b.Addr)
		}
		return cmp.Or(-cmp.Compare(a.Weight, b.Weight), addrCompare(a.Addr, b.Addr), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(g.Edges, func(a, b GraphEdge) int {
		return cmp.Or(-cmp.Compare(a.Weight, b.Weight), addrCompare(a.From, b.From), addrCompare(a.To, b.To))
	})
	return g, nil
}

// check refuses a filter's unknown values.
func (f GraphFilter) check() error {
	switch f.Weight {
	case "", "bytes", "records":
	default:
		return fmt.Errorf("queries: graph: weight %q is not bytes or records", f.Weight)
	}
	switch f.Direction {
	case "", "inbound", "outbound", "internal", "transit":
	default:
		return fmt.Errorf("queries: graph: direction %q is not inbound, outbound or internal", f.Direction)
	}
	switch f.Scope {
	case "", "focus", "internal", "private", "public":
	default:
		return fmt.Errorf("queries: graph: scope %q is not public, private, internal or focus", f.Scope)
	}
	return nil
}

// limit is how many peers get a node of their own.
func (f GraphFilter) limit() int {
	if f.Peers <= 0 {
		return GraphPeers
	}
	return f.Peers
}

// addrCompare orders addresses as addresses ("" last).
func addrCompare(a, b string) int {
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	switch {
	case errX != nil && errY != nil:
		return strings.Compare(a, b)
	case errX != nil:
		return 1
	case errY != nil:
		return -1
	}
	return x.Compare(y)
}
