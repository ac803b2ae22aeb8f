package queries

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

func TestPivot(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	for _, w := range []struct{ prefix, org string }{{"45.61.0.0/16", "Big ISP"}, {"45.61.1.0/24", "Example Org"}} {
		f, l := store.PrefixRange(netip.MustParsePrefix(w.prefix))
		if _, err := c.DB.Exec(`INSERT INTO whois (query_ip, network, start_num, end_num, org, netname, country, asn, registry, server, fetched_at)
			VALUES ('45.61.1.1', ?, ?::UHUGEINT, ?::UHUGEINT, ?, 'NET', 'NL', 'AS64500', 'ripe', 'whois.example', '2026-01-02 03:04:05')`,
			w.prefix, f, l, w.org); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Prepare(ctx, c); err != nil {
		t.Fatal(err)
	}
	at := func(sec int64) *time.Time { u := time.Unix(1700000000+sec, 0).UTC(); return &u }
	rows := func(tb Table) string {
		s := ""
		for _, r := range tb.Rows {
			s += fmt.Sprint(r) + ";"
		}
		return s
	}

	t.Run("peer", func(t *testing.T) {
		p, err := Pivot(ctx, c, netip.MustParseAddr("45.61.1.1"), 20)
		if err != nil {
			t.Fatal(err)
		}
		want := PeerTotals{Flows: 2, Packets: 50, Bytes: 13000, Accepted: 2, First: at(300), Last: at(360)}
		if got := p.Totals; got.Flows != want.Flows || got.Packets != want.Packets || got.Bytes != want.Bytes || got.Accepted != want.Accepted ||
			got.Rejected != 0 || !got.First.Equal(*want.First) || !got.Last.Equal(*want.Last) {
			t.Errorf("totals %+v", got)
		}
		if len(p.Counterparts.Columns) != 7 || p.Counterparts.Columns[0].Name != "local_ip" {
			t.Errorf("counterpart columns %v", p.Counterparts.Columns)
		}
		if got := rows(p.Counterparts); got != fmt.Sprintf("[10.0.1.10 2 50 13000 0 %s %s];", at(300), at(360)) {
			t.Errorf("counterparts %s", got)
		}
		// Its request and the focus's answer: one conversation.
		if len(p.Services) != 1 || p.Conversations != 1 {
			t.Fatalf("services %+v", p.Services)
		}
		if s := p.Services[0]; s.Client != "45.61.1.1" || s.Server != "10.0.1.10" || s.Port == nil || *s.Port != 22 || s.Protocol != "TCP" ||
			s.Sessions != 1 || s.Flows != 2 || s.BytesToServer != 4000 || s.BytesToClient != 9000 || s.Direction != "inbound" || s.Service != "SSH" {
			t.Errorf("service %+v", s)
		}
		if p.Info == nil || p.Info.Scope != "public" || p.Info.Org != "Example Org" || p.Info.ASN != "AS64500" {
			t.Errorf("info %+v", p.Info)
		}
		want2 := WhoisNetwork{Network: "45.61.1.0/24", Org: "Example Org", Netname: "NET", Country: "NL", ASN: "AS64500", Registry: "ripe", Server: "whois.example",
			FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if p.Whois == nil || *p.Whois != want2 {
			t.Errorf("whois %+v", p.Whois)
		}
	})
	t.Run("top", func(t *testing.T) {
		p, err := Pivot(ctx, c, netip.MustParseAddr("10.0.1.10"), 2)
		if err != nil {
			t.Fatal(err)
		}
		// The focus's conversations, largest first: the NAT-ed upload to S3,
		// then the SSH session; the rest counted.
		if len(p.Services) != 2 || p.Services[0].Server != "52.216.1.1" || p.Services[1].Client != "45.61.1.1" || p.Conversations != 6 {
			t.Errorf("services %+v of %d", p.Services, p.Conversations)
		}
	})
	t.Run("unknown address", func(t *testing.T) {
		p, err := Pivot(ctx, c, netip.MustParseAddr("192.0.2.1"), 20)
		if err != nil {
			t.Fatal(err)
		}
		if p.Totals != (PeerTotals{}) || len(p.Counterparts.Rows) != 0 || len(p.Services) != 0 || p.Info != nil || p.Whois != nil {
			t.Errorf("%+v", p)
		}
	})
	t.Run("without WHOIS", func(t *testing.T) {
		p, err := Pivot(ctx, c, netip.MustParseAddr("2a02:cf40::1"), 20)
		if err != nil {
			t.Fatal(err)
		}
		if p.Totals.Flows != 1 || p.Info == nil || p.Info.Scope != "public" || p.Whois != nil {
			t.Errorf("%+v", p)
		}
	})
}
