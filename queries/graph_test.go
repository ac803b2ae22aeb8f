package queries

import (
	"fmt"
	"slices"
	"testing"

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
	g, err := BuildGraph(convs, flags, GraphFilter{Peers: 20})
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
	again, _ := BuildGraph(rev, flags, GraphFilter{Peers: 20})
	if fmt.Sprint(again.Nodes) != fmt.Sprint(g.Nodes) {
		t.Error("another order of the same conversations gave other nodes")
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
		g, err := BuildGraph(convs, nil, tt.f)
		if err != nil || g.Peers != tt.peers {
			t.Errorf("%+v: %d peers, %v", tt.f, g.Peers, err)
		}
	}
	if _, err := BuildGraph(convs, nil, GraphFilter{Weight: "packets"}); err == nil {
		t.Error("weight packets accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkBuildGraph builds the graph of 100,000 conversations (the
// conversations of a 5M-record case).
func BenchmarkBuildGraph(b *testing.B) {
	convs := manyPeers(100_000)
	for b.Loop() {
		if _, err := BuildGraph(convs, nil, GraphFilter{}); err != nil {
			b.Fatal(err)
		}
	}
}
