package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

// manyPeers are the conversations of a focus with n peers: visitors of its
// HTTPS, a few rejected SSH guessers, one upload.
func manyPeers(n int) []Conversation {
	var out []Conversation
	p443, p22 := 443, 22
	for i := range n {
		out = append(out, Conversation{Client: fmt.Sprintf("198.%d.%d.%d", 18+i/65536, i/256%256, i%256), Server: "10.0.1.10", Port: &p443,
			Protocol: "TCP", ProtocolNumber: 6, Direction: "inbound", Sessions: 2, Flows: 4, Bytes: int64(1000 + i), Accepted: 4,
			ClientScope: "public", ServerScope: "focus"})
	}
	for i := range 5 {
		out = append(out, Conversation{Client: fmt.Sprintf("45.61.9.%d", i), Server: "10.0.1.10", Port: &p22, Protocol: "TCP", ProtocolNumber: 6,
			Direction: "inbound", Sessions: 400, Flows: 400, Bytes: 24_000, Rejected: 400, ClientScope: "public", ServerScope: "focus"})
	}
	out = append(out, Conversation{Client: "10.0.1.10", Server: "45.61.210.36", Port: &p443, Protocol: "TCP", ProtocolNumber: 6,
		Direction: "outbound", Sessions: 3, Flows: 300, Bytes: 4_000_000_000, Accepted: 300, ClientScope: "focus", ServerScope: "public", Peer: "45.61.210.36"})
	return out
}

