package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// n is the event's 1-based position in the file, obj its object's.
	event func(n, obj int64, h *payloadHeader, e *logEvent) error
	// broken is called for an event or object that could not be read; n is
	// the position where reading stopped. Reading goes on where it can.
	broken func(n, obj int64, err error) error
}

// payloadDecoder streams the objects of a payload file: JSON objects one per
// file, one per line, pretty-printed or concatenated with no separator; plain,
// gzip (members concatenated too) or base64 of gzip (one blob per line, or one
// wrapped blob). Memory is bounded by one event, not by the file.
type payloadDecoder struct {
	sink       payloadSink
	objects    int64 // objects begun
	events     int64 // events read
	control    int64 // CONTROL_MESSAGE objects skipped
	groups     map[string]bool
	streams    map[string]bool
	recognized bool // the first object has a messageType or logEvents key
	detecting  bool // stop at the first object that is not a payload
}

// errNotPayload: the first object is JSON but not a subscription payload.
var errNotPayload = errors.New("ingest: not a CloudWatch Logs subscription payload")

// errStop ends a decode early from a sink.
var errStop = errors.New("ingest: stop")

func newPayloadDecoder(sink payloadSink) *payloadDecoder {
	return &payloadDecoder{sink: sink, groups: map[string]bool{}, streams: map[string]bool{}}
}

// maxLayers bounds gzip and base64 wrapped in each other.
const maxLayers = 4

// sniffPayload names the layer that r starts with: "gzip", "base64" (of
// gzip), "json", or "" when it is none of these. It skips a byte-order mark
// and blanks.
func sniffPayload(br *bufio.Reader) string {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return ""
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
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

// decode reads r to its end.
func (d *payloadDecoder) decode(r io.Reader) error { return d.layer(r, 0) }

func (d *payloadDecoder) layer(r io.Reader, depth int) error {
	if depth > maxLayers {
		return d.broke(errors.New("too many layers of gzip and base64"))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	switch sniffPayload(br) {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return d.broke(fmt.Errorf("broken gzip: %w", err))
		}
		return d.layer(zr, depth+1)
	case "base64":
		for {
			blob := &blobReader{br: br}
			err := d.layer(base64.NewDecoder(base64.StdEncoding, blob), depth+1)
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, blob); err != nil { // the rest of a blob that broke
				return fmt.Errorf("ingest: read: %w", err)
			}
			if blob.eof || sniffPayload(br) != "base64" {
				if !blob.eof && sniffPayload(br) != "" {
					return d.broke(errors.New("expected a base64 blob (H4sI...)"))
				}
				return nil
			}
		}
	case "json":
		return d.stream(br)
	}
	if _, err := br.Peek(1); err == io.EOF && depth > 0 {
		return nil // an empty layer
	}
	if d.objects == 0 && d.detecting {
		return errNotPayload
	}
	return d.broke(errors.New("expected a JSON object, gzip or base64 of gzip"))
}

// broke reports a failure to read at the current position.
func (d *payloadDecoder) broke(err error) error {
	if d.detecting {
		return errStop
	}
	return d.sink.broken(d.events+1, d.objects, err)
}

// readError reports a broken read and ends this layer: after a syntax error
// or a truncated stream nothing further can be trusted.
func (d *payloadDecoder) readError(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the object is cut short (truncated file?)")
	}
	return d.stop(fmt.Errorf("object %d: %w", d.objects, err))
}

// errBroken ends a layer whose stream cannot be read further, once reported.
var errBroken = errors.New("ingest: broken payload stream")

// stop reports a failure after which this layer's stream cannot be trusted.
func (d *payloadDecoder) stop(err error) error {
	if err := d.broke(err); err != nil {
		return err
	}
	return errBroken
}

// stream reads concatenated JSON objects up to the end of r or up to what
// cannot be read (the rest of a layer after a syntax error is lost).
func (d *payloadDecoder) stream(r io.Reader) error {
	if err := d.objectsOf(json.NewDecoder(r)); !errors.Is(err, errBroken) {
		return err
	}
	return nil
}

