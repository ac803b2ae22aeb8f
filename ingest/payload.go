package ingest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ShapeSubscription is CloudWatch Logs subscription payloads: the JSON objects
// a subscription filter sends to Lambda, Kinesis or Firehose, each carrying a
// batch of log events whose messages are flow records.
const ShapeSubscription Shape = "cloudwatch-subscription"

// payloadHeader is what one payload object says about its events.
type payloadHeader struct {
	MessageType string
	Owner       string
	LogGroup    string
	LogStream   string
}

// logEvent is one event of a payload object.
type logEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// payloadSink receives what a payload decoder reads.
type payloadSink struct {
	// event is called for every event of a DATA_MESSAGE object, in order:
	// n is the event's 1-based position in the file, obj names its payload
	// ("object 3", "object 2, record 1").
	event func(n int64, obj string, h *payloadHeader, e *logEvent) error
	// broken is called for an event, a payload or bytes that could not be
	// read: n is where reading stopped (the position of the next event), raw
	// the first bytes of what was skipped (nil for an event). The error names
	// the payload and where it is. Reading goes on at the next payload.
	broken func(n int64, err error, raw []byte) error
}

// payloadDecoder streams the objects of a payload file: JSON objects one per
// file, one per line, pretty-printed or concatenated with no separator; plain,
// gzip (members concatenated too) or base64 of gzip (one blob per line, or one
// wrapped blob); and the events Lambda is invoked with, which wrap a payload
// as base64 of gzip: {"awslogs":{"data":...}} from a subscription, and
// {"Records":[{"kinesis":{"data":...}},...]} from a Kinesis Data Streams
// trigger. A payload that cannot be read is a reject and reading resumes at
// the next one (see segments and members). Memory is bounded by one event,
// or by one wrapped payload for Lambda's events.
type payloadDecoder struct {
	sink       payloadSink
	objects    int64 // objects of the file's own begun (a wrapper's payloads are named after it)
	blobs      int64 // base64 blobs begun
	events     int64 // events read
	control    int64 // CONTROL_MESSAGE objects skipped
	reported   int64 // payloads and bytes reported broken
	groups     map[string]bool
	streams    map[string]bool
	detecting  bool // stop at the first event, or at a first object that is not a payload
	recognized bool // detecting: an object showed a payload's keys
	decided    bool // detecting: an object was read to its end
}

// errNotPayload: the first object is JSON but not a subscription payload.
var errNotPayload = errors.New("ingest: not a CloudWatch Logs subscription payload")

// errStop ends a decode early from a sink.
var errStop = errors.New("ingest: stop")

// errReported: a payload broke and its reject is made (inside a wrapper).
var errReported = errors.New("ingest: payload reported")

// brokenError: the payload being read cannot be read further.
type brokenError struct{ err error }

func (e *brokenError) Error() string { return e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

func broken(err error) error { return &brokenError{err} }

func brokenf(format string, args ...any) error { return &brokenError{fmt.Errorf(format, args...)} }

func newPayloadDecoder(sink payloadSink) *payloadDecoder {
	return &payloadDecoder{sink: sink, groups: map[string]bool{}, streams: map[string]bool{}}
}

// maxLayers bounds gzip and base64 wrapped in each other.
const maxLayers = 4

// sniffPayload names the layer that r starts with: "gzip", "base64" (of
// gzip), "json", or "" when it is none of these. It skips a byte-order mark
// and blanks, counting line ends in lines (when not nil).
func sniffPayload(br *bufio.Reader, lines *int64) string {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return ""
		}
		if isBlank(b[0]) {
			if b[0] == '\n' && lines != nil {
				*lines++
			}
			br.Discard(1) //nolint:errcheck // peeked
			continue
		}
		if head, _ := br.Peek(3); bytes.Equal(head, bom) {
			br.Discard(3) //nolint:errcheck // peeked
			continue
		}
		break
	}
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return "gzip"
	case string(head) == "H4sI": // base64 of 1f 8b 08, the start of every gzip member
		return "base64"
	case len(head) > 0 && head[0] == '{':
		return "json"
	}
	return ""
}

// where is where a layer's stream lies, to name what breaks in it.
type where struct {
	// name and label of the wrapper whose data the stream is (name for its
	// events, label with where it is and the field for what breaks): its
	// payloads are named after it; empty for a stream of the file's own.
	name, label string
	blob        int64 // the base64 blob the stream is in, and its line
	blobLine    int64
	gunzip      bool // offsets are of gunzipped data
}

