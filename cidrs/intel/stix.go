package intel

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// stixComparison finds a comparison of an address in a STIX pattern:
	// the object path, a NOT, and the operator.
	stixComparison = regexp.MustCompile(`(?i)\b(ipv4-addr:value|ipv6-addr:value|network-traffic:(?:src|dst)_ref\.value)\s*(NOT\s+)?(=|!=|<=|>=|<|>|ISSUBSET|ISSUPERSET|IN|LIKE|MATCHES)`)
	// stixObjectType is the first object type a pattern compares.
	stixObjectType = regexp.MustCompile(`([a-z0-9][a-z0-9-]*):`)
)

// stixAddresses reads the addresses a STIX pattern looks for: each
// comparison of ipv4-addr:value, ipv6-addr:value or network-traffic's
// src_ref/dst_ref.value with =, ISSUBSET (a network) or IN (a set), however
// they are combined (OR-ed comparisons, several observation expressions). A
// comparison that does not say "this address" (!=, NOT, LIKE, MATCHES,
// ISSUPERSET, an order) is a problem. kind is the pattern's first object
// type, for a pattern about no address at all (domain-name, file).
func stixAddresses(pattern string) (values, problems []string, kind string) {
	if m := stixObjectType.FindStringSubmatch(pattern); m != nil {
		kind = m[1]
	}
	for _, loc := range stixComparison.FindAllStringSubmatchIndex(pattern, -1) {
		path := pattern[loc[2]:loc[3]]
		not := loc[4] >= 0
		op := strings.ToUpper(pattern[loc[6]:loc[7]])
		rest := pattern[loc[1]:]
		switch {
		case not:
			problems = append(problems, fmt.Sprintf("%s NOT %s is not an address to look for", path, op))
			continue
		case op == "=" || op == "ISSUBSET":
			s, ok := stixString(rest)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s %s: want a quoted string after it", path, op))
				continue
			}
			values = append(values, s)
		case op == "IN":
			set, ok := stixSet(rest)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s IN: want a set of quoted strings ('a', 'b')", path))
				continue
			}
			values = append(values, set...)
		default:
			problems = append(problems, fmt.Sprintf("%s %s is not an address to look for", path, op))
		}
	}
	return values, problems, kind
}

// stixString reads a quoted string at the start of s (after blanks):
// 'text', with \' and \\ escaped.
func stixString(s string) (string, bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	v, _, ok := quoted(s)
	return v, ok
}

func quoted(s string) (val, rest string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '\'':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// stixSet reads ('a', 'b', ...) at the start of s.
func stixSet(s string) ([]string, bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(s, "(") {
		return nil, false
	}
	s = s[1:]
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		v, rest, ok := quoted(s)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s = strings.TrimLeft(rest, " \t\r\n")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, ")"):
			return out, true
		default:
			return nil, false
		}
	}
}
