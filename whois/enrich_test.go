package whois

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lwhois "github.com/likexian/whois"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func newCase(t testing.TB) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), "t", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// row is a whois row as the tests read it.
type row struct {
	QueryIP, Network, Start, End                         string
	Org, NetName, Country, ASN, Registry, Server, Raw    sql.NullString
	Handle, OrgHandle, Abuse, Created, Updated, Referral sql.NullString
	FetchedAt                                            time.Time
}

func rows(t testing.TB, c *store.Case) []row {
	t.Helper()
	rs, err := c.DB.Query(`SELECT query_ip, network, start_num::VARCHAR, end_num::VARCHAR, org, netname, country, asn,
		registry, server, raw, handle, org_handle, abuse, created::VARCHAR, updated::VARCHAR, referral, fetched_at
		FROM whois ORDER BY start_num`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.QueryIP, &r.Network, &r.Start, &r.End, &r.Org, &r.NetName, &r.Country, &r.ASN,
			&r.Registry, &r.Server, &r.Raw, &r.Handle, &r.OrgHandle, &r.Abuse, &r.Created, &r.Updated, &r.Referral, &r.FetchedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func rowFor(t testing.TB, rs []row, network string) row {
	t.Helper()
	for _, r := range rs {
		if r.Network == network {
			return r
		}
	}
	t.Fatalf("no row for network %s in %d rows", network, len(rs))
	return row{}
}

func enrich(t testing.TB, c *store.Case, o Options, as ...string) Summary {
	t.Helper()
	sum, err := Enrich(context.Background(), c, addrs(as...), o)
	if err != nil {
		t.Fatalf("Enrich: %v (%+v)", err, sum)
	}
	t.Logf("%s; errors %q", sum, sum.Errors)
	return sum
}

func check[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestIANAThenARIN(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	sum := enrich(t, c, w.options(), "74.125.225.229")
	check(t, "queries", sum.Queries, 2)
	check(t, "networks", sum.Networks, 1)
	check(t, "IANA queries", w.iana.count(), 1)
	check(t, "ARIN queries", w.arin.count(), 1)
	// The library asks ARIN for the network with details: "n + IP".
	check(t, "ARIN query", w.arin.got()[0], "n + 74.125.225.229")
	r := rowFor(t, rows(t, c), "74.125.0.0/16")
	check(t, "query_ip", r.QueryIP, "74.125.225.229")
	check(t, "org", r.Org.String, "Google Inc.")
	check(t, "org_handle", r.OrgHandle.String, "GOGL")
	check(t, "netname", r.NetName.String, "GOOGLE")
	check(t, "handle", r.Handle.String, "NET-74-125-0-0-1")
	check(t, "country", r.Country.String, "US")
	check(t, "registry", r.Registry.String, "ARIN")
	check(t, "server", r.Server.String, "whois.arin.net:43")
	check(t, "referral", r.Referral.String, "whois.iana.org -> whois.arin.net")
	check(t, "abuse", r.Abuse.String != "", true)
	check(t, "raw has NetRange", strings.Contains(r.Raw.String, "NetRange:"), true)
	first, last := store.PrefixRange(netip.MustParsePrefix("74.125.0.0/16"))
	check(t, "start_num", r.Start, first)
	check(t, "end_num", r.End, last)
}

func TestIANAThenRIPEWithOrganisation(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	sum := enrich(t, c, w.options(), "193.0.6.139")
	check(t, "networks", sum.Networks, 1)
	r := rowFor(t, rows(t, c), "193.0.0.0/21")
	check(t, "org", r.Org.String, "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)")
	check(t, "org_handle", r.OrgHandle.String, "ORG-RIEN1-RIPE")
	check(t, "netname", r.NetName.String, "RIPE-NCC")
	check(t, "asn", r.ASN.String, "AS3333")
	check(t, "abuse", r.Abuse.String, "abuse@ripe.net")
	check(t, "created", r.Created.String, "2003-03-17")
	check(t, "updated", r.Updated.String, "2017-12-04")
	check(t, "registry", r.Registry.String, "RIPE")
	check(t, "referral", r.Referral.String, "whois.iana.org -> whois.ripe.net")
}

func TestARINPointsToLACNIC(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	sum := enrich(t, c, w.options(), "170.0.1.1")
	check(t, "queries", sum.Queries, 3)
	rs := rows(t, c)
	check(t, "rows", len(rs), 1) // ARIN's pointer is not kept
	r := rowFor(t, rs, "170.0.0.0/22")
	check(t, "org", r.Org.String, "Coopercitrus Cooperativa de Produtores Rurais")
	check(t, "asn", r.ASN.String, "AS264957")
	check(t, "country", r.Country.String, "BR")
	check(t, "registry", r.Registry.String, "NIC.br")
	check(t, "abuse", r.Abuse.String, "noc@coopercitrus.com.br")
	check(t, "referral", r.Referral.String, "whois.iana.org -> whois.arin.net -> whois.lacnic.net")
	check(t, "server", r.Server.String, "whois.lacnic.net:43")

	// A second address of the transferred block: IANA's and ARIN's pointers
	// are remembered within a run, the network is known across runs.
	sum = enrich(t, c, w.options(), "170.0.2.2")
	check(t, "cached", sum.Cached, 1)
	check(t, "queries", sum.Queries, 0)
}

func TestARINReferralToRWhois(t *testing.T) {
	t.Run("rwhois knows nothing: ARIN's answer is kept", func(t *testing.T) {
		w := newWorld(t)
		c := newCase(t)
		sum := enrich(t, c, w.options(), "174.0.0.1")
		check(t, "rwhois queries", w.rwhois.count(), 1)
		check(t, "failed", sum.Failed, 0)
		r := rowFor(t, rows(t, c), "174.0.0.0/13")
		check(t, "org", r.Org.String, "Shaw Communications Inc.")
		check(t, "asn", r.ASN.String, "AS6327")
		check(t, "server", r.Server.String, "whois.arin.net:43")
		check(t, "referral", r.Referral.String, "whois.iana.org -> whois.arin.net -> rwhois.shawcable.net:4321")
	})
	t.Run("rwhois answers a more specific network", func(t *testing.T) {
		w := newWorld(t)
		w.rwhois.raw = func(string) string {
			return `%rwhois V-1.5:003fff:00 rwhois.shawcable.net (by Network Solutions, Inc. V-1.5.9.6)
network:Class-Name:network
network:ID:NET-174-0-12-0-1
network:Auth-Area:174.0.0.0/13
network:Network-Name:SHAW-CUSTOMER-12
network:IP-Network:174.0.12.0/24
network:Organization;I:Example Widgets Ltd
network:Created:20120115
network:Updated:20190304

%ok
`
		}
		c := newCase(t)
		enrich(t, c, w.options(), "174.0.12.9")
		r := rowFor(t, rows(t, c), "174.0.12.0/24")
		check(t, "org", r.Org.String, "Example Widgets Ltd")
		check(t, "netname", r.NetName.String, "SHAW-CUSTOMER-12")
		check(t, "country (from ARIN)", r.Country.String, "CA")
		check(t, "asn (from ARIN)", r.ASN.String, "AS6327")
		check(t, "registry", r.Registry.String, "rwhois")
		check(t, "server", r.Server.String, "rwhois.shawcable.net:4321")
	})
}

// referralNoNewline is ARIN's answer for a transferred block whose last
// line, the referral, has no newline: likexian/whois panics on it when it
// follows referrals itself.
const referralNoNewline = "\nNetRange:       179.0.0.0 - 179.0.255.255\nCIDR:           179.0.0.0/16\nNetName:        LACNIC-179\nNetType:        Transferred to LACNIC\nOrgName:        Latin American and Caribbean IP address Regional Registry\n\nReferralServer:  whois://whois.lacnic.net"

func TestReferralWithoutTrailingNewline(t *testing.T) {
	w := newWorld(t)
	// IANA sends 179/8 to LACNIC; the test asks ARIN first.
	w.arin.raw = func(string) string { return referralNoNewline }
	w.add(t, "whois.lacnic.net:43", lacnicAnswer(netip.MustParsePrefix("179.0.0.0/16"), "Example Telecom S.A.", "BR-EXTE-LACNIC", "BR"))

	t.Run("the library panics and the panic is recovered", func(t *testing.T) {
		client := lwhois.NewClient().SetDialer(w.net).SetTimeout(2 * time.Second).SetDisableStats(true)
		_, err := safeWhois(client, "179.0.0.1", "whois.arin.net:43")
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("safeWhois = %v, want the recovered panic", err)
		}
	})
	t.Run("Enrich follows the referral itself", func(t *testing.T) {
		c := newCase(t)
		o := w.options()
		o.Server = "whois.arin.net:43"
		sum := enrich(t, c, o, "179.0.0.1")
		check(t, "networks", sum.Networks, 1)
		r := rowFor(t, rows(t, c), "179.0.0.0/16")
		check(t, "org", r.Org.String, "Example Telecom S.A.")
		check(t, "referral", r.Referral.String, "whois.arin.net -> whois.lacnic.net")
	})
}

func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(w *world)
		ctx   bool
	}{
		{"accepts and never answers", func(w *world) { w.arin.silent = true }, false},
		{"never accepts (proxy.Dialer without context)", func(w *world) { w.net.hang["whois.arin.net:43"] = true }, false},
		{"never accepts (ContextDialer)", func(w *world) { w.net.hang["whois.arin.net:43"] = true }, true},
		{"a listener that never calls Accept", func(w *world) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			w.net.routes["whois.arin.net:43"] = ln.Addr().String()
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(w)
			c := newCase(t)
			o := w.options()
			if tc.ctx {
				o.Dialer = contextNet{w.net}
			}
			o.Timeout, o.Tries, o.Backoff = 300*time.Millisecond, 2, 50*time.Millisecond
			began := time.Now()
			sum := enrich(t, c, o, "74.125.225.229")
			took := time.Since(began)
			check(t, "failed", sum.Failed, 1)
			check(t, "networks", sum.Networks, 0)
			check(t, "queries", sum.Queries, 3) // IANA, then ARIN twice
			if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "no answer within 300ms") || !strings.Contains(sum.Errors[0], "gave up on whois.arin.net after 2 tries") {
				t.Errorf("errors = %q", sum.Errors)
			}
			// Two tries of 300 ms and a 50 ms backoff; far less than the library's 30 s default.
			if took < 600*time.Millisecond || took > 3*time.Second {
				t.Errorf("took %s, want about 650ms", took)
			}
		})
	}
}

