// Package whoisfake is a WHOIS server on loopback for tests: real TCP, one
// canned answer to every query, and a count of the queries.
package whoisfake

import (
	"bufio"
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// Example is an ARIN-style answer for 45.61.0.0/16, "Example Hosting", AS64500.
const Example = "NetRange:       45.61.0.0 - 45.61.255.255\nCIDR:           45.61.0.0/16\nNetName:        EXAMPLE-NET\n" +
	"NetHandle:      NET-45-61-0-0-1\nOriginAS:       AS64500\nOrganization:   Example Hosting (EXH-1)\nRegDate:        2015-01-01\n" +
	"Updated:        2020-01-01\n\nOrgName:        Example Hosting\nOrgId:          EXH-1\nCountry:        US\n" +
	"OrgAbuseEmail:  abuse@example.net\n"

// Serve answers every query with answer until the test ends. It returns the
// server's host:port and the number of queries it has had.
func Serve(t testing.TB, answer string) (addr string, queries *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	queries = new(atomic.Int64)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			queries.Add(1)
			go func() {
				defer conn.Close()
				bufio.NewReader(conn).ReadString('\n')
				io.WriteString(conn, answer)
			}()
		}
	}()
	return l.Addr().String(), queries
}
