package whois

import (
	"strings"
	"testing"
	"time"
)

// TestParseBigAnswersQuickly guards against quadratic paths: answers of about
// a MB (MaxAnswer) in every shape parse in well under a second (3 s under
// the race detector's slowness); a quadratic path takes minutes.
func TestParseBigAnswersQuickly(t *testing.T) {
	for name, raw := range map[string]string{
		"continuations": "descr: x\n" + strings.Repeat(" more text here\n", 70000),
		"objects":       strings.Repeat("inetnum: 1.2.3.0 - 1.2.3.255\nabuse-c: X\nmnt-irt: Y\norg: ORG-1\n\n", 16000),
		"routes":        "inetnum: 1.2.3.0 - 1.2.3.255\n\n" + strings.Repeat("route: 1.2.3.0/24\norigin: AS1\n\nroute: 1.2.3.0/24\norigin: AS2\n\n", 8000),
		"origins":       "NetRange: 1.2.3.0 - 1.2.3.255\nOriginAS: " + strings.Repeat("AS1 AS2 AS3 ", 30000) + "\n",
		"arin":          strings.Repeat("NetRange: 1.2.3.0 - 1.2.3.255\nCIDR: 1.2.3.0/24\n\n", 16000),
		"summaries":     strings.Repeat("Google LLC GOOGLE (NET-74-125-0-0-1) 74.125.0.0 - 74.125.255.255\n", 16000),
		"comments":      strings.Repeat("% Abuse contact for 'a' is 'b'\n", 16000),
		"rwhois":        strings.Repeat("network:IP-Network:1.2.3.0/24\n\n", 16000),
		"no network":    strings.Repeat("x\n", 160000),
	} {
		start := time.Now()
		Parse("whois.example.net:43", raw)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: %s for %d bytes", name, took, len(raw))
		}
	}
}