func TestRefusedThenAnswered(t *testing.T) {
	t.Run("refusal text, retried after the backoff", func(t *testing.T) {
		w := newWorld(t)
		w.ripe.refuseFirst = 1
		c := newCase(t)
		o := w.options()
		o.Backoff = 200 * time.Millisecond
		sum := enrich(t, c, o, "62.239.237.1")
		check(t, "refused", sum.Refused, 1)
		check(t, "networks", sum.Networks, 1)
		check(t, "failed", sum.Failed, 0)
		check(t, "RIPE queries", w.ripe.count(), 2)
		w.ripe.mu.Lock()
		gap := w.ripe.times[1].Sub(w.ripe.times[0])
		w.ripe.mu.Unlock()
		if gap < 200*time.Millisecond {
			t.Errorf("retried after %s, want the 200ms backoff", gap)
		}
		rowFor(t, rows(t, c), "62.239.237.0/24")
	})
	t.Run("connection reset, then answered", func(t *testing.T) {
		w := newWorld(t)
		w.ripe.resetFirst = 1
		c := newCase(t)
		sum := enrich(t, c, w.options(), "62.239.237.1")
		check(t, "networks", sum.Networks, 1)
		check(t, "RIPE queries", w.ripe.count(), 2)
		check(t, "failed", sum.Failed, 0)
	})
	t.Run("a client faster than the server allows slows down", func(t *testing.T) {
		w := newWorld(t)
		w.arin.interval = 250 * time.Millisecond // ARIN allows 4 queries/s
		w.add(t, "whois.arin.net:43",
			arinAnswer(netip.MustParsePrefix("23.1.0.0/16"), "NET-A", "Alpha Corp", "ALPHA", "US", ""),
			arinAnswer(netip.MustParsePrefix("23.2.0.0/16"), "NET-B", "Beta Corp", "BETA", "US", ""),
			arinAnswer(netip.MustParsePrefix("23.3.0.0/16"), "NET-C", "Gamma Corp", "GAMMA", "US", ""))
		c := newCase(t)
		o := w.options() // 50 queries/s
		o.Backoff = 100 * time.Millisecond
		sum := enrich(t, c, o, "23.1.0.1", "23.2.0.1", "23.3.0.1")
		check(t, "networks", sum.Networks, 3)
		check(t, "failed", sum.Failed, 0)
		if sum.Refused == 0 || sum.Refused > 3 {
			t.Errorf("refused %d, want a few (the limiter slows down, the server is not hammered)", sum.Refused)
		}
		check(t, "ARIN queries", w.arin.count(), 3+sum.Refused)
	})
	t.Run("refused every time: given up and reported", func(t *testing.T) {
		w := newWorld(t)
		w.ripe.refuseFirst = 100
		c := newCase(t)
		o := w.options()
		o.Tries = 3
		sum := enrich(t, c, o, "62.239.237.1")
		check(t, "refused", sum.Refused, 3)
		check(t, "failed", sum.Failed, 1)
		if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "ERROR:201: access denied") {
			t.Errorf("errors = %q", sum.Errors)
		}
	})
}