// TestBuildGraph: at 2,000 peers the graph keeps the upload's peer (by
// bytes), the SSH guessers (by records) and a flagged peer one by one, and
// folds the rest into a group with their traffic.
func TestBuildGraph(t *testing.T) {
	convs := manyPeers(2000)
	flags := map[string]Flag{"198.18.0.7": {Findings: 1, Severity: store.SeverityHigh}}
	g, err := BuildGraph(GraphData{Convs: convs}, flags, GraphFilter{Peers: 20})
	if err != nil {
		t.Fatal(err)
	}
	if g.Peers != 2006 || g.Shown != 20 || g.Conversations != len(convs) {
		t.Fatalf("peers %d shown %d conversations %d", g.Peers, g.Shown, g.Conversations)
	}
	ids := map[string]GraphNode{}
	for _, n := range g.Nodes {
		ids[n.ID] = n
	}
	for _, want := range []string{"10.0.1.10", "45.61.210.36", "45.61.9.0", "45.61.9.4", "198.18.0.7"} {
		if _, ok := ids[want]; !ok {
			t.Errorf("no node %s", want)
		}
	}
	others, ok := ids["others:inbound:public"]
	if !ok || others.Count != 2006-20 || others.Kind != "others" {
		t.Fatalf("others: %+v", others)
	}
	if ids["198.18.0.7"].Severity != "high" || !ids["45.61.9.0"].RejectOnly() {
		t.Errorf("flags: %+v %+v", ids["198.18.0.7"], ids["45.61.9.0"])
	}
	// The focus first, then the peers by scope and weight, the group last.
	if g.Nodes[0].ID != "10.0.1.10" || g.Nodes[1].ID != "45.61.210.36" || g.Nodes[len(g.Nodes)-1].Kind != "others" {
		t.Errorf("order: %s, %s … %s", g.Nodes[0].ID, g.Nodes[1].ID, g.Nodes[len(g.Nodes)-1].ID)
	}
	// Every conversation is on an edge; the group's edge carries its sum.
	var flows int64
	for _, e := range g.Edges {
		flows += e.Flows
		if e.From == others.ID && (e.Client != "" || e.Server != "10.0.1.10" || e.Flows != others.Flows) {
			t.Errorf("the group's edge: %+v", e)
		}
	}
	var want int64
	for _, c := range convs {
		want += c.Flows
	}
	if flows != want {
		t.Errorf("edges hold %d flows, want %d", flows, want)
	}
	// Same conversations, same graph, whatever their order.
	rev := slices.Clone(convs)
	slices.Reverse(rev)
	again, _ := BuildGraph(GraphData{Convs: rev}, flags, GraphFilter{Peers: 20})
	if diff := graphDiff(again, g); diff != "" {
		t.Errorf("another order of the same conversations gave another graph:\n%s", diff)
	}

	// Filters.
	for _, tt := range []struct {
		f     GraphFilter
		peers int
	}{
		{GraphFilter{Port: ptr(uint16(22))}, 5},
		{GraphFilter{Direction: "outbound"}, 1},
		{GraphFilter{Weight: "records", Min: 100}, 6},
		{GraphFilter{Min: 1_000_000}, 1},
		{GraphFilter{Scope: "private"}, 0},
	} {
		g, err := BuildGraph(GraphData{Convs: convs}, nil, tt.f)
		if err != nil || g.Peers != tt.peers {
			t.Errorf("%+v: %d peers, %v", tt.f, g.Peers, err)
		}
	}
	if _, err := BuildGraph(GraphData{Convs: convs}, nil, GraphFilter{Weight: "packets"}); err == nil {
		t.Error("weight packets accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkBuildGraph builds the graph of 100,000 conversations (the
// conversations of a 5M-record case).
func BenchmarkBuildGraph(b *testing.B) {
	convs := manyPeers(100_000)
	for b.Loop() {
		if _, err := BuildGraph(GraphData{Convs: convs}, nil, GraphFilter{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGraphOf: the graph GraphOf builds from the case, where the peers that
// cannot get a node of their own are folded before they leave it, is the
// graph of all the window's conversations, under every kind of filter.
func TestGraphOf(t *testing.T) {
	ctx := context.Background()
	s := newFlowSet(60, 7)
	s.background()
	s.bruteForce("185.220.101.47", web, 22, t0+3*hour+600, 60, false)
	s.bruteForce("61.177.172.140", web, 22, t0+5*hour, 40, true)
	s.session(web, "45.61.210.36", 443, t0+7*hour, 600, 400_000_000, 90_000)
	c := detCase(t, s)
	if _, err := c.Derive(ctx); err != nil {
		t.Fatal(err)
	}
	// A flagged peer that no weight would rank.
	convs, err := Conversations(ctx, c, ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := convs[len(convs)-1]
	addr := quiet.Client
	if quiet.Direction != "inbound" {
		addr = quiet.Server
	}
	if _, err := c.AddFinding(ctx, "test", store.Finding{Title: "quiet", Severity: store.SeverityHigh, Subjects: store.Subjects{Addresses: []string{addr}}}, ""); err != nil {
		t.Fatal(err)
	}
	flags, err := Flags(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Unix(t0+2*hour+1800, 0).UTC(), time.Unix(t0+9*hour, 0).UTC()
	for _, tt := range []struct {
		name       string
		start, end *time.Time
		f          GraphFilter
	}{
		{"all", nil, nil, GraphFilter{}},
		{"five peers", nil, nil, GraphFilter{Peers: 5}},
		{"three by records", nil, nil, GraphFilter{Peers: 3, Weight: "records"}},
		{"inbound", nil, nil, GraphFilter{Direction: "inbound", Peers: 4}},
		{"port 443", nil, nil, GraphFilter{Port: ptr(uint16(443)), Peers: 2}},
		{"public above a minimum", nil, nil, GraphFilter{Scope: "public", Min: 5000, Peers: 4}},
		{"a window", &from, &to, GraphFilter{Peers: 6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			all, err := Conversations(ctx, c, ConversationFilter{Start: tt.start, End: tt.end})
			if err != nil {
				t.Fatal(err)
			}
			want, err := BuildGraph(GraphData{Convs: all}, flags, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := GraphOf(ctx, c, tt.start, tt.end, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := graphDiff(got, want); diff != "" {
				t.Errorf("GraphOf differs from the graph of all conversations:\n%s", diff)
			}
			if tt.f.Peers > 0 && want.Peers > tt.f.Peers && want.Shown == want.Peers {
				t.Errorf("nothing folded: %d peers, %d shown", want.Peers, want.Shown)
			}
		})
	}
}

// graphDiff is what differs between two graphs, line by line.
func graphDiff(got, want Graph) string {
	lines := func(g Graph) []string {
		out := []string{fmt.Sprintf("peers %d shown %d conversations %d max %d/%d", g.Peers, g.Shown, g.Conversations, g.MaxWeight, g.MaxEdge)}
		for _, n := range g.Nodes {
			out = append(out, fmt.Sprintf("node %+v", n))
		}
		for _, e := range g.Edges {
			port := "-"
			if e.Port != nil {
				port = fmt.Sprint(*e.Port)
			}
			e.Port = nil
			out = append(out, fmt.Sprintf("edge %+v port %s", e, port))
		}
		return out
	}
	a, b := lines(got), lines(want)
	var out []string
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			out = append(out, "got  "+x, "want "+y)
		}
	}
	return strings.Join(out, "\n")
}
