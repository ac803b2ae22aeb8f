package asn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
)

// refuseAfter is how many lines that are not ranges, with none that is, make
// the TSV reader give up on a file without reading the rest of it.
const refuseAfter = 20

// parseTSV reads iptoasn's TSV line by line from br: range_start, range_end,
// AS_number, country_code, AS_description, separated by tabs. Blank lines
// and lines starting with '#' are passed over, as is a header line naming
// the columns.
func parseTSV(br *bufio.Reader, container string) (Snapshot, error) {
	s := Snapshot{Format: FormatIPtoASN}
	var (
		names   = interner{}
		ranges  chunks
		prev    Range
		lineNo  int
		rows    int // ranges and AS 0 rows
		sorted  = true
		content bool // a line other than blank or comment was seen
	)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the reader's buffer is no range: pass over it.
			lineNo++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			s.skip(lineNo, fmt.Sprintf("longer than %d KiB", br.Size()>>10), nil)
			content = true
		} else if len(line) > 0 {
			lineNo++
			text := bytes.TrimRight(line, "\r\n")
			if lineNo == 1 {
				text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
			}
			trimmed := bytes.TrimSpace(text)
			switch {
			case len(trimmed) == 0 || trimmed[0] == '#':
			case !content && bytes.HasPrefix(trimmed, []byte("range_start")):
				content = true // a header naming the columns
			default:
				if !content {
					if err := otherKind(trimmed); err != nil {
						return Snapshot{}, err
					}
					content = true
				}
				r, reason := parseRow(text, names)
				switch {
				case reason != "":
					s.skip(lineNo, reason, text)
				case r.ASN == 0 || r.Name == "Not routed":
					rows++
					s.NotRouted++
				default:
					if ranges.n > 0 && compareRanges(prev, r) > 0 {
						sorted = false
					}
					rows++
					ranges.add(r)
					prev = r
				}
			}
		}
		if rows == 0 && s.Skipped >= refuseAfter {
			return Snapshot{}, fmt.Errorf("not an iptoasn TSV: none of the first %d lines is a range (%s)", s.Skipped, s.SkippedLines[0])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Snapshot{}, readError(container, err)
		}
	}
	s.Ranges = ranges.all()
	switch {
	case rows == 0 && s.Skipped > 0:
		return Snapshot{}, fmt.Errorf("not an iptoasn TSV: none of its lines is a range (%s)", s.SkippedLines[0])
	case rows == 0:
		return Snapshot{}, errors.New("holds no ranges")
	case len(s.Ranges) == 0:
		return Snapshot{}, fmt.Errorf("holds no routed ranges: all %d rows are AS 0 (not routed)", s.NotRouted)
	case s.Skipped > rows:
		return Snapshot{}, fmt.Errorf("mostly not iptoasn rows: %d of %d lines are not ranges (%s)", s.Skipped, s.Skipped+rows, s.SkippedLines[0])
	}
	if !sorted {
		slices.SortStableFunc(s.Ranges, compareRanges)
	}
	s.Entries = len(s.Ranges)
	return s, nil
}

// otherKind names a text file that is plainly not an iptoasn TSV, from its
// first line.
func otherKind(line []byte) error {
	switch {
	case line[0] == '{' || line[0] == '[':
		return errors.New("JSON, not an iptoasn TSV or a MaxMind DB (cloud providers' range files are imported with cidrs import)")
	case line[0] == '<':
		return errors.New("an HTML or XML page, not ASN data (a download that went to an error or login page?)")
	case bytes.HasPrefix(line, []byte("network,autonomous_system_number")):
		return errors.New("MaxMind's GeoLite2-ASN CSV, which is not read: import the GeoLite2-ASN .mmdb instead")
	}
	return nil
}

// skip counts a line that is not a range, describing the first few.
func (s *Snapshot) skip(lineNo int, reason string, text []byte) {
	s.Skipped++
	if len(s.SkippedLines) >= reportSkipped {
		return
	}
	if text == nil {
		s.SkippedLines = append(s.SkippedLines, fmt.Sprintf("line %d: %s", lineNo, reason))
		return
	}
	if len(text) > 80 {
		text = append(text[:77:77], "..."...)
	}
	s.SkippedLines = append(s.SkippedLines, fmt.Sprintf("line %d: %s: %q", lineNo, reason, text))
}

