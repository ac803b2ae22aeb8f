package cidrs

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// parseText reads a plain list (one prefix per line) or an RFC 8805 geofeed
// (prefix,country,region,city,postal). '#' starts a comment line; a plain
// list may also end a line with "# comment". Blank lines, CRLF and a missing
// final newline are fine. A line that is not a prefix is skipped and counted;
// a file where most lines are not prefixes is not a list at all.
func parseText(s *Snapshot, data []byte) ([]rawRange, error) {
	var (
		out          []rawRange
		lines, csvs  int
		firstBad     string
		lineNo       int
		lastModified time.Time
	)
	rest := data
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		lineNo++
		text := strings.TrimSpace(string(line))
		if text == "" {
			continue
		}
		if text[0] == '#' {
			if v, ok := strings.CutPrefix(strings.TrimSpace(text[1:]), "Last modified:"); ok && lastModified.IsZero() {
				lastModified = jsonTime(v)
			}
			continue
		}
		lines++
		var (
			p      netip.Prefix
			region string
			err    error
		)
		if strings.IndexByte(text, ',') >= 0 {
			csvs++
			var f []string
			f, err = csvFields(text)
			if err == nil {
				p, err = ParsePrefix(f[0])
				if len(f) > 2 {
					region = geoRegion(f[1], f[2])
				} else if len(f) > 1 {
					region = geoRegion(f[1], "")
				}
			}
		} else {
			if i := strings.Index(text, "#"); i > 0 {
				text = strings.TrimSpace(text[:i])
			}
			p, err = ParsePrefix(text)
		}
		if err != nil {
			s.Skipped++
			if firstBad == "" {
				firstBad = fmt.Sprintf("line %d: %v", lineNo, err)
			}
			if len(s.SkippedLines) < reportSkipped {
				s.SkippedLines = append(s.SkippedLines, fmt.Sprintf("line %d: %v", lineNo, err))
			}
			continue
		}
		out = append(out, rawRange{prefix: p, region: region})
	}
	s.Format = FormatList
	if csvs*2 > lines {
		s.Format = FormatGeofeed
	}
	s.Date = lastModified
	if lines == 0 {
		return nil, errors.New("no prefixes, only comments or blank lines")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("not a range file: no line is a CIDR prefix (%s)", firstBad)
	}
	if s.Skipped > len(out) {
		return nil, fmt.Errorf("not a range file: %d of %d lines are not CIDR prefixes (first: %s)", s.Skipped, lines, firstBad)
	}
	return out, nil
}

// csvFields splits one geofeed line; fields may be quoted.
func csvFields(line string) ([]string, error) {
	if !strings.Contains(line, `"`) {
		return strings.Split(line, ","), nil
	}
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	f, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%q is not a CSV line: %w", line, err)
	}
	return f, nil
}

// geoRegion is a geofeed's location: the ISO 3166-2 region (US-CA), or the
// country when there is none.
func geoRegion(country, region string) string {
	country = strings.ToUpper(strings.TrimSpace(country))
	region = strings.TrimSpace(region)
	switch {
	case region == "":
		return country
	case country != "" && !strings.HasPrefix(strings.ToUpper(region), country+"-"):
		return country + "-" + region
	}
	return region
}