// at names a place in the stream: the line and byte of a stream of the
// file's own, the blob a blob's, the wrapper's field a wrapper's.
func (w *where) at(line, off int64) string {
	switch {
	case w.name != "":
		return w.label
	case w.blob > 0:
		return fmt.Sprintf("blob %d (line %d)", w.blob, w.blobLine)
	case w.gunzip:
		return fmt.Sprintf("line %d, byte %d of the gunzipped data", line, off)
	}
	return fmt.Sprintf("line %d, byte %d", line, off)
}

// fileOwn: the stream's offsets are the file's.
func (w *where) fileOwn() bool { return w.name == "" && w.blob == 0 && !w.gunzip }

// report makes a reject of a payload or bytes that could not be read.
func (d *payloadDecoder) report(label string, err error, raw []byte) error {
	d.reported++
	if d.detecting {
		return nil
	}
	if label != "" {
		err = fmt.Errorf("%s: %w", label, err)
	}
	return d.sink.broken(d.events+1, err, raw)
}

// decode reads r to its end.
func (d *payloadDecoder) decode(r io.Reader) error { return d.layer(r, 0, where{}) }

func (d *payloadDecoder) layer(r io.Reader, depth int, w where) error {
	return d.layerOf(r, depth, w, nil)
}

// layerOf reads one layer; cuts, when not nil, is the gzip stream r is the
// content of.
func (d *payloadDecoder) layerOf(r io.Reader, depth int, w where, cuts *members) error {
	if depth > maxLayers {
		return d.report(w.at(0, 0), errors.New("too many layers of gzip and base64"), nil)
	}
	cr := &countReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	pos := func() int64 { return cr.n - int64(br.Buffered()) }
	var lines int64
	kind := sniffPayload(br, &lines)
	switch kind {
	case "gzip":
		inner := w
		inner.gunzip = true
		m := &members{br: br, gap: func(err error) error { return d.report(labelOf(w), err, nil) }}
		if w.fileOwn() {
			m.pos = pos
			m.gap = func(err error) error { return d.report("", err, nil) }
		}
		err := d.layerOf(m, depth+1, inner, m)
		for _, c := range m.cuts { // cuts no JSON text took
			if err == nil {
				err = d.report(labelOf(w), c.err, nil)
			}
		}
		return err
	case "base64":
		return d.blobLayer(br, depth, w, &lines)
	case "":
		if _, err := br.Peek(1); err == io.EOF {
			return nil // an empty layer
		}
		if w.name != "" {
			return d.report(w.label, errors.New("not base64 of gzip"), nil)
		}
	}
	// JSON, or bytes that are not (a reject, then the payloads after them)
	return d.stream(newSegments(br, pos, cuts, lines), w, depth)
}

// labelOf names a layer for what breaks in it as a whole.
func labelOf(w where) string {
	switch {
	case w.name != "":
		return w.label
	case w.blob > 0:
		return fmt.Sprintf("blob %d (line %d)", w.blob, w.blobLine)
	}
	return ""
}

// blobLayer reads base64 blobs, one after another.
func (d *payloadDecoder) blobLayer(br *bufio.Reader, depth int, w where, lines *int64) error {
	for {
		d.blobs++
		blob := &blobReader{br: br, lines: lines}
		bw := w
		bw.blob, bw.blobLine = d.blobs, *lines+1
		if err := d.layer(base64.NewDecoder(base64.StdEncoding, blob), depth+1, bw); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, blob); err != nil { // the rest of a blob that broke
			return fmt.Errorf("ingest: read: %w", err)
		}
		if blob.eof {
			return nil
		}
		switch sniffPayload(br, lines) {
		case "base64":
			continue
		case "":
			return nil
		}
		return d.report(labelOf(bw), errors.New("expected a base64 blob (H4sI...) after it"), nil)
	}
}

// stream reads the payloads of a JSON text, a segment at a time.
func (d *payloadDecoder) stream(s *segments, w where, depth int) error {
	var count int64 // a wrapper's payloads
	for s.next() {
		if s.skipping { // the rest of a payload a cut broke
			io.Copy(io.Discard, s) //nolint:errcheck // its end is in s.err
			var c *cutError
			if errors.As(s.err, &c) {
				if err := d.report(w.at(s.line+1, s.pos()), c.err, nil); err != nil {
					return err
				}
			}
			continue
		}
		if err := d.segment(s, w, depth, &count); err != nil {
			return err
		}
	}
	var c *cutError
	if s.err != nil && s.err != io.EOF && !errors.As(s.err, &c) {
		return d.report(w.at(s.line+1, s.pos()), fmt.Errorf("read: %w", s.err), nil)
	}
	return nil
}

