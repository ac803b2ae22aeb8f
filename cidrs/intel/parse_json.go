package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// isJSONLines tells Spamhaus's JSON lines (drop_v4.json, drop_v6.json): the
// first line that is not blank is a whole JSON object with a "cidr" or a
// "sblid", or Spamhaus's metadata record.
func isJSONLines(data []byte) bool {
	var first []byte
	for len(data) > 0 && first == nil {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			first = t
		}
	}
	var rec map[string]json.RawMessage
	if first == nil || first[0] != '{' || json.Unmarshal(first, &rec) != nil {
		return false
	}
	_, cidr := rec["cidr"]
	_, sbl := rec["sblid"]
	var typ string
	_ = json.Unmarshal(rec["type"], &typ)
	return cidr || sbl || (typ == "metadata" && rec["copyright"] != nil)
}

// spamhausRecord is one line of drop_v4.json: a network, or the closing
// metadata.
type spamhausRecord struct {
	CIDR      string      `json:"cidr"`
	SBLID     string      `json:"sblid"`
	RIR       string      `json:"rir"`
	Type      string      `json:"type"`
	Timestamp json.Number `json:"timestamp"`
}

// spamhausJSON reads Spamhaus's JSON lines: {"cidr":"1.10.16.0/20",
// "sblid":"SBL256894","rir":"apnic"} a line, and a metadata line whose
// timestamp (Unix seconds) dates the file.
func (p *parser) spamhausJSON(data []byte) error {
	p.s.Format = FormatSpamhausJSON
	p.name = "spamhaus-drop"
	eachLine(data, func(n int, line string) {
		t := strings.TrimSpace(line)
		if t == "" {
			return
		}
		var r spamhausRecord
		if err := json.Unmarshal([]byte(t), &r); err != nil {
			p.lines++
			p.skip(n, "not a JSON object (%v)", jsonReason(err))
			return
		}
		if r.Type == "metadata" {
			if ts, err := r.Timestamp.Int64(); err == nil {
				p.date(plausible(time.Unix(ts, 0)))
			}
			return
		}
		p.lines++
		if r.CIDR == "" {
			p.skip(n, "cidr: missing")
			return
		}
		comment := r.SBLID
		if r.RIR != "" {
			comment = strings.TrimSpace(comment + " (" + r.RIR + ")")
		}
		if err := p.add(r.CIDR, comment, n); err != nil {
			p.skip(n, "cidr: %v", err)
		}
	})
	return nil
}

// jsonReason is a JSON error without the package's prefix.
func jsonReason(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonDocument reads a whole JSON document: a STIX 2.1 bundle, or a MISP
// event export ({"Event": ...}, {"response": [{"Event": ...}]}, or an array
// of {"Event": ...}).
func (p *parser) jsonDocument(data []byte) error {
	d := &jsonDoc{p: p, events: map[int]*mispEvent{}}
	w := &walker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), want: d.wants, visit: d.visit}
	w.dec.UseNumber()
	err := w.walk()
	switch {
	case d.stix:
		p.s.Format = FormatSTIX
	case d.misp:
		p.s.Format = FormatMISPJSON
	}
	if err != nil {
		return fmt.Errorf("not valid JSON: %s", err)
	}
	switch {
	case d.stix:
		return nil
	case d.misp:
		d.mispDone()
		return nil
	}
	return errors.New("a JSON document that is neither a STIX 2.1 bundle (\"type\": \"bundle\", \"objects\") nor a MISP event (\"Event\" with \"Attribute\"), nor Spamhaus's JSON lines")
}

// jsonDoc collects what the walk of a JSON document finds.
type jsonDoc struct {
	p      *parser
	stix   bool
	misp   bool
	events map[int]*mispEvent
}

type mispEvent struct {
	id, info string
	objects  map[int]string // object index -> name
	attrs    []pendingAttr
}

type pendingAttr struct {
	obj  int // -1 outside an object
	line int
	raw  json.RawMessage
}

