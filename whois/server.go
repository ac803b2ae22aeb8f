package whois

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// serverAddr reads a referral ("whois.apnic.net", "whois://whois.lacnic.net",
// "rwhois://rwhois.example.net:4321/auth-area=.") as host:port; "" for what
// is not a WHOIS server (an http:// link, garbage).
func serverAddr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.Index(s, "://"); i >= 0 {
		switch strings.ToLower(s[:i]) {
		case "whois", "rwhois":
		default:
			return ""
		}
		s = s[i+3:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	host, port := s, "43"
	if h, p, ok := strings.Cut(s, ":"); ok {
		host, port = h, p
		if port == "" {
			port = "43"
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !validHost(host) || !validPort(port) {
		return ""
	}
	return host + ":" + port
}

// validHost accepts a lower-case host name or IPv4 address: labels of
// letters, digits and hyphens.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n < 65536
}

// registryOf names the registry behind a well-known server.
func registryOf(server string) string {
	h := hostOf(server)
	switch {
	case strings.HasSuffix(h, "iana.org"):
		return "IANA"
	case strings.HasSuffix(h, "arin.net"):
		return "ARIN"
	case strings.HasSuffix(h, "ripe.net"):
		return "RIPE"
	case strings.HasSuffix(h, "apnic.net"):
		return "APNIC"
	case strings.HasSuffix(h, "afrinic.net"):
		return "AFRINIC"
	case strings.HasSuffix(h, "lacnic.net"):
		return "LACNIC"
	case strings.HasSuffix(h, "registro.br"):
		return "NIC.br"
	}
	return h
}

// hostOf is the host of host:port.
func hostOf(server string) string {
	if h, _, err := net.SplitHostPort(server); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(server)
}

// serverKey is the limiter key of host:port: its host.
func serverKey(server string) string { return hostOf(server) }

// server is the pacing state of one server host.
type server struct {
	host         string
	lim          *rate.Limiter
	max          rate.Limit
	pausedUntil  time.Time
	cut, changed time.Time
	busy         map[netip.Prefix]int // queries in flight by /16 (/32)
	gaveUp       int                  // addresses given up in a row
	dead         bool
}

func (e *enricher) server(hostPort string) *server {
	h := serverKey(hostPort)
	s := e.servers[h]
	if s == nil {
		s = &server{host: h, lim: rate.NewLimiter(e.o.PerServer, 1), max: e.o.PerServer, busy: map[netip.Prefix]int{}}
		e.servers[h] = s
	}
	return s
}

// ready reports whether s may be sent a query now, and lets a slowed
// limiter recover a step after a quiet spell.
func (s *server) ready(now time.Time) bool {
	if cur := s.lim.Limit(); cur < s.max && now.Sub(s.changed) >= recoverAfter {
		s.lim.SetLimitAt(now, min(s.max, cur*recoverStep))
		s.changed = now
	}
	return !s.pausedUntil.After(now) && s.lim.TokensAt(now) >= 1
}

// wait is how long until s may be sent a query.
func (s *server) wait(now time.Time) time.Duration {
	w := max(s.pausedUntil.Sub(now), 0)
	if tok := s.lim.TokensAt(now); tok < 1 && s.lim.Limit() > 0 && s.lim.Limit() != rate.Inf {
		w = max(w, time.Duration((1-tok)/float64(s.lim.Limit())*float64(time.Second))+time.Millisecond)
	}
	return w
}

// throttle slows s down after a refusal of a query sent at sent; a query
// sent before the last cut says nothing about the rate now.
func (s *server) throttle(sent, now time.Time) {
	if sent.Before(s.cut) {
		return
	}
	s.lim.SetLimitAt(now, max(s.lim.Limit()/2, s.max*floorShare))
	s.cut, s.changed = now, now
}

func backoff(base time.Duration, tries int) time.Duration {
	d := base
	for i := 1; i < tries && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
