package queries

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

func TestEnrichment(t *testing.T) {
	ctx := context.Background()
	t.Run("none", func(t *testing.T) {
		s, err := Enrichment(ctx, emptyCase(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Ranges) != 0 || s.ASN != nil || s.Networks != 0 || s.LastFetched != nil || s.Public != 0 || s.Covered != 0 {
			t.Errorf("%+v", s)
		}
	})
	t.Run("ranges, ASN data and WHOIS", func(t *testing.T) {
		c := handCase(t, true)
		for _, q := range []string{
			`INSERT INTO cidr_snapshots (provider, source, sha256, snapshot_date, loaded_at, prefixes) VALUES ('google', 'cloud.json', 'g1', NULL, '2026-01-03 00:00:00', 7)`,
			`INSERT INTO cidr_snapshots (provider, source, sha256, snapshot_date, loaded_at, prefixes) VALUES ('aws', 'ip-ranges.json', 'a1', '2026-01-01 12:00:00', '2026-01-02 00:00:00', 3)`,
			`INSERT INTO asn_snapshots (id, source, format, sha256, snapshot_date, loaded_at, ranges) VALUES (1, 'ip2asn-v4.tsv', 'iptoasn', 'n1', NULL, '2026-01-04 00:00:00', 42)`,
		} {
			if _, err := c.DB.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		f, l := store.PrefixRange(netip.MustParsePrefix("45.61.0.0/16"))
		if _, err := c.DB.Exec(`INSERT INTO whois (query_ip, network, start_num, end_num, org, fetched_at) VALUES ('45.61.1.1', '45.61.0.0/16', ?::UHUGEINT, ?::UHUGEINT, 'ISP', '2026-01-05 06:07:08')`, f, l); err != nil {
			t.Fatal(err)
		}
		stale, err := Enrichment(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !stale.Stale {
			t.Error("not stale before a rebuild")
		}
		if _, err := Prepare(ctx, c); err != nil {
			t.Fatal(err)
		}
		s, err := Enrichment(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		if len(s.Ranges) != 2 {
			t.Fatalf("ranges %+v", s.Ranges)
		}
		if r := s.Ranges[0]; r.Provider != "aws" || r.Source != "ip-ranges.json" || r.SHA256 != "a1" || r.Date == nil || !r.Date.Equal(day) ||
			!r.LoadedAt.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || r.Count != 3 {
			t.Errorf("aws %+v", r)
		}
		if r := s.Ranges[1]; r.Provider != "google" || r.Date != nil || r.Count != 7 {
			t.Errorf("google %+v", r)
		}
		if a := s.ASN; a == nil || a.Provider != "ASN" || a.Source != "ip2asn-v4.tsv" || a.SHA256 != "n1" || a.Date != nil || a.Count != 42 ||
			!a.LoadedAt.Equal(time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("ASN %+v", a)
		}
		// Public: 45.61.9.9, 45.61.1.1, 45.61.2.2, 52.216.1.1, 2a02:cf40::1;
		// the network holds the first three.
		if s.Networks != 1 || s.LastFetched == nil || !s.LastFetched.Equal(time.Date(2026, 1, 5, 6, 7, 8, 0, time.UTC)) ||
			s.Public != 5 || s.Covered != 3 || s.Stale {
			t.Errorf("%+v", s)
		}
	})
}
