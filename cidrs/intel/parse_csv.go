package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// header is the header line of a CSV file.
type header struct {
	delim rune
	line  int      // its 1-based line number
	cols  []string // normalised: lower-case, '_' for blanks and '-'
	misp  bool     // a MISP export: uuid, event_id, category, type, value
	addr  int      // the address column (not for MISP)
}

// addressColumns are the header names that mark a CSV's address column, in
// the order they are preferred.
func addressColumns() []string {
	return []string{"ip", "ip_address", "ipaddress", "ip_addr", "ipv4", "ipv6", "ipv4_address", "ipv6_address",
		"address", "addr", "src_ip", "dst_ip", "source_ip", "destination_ip", "srcip", "dstip",
		"ioc", "ioc_value", "indicator", "value", "cidr", "network", "prefix", "host"}
}

// commentColumns are the columns whose values make an entry's comment.
func commentColumns() []string {
	return []string{"comment", "description", "malware", "malware_family", "threat", "threat_type", "category",
		"tags", "tag", "reason", "name", "note", "notes", "type", "dst_port", "port", "c2_status", "status"}
}

func normalizeColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`)))
	return strings.NewReplacer(" ", "_", "-", "_", ".", "_").Replace(s)
}

// csvHeader finds the header of a CSV list: the first line that is not
// blank or a '#' comment, split at commas, tabs or semicolons, names an
// address column (or is a MISP export's header), and holds no address
// itself.
func csvHeader(data []byte) (header, bool) {
	var (
		first string
		line  int
	)
	eachLine(data[:min(len(data), 1<<20)], func(n int, l string) {
		t := strings.TrimSpace(l)
		if line != 0 || t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			return
		}
		first, line = t, n
	})
	if line == 0 {
		return header{}, false
	}
	delim, most := ',', 0
	for _, d := range []rune{',', '\t', ';'} {
		if c := strings.Count(first, string(d)); c > most {
			delim, most = d, c
		}
	}
	r := csv.NewReader(strings.NewReader(first))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = delim, true, -1
	cells, err := r.Read()
	if err != nil {
		return header{}, false
	}
	h := header{delim: delim, line: line, addr: -1}
	for _, c := range cells {
		if _, err := ParsePrefix(strings.TrimSpace(c)); err == nil {
			return header{}, false // a data line, not a header
		}
		h.cols = append(h.cols, normalizeColumn(c))
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if !slices.Contains(h.cols, n) {
				return false
			}
		}
		return true
	}
	if has("uuid", "event_id", "category", "type", "value") {
		h.misp = true
		return h, true
	}
	for _, name := range addressColumns() {
		if i := slices.Index(h.cols, name); i >= 0 {
			h.addr = i
			return h, true
		}
	}
	return header{}, false
}

// csv reads a CSV with a header: a MISP export, or any CSV with an address
// column. A '#' line is a comment ("# Last updated: ..." dates the file).
func (p *parser) csv(data []byte, h header) error {
	p.s.Format = FormatCSV
	if h.misp {
		p.s.Format = FormatMISPCSV
	}
	eachLine(data, func(_ int, l string) {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
			p.date(commentDate(t))
		}
	})
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.Comment, r.LazyQuotes, r.FieldsPerRecord = h.delim, '#', true, -1
	col := func(name string) int { return slices.Index(h.cols, name) }
	var comments []int
	for _, name := range commentColumns() {
		if i := col(name); i >= 0 && i != h.addr {
			comments = append(comments, i)
		}
	}
	m := mispColumns{typ: col("type"), value: col("value"), category: col("category"), comment: col("comment"),
		event: col("event_id"), date: col("date"), object: col("object_name"), relation: col("object_relation")}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			p.lines++
			p.skip(pe.StartLine, "not a CSV line: %v", pe.Err)
			continue
		}
		if err != nil {
			return err
		}
		line, _ := r.FieldPos(0)
		if line <= h.line {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		p.lines++
		if h.misp {
			p.mispRow(rec, m, line, len(h.cols))
			continue
		}
		if h.addr >= len(rec) {
			p.skip(line, "%d fields, but the address column (%s) is field %d", len(rec), h.cols[h.addr], h.addr+1)
			continue
		}
		value := strings.TrimSpace(rec[h.addr])
		if value == "" {
			p.skip(line, "%s: empty", h.cols[h.addr])
			continue
		}
		var parts []string
		for _, i := range comments {
			if i < len(rec) {
				if v := strings.TrimSpace(rec[i]); v != "" {
					if h.cols[i] == "dst_port" || h.cols[i] == "port" {
						v = "port " + v
					}
					parts = append(parts, v)
				}
			}
		}
		if err := p.add(value, strings.Join(parts, "; "), line); err != nil {
			p.skip(line, "%s: %v", h.cols[h.addr], err)
		}
	}
	return nil
}

// mispColumns are where a MISP CSV export's fields are (-1: absent).
type mispColumns struct {
	typ, value, category, comment, event, date, object, relation int
}

// mispRow reads one attribute of a MISP CSV export.
func (p *parser) mispRow(rec []string, m mispColumns, line, fields int) {
	get := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	if m.typ >= len(rec) || m.value >= len(rec) {
		p.skip(line, "%d fields, the header has %d", len(rec), fields)
		return
	}
	a := mispAttribute{Type: get(m.typ), Value: get(m.value), Category: get(m.category), Comment: get(m.comment),
		Event: get(m.event), Object: get(m.object)}
	if t := mispDate(get(m.date)); !t.IsZero() {
		p.date(t)
	}
	p.mispAttribute(a, line)
}

// mispAttribute is what the readers of both MISP exports take from an
// attribute.
type mispAttribute struct {
	Type, Value, Category, Comment string
	Event                          string // the event's id, or its info
	Object                         string // the name of the object it is in
}

// mispAddress is the address in a MISP attribute's value, by its type; ok
// is false for types that hold none.
func mispAddress(typ, value string) (string, bool) {
	switch typ {
	case "ip-src", "ip-dst":
		return value, true
	case "ip-src|port", "ip-dst|port":
		// 198.51.100.7|443; an IPv6 address may be bracketed or plain.
		if i := strings.LastIndexByte(value, '|'); i >= 0 {
			value = value[:i]
		}
		return strings.Trim(value, "[]"), true
	case "domain|ip":
		if i := strings.LastIndexByte(value, '|'); i >= 0 {
			return value[i+1:], true
		}
		return value, true
	}
	return "", false
}

func (p *parser) mispAttribute(a mispAttribute, line int) {
	addr, ok := mispAddress(a.Type, a.Value)
	if !ok {
		p.ignore(a.Type)
		return
	}
	var parts []string
	for _, s := range []string{a.Type, a.Category, a.Comment} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if a.Object != "" {
		parts = append(parts, "object "+a.Object)
	}
	if a.Event != "" {
		parts = append(parts, "event "+a.Event)
	}
	if addr == "" {
		p.skip(line, "%s attribute without a value", a.Type)
		return
	}
	if err := p.add(addr, strings.Join(parts, "; "), line); err != nil {
		p.skip(line, "%s attribute: %v", a.Type, err)
	}
}

// mispDate reads a MISP date: Unix seconds (attribute timestamps), or a
// date (2024-05-01, 20240501).
func mispDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) != 8 {
		return plausible(time.Unix(n, 0))
	}
	return parseDate(s)
}