func TestHugeAnswerRefused(t *testing.T) {
	w := newWorld(t)
	garbage := strings.Repeat("garbage garbage garbage garbage garbage garbage garbage garbage\n", 2<<20/64)
	w.arin.raw = func(string) string { return garbage }
	c := newCase(t)
	sum := enrich(t, c, w.options(), "74.125.225.229")
	check(t, "failed", sum.Failed, 1)
	check(t, "ARIN queries", w.arin.count(), 1) // not retried
	if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "answer too large") {
		t.Errorf("errors = %q", sum.Errors)
	}
	check(t, "rows", len(rows(t, c)), 0)
}

func TestWhoisServerReplacesIANA(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	o := w.options()
	o.Server = "whois.ripe.net" // --whois-server; the port defaults to 43
	sum := enrich(t, c, o, "193.0.6.139")
	check(t, "networks", sum.Networks, 1)
	check(t, "IANA queries", w.iana.count(), 0)
	check(t, "RIPE queries", w.ripe.count(), 1)
	check(t, "referral", rowFor(t, rows(t, c), "193.0.0.0/21").Referral.String, "whois.ripe.net")
}

func TestOffline(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	enrich(t, c, w.options(), "74.125.225.229")
	before := w.total()

	w.net.forbid = true // any connection now fails the test
	o := w.options()
	o.Offline = true
	o.MaxAge = time.Nanosecond // offline, even old answers count
	sum := enrich(t, c, o, "74.125.1.1", "62.239.237.1", "10.1.2.3")
	check(t, "cached", sum.Cached, 1)
	check(t, "skipped", sum.Skipped, 1)
	check(t, "special", sum.Special, 1)
	check(t, "queries", sum.Queries, 0)
	check(t, "fake queries", w.total(), before)
}

