package whois

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// setRange reads "a - b", a CIDR (LACNIC abbreviates IPv4 ones:
// 200.57.128/19) or a single address into a's range and prefixes.
func (a *Answer) setRange(s string) bool {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i > 0 && !strings.Contains(s, "-") {
		s = s[:i] // "2001:db8::/32 # comment"
	}
	var first, last netip.Addr
	switch {
	case strings.Contains(s, "-"):
		lo, hi, _ := strings.Cut(s, "-")
		f, err1 := parseAddr(strings.TrimSpace(lo))
		l, err2 := parseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || f.Is4() != l.Is4() || l.Less(f) {
			return false
		}
		first, last = f, l
	case strings.Contains(s, "/"):
		p, ok := parsePrefix(s)
		if !ok {
			return false
		}
		first, last = prefixRange(p)
	default:
		ip, err := parseAddr(s)
		if err != nil {
			return false
		}
		first, last = ip, ip
	}
	a.First, a.Last = first, last
	a.Prefixes = rangePrefixes(first, last)
	return true
}

func parseAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return ip, err
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("zone in %q", s)
	}
	return ip.Unmap(), nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return netip.Prefix{}, false
	}
	if !strings.Contains(addr, ":") {
		if n := strings.Count(addr, "."); n < 3 {
			addr += strings.Repeat(".0", 3-n)
		}
	}
	p, err := netip.ParsePrefix(addr + "/" + bits)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// smaller reports whether a's network is more specific than b's (an IPv4
// network beats an IPv6 one only by size; answers do not mix families).
func smaller(a, b Answer) bool {
	return rangeSize(a.First, a.Last).Less(rangeSize(b.First, b.Last))
}

// splitHandle reads "Google Inc. (GOGL)" as the name and the handle.
func splitHandle(s string) (name, handle string) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndex(s, "("); i > 0 {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1 : len(s)-1])
		}
	}
	return s, ""
}

func firstOf(o object, keys ...string) string {
	for _, k := range keys {
		if v := o.get(k); v != "" {
			return v
		}
	}
	return ""
}

// sourceName is "RIPE" of "RIPE # Filtered".
func sourceName(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "afrinic") {
		return "AFRINIC"
	}
	return s
}

// maxASNs is the most origin ASes an answer keeps.
const maxASNs = 8

var asnToken = regexp.MustCompile(`(?i)^(?:AS)?(\d{1,10})$`)

// normalizeASN reads "AS15169", "15169" or "AS1, AS2" as "AS15169" / "AS1, AS2".
func normalizeASN(s string) string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		if m := asnToken.FindStringSubmatch(f); m != nil {
			as := "AS" + strings.TrimLeft(m[1], "0")
			if as == "AS" {
				as = "AS0"
			}
			if !slices.Contains(out, as) {
				out = append(out, as)
			}
			if len(out) == maxASNs {
				break
			}
		}
	}
	return strings.Join(out, ", ")
}

var dateToken = regexp.MustCompile(`\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\d{8}|\d{4}-\d{2}`)

// parseDate reads the dates registries write: 2007-03-13, 2008-08-14T14:54:30Z,
// 20001204, "hm-changed@apnic.net 20021025", 1993-05. Zero when none.
func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	ms := dateToken.FindAllString(s, -1)
	if len(ms) == 0 {
		return time.Time{}
	}
	m := ms[len(ms)-1]
	for _, v := range []string{m, m[:min(len(m), 10)]} {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02", "20060102", "2006-01"} {
			if t, err := time.Parse(layout, v); err == nil {
				if t.Year() < 1970 || t.Year() > 2200 {
					return time.Time{}
				}
				// The date the registry wrote, whatever its zone.
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			}
		}
	}
	return time.Time{}
}
