package queries

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestFlows(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	port := func(n uint16) *uint16 { return &n }
	proto := func(n uint8) *uint8 { return &n }
	at := func(sec int64) *time.Time { u := time.Unix(1700000000+sec, 0).UTC(); return &u }
	all := Page{Number: 1, Size: 100}
	for _, tc := range []struct {
		name  string
		f     FlowFilter
		p     Page
		ports []int64 // srcport of the page's rows (by start, then srcaddr as text), 0 for NULL
		total int64
		more  bool
	}{
		{"all", FlowFilter{}, all, []int64{50001, 50002, 50003, 22, 50004, 50005, 40000, 40001, 50006, 40002, 50007, 0}, 12, false},
		// 10.0.1.10 is the packet source of the NAT-ed record from 10.0.0.5.
		{"addr, also as pkt_srcaddr", FlowFilter{Addr: netip.MustParseAddr("10.0.1.10")}, all, []int64{50001, 50002, 50003, 22, 50004, 50005, 40000, 40001, 50007}, 9, false},
		{"IPv6 addr", FlowFilter{Addr: netip.MustParseAddr("2600:1f18:abc:de01::10")}, all, []int64{50006}, 1, false},
		{"port either side", FlowFilter{Port: port(22)}, all, []int64{50001, 50002, 50003, 22, 50004, 50005, 40000}, 7, false},
		{"protocol", FlowFilter{Protocol: proto(6)}, all, []int64{50001, 50002, 50003, 22, 50004, 50005, 40000, 40001, 50006, 40002, 50007}, 11, false},
		{"other protocol", FlowFilter{Protocol: proto(17)}, all, nil, 0, false},
		{"action", FlowFilter{Action: "REJECT"}, all, []int64{50001, 50002, 50003, 50005, 50007}, 5, false},
		{"window", FlowFilter{Start: at(300), End: at(500)}, all, []int64{22, 50004, 50005, 40000, 40001}, 5, false},
		{"from", FlowFilter{Start: at(800)}, all, []int64{50007, 0}, 2, false},
		{"all together", FlowFilter{Addr: netip.MustParseAddr("45.61.9.9"), Port: port(22), Action: "REJECT", End: at(100)}, all, []int64{50001, 50002}, 2, false},
		{"first page", FlowFilter{}, Page{Number: 1, Size: 5}, []int64{50001, 50002, 50003, 22, 50004}, 12, true},
		{"middle page", FlowFilter{}, Page{Number: 2, Size: 5}, []int64{50005, 40000, 40001, 50006, 40002}, 12, true},
		{"last page", FlowFilter{}, Page{Number: 3, Size: 5}, []int64{50007, 0}, 12, false},
		{"last page, full", FlowFilter{}, Page{Number: 2, Size: 6}, []int64{40000, 40001, 50006, 40002, 50007, 0}, 12, false},
		{"past the end", FlowFilter{}, Page{Number: 9, Size: 5}, nil, 12, false},
		{"filtered pages", FlowFilter{Action: "REJECT"}, Page{Number: 2, Size: 2}, []int64{50003, 50005}, 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Flows(ctx, c, tc.f, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			col := slices.IndexFunc(got.Columns, func(c Column) bool { return c.Name == "srcport" })
			if col < 0 {
				t.Fatalf("no srcport in %v", got.Columns)
			}
			var ports []int64
			for _, r := range got.Rows {
				n, _ := r[col].(int64)
				ports = append(ports, n)
			}
			if !slices.Equal(ports, tc.ports) {
				t.Errorf("rows (srcport) %v, want %v", ports, tc.ports)
			}
			if got.Totals.Records != tc.total || got.More != tc.more {
				t.Errorf("%d records, more %v; want %d, %v", got.Totals.Records, got.More, tc.total, tc.more)
			}
		})
	}
	t.Run("totals", func(t *testing.T) {
		got, err := Flows(ctx, c, FlowFilter{Addr: netip.MustParseAddr("45.61.1.1")}, all)
		if err != nil {
			t.Fatal(err)
		}
		tt := got.Totals
		if tt.Records != 2 || tt.Packets != 50 || tt.Bytes != 13000 || tt.Accepted != 2 || tt.Rejected != 0 ||
			!tt.First.Equal(*at(300)) || !tt.Last.Equal(*at(360)) {
			t.Errorf("%+v", tt)
		}
		none, err := Flows(ctx, c, FlowFilter{Addr: netip.MustParseAddr("192.0.2.1")}, all)
		if err != nil {
			t.Fatal(err)
		}
		if none.Totals != (FlowTotals{}) || len(none.Rows) != 0 || len(none.Columns) == 0 {
			t.Errorf("no match: %+v", none)
		}
	})
	t.Run("values are bound", func(t *testing.T) {
		for _, f := range []FlowFilter{{Action: "ACCEPT' OR 1=1 --"}, {Action: "accept"}} {
			if _, err := Flows(ctx, c, f, all); err == nil {
				t.Errorf("action %q: no error", f.Action)
			}
		}
	})
	t.Run("bad page", func(t *testing.T) {
		for _, p := range []Page{{0, 10}, {1, 0}} {
			if _, err := Flows(ctx, c, FlowFilter{}, p); err == nil {
				t.Errorf("page %+v: no error", p)
			}
		}
	})
}