func TestMaxAgeRefresh(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := t0
	o := w.options()
	o.Now = func() time.Time { return clock }
	o.MaxAge = 24 * time.Hour
	enrich(t, c, o, "74.125.225.229")
	check(t, "ARIN queries", w.arin.count(), 1)

	clock = t0.Add(23 * time.Hour) // fresh: answered from the case
	sum := enrich(t, c, o, "74.125.225.229")
	check(t, "cached", sum.Cached, 1)
	check(t, "ARIN queries", w.arin.count(), 1)

	clock = t0.Add(25 * time.Hour) // stale: asked again, the row replaced
	sum = enrich(t, c, o, "74.125.225.229")
	check(t, "queried", sum.Queried, 1)
	check(t, "ARIN queries", w.arin.count(), 2)
	rs := rows(t, c)
	check(t, "rows", len(rs), 1)
	check(t, "fetched_at", rs[0].FetchedAt.UTC(), clock)

	o.MaxAge = 0 // never stale
	clock = t0.Add(1000 * time.Hour)
	sum = enrich(t, c, o, "74.125.225.229")
	check(t, "cached", sum.Cached, 1)
	check(t, "ARIN queries", w.arin.count(), 2)
}

func TestOneQueryPerNetwork(t *testing.T) {
	t.Run("two addresses of one network", func(t *testing.T) {
		w := newWorld(t)
		c := newCase(t)
		sum := enrich(t, c, w.options(), "74.125.225.229", "74.125.225.1")
		check(t, "ARIN queries", w.arin.count(), 1)
		check(t, "queried", sum.Queried, 1)
		check(t, "cached", sum.Cached, 1)
	})
	t.Run("two /26 networks of one /24", func(t *testing.T) {
		w := newWorld(t)
		w.add(t, "whois.ripe.net:43",
			rpslAnswer("RIPE", netip.MustParsePrefix("185.10.20.0/26"), "NET-LOW", "Low Networks", "ORG-LOW1-RIPE", "DE"),
			rpslAnswer("RIPE", netip.MustParsePrefix("185.10.20.64/26"), "NET-HIGH", "High Networks", "ORG-HIGH1-RIPE", "FR"))
		c := newCase(t)
		sum := enrich(t, c, w.options(), "185.10.20.5", "185.10.20.70", "185.10.20.6", "185.10.20.71")
		check(t, "RIPE queries", w.ripe.count(), 2)
		check(t, "IANA queries", w.iana.count(), 1)
		check(t, "networks", sum.Networks, 2)
		check(t, "cached", sum.Cached, 2)
		check(t, "org", rowFor(t, rows(t, c), "185.10.20.64/26").Org.String, "High Networks")
	})
	t.Run("addresses in different /24s of one network, server not paced", func(t *testing.T) {
		w := newWorld(t)
		w.arin.latency = 100 * time.Millisecond
		c := newCase(t)
		o := w.options()
		o.PerServer = 1000
		sum := enrich(t, c, o, "74.125.1.1", "74.125.2.2", "74.125.3.3", "74.125.200.4")
		check(t, "ARIN queries", w.arin.count(), 1)
		check(t, "IANA queries", w.iana.count(), 1)
		check(t, "networks", sum.Networks, 1)
		check(t, "cached", sum.Cached, 3)
	})
}

