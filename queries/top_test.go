package queries

import (
	"context"
	"net/netip"
	"slices"
	"testing"
)

func TestTopPeersAndPorts(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	if _, err := Prepare(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := func(a string, n int64) PeerCount { return PeerCount{Addr: netip.MustParseAddr(a), Flows: n} }
	all := []PeerCount{
		p("45.61.9.9", 3), p("45.61.1.1", 2),
		// ties by address (as text)
		p("10.0.2.15", 1), p("172.31.5.5", 1), p("2a02:cf40::1", 1), p("45.61.2.2", 1), p("52.216.1.1", 1),
	}
	for _, tc := range []struct {
		name string
		n    int
		want []PeerCount
	}{
		{"all", 0, all},
		{"top 3", 3, all[:3]},
		{"more than there are", 100, all},
	} {
		t.Run("peers "+tc.name, func(t *testing.T) {
			got, err := TopPeers(ctx, c, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
			// Peers is the same ranking.
			addrs, err := Peers(ctx, c, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			var want []netip.Addr
			for _, pc := range tc.want {
				want = append(want, pc.Addr)
			}
			if !slices.Equal(addrs, want) {
				t.Errorf("Peers %v, want %v", addrs, want)
			}
		})
	}
	t.Run("public peers", func(t *testing.T) {
		got, err := PublicPeers(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The same ranking without the internal and private addresses.
		want := []netip.Addr{}
		for _, pc := range all {
			if s := pc.Addr.String(); s != "10.0.2.15" && s != "172.31.5.5" {
				want = append(want, pc.Addr)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
		if two, err := PublicPeers(ctx, c, 2); err != nil || !slices.Equal(two, want[:2]) {
			t.Errorf("top 2: %v %v", two, err)
		}
	})
	t.Run("ports", func(t *testing.T) {
		got, err := TopPorts(ctx, c, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []PortCount{{22, 6}, {443, 2}, {3389, 1}}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