func (d *payloadDecoder) objectsOf(dec *json.Decoder) error {
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			d.objects++
			return d.readError(err)
		}
		d.objects++
		if t != json.Delim('{') {
			return d.stop(fmt.Errorf("object %d: expected a JSON object, found %v", d.objects, t))
		}
		if err := d.object(dec); err != nil {
			return err
		}
	}
}

// object reads one payload object after its '{'. Events stream to the sink
// when the keys before logEvents said the object's type, group and stream
// (AWS's order); otherwise they are held until the object ends.
func (d *payloadDecoder) object(dec *json.Decoder) error {
	var h payloadHeader
	var seenType, seenGroup, seenStream, seenEvents bool
	var held []logEvent
	var heldN []int64
	obj := d.objects
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return d.readError(err)
		}
		key, _ := t.(string)
		switch key {
		case "messageType", "owner", "logGroup", "logStream":
			var s *string
			if err := dec.Decode(&s); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return d.readError(err)
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
			case "owner":
				h.Owner = v
			case "logGroup":
				h.LogGroup, seenGroup = v, true
			case "logStream":
				h.LogStream, seenStream = v, true
			}
		case "logEvents":
			seenEvents = true
			t, err := dec.Token()
			if err != nil {
				return d.readError(err)
			}
			if t == nil {
				continue // "logEvents": null
			}
			if t != json.Delim('[') {
				return d.stop(fmt.Errorf("object %d: logEvents is not a list", obj))
			}
			if d.detecting {
				d.recognized = true
			}
			for dec.More() {
				var e logEvent
				err := dec.Decode(&e)
				d.events++
				if err != nil {
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return d.readError(err)
					}
					if err := d.sink.broken(d.events, obj, fmt.Errorf("object %d, event %d: %s is not %s", obj, d.events, te.Field, te.Type)); err != nil {
						return err
					}
					continue
				}
				if seenType && seenGroup && seenStream {
					if h.MessageType == "DATA_MESSAGE" {
						d.note(&h)
						if err := d.sink.event(d.events, obj, &h, &e); err != nil {
							return err
						}
					}
					continue
				}
				held, heldN = append(held, e), append(heldN, d.events)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return d.readError(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return d.readError(err)
			}
		}
		if obj == 1 && (seenType || seenEvents) {
			d.recognized = true
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return d.readError(err)
	}
	if obj == 1 && !d.recognized && d.detecting {
		return errNotPayload
	}
	switch h.MessageType {
	case "CONTROL_MESSAGE":
		d.control++
		return nil
	case "DATA_MESSAGE", "":
	default:
		return d.sink.broken(d.events+1, obj, fmt.Errorf("object %d: messageType %q is neither DATA_MESSAGE nor CONTROL_MESSAGE", obj, truncate(h.MessageType, 80)))
	}
	if !seenEvents {
		return d.sink.broken(d.events+1, obj, fmt.Errorf("object %d: no logEvents", obj))
	}
	d.note(&h)
	for i := range held {
		if err := d.sink.event(heldN[i], obj, &h, &held[i]); err != nil {
			return err
		}
	}
	return nil
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
	br   *bufio.Reader
	done bool // the blob ended
	eof  bool // ... at the end of the input
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
// payloads: JSON objects whose first one has a messageType or logEvents key,
// plain, gzip or base64 of gzip. The format is --log-format's, or decided by
// the first data message, as for header-less text.
func detectSubscription(d Detected, prefix []byte, o DetectOptions) (Detected, bool, error) {
	br := bufio.NewReader(bytes.NewReader(prefix))
	if sniffPayload(br) == "" {
		return d, false, nil
	}
	var first *string
	dec := newPayloadDecoder(payloadSink{
		event: func(_, _ int64, _ *payloadHeader, e *logEvent) error {
			first = &e.Message
			return errStop
		},
		broken: func(int64, int64, error) error { return nil },
	})
	dec.detecting = true
	err := dec.decode(br)
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
