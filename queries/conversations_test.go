package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestConversations pairs hand-written request and answer records into
// conversations: the server side chosen by the flags, a rejection, the
// ports, then who sent first; NAT-ed records attributed to the real
// endpoints; IPv6, UDP (DNS, NTP) and ICMP (no ports).
func TestConversations(t *testing.T) {
	const (
		natENI   = "eni-0nat0000000000001"
		visitor6 = "2a01:4f8:100::7"
		scanner  = "198.51.100.80"
		pinger   = "203.0.113.77"
		legacy   = "192.0.2.55"
		client9k = "10.0.4.4" // a service on a registered port, reached from registered ports
		poller   = "192.0.2.200"
	)
	s := newFlowSet(60, 15)
	add := func(eni, src, dst string, sport, dport, proto int, pk, by, start int64, action string, flags int, dir, pktSrc, pktDst string) {
		s.lines = append(s.lines, flowLine(eni, src, dst, sport, dport, proto, pk, by, start, start+59, action, flags, dir, pktSrc, pktDst, "", ""))
	}
	at := func(min int64) int64 { return t0 + 60*min }

	// A brute force, rejected: one-way, no answer, three connections.
	for i := range int64(3) {
		add(eniWeb, "45.61.9.9", web, 50001+int(i), 22, 6, 2, 120, at(i), "REJECT", 2, "ingress", "45.61.9.9", web)
	}
	// An accepted SSH session over three windows: the SYN, then data both
	// ways, then the FIN; the answers carry the SYN-ACK.
	for i := range int64(3) {
		flags := map[int64][2]int{0: {2, 18}, 1: {0, 0}, 2: {1, 1}}[i]
		add(eniWeb, office, web, 51000, 22, 6, 10, 1000, at(10+i), "ACCEPT", flags[0], "ingress", office, web)
		add(eniWeb, web, office, 22, 51000, 6, 20, 5000, at(10+i), "ACCEPT", flags[1], "egress", web, office)
	}
	// Outbound HTTPS from the web server through the NAT gateway: the NAT
	// gateway's interface logs its own address, pkt-srcaddr the web server's.
	add(natENI, "10.0.0.7", s3Host, 40001, 443, 6, 100, 5_000_000, at(20), "ACCEPT", 2, "egress", web, s3Host)
	add(natENI, s3Host, "10.0.0.7", 443, 40001, 6, 50, 20_000, at(20), "ACCEPT", 18, "ingress", s3Host, web)
	// IPv6 HTTPS from a visitor, in a format without TCP flags (0): the
	// ports decide.
	add(eniWeb, visitor6, web6, 52000, 443, 6, 8, 900, at(30), "ACCEPT", 0, "ingress", visitor6, web6)
	add(eniWeb, web6, visitor6, 443, 52000, 6, 12, 40_000, at(30), "ACCEPT", 0, "egress", web6, visitor6)
	// DNS to the VPC resolver (UDP, no flags), two queries.
	for i := range int64(2) {
		add(eniWeb, web, resolver, 33000+int(i), 53, 17, 1, 70, at(40+i), "ACCEPT", 0, "egress", web, resolver)
		add(eniWeb, resolver, web, 53, 33000+int(i), 17, 1, 150, at(40+i), "ACCEPT", 0, "ingress", resolver, web)
	}
	// NTP: port 123 on both sides, the answer in the same second: the web
	// server, the case's side, is the client.
	add(eniWeb, timeSync, web, 123, 123, 17, 1, 76, at(50), "ACCEPT", 0, "ingress", timeSync, web)
	add(eniWeb, web, timeSync, 123, 123, 17, 1, 76, at(50), "ACCEPT", 0, "egress", web, timeSync)
	// Pings in two capture windows: no ports; the peer is the client.
	for i := range int64(2) {
		add(eniWeb, pinger, web, 0, 0, 1, 4, 336, at(60+i), "ACCEPT", 0, "ingress", pinger, web)
		add(eniWeb, web, pinger, 0, 0, 1, 4, 336, at(60+i), "ACCEPT", 0, "egress", web, pinger)
	}
	// A scanner sending from port 80 to a high port: rejected, so it is the
	// client, although its port is the well-known one.
	add(eniWeb, scanner, web, 80, 40404, 6, 1, 40, at(70), "REJECT", 0, "ingress", scanner, web)
	// A client binding a well-known source port (123) to reach a service on
	// an ephemeral one (40123): the flags say who opened it.
	add(eniWeb, legacy, web, 123, 40123, 6, 3, 180, at(80), "ACCEPT", 2, "ingress", legacy, web)
	add(eniWeb, web, legacy, 40123, 123, 6, 3, 900, at(80), "ACCEPT", 18, "egress", web, legacy)
	// Registered ports on both sides (UDP, no flags): the service port is
	// the one that meets more peer ports (9000 meets three), not the lower.
	for i, sport := range []int{5000, 5001, 9999} {
		add(eniWeb, client9k, web, sport, 9000, 17, 2, 200, at(90+int64(i)), "ACCEPT", 0, "ingress", client9k, web)
		add(eniWeb, web, client9k, 9000, sport, 17, 2, 300, at(90+int64(i)), "ACCEPT", 0, "egress", web, client9k)
	}
	// An unanswered SYN, accepted: the server never answered.
	add(eniWeb, web, "93.184.216.34", 45000, 8443, 6, 2, 120, at(100), "ACCEPT", 2, "egress", web, "93.184.216.34")
	// A poller over four hours: every 20 minutes from minute 125, answered.
	for i := range int64(10) {
		add(eniWeb, web, poller, 41000+int(i), 8080, 6, 2, 100, at(125+20*i), "ACCEPT", 2, "egress", web, poller)
		add(eniWeb, poller, web, 8080, 41000+int(i), 6, 2, 200, at(125+20*i), "ACCEPT", 18, "ingress", poller, web)
	}

	c := detCase(t, s)
	rows := run(t, c, "conversations", nil)
	got := map[string]string{}
	var keys []string
	for _, r := range rows {
		k := fmt.Sprintf("%s → %s:%s/%s", r["client"], r["server"], fmtValue(r["server_port"]), r["protocol"])
		keys = append(keys, k)
		got[k] = fmt.Sprintf("%s sessions=%s flows=%s up=%s down=%s %s", r["direction"], fmtValue(r["sessions"]), fmtValue(r["flows"]),
			fmtValue(r["bytes_to_server"]), fmtValue(r["bytes_to_client"]), r["actions"])
	}
	want := map[string]string{
		"45.61.9.9 → " + web + ":22/TCP":     "inbound sessions=3 flows=3 up=360 down=0 REJECT",
		office + " → " + web + ":22/TCP":     "inbound sessions=1 flows=6 up=3000 down=15000 ACCEPT",
		web + " → " + s3Host + ":443/TCP":    "outbound sessions=1 flows=2 up=5000000 down=20000 ACCEPT",
		visitor6 + " → " + web6 + ":443/TCP": "inbound sessions=1 flows=2 up=900 down=40000 ACCEPT",
		web + " → " + resolver + ":53/UDP":   "outbound sessions=2 flows=4 up=140 down=300 ACCEPT",
		web + " → " + timeSync + ":123/UDP":  "outbound sessions=1 flows=2 up=76 down=76 ACCEPT",
		pinger + " → " + web + ":/ICMP":      "inbound sessions=2 flows=4 up=672 down=672 ACCEPT",
		scanner + " → " + web + ":40404/TCP": "inbound sessions=1 flows=1 up=40 down=0 REJECT",
		legacy + " → " + web + ":40123/TCP":  "inbound sessions=1 flows=2 up=180 down=900 ACCEPT",
		client9k + " → " + web + ":9000/UDP": "inbound sessions=3 flows=6 up=600 down=900 ACCEPT",
		web + " → 93.184.216.34:8443/TCP":    "outbound sessions=1 flows=1 up=120 down=0 ACCEPT",
		web + " → " + poller + ":8080/TCP":   "outbound sessions=10 flows=20 up=1000 down=2000 ACCEPT",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("%d conversations, want %d:\n%s", len(rows), len(want), strings.Join(keys, "\n"))
	}
	// Largest first.
	if keys[0] != web+" → "+s3Host+":443/TCP" {
		t.Errorf("first conversation %s", keys[0])
	}
	for _, r := range rows {
		k := fmt.Sprintf("%s → %s", r["client"], r["server"])
		switch {
		case r["client"] == web && r["server"] == s3Host:
			// The S3 range of the case names the peer's provider.
			if r["peer_ip"] != s3Host || r["provider"] != "aws" || r["cloud_service"] != "S3" || r["client_scope"] != "focus" || r["server_scope"] != "public" {
				t.Errorf("%s: peer %v provider %v service %v scopes %v/%v", k, r["peer_ip"], r["provider"], r["cloud_service"], r["client_scope"], r["server_scope"])
			}
		case r["client"] == pinger:
			if r["server_port"] != nil || r["protocol_number"] != int64(1) || r["peer_ip"] != pinger {
				t.Errorf("%s: port %v protocol %v peer %v", k, r["server_port"], r["protocol_number"], r["peer_ip"])
			}
		case r["client"] == office:
			if r["service"] != "SSH" || r["client_scope"] != "public" || r["server_scope"] != "focus" {
				t.Errorf("%s: service %v scopes %v/%v", k, r["service"], r["client_scope"], r["server_scope"])
			}
		}
	}

	// One address's conversations, and a time window.
	if got := column(run(t, c, "conversations", map[string]string{"addr": resolver}), "server"); !slices.Equal(got, []string{resolver}) {
		t.Errorf("conversations of %s: servers %q", resolver, got)
	}
	windowed := run(t, c, "conversations", map[string]string{"start": fmt.Sprint(at(41)), "end": fmt.Sprint(at(61))})
	if got := column(windowed, "client"); !slices.Equal(got, []string{pinger, web, web}) {
		t.Errorf("conversations from minute 41 to 61: clients %q", got)
	}
	if got := column(windowed, "sessions"); !slices.Equal(got, []string{"2", "1", "1"}) {
		t.Errorf("conversations from minute 41 to 61: sessions %q", got)
	}

	// Windows over whole hours and parts of hours (whole hours come from
	// case_conversations, parts from the records): the poller's sessions
	// from minute 130 to 250 are 145 and 165 (part of hour 2), 185, 205
	// and 225 (hour 3, whole) and 245 (part of hour 4).
	for _, w := range []struct {
		from, to int64
		want     string
	}{
		{130, 250, "6"},
		{120, 239, "6"}, // hour 2 whole, hour 3 to its last minute's start
		{120, 300, "9"}, // hours 2, 3 and 4 whole
		{0, 1000, "10"},
		{150, 160, ""},  // inside an hour, between two sessions
		{140, 150, "1"}, // inside an hour
	} {
		rows := run(t, c, "conversations", map[string]string{"addr": poller, "start": fmt.Sprint(at(w.from)), "end": fmt.Sprint(at(w.to))})
		if got := strings.Join(column(rows, "sessions"), ","); got != w.want {
			t.Errorf("the poller's sessions from minute %d to %d: %q, want %q", w.from, w.to, got, w.want)
		}
	}

	// The structs the graph reads are the analysis's rows, in its order.
	convs, err := Conversations(context.Background(), c, ConversationFilter{})
	if err != nil || len(convs) != len(rows) {
		t.Fatalf("Conversations: %d, %v; the analysis has %d rows", len(convs), err, len(rows))
	}
	for i, cv := range convs {
		r := rows[i]
		port := "<nil>"
		if cv.Port != nil {
			port = fmt.Sprint(*cv.Port)
		}
		got := fmt.Sprintf("%s %s %s %s/%d %s %d %d %d %d %d %s %s %s %s %s %s %s %s %s", cv.Client, cv.Server, port, cv.Protocol, cv.ProtocolNumber, cv.Direction,
			cv.Sessions, cv.Flows, cv.Bytes, cv.Accepted, cv.Rejected, cv.First.Format(time.RFC3339), cv.Last.Format(time.RFC3339),
			cv.ClientScope, cv.ServerScope, cv.Peer, cv.Provider, cv.CloudService, cv.Service, cv.Org+cv.ASN)
		str := func(k string) string { s, _ := r[k].(string); return s }
		want := fmt.Sprintf("%s %s %s %s/%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s", r["client"], r["server"], fmt.Sprint(r["server_port"]), r["protocol"], fmtValue(r["protocol_number"]), r["direction"],
			fmtValue(r["sessions"]), fmtValue(r["flows"]), fmtValue(r["bytes"]), fmtValue(r["accepted"]), fmtValue(r["rejected"]),
			r["first_seen"].(time.Time).Format(time.RFC3339), r["last_seen"].(time.Time).Format(time.RFC3339),
			str("client_scope"), str("server_scope"), str("peer_ip"), str("provider"), str("cloud_service"), str("service"), str("org")+str("asn"))
		if got != want {
			t.Errorf("conversation %d: %s\nthe analysis's row: %s", i, got, want)
		}
	}
}