func TestSpecialAddressesNeverSent(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	special := []string{"10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.1.1", "127.0.0.1", "169.254.169.254",
		"192.0.2.10", "198.51.100.1", "203.0.113.7", "224.0.0.251", "255.255.255.255", "0.1.2.3",
		"::1", "::", "fe80::1", "fd00::1", "2001:db8::1", "ff02::1", "::ffff:192.168.7.7", "64:ff9b:1::1"}
	sum := enrich(t, c, w.options(), append(special, "74.125.225.229")...)
	check(t, "special", sum.Special, len(special))
	check(t, "networks", sum.Networks, 1)
	for _, s := range w.servers {
		for _, q := range s.got() {
			ip, err := netip.ParseAddr(strings.TrimPrefix(q, "n + "))
			if err != nil || store.Special(ip) {
				t.Errorf("%s was asked %q", s.name, q)
			}
		}
	}
}

func TestAddressInfoReadsTheAnswers(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	ctx := context.Background()
	for _, a := range []string{"74.125.225.229", "193.0.6.139", "10.0.0.5"} {
		ip := netip.MustParseAddr(a)
		if _, err := c.DB.Exec(`INSERT INTO addresses VALUES (?, ?, ?::UHUGEINT)`, a, store.Family(ip), store.AddrNum(ip)); err != nil {
			t.Fatal(err)
		}
	}
	enrich(t, c, w.options(), "74.125.225.229", "193.0.6.139", "10.0.0.5")
	if _, err := queries.Prepare(ctx, c); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"74.125.225.229": "Google Inc.",
		"193.0.6.139":    "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
		"10.0.0.5":       "",
	} {
		var org, asn sql.NullString
		if err := c.DB.QueryRow(`SELECT org, asn FROM address_info WHERE addr = ?`, addr).Scan(&org, &asn); err != nil {
			t.Fatal(err)
		}
		check(t, "org of "+addr, org.String, want)
	}
}

