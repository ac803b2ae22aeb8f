package whois

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/investigator/investigator/internal/corpus"
)

// FuzzParse: Parse never panics; an answer without error has a valid range
// (First <= Last, one family) that its prefixes cover exactly, and a referral
// that is host:port.
//
//	go test -run '^$' -fuzz FuzzParse ./ingest/whois/
func FuzzParse(f *testing.F) {
	seeds := []string{arinTwoNets, arinCustomer, arinSummaryList, referralNoNewline, inlineRIPEOrg, inlineRIPE62,
		inlineAPNIC171, inlineAFRINIC196, inlineARINGoogle, inlineARIN170, inlineARIN174, inlineLACNIC170, inlineRWhois174,
		ripeRefusal, arinRefusal, lacnicRefusal, rwhoisRefusal,
		ianaAnswer(netip.MustParsePrefix("74.0.0.0/8"), "arin"), ianaAnswer(netip.MustParsePrefix("2a00::/12"), "ripe"),
		lacnicAnswer(netip.MustParsePrefix("200.1.0.0/16"), "Owner", "BR-OWN", "BR"),
		rpslAnswer("AFRINIC", netip.MustParsePrefix("2c0f:f000::/32"), "NET", "Org", "ORG-1", "ZA"),
		"inetnum: 200.57.128/19\r\n", "inetnum: 1.2.3.4\n", "network:IP-Network:1.2.3.0/24\n", ""}
	for _, s := range seeds {
		f.Add("whois.example.net:43", s)
	}
	if files, _ := filepath.Glob(filepath.Join(corpus.Dir(), "whois", "*", "*.txt")); len(files) > 0 {
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(serverOfFile(filepath.Base(file)), string(b))
			}
		}
	}
	f.Fuzz(func(t *testing.T, server, raw string) {
		a, err := Parse(server, raw)
		if err != nil {
			return
		}
		if !a.First.IsValid() || !a.Last.IsValid() || a.First.Is4() != a.Last.Is4() || a.Last.Less(a.First) {
			t.Fatalf("bad range %s - %s", a.First, a.Last)
		}
		if a.First.Zone() != "" || a.Last.Zone() != "" || a.First.Is4In6() {
			t.Fatalf("odd addresses %s - %s", a.First, a.Last)
		}
		if !covers(a.Prefixes, a.First, a.Last) {
			t.Fatalf("prefixes %v do not cover %s - %s", a.Prefixes, a.First, a.Last)
		}
		if a.Refer != "" && serverAddr(a.Refer) != a.Refer {
			t.Fatalf("refer %q is not host:port", a.Refer)
		}
		if a.Pointer && a.Refer == "" {
			t.Fatal("a pointer without a referral")
		}
	})
}