// TestConversationTotals: where conversations last for hours, ingest keeps
// their whole-case totals, and the analysis without a window reads them:
// the same rows as from the hours, for the case and for one address.
func TestConversationTotals(t *testing.T) {
	ctx := context.Background()
	s := newFlowSet(60, 3)
	for i, peer := range []string{"198.51.100.7", "198.51.100.8", "203.0.113.9"} {
		for h := range int64(12) {
			s.session(web, peer, 443, t0+h*hour+int64(i)*60, 30, 2000+h, 9000)
			s.session(peer, web, 22, t0+h*hour+1800, 20, 300, 800)
		}
	}
	c := detCase(t, s)
	if _, err := c.Derive(ctx); err != nil {
		t.Fatal(err)
	}
	var totals int
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM case_conversation_totals`).Scan(&totals); err != nil || totals != 6 {
		t.Fatalf("%d totals kept, want the 6 conversations; %v", totals, err)
	}
	rows := func(given map[string]string) string {
		return fmt.Sprint(runResult(t, c, "conversations", given, true).Rows)
	}
	all, one := rows(nil), rows(map[string]string{"addr": "203.0.113.9"})
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM case_conversation_totals`); err != nil {
		t.Fatal(err)
	}
	if got := rows(nil); got != all {
		t.Errorf("from the totals:\n%s\nfrom the hours:\n%s", all, got)
	}
	if got := rows(map[string]string{"addr": "203.0.113.9"}); got != one {
		t.Errorf("one address from the totals:\n%s\nfrom the hours:\n%s", one, got)
	}
	if !strings.Contains(all, "12 24") {
		t.Errorf("no conversation of 12 sessions and 24 flows: %s", all)
	}
}