func TestReferralLoopsAndHops(t *testing.T) {
	t.Run("a pointer back to a server already asked", func(t *testing.T) {
		w := newWorld(t)
		w.arin.raw = func(string) string {
			return "NetRange: 63.0.0.0 - 63.255.255.255\nNetName: LOOP\nNetType: Transferred to RIPE NCC\nReferralServer: whois://whois.iana.org\n"
		}
		c := newCase(t)
		sum := enrich(t, c, w.options(), "63.1.1.1")
		check(t, "failed", sum.Failed, 1)
		if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "referral loop: whois.iana.org -> whois.arin.net -> whois.iana.org") {
			t.Errorf("errors = %q", sum.Errors)
		}
	})
	t.Run("a network that refers to its own server: kept", func(t *testing.T) {
		w := newWorld(t)
		w.arin.raw = func(string) string {
			return arinAnswer(netip.MustParsePrefix("63.1.0.0/16"), "SELF", "Self Ref Inc.", "SELF", "US", "ReferralServer: whois://whois.arin.net:43\n")
		}
		c := newCase(t)
		sum := enrich(t, c, w.options(), "63.1.1.1")
		check(t, "networks", sum.Networks, 1)
		check(t, "errors", len(sum.Errors), 0)
		check(t, "org", rowFor(t, rows(t, c), "63.1.0.0/16").Org.String, "Self Ref Inc.")
	})
	t.Run("a referral to a local address is not followed", func(t *testing.T) {
		w := newWorld(t)
		w.arin.raw = func(string) string {
			return arinAnswer(netip.MustParsePrefix("63.1.0.0/16"), "SSRF", "Sneaky Inc.", "SNKY", "US", "ReferralServer: rwhois://127.0.0.1:22\n")
		}
		c := newCase(t)
		sum := enrich(t, c, w.options(), "63.1.1.1")
		check(t, "networks", sum.Networks, 1)
		for _, d := range w.net.dialled() {
			if strings.HasPrefix(d, "127.") {
				t.Errorf("dialled %s", d)
			}
		}
	})
}

func TestMaxQueries(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	o := w.options()
	o.Max = 3
	sum := enrich(t, c, o, "74.125.225.229", "62.239.237.1", "196.11.240.215")
	check(t, "queries", sum.Queries, 3)
	check(t, "fake queries", w.total(), 3)
	check(t, "skipped+queried", sum.Skipped+sum.Queried, 3)
	if sum.Skipped == 0 || !strings.Contains(strings.Join(sum.Errors, "\n"), "stopped after 3 queries") {
		t.Errorf("summary %s, errors %q", sum, sum.Errors)
	}
}

func TestProgressAndCancel(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	var last Progress
	calls := 0
	o := w.options()
	o.Progress = func(p Progress) { last, calls = p, calls+1 }
	sum := enrich(t, c, o, "74.125.225.229", "62.239.237.1", "171.0.0.9", "196.11.240.215", "170.0.1.1", "10.0.0.1")
	if calls == 0 {
		t.Fatal("no progress reported")
	}
	check(t, "progress done", last.Done, 5)
	check(t, "progress addresses", last.Addresses, 5)
	check(t, "progress networks", last.Networks, sum.Networks)
	check(t, "networks", sum.Networks, 5)

	t.Run("cancelled", func(t *testing.T) {
		w := newWorld(t)
		w.arin.silent = true
		c := newCase(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		sum, err := Enrich(ctx, c, addrs("74.125.225.229", "62.239.237.1"), w.options())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		if time.Since(began) > 2*time.Second {
			t.Errorf("took %s after the context ended", time.Since(began))
		}
		check(t, "ripe answer kept", sum.Networks, 1)
		check(t, "skipped", sum.Skipped, 1)
	})
}

func TestReadOnlyCase(t *testing.T) {
	w := newWorld(t)
	c := newCase(t)
	c.ReadOnly = true
	if _, err := Enrich(context.Background(), c, addrs("74.125.225.229"), w.options()); err == nil {
		t.Error("a read-only case took answers")
	}
	o := w.options()
	o.Offline = true
	if _, err := Enrich(context.Background(), c, addrs("74.125.225.229"), o); err != nil {
		t.Errorf("offline on a read-only case: %v", err)
	}
}