// payload is one object being read.
type payload struct {
	name     string // what its events' rejects name: "object 3", "object 2, record 1"
	label    string // what its own rejects name: the name and where it is
	depth    int    // its layer's
	deciding bool   // detecting: this object decides whether the file is payloads
	record   bool   // a record of a Kinesis event
}

// segment reads the objects of one segment; a payload that breaks is a
// reject, and the rest of the segment is left.
func (d *payloadDecoder) segment(s *segments, w where, depth int, count *int64) error {
	dec := json.NewDecoder(s)
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		off := dec.InputOffset()
		if err == nil && t != json.Delim('{') {
			err = fmt.Errorf("expected a payload object, found %s", tokenText(t))
		}
		if err != nil {
			var se *json.SyntaxError
			if err = s.explain(err); errors.As(err, &se) {
				err = fmt.Errorf("not a payload: %w", err)
			}
			raw, _ := io.ReadAll(io.LimitReader(dec.Buffered(), maxRaw))
			return d.report(w.at(s.chunkLine, s.base+off), err, raw)
		}
		off-- // the '{'
		*count++
		o := &payload{depth: depth}
		switch {
		case w.name != "":
			o.name, o.label = w.name, w.label
			if *count > 1 {
				o.name += fmt.Sprintf(", payload %d", *count)
				o.label += fmt.Sprintf(", payload %d", *count)
			}
		default:
			d.objects++
			o.name = fmt.Sprintf("object %d", d.objects)
			o.label = o.name + " (" + w.at(s.chunkLine, s.base+off) + ")"
			o.deciding = d.detecting && !d.decided
		}
		switch err := d.object(dec, o); {
		case err == nil:
		case errors.Is(err, errReported):
			return nil
		default:
			var be *brokenError
			if !errors.As(err, &be) {
				return err // the sink's, or detection's
			}
			return d.report(o.label, s.explain(be.err), s.raw(off))
		}
	}
}

// tokenText describes a JSON token that is not where it should be.
func tokenText(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %q", truncate(v, 40))
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", t)
}

// recognize notes that the deciding object has a payload's keys.
func (d *payloadDecoder) recognize(o *payload) {
	if o.deciding {
		d.recognized = true
	}
}

// object reads one payload object after its '{'. Events stream to the sink
// when the keys before logEvents said the object's type, group and stream
// (AWS's order); otherwise they are held until the object ends.
func (d *payloadDecoder) object(dec *json.Decoder, o *payload) error {
	var h payloadHeader
	var seenType, seenGroup, seenStream, seenEvents, wrapper bool
	var held []logEvent
	var heldN []int64
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return broken(err)
		}
		key, _ := t.(string)
		switch key {
		case "messageType", "owner", "logGroup", "logStream":
			var s *string
			if err := dec.Decode(&s); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return broken(err)
				}
				s = nil
			}
			v := ""
			if s != nil {
				v = *s
			}
			switch key {
			case "messageType":
				h.MessageType, seenType = v, true
				d.recognize(o)
			case "owner":
				h.Owner = v
			case "logGroup":
				h.LogGroup, seenGroup = v, true
			case "logStream":
				h.LogStream, seenStream = v, true
			}
		case "logEvents":
			seenEvents = true
			d.recognize(o)
			t, err := dec.Token()
			if err != nil {
				return broken(err)
			}
			if t == nil {
				continue // "logEvents": null
			}
			if t != json.Delim('[') {
				return brokenf("logEvents is not a list")
			}
			for dec.More() {
				var e logEvent
				if err := dec.Decode(&e); err != nil {
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return broken(err)
					}
					d.events++
					if err := d.sink.broken(d.events, fmt.Errorf("%s, event %d: %s is not %s", o.name, d.events, te.Field, te.Type), nil); err != nil {
						return err
					}
					continue
				}
				d.events++
				if seenType && seenGroup && seenStream {
					if h.MessageType == "DATA_MESSAGE" {
						d.note(&h)
						if err := d.sink.event(d.events, o.name, &h, &e); err != nil {
							return err
						}
					}
					continue
				}
				held, heldN = append(held, e), append(heldN, d.events)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return broken(err)
			}
		case "awslogs":
			wrapper = true
			if err := d.awslogs(dec, o); err != nil {
				return err
			}
		case "Records":
			wrapper = true
			if err := d.kinesisRecords(dec, o); err != nil {
				return err
			}
		default:
			if err := skipValue(dec); err != nil {
				return broken(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return broken(err)
	}
	if o.deciding {
		if !d.recognized {
			return errNotPayload
		}
		d.decided = true
	}
	if wrapper && !seenType && !seenEvents {
		return nil
	}
	switch h.MessageType {
	case "CONTROL_MESSAGE":
		d.control++
		return nil
	case "DATA_MESSAGE", "":
	default:
		return d.report(o.label, fmt.Errorf("messageType %q is neither DATA_MESSAGE nor CONTROL_MESSAGE", truncate(h.MessageType, 80)), nil)
	}
	if !seenEvents {
		return d.report(o.label, errors.New("no logEvents"), nil)
	}
	d.note(&h)
	for i := range held {
		if err := d.sink.event(heldN[i], o.name, &h, &held[i]); err != nil {
			return err
		}
	}
	return nil
}