// mispPath splits a path of a MISP export into the event's index and the
// path inside the event ("Event.Attribute[]"), taking off the wrapping
// ({"response": [...]}, a top-level array).
func mispPath(path string, idx []int) (event int, rest string, sub []int) {
	for _, pre := range []string{"response[].", "[]."} {
		if r, ok := strings.CutPrefix(path, pre); ok && len(idx) > 0 {
			return idx[0], r, idx[1:]
		}
	}
	if r, ok := strings.CutPrefix(path, "response."); ok {
		return 0, r, idx
	}
	return 0, path, idx
}

// wants tells the walker which values to hand over whole.
func (d *jsonDoc) wants(path string) bool {
	if path == "type" || path == "objects[]" {
		return true
	}
	_, rest, _ := mispPath(path, nil)
	switch rest {
	case "Event.Attribute[]", "Event.Object[].Attribute[]", "Event.Object[].name", "Event.date", "Event.info", "Event.id":
		return true
	}
	return false
}

func (d *jsonDoc) visit(path string, idx []int, line int, raw json.RawMessage) {
	switch path {
	case "type":
		var t string
		if json.Unmarshal(raw, &t) == nil && t == "bundle" {
			d.stix = true
		}
		return
	case "objects[]":
		d.stix = true
		d.stixObject(raw, line)
		return
	}
	ev, rest, sub := mispPath(path, idx)
	d.misp = true
	e := d.events[ev]
	if e == nil {
		e = &mispEvent{objects: map[int]string{}}
		d.events[ev] = e
	}
	str := func() string {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var n json.Number
			if json.Unmarshal(raw, &n) == nil {
				return n.String()
			}
		}
		return s
	}
	switch rest {
	case "Event.date":
		d.p.date(parseDate(str()))
	case "Event.info":
		e.info = str()
	case "Event.id":
		e.id = str()
	case "Event.Object[].name":
		if len(sub) > 0 {
			e.objects[sub[0]] = str()
		}
	case "Event.Attribute[]":
		e.attrs = append(e.attrs, pendingAttr{obj: -1, line: line, raw: raw})
	case "Event.Object[].Attribute[]":
		obj := -1
		if len(sub) > 0 {
			obj = sub[0]
		}
		e.attrs = append(e.attrs, pendingAttr{obj: obj, line: line, raw: raw})
	}
}

// mispJSONAttribute is an attribute of a MISP JSON event.
type mispJSONAttribute struct {
	Type     string `json:"type"`
	Value    string `json:"value"`
	Category string `json:"category"`
	Comment  string `json:"comment"`
	Deleted  any    `json:"deleted"`
}

// mispDone reads the attributes of the MISP events found, in the order of
// the file, once their objects' names are known.
func (d *jsonDoc) mispDone() {
	for _, i := range slices.Sorted(maps.Keys(d.events)) {
		e := d.events[i]
		event := e.id
		if e.info != "" {
			event = strings.TrimSpace(e.id + " " + strconv.Quote(e.info))
		}
		for _, pa := range e.attrs {
			d.p.lines++
			var a mispJSONAttribute
			if err := json.Unmarshal(pa.raw, &a); err != nil {
				d.p.skip(pa.line, "a MISP attribute that cannot be read (%s)", jsonReason(err))
				continue
			}
			if truthy(a.Deleted) {
				d.p.ignore("deleted " + a.Type)
				continue
			}
			ma := mispAttribute{Type: a.Type, Value: strings.TrimSpace(a.Value), Category: a.Category, Comment: a.Comment, Event: event}
			if pa.obj >= 0 {
				ma.Object = e.objects[pa.obj]
			}
			d.p.mispAttribute(ma, pa.line)
		}
	}
}

// truthy reads MISP's booleans, which some exports write as "1" or "0".
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "1" || strings.EqualFold(v, "true")
	case json.Number:
		return v.String() != "0"
	case float64:
		return v != 0
	}
	return false
}

// stixObject is what is read of a STIX object.
type stixObj struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Created     string `json:"created"`
	Modified    string `json:"modified"`
	Revoked     bool   `json:"revoked"`
	Value       string `json:"value"`
}

