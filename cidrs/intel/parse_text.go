package intel

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// eachLine calls fn with every line of data (CR stripped) and its 1-based
// number.
func eachLine(data []byte, fn func(n int, line string)) {
	n := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n++
		fn(n, strings.TrimSuffix(string(line), "\r"))
	}
}

// isComment is a line that is all comment: '#', ';' or '//' first.
func isComment(text string) bool {
	return strings.HasPrefix(text, "#") || strings.HasPrefix(text, ";") || strings.HasPrefix(text, "//")
}

// commentText is a comment line without its markers and box frame.
func commentText(text string) string {
	text = strings.TrimLeft(text, "#;/ \t")
	return strings.TrimSpace(strings.TrimRight(text, "#; \t"))
}

var dateComment = regexp.MustCompile(`(?i)^(?:last[- ]?modified|last[- ]?updated|last[- ]?update|updated|generated(?: at| on)?|date|timestamp)\s*[:=]?\s*(.+)$`)

// commentDate is the date a comment line gives ("Last-Modified: Wed, 01
// May 2024 11:29:06 GMT", "Last updated: 2024-05-31 11:06:03 UTC").
func commentDate(text string) time.Time {
	m := dateComment.FindStringSubmatch(commentText(text))
	if m == nil {
		return time.Time{}
	}
	return parseDate(m[1])
}

// parseDate reads the date forms lists use; zero when it is none of them.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		time.RFC1123, time.RFC1123Z, time.RFC3339Nano, time.RFC3339, time.UnixDate, time.RFC850,
		"Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 -0700",
		"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04", "2006-01-02", "2006/01/02 15:04:05", "2006/01/02", "20060102",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return plausible(t)
		}
	}
	// "2024-05-31 11:06:03 UTC" and the like, with a zone name time cannot read.
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if z := strings.ToUpper(s[i+1:]); z == "UTC" || z == "GMT" || z == "Z" {
			return parseDate(s[:i])
		}
	}
	return time.Time{}
}

// plausible drops dates no list was made on.
func plausible(t time.Time) time.Time {
	if t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}
	}
	return t.UTC()
}

// splitValue cuts a list line into its value and its comment: the value
// ends at the first blank, ',', ';' or '#'; "a - b" is the range a-b; what
// follows, without its leading separators, is the comment.
func splitValue(text string) (value, comment string) {
	const seps = " \t,;#"
	i := strings.IndexAny(text, seps)
	if i < 0 {
		return text, ""
	}
	value, rest := text[:i], strings.TrimLeft(text[i:], " \t")
	if strings.HasPrefix(rest, "-") && !strings.Contains(value, "/") {
		r := strings.TrimLeft(rest[1:], " \t")
		j := strings.IndexAny(r, seps)
		if j < 0 {
			j = len(r)
		}
		value, rest = value+"-"+r[:j], strings.TrimLeft(r[j:], " \t")
	}
	return value, strings.TrimSpace(strings.TrimLeft(rest, ",;#/ \t"))
}

var spamhausHeader = regexp.MustCompile(`(?i)^spamhaus\s+(e?drop|ipv6 drop|drop ?v6|edrop ?v6)\b(?:.*?(\d{4}/\d{2}/\d{2}))?`)

// text reads a plain list, or Spamhaus's DROP/EDROP text form (a plain list
// whose header comment says so).
func (p *parser) text(data []byte) error {
	p.s.Format = FormatList
	var headerDate time.Time
	eachLine(data, func(n int, line string) {
		text := strings.TrimSpace(line)
		if text == "" {
			return
		}
		if isComment(text) {
			if m := spamhausHeader.FindStringSubmatch(commentText(text)); m != nil && p.lines == 0 {
				p.s.Format = FormatSpamhaus
				p.name = "spamhaus-drop"
				if strings.HasPrefix(strings.ToLower(m[1]), "edrop") {
					p.name = "spamhaus-edrop"
				}
				if m[2] != "" {
					headerDate = parseDate(m[2])
				}
			}
			p.date(commentDate(text))
			return
		}
		p.lines++
		value, comment := splitValue(text)
		if err := p.add(value, comment, n); err != nil {
			p.skip(n, "%v", err)
		}
	})
	if p.s.Date.IsZero() {
		p.date(headerDate)
	}
	return nil
}

// isTor tells the Tor Project's exit-addresses: its first line that is not
// blank, a comment or an @type annotation is "ExitNode FINGERPRINT".
func isTor(data []byte) bool {
	found := false
	done := false
	eachLine(data[:min(len(data), 64<<10)], func(_ int, line string) {
		if done {
			return
		}
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "@type ") {
			return
		}
		done = true
		found = strings.HasPrefix(text, "ExitNode ")
	})
	return found
}

// tor reads exit-addresses: blocks of "ExitNode FINGERPRINT", "Published
// DATE TIME", "LastStatus DATE TIME" and one or more "ExitAddress IP DATE
// TIME" lines. The file's date is its newest LastStatus or ExitAddress time.
func (p *parser) tor(data []byte) error {
	p.s.Format = FormatTor
	p.name = "tor-exits"
	node := ""
	eachLine(data, func(n int, line string) {
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "@type ") {
			return
		}
		f := strings.Fields(text)
		switch f[0] {
		case "ExitNode":
			if len(f) != 2 {
				p.skip(n, "ExitNode: want one fingerprint after it, found %d fields", len(f)-1)
				node = ""
				return
			}
			node = f[1]
		case "Published":
		case "LastStatus":
			if len(f) >= 3 {
				p.date(parseDate(f[1] + " " + f[2]))
			}
		case "ExitAddress":
			p.lines++
			if len(f) < 2 {
				p.skip(n, "ExitAddress: no address after it")
				return
			}
			comment := "exit node " + node
			if node == "" {
				comment = "exit node"
			}
			if len(f) >= 4 {
				if t := parseDate(f[2] + " " + f[3]); !t.IsZero() {
					p.date(t)
					comment += ", seen " + t.Format("2006-01-02 15:04:05")
				}
			}
			if err := p.add(f[1], comment, n); err != nil {
				p.skip(n, "ExitAddress: %v", err)
			}
		default:
			p.skip(n, "%s: not an ExitNode, Published, LastStatus or ExitAddress line", fmt.Sprintf("%q", clip(f[0])))
		}
	})
	return nil
}