// skipValue reads past the next value without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// awslogs reads the value of a Lambda event's awslogs key: {"data": base64
// of gzip of a payload}.
func (d *payloadDecoder) awslogs(dec *json.Decoder, o *payload) error {
	t, err := dec.Token()
	if err != nil {
		return broken(err)
	}
	if t != json.Delim('{') {
		if err := skipRest(dec, t); err != nil {
			return broken(err)
		}
		return brokenf("awslogs is not an object with the payload in data")
	}
	d.recognize(o)
	data := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return broken(err)
		}
		if t != "data" {
			if err := skipValue(dec); err != nil {
				return broken(err)
			}
			continue
		}
		data = true
		if err := d.wrapped(dec, o, "awslogs.data"); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return broken(err)
	}
	if !data {
		return brokenf("awslogs has no data")
	}
	return nil
}

// skipRest reads past the rest of a value whose first token was t.
func skipRest(dec *json.Decoder, t json.Token) error {
	if t != json.Delim('{') && t != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// kinesisRecords reads the value of the Records key of the event Lambda
// gets from a Kinesis Data Streams trigger: records whose kinesis.data is a
// subscription's payload, base64 of gzip.
func (d *payloadDecoder) kinesisRecords(dec *json.Decoder, o *payload) error {
	t, err := dec.Token()
	if err != nil {
		return broken(err)
	}
	if t != json.Delim('[') {
		if err := skipRest(dec, t); err != nil {
			return broken(err)
		}
		return brokenf("Records is not a list")
	}
	for k := 1; dec.More(); k++ {
		r := &payload{name: fmt.Sprintf("%s, record %d", o.name, k), label: fmt.Sprintf("%s, record %d", o.label, k), depth: o.depth, record: true}
		t, err := dec.Token()
		if err != nil {
			return broken(err)
		}
		data := false
		if t == json.Delim('{') {
			for dec.More() {
				t, err := dec.Token()
				if err != nil {
					return broken(err)
				}
				if t != "kinesis" {
					if err := skipValue(dec); err != nil {
						return broken(err)
					}
					continue
				}
				t, err = dec.Token()
				if err != nil {
					return broken(err)
				}
				if t != json.Delim('{') {
					if err := skipRest(dec, t); err != nil {
						return broken(err)
					}
					continue
				}
				d.recognize(o)
				for dec.More() {
					t, err := dec.Token()
					if err != nil {
						return broken(err)
					}
					if t != "data" {
						if err := skipValue(dec); err != nil {
							return broken(err)
						}
						continue
					}
					data = true
					if err := d.wrapped(dec, r, "kinesis.data"); err != nil {
						return err
					}
				}
				if _, err := dec.Token(); err != nil { // kinesis's '}'
					return broken(err)
				}
			}
			if _, err := dec.Token(); err != nil { // the record's '}'
				return broken(err)
			}
		} else if err := skipRest(dec, t); err != nil {
			return broken(err)
		}
		if !data {
			if err := d.report(r.label, errors.New("not a Kinesis record (no kinesis.data)"), nil); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return broken(err)
	}
	return nil
}

// wrapped reads a wrapper's data (the value of the key just read), base64
// of gzip of payloads, and the payloads in it, named after the wrapper. Data
// cut short (by the end of the file, or of what detection reads) gives what
// it holds, and is a reject.
func (d *payloadDecoder) wrapped(dec *json.Decoder, o *payload, field string) error {
	var data string
	err := dec.Decode(&data)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return brokenf("%s is not a string", field)
	case errors.As(err, &se):
		return broken(err)
	case err != nil: // cut short: what there is of it
		raw, _ := io.ReadAll(dec.Buffered())
		data = partialString(raw)
	}
	w := where{name: o.name, label: o.label + ", " + field}
	before := d.reported
	if raw, derr := decodeBase64(data, err != nil); derr != nil {
		if rerr := d.report(w.label, fmt.Errorf("not base64: %v", derr), nil); rerr != nil {
			return rerr
		}
	} else if lerr := d.layer(bytes.NewReader(raw), o.depth+1, w); lerr != nil {
		return lerr
	}
	switch {
	case err == nil && (d.reported == before || o.record):
		return nil // a Kinesis event's other records are payloads of their own
	case d.reported > before:
		return errReported // the data's own reject says where it broke
	}
	return broken(err)
}

// decodeBase64 decodes a wrapper's data; cut data is decoded as far as it goes.
func decodeBase64(s string, cut bool) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if cut {
		s = s[:len(s)/4*4]
	}
	return base64.StdEncoding.DecodeString(s)
}

