// Package when parses the time expressions of the command line and the web:
// "now", relative durations back from now, Unix seconds, and RFC 3339 / ISO
// dates. Every result is UTC; a time written without a zone is UTC.
package when

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var relative = regexp.MustCompile(`^(\d+)\s*([smhdwWMy])$`)

var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// Parse reads s relative to now. Relative forms go back in time: "90s",
// "15m", "1h", "3d", "2w" (or "2W"), "1M" (months), "1y".
func Parse(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	now = now.UTC()
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if strings.EqualFold(s, "now") {
		return now, nil
	}
	if m := relative.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		switch m[2] {
		case "s":
			return now.Add(-time.Duration(n) * time.Second), nil
		case "m":
			return now.Add(-time.Duration(n) * time.Minute), nil
		case "h":
			return now.Add(-time.Duration(n) * time.Hour), nil
		case "d":
			return now.AddDate(0, 0, -n), nil
		case "w", "W":
			return now.AddDate(0, 0, -7*n), nil
		case "M":
			return now.AddDate(0, -n, 0), nil
		case "y":
			return now.AddDate(-n, 0, 0), nil
		}
	}
	if isDigits(s) && len(s) >= 9 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: use now, a duration back from now (90s, 15m, 1h, 3d, 2w, 1M, 1y), Unix seconds, or RFC 3339 / ISO (2026-11-20T08:00:00Z, 2026-11-20)", s)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Window parses an optional start and end; empty strings leave that end open.
// The start must be before the end.
func Window(start, end string, now time.Time) (s, e *time.Time, err error) {
	if start != "" {
		t, err := Parse(start, now)
		if err != nil {
			return nil, nil, fmt.Errorf("start: %w", err)
		}
		s = &t
	}
	if end != "" {
		t, err := Parse(end, now)
		if err != nil {
			return nil, nil, fmt.Errorf("end: %w", err)
		}
		e = &t
	}
	if s != nil && e != nil {
		if err := Order(*s, *e); err != nil {
			return nil, nil, err
		}
	}
	return s, e, nil
}

// Order checks that a window's start is before its end: the one rule, and
// the one message, for every window a user gives.
func Order(start, end time.Time) error {
	if !start.Before(end) {
		return fmt.Errorf("the start (%s UTC) must be before the end (%s UTC)",
			start.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime))
	}
	return nil
}

// Fixed reports whether s is a time that does not move with the clock (an
// absolute time or Unix seconds, not "now" or "2h"), and that time.
func Fixed(s string) (time.Time, bool) {
	now := time.Now()
	a, err := Parse(s, now)
	if err != nil {
		return time.Time{}, false
	}
	b, _ := Parse(s, now.Add(time.Hour))
	return a, a.Equal(b)
}