// parseRow reads one TSV row; reason says why it is not a range.
func parseRow(line []byte, names interner) (r Range, reason string) {
	var f [5][]byte
	n := 0
	for rest := line; n < len(f); n++ {
		if n == len(f)-1 {
			f[n] = rest // the description keeps any further tabs
			n++
			break
		}
		i := bytes.IndexByte(rest, '\t')
		if i < 0 {
			f[n] = rest
			n++
			break
		}
		f[n], rest = rest[:i], rest[i+1:]
	}
	switch n {
	case 1:
		return r, "not tab-separated fields (range_start, range_end, AS number, country, AS description)"
	case 2:
		return r, "2 tab-separated fields, want range_start, range_end, AS number, country, AS description"
	}
	first, ok := parseAddr(f[0])
	if !ok {
		return r, "range_start is not an address"
	}
	last, ok := parseAddr(f[1])
	if !ok {
		return r, "range_end is not an address"
	}
	if first.Is4In6() && last.Is4In6() {
		first, last = first.Unmap(), last.Unmap()
	}
	if reason := checkRange(first, last); reason != "" {
		return r, reason
	}
	asn, ok := parseASN(bytes.TrimSpace(f[2]))
	if !ok {
		return r, "the AS number is not a number"
	}
	r = Range{First: first, Last: last, ASN: asn}
	if n > 3 {
		c := bytes.TrimSpace(f[3])
		switch string(c) {
		case "None", "Unknown", "-", "":
		default:
			r.Country = names.get(c)
		}
	}
	if n > 4 {
		r.Name = names.get(bytes.TrimSpace(f[4]))
	}
	return r, ""
}

var (
	mappedFirst = netip.MustParseAddr("::ffff:0.0.0.0")
	mappedLast  = netip.MustParseAddr("::ffff:255.255.255.255")
)

// checkRange says why first-last is not a range the case can hold, or "".
// The case numbers IPv4 addresses as IPv4-mapped IPv6 (store.AddrNum), so
// an IPv6 range over ::ffff:0:0/96 would claim IPv4 addresses.
func checkRange(first, last netip.Addr) string {
	switch {
	case first.Is4() != last.Is4():
		return "range_start and range_end are of different families"
	case last.Less(first):
		return "range_end is before range_start"
	case first.Is6() && !mappedLast.Less(first) && !last.Less(mappedFirst):
		return "an IPv6 range over the IPv4-mapped block ::ffff:0:0/96"
	}
	return ""
}

func parseAddr(b []byte) (netip.Addr, bool) {
	a, err := netip.ParseAddr(string(bytes.TrimSpace(b)))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// parseASN reads a decimal AS number, with or without "AS" before it.
func parseASN(b []byte) (uint32, bool) {
	if len(b) > 2 && (b[0] == 'A' || b[0] == 'a') && (b[1] == 'S' || b[1] == 's') {
		b = b[2:]
	}
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// compareRanges orders ranges IPv4 first, then by first address, then by
// last.
func compareRanges(a, b Range) int {
	if c := a.First.Compare(b.First); c != 0 {
		return c
	}
	return a.Last.Compare(b.Last)
}

// chunks collects ranges in blocks, joined once at the end: appending
// hundreds of thousands of ranges to one slice would allocate, in all, about
// five times the final slice.
type chunks struct {
	full [][]Range
	cur  []Range
	n    int
}

const chunkSize = 1 << 14

func (c *chunks) add(r Range) {
	if len(c.cur) == cap(c.cur) {
		if len(c.cur) > 0 {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]Range, 0, chunkSize)
	}
	c.cur = append(c.cur, r)
	c.n++
}

func (c *chunks) all() []Range {
	if c.n == 0 {
		return nil
	}
	return slices.Concat(append(c.full, c.cur)...)
}

// interner shares the strings of names and country codes that repeat on
// many rows (an AS announces many ranges).
type interner map[string]string

func (in interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}