// stixObject reads one object of a bundle: an indicator whose pattern names
// addresses, or an ipv4-addr / ipv6-addr object. Others (identities,
// relationships, malware) are context, not entries.
func (d *jsonDoc) stixObject(raw json.RawMessage, line int) {
	p := d.p
	var o stixObj
	if err := json.Unmarshal(raw, &o); err != nil {
		p.lines++
		p.skip(line, "a STIX object that cannot be read (%s)", jsonReason(err))
		return
	}
	switch o.Type {
	case "indicator":
	case "ipv4-addr", "ipv6-addr":
		p.lines++
		if err := p.add(strings.TrimSpace(o.Value), o.ID, line); err != nil {
			p.skip(line, "%s %s: value: %v", o.Type, o.ID, err)
		}
		return
	default:
		return
	}
	p.lines++
	for _, s := range []string{o.Created, o.Modified} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			p.date(plausible(t))
		}
	}
	if o.Revoked {
		p.ignore("revoked indicator")
		return
	}
	if o.PatternType != "" && o.PatternType != "stix" {
		p.ignore(o.PatternType + " pattern")
		return
	}
	values, problems, kind := stixAddresses(o.Pattern)
	if len(values) == 0 && len(problems) == 0 {
		p.ignore(kind)
		return
	}
	comment := o.Name
	if comment == "" {
		comment = o.ID
	}
	added := 0
	for _, v := range values {
		if err := p.add(v, comment, line); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		added++
	}
	if added == 0 {
		p.skip(line, "indicator %s: %s", o.ID, strings.Join(problems, "; "))
	}
}

// maxDepth is how deeply a JSON document may nest.
const maxDepth = 64

// walker walks a JSON document with a streaming decoder, handing the values
// visit wants over whole, with the line where each begins. A path names a
// value by its keys and arrays: "Event.Attribute[]" is each element of the
// Attribute array of the top-level Event; idx holds the indices of the
// arrays on the way.
type walker struct {
	data  []byte
	dec   *json.Decoder
	want  func(path string) bool
	visit func(path string, idx []int, line int, raw json.RawMessage)
	// the line count up to off
	off, line int
}

func (w *walker) walk() error {
	w.line = 1
	if err := w.value("", nil, 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("line %d: more after the end of the document", w.lineAt(int(w.dec.InputOffset())))
	}
	return nil
}

// lineAt is the line of byte offset off; offsets only grow.
func (w *walker) lineAt(off int) int {
	off = min(off, len(w.data))
	if off > w.off {
		w.line += bytes.Count(w.data[w.off:off], []byte("\n"))
		w.off = off
	}
	return w.line
}

// start is where the next value begins: past blanks, ':' and ','.
func (w *walker) start() int {
	i := int(w.dec.InputOffset())
	for i < len(w.data) {
		switch w.data[i] {
		case ' ', '\t', '\r', '\n', ':', ',':
			i++
			continue
		}
		break
	}
	return i
}

func (w *walker) value(path string, idx []int, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("line %d: nested more than %d deep", w.lineAt(w.start()), maxDepth)
	}
	line := w.lineAt(w.start())
	if depth > 0 && w.want(path) {
		var raw json.RawMessage
		if err := w.dec.Decode(&raw); err != nil {
			return w.syntax(err)
		}
		w.visit(path, idx, line, raw)
		return nil
	}
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	switch tok {
	case json.Delim('{'):
		for w.dec.More() {
			kt, err := w.dec.Token()
			if err != nil {
				return w.syntax(err)
			}
			key, _ := kt.(string)
			child := key
			if path != "" {
				child = path + "." + key
			}
			if err := w.value(child, idx, depth+1); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(err)
		}
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			if err := w.value(path+"[]", append(idx[:len(idx):len(idx)], i), depth+1); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(err)
		}
	}
	return nil
}

// syntax names the line of a decoding error.
func (w *walker) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: %s", w.lineAt(int(se.Offset)), jsonReason(err))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("line %d: the document ends early", w.lineAt(len(w.data)))
	}
	return err
}
