package views

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows the workbench's own scripts, styles and
// requests only: no inline script or style (the pages have none; htmx's
// indicator styles are in app.css and its eval is off, see layout.templ), no
// plugins, no <base>, no framing, forms posted to the workbench alone.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// SetSecurityHeaders puts the headers every answer of the workbench carries:
// the content security policy, no MIME sniffing, no referrer.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// hostPolicy is the set of Host header values the workbench answers: the
// loopback names, its bind address and the allowed names. Any other name may
// be one an attacker's DNS points at this machine (DNS rebinding), so that a
// page of theirs would read the workbench as its own origin.
type hostPolicy struct {
	names map[string]bool // normalised: lower case, no port, no brackets
	// anyIP: bound to every interface (0.0.0.0, ::), the workbench answers
	// any address literal. A rebinding needs a name; an address literal in
	// Host means the browser was pointed at this machine's address.
	anyIP bool
}

// newHostPolicy is the policy of a server bound to addr (host:port, or a
// host; "": the loopback default) that also answers the allowed names.
func newHostPolicy(addr string, allowed []string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if addr != "" {
		host := addr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			host = h
		}
		switch ip, err := netip.ParseAddr(strings.Trim(host, "[]")); {
		case host == "":
			p.anyIP = true
		case err == nil && ip.IsUnspecified():
			p.anyIP = true
		default:
			n, err := NormalizeHost(host)
			if err != nil {
				return hostPolicy{}, fmt.Errorf("views: bind address %q: %w", addr, err)
			}
			p.names[n] = true
		}
	}
	for _, a := range allowed {
		n, err := NormalizeHost(a)
		if err != nil {
			return hostPolicy{}, fmt.Errorf("views: allowed host %q: %w", a, err)
		}
		p.names[n] = true
	}
	return p, nil
}

// NormalizeHost turns a host name or address, as --allowed-host takes it,
// into the form the Host check compares: lower case, without a trailing dot,
// an IPv6 address without brackets. It refuses ports, paths, schemes and
// wildcards.
func NormalizeHost(s string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ip, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !ip.Is6() {
			return "", errors.New("not an IPv6 address in brackets")
		}
		return ip.String(), nil
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.String(), nil
	}
	if h == "" || len(h) > 253 {
		return "", errors.New("not a host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", errors.New("not a host name (a name, or an address, without port or scheme)")
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return "", errors.New("not a host name (a name, or an address, without port or scheme)")
			}
		}
	}
	return h, nil
}

// requestHost is the host of a Host header (name or address, any port or
// none), normalised as NormalizeHost does; false when it is malformed.
func requestHost(hostport string) (string, bool) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 || !validPort(h[end+1:]) {
			return "", false
		}
		ip, err := netip.ParseAddr(h[1:end])
		if err != nil || !ip.Is6() {
			return "", false
		}
		return ip.String(), true
	}
	switch strings.Count(h, ":") {
	case 0:
	case 1:
		i := strings.IndexByte(h, ':')
		if !validPort(h[i:]) {
			return "", false
		}
		h = h[:i]
	default: // an IPv6 address needs its brackets
		return "", false
	}
	n, err := NormalizeHost(h)
	return n, err == nil
}

// validPort: "" or ":" followed by digits (none is allowed, as RFC 3986 has it).
func validPort(s string) bool {
	if s == "" {
		return true
	}
	if s[0] != ':' || len(s) > 6 {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// allows reports whether the workbench answers a request with this Host.
func (p hostPolicy) allows(hostport string) bool {
	h, ok := requestHost(hostport)
	if !ok {
		return false
	}
	if p.names[h] {
		return true
	}
	if p.anyIP {
		_, err := netip.ParseAddr(h)
		return err == nil
	}
	return false
}

// guard runs before routing, for every request: it sets the security
// headers, then refuses a Host the workbench does not answer to with 421 and
// a plain-text reason.
func (s *server) guard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		SetSecurityHeaders(c.Response().Header())
		r := c.Request()
		if !s.hosts.allows(r.Host) {
			s.log.Debug("request refused: host", "host", r.Host, "path", r.URL.Path)
			msg := fmt.Sprintf("421 Misdirected Request: this workbench does not answer to the host %q (a guard against DNS rebinding).\n"+
				"Open the address investigator serve printed, or start it with --allowed-host NAME.\n", r.Host)
			if r.Host == "" {
				msg = "421 Misdirected Request: the request names no host (Host header), and this workbench answers only to its own names.\n"
			}
			return c.String(http.StatusMisdirectedRequest, msg)
		}
		return next(c)
	}
}