// partialString is the text of a JSON string whose end was cut off, from
// the raw bytes at its start.
func partialString(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"':
			return b.String()
		case c == '\\' && i+1 < len(raw):
			i++
			switch raw[i] {
			case 'n', 'r', 't':
			case 'u':
				i += 4
			default:
				b.WriteByte(raw[i])
			}
		case c != '\\':
			b.WriteByte(c)
		}
	}
	return b.String()
}

// note records the log group and stream of a data message.
func (d *payloadDecoder) note(h *payloadHeader) {
	if h.LogGroup != "" && !d.groups[h.LogGroup] {
		d.groups[h.LogGroup] = true
	}
	if h.LogStream != "" && !d.streams[h.LogStream] {
		d.streams[h.LogStream] = true
	}
}

// blobReader reads one base64 blob of a file of blobs: its text without line
// ends and blanks, to the end of the input or to the next line that starts a
// blob of its own (H4sI, the base64 of a gzip header).
type blobReader struct {
	br    *bufio.Reader
	lines *int64 // line ends read
	done  bool   // the blob ended
	eof   bool   // ... at the end of the input
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		c, err := b.br.ReadByte()
		if err != nil {
			b.done, b.eof = true, true
			break
		}
		switch c {
		case '\n':
			*b.lines++
			if next, _ := b.br.Peek(4); string(next) == "H4sI" {
				b.done = true
				return n, nil
			}
		case '\r', ' ', '\t':
		default:
			p[n] = c
			n++
		}
	}
	if n == 0 && b.done {
		return 0, io.EOF
	}
	return n, nil
}

// detectSubscription decides whether prefix, the first bytes of a file
// (decompressed when the file is gzip), is CloudWatch Logs subscription
// payloads: JSON objects the first of which that can be read has a
// messageType or logEvents key, or is one of the events Lambda gets
// (awslogs.data, or Records with kinesis.data); plain, gzip or base64 of
// gzip. A payload that cannot be read, or bytes that are not JSON, before
// the first that can are rejects of such a file. The format is
// --log-format's, or decided by the first data message, as for header-less
// text.
func detectSubscription(d Detected, prefix []byte, o DetectOptions) (Detected, bool, error) {
	br := bufio.NewReader(bytes.NewReader(prefix))
	switch sniffPayload(br, nil) {
	case "":
		if b, _ := br.Peek(1); len(b) == 0 || b[0] == '[' || !payloadKeys(prefix) {
			return d, false, nil // an array is JSON records, whatever its keys
		}
	}
	var first *string
	dec := newPayloadDecoder(payloadSink{
		event: func(_ int64, _ string, _ *payloadHeader, e *logEvent) error {
			first = &e.Message
			return errStop
		},
		broken: func(int64, error, []byte) error { return nil },
	})
	dec.detecting = true
	err := dec.decode(bytes.NewReader(prefix))
	if !dec.recognized || (err != nil && !errors.Is(err, errStop)) {
		return d, false, nil
	}
	d.Shape = ShapeSubscription
	switch {
	case o.LogFormat != nil:
		d.Fields = o.LogFormat
	case first != nil:
		fields, err := headerlessFields(*first, o)
		d.Fields = fields
		return d, true, err
	default:
		d.Fields = DefaultFields() // no data message in the first part: each one is checked as it loads
	}
	return d, true, nil
}

// payloadKeys reports whether b holds a key that begins a payload.
func payloadKeys(b []byte) bool {
	for _, k := range []string{`"messageType"`, `"logEvents"`, `"awslogs"`, `"Records"`} {
		if bytes.Contains(b, []byte(k)) {
			return true
		}
	}
	return false
}

// detectShape is detection's hook for shapes that wrap their records in
// layers of their own, before the line-oriented shapes are considered.
func detectShape(d Detected, prefix []byte, long bool, o DetectOptions) (Detected, error) {
	if sd, ok, err := detectSubscription(d, prefix, o); ok {
		return sd, err
	}
	if jsonOCSF(prefix) {
		d.Shape = ShapeOCSF
		return d, nil
	}
	return detectText(d, prefix, long, o)
}
