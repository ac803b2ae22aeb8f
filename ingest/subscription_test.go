package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

// The fixtures follow the examples of AWS's CloudWatch Logs documentation
// ("Using subscription filters"): a DATA_MESSAGE per batch of events, and the
// CONTROL_MESSAGE that checks the destination is reachable.

const subStream = "eni-0a1b2c3d4e5f60001-all"

type subEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

type subObject struct {
	MessageType         string     `json:"messageType"`
	Owner               string     `json:"owner"`
	LogGroup            string     `json:"logGroup"`
	LogStream           string     `json:"logStream"`
	SubscriptionFilters []string   `json:"subscriptionFilters"`
	LogEvents           []subEvent `json:"logEvents"`
}

func dataObject(stream string, msgs ...string) subObject {
	o := subObject{MessageType: "DATA_MESSAGE", Owner: "123456789012", LogGroup: "/vpc/flows", LogStream: stream,
		SubscriptionFilters: []string{"flows-to-firehose"}}
	for i, m := range msgs {
		o.LogEvents = append(o.LogEvents, subEvent{ID: fmt.Sprintf("3195310660696698337880902507980421114328961542429822%04d", i),
			Timestamp: 1700000000000 + int64(i)*1000, Message: m})
	}
	return o
}

var controlObject = subObject{MessageType: "CONTROL_MESSAGE", Owner: "CloudwatchLogs", SubscriptionFilters: []string{},
	LogEvents: []subEvent{{ID: "", Timestamp: 1700000000000, Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}}}

// subObjects are the five v2Lines in two data messages from two streams, with a control message between.
func subObjects() []subObject {
	return []subObject{
		dataObject(subStream, v2Lines[:3]...),
		controlObject,
		dataObject("eni-0a1b2c3d4e5f60002-all", v2Lines[3:]...),
	}
}

func compact(o subObject) string {
	b, _ := json.Marshal(o)
	return string(b)
}

func gzipBytes(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func joinObjects(os []subObject, sep string) string {
	var parts []string
	for _, o := range os {
		parts = append(parts, compact(o))
	}
	return strings.Join(parts, sep)
}

func writeBytes(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSubscriptionPayloads(t *testing.T) {
	objs := subObjects()
	var pretty []string
	for _, o := range objs {
		b, _ := json.MarshalIndent(o, "", "    ")
		pretty = append(pretty, string(b))
	}
	var multi []byte
	var blobs []string
	for _, o := range objs {
		gz := gzipBytes(compact(o))
		multi = append(multi, gz...)
		blobs = append(blobs, base64.StdEncoding.EncodeToString(gz))
	}
	wrapped := base64.StdEncoding.EncodeToString(gzipBytes(joinObjects(objs, "")))
	var w strings.Builder
	for len(wrapped) > 76 {
		w.WriteString(wrapped[:76] + "\n")
		wrapped = wrapped[76:]
	}
	w.WriteString(wrapped + "\n")
	// Keys in another order than AWS's (a tool that sorts them): events come before their stream.
	sorted := func() string {
		var out []string
		for _, o := range objs {
			b, _ := json.Marshal(o)
			var m map[string]any
			json.Unmarshal(b, &m)
			s, _ := json.Marshal(m) // maps marshal with sorted keys: logEvents first
			out = append(out, string(s))
		}
		return strings.Join(out, "\n")
	}()

	tests := []struct {
		name    string
		content []byte
		gz      bool
		control int64
	}{
		{"one object per file", []byte(compact(dataObject(subStream, v2Lines...))), false, 0},
		{"one per line", []byte(joinObjects(objs, "\n") + "\n"), false, 1},
		{"pretty-printed", []byte(strings.Join(pretty, "\n")), false, 1},
		{"concatenated without separator", []byte(joinObjects(objs, "")), false, 1},
		{"gzip", gzipBytes(joinObjects(objs, "")), true, 1},
		{"multistream gzip", multi, true, 1},
		{"base64 of gzip, one blob per line", []byte(strings.Join(blobs, "\n") + "\n"), false, 1},
		{"base64 of gzip, one wrapped blob", []byte(w.String()), false, 1},
		{"base64 of gzip in gzip", gzipBytes(strings.Join(blobs, "\r\n")), true, 1},
		{"keys sorted", []byte(sorted), false, 1},
		{"BOM and blank lines", []byte("\ufeff\n\n" + joinObjects(objs, "\n\n")), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeBytes(t, "payload", tt.content))[0]
			if r.Status != Loaded {
				t.Fatalf("status %s: %v", r.Status, r.Err())
			}
			if r.Shape != ShapeSubscription || (r.Compression == "gzip") != tt.gz {
				t.Errorf("shape %s/%s, want %s gzip=%v", r.Shape, r.Compression, ShapeSubscription, tt.gz)
			}
			if r.Records != 5 || r.Rejected != 0 || r.ControlMessages != tt.control {
				t.Fatalf("records %d rejected %d control %d (%v), want 5, 0, %d", r.Records, r.Rejected, r.ControlMessages, r.Rejects, tt.control)
			}
			checkV2Values(t, c)
			if !slices.Equal(r.LogGroups, []string{"/vpc/flows"}) {
				t.Errorf("log groups %q", r.LogGroups)
			}
			var groups, streams string
			var control int64
			if err := c.DB.QueryRow(`SELECT array_to_string(log_groups, ','), array_to_string(log_streams, ','), control_messages, shape FROM ingest_files`).
				Scan(&groups, &streams, &control, new(string)); err != nil {
				t.Fatal(err)
			}
			wantStreams := subStream + ",eni-0a1b2c3d4e5f60002-all"
			if tt.name == "one object per file" {
				wantStreams = subStream
			}
			if groups != "/vpc/flows" || streams != wantStreams || control != tt.control {
				t.Errorf("manifest: groups %q streams %q control %d", groups, streams, control)
			}
			if got := r.Report()[0]; !strings.Contains(got, "(cloudwatch-subscription") {
				t.Errorf("report %q", got)
			}
		})
	}
}

// TestSubscriptionStreamNamesTheInterface: a custom format without
// interface-id (subscriptions carry no header) takes it from the log stream.
func TestSubscriptionStreamNamesTheInterface(t *testing.T) {
	format := "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ${flow-direction}"
	objs := []subObject{
		dataObject(subStream, "5 10.0.1.5 203.0.113.9 50000 443 6 1700000000 1700000060 ACCEPT egress"),
		dataObject("eni-0a1b2c3d4e5f60002-reject", "5 198.51.100.7 10.0.1.6 49152 22 6 1700000000 1700000060 REJECT ingress"),
		dataObject("not-an-eni-stream", "5 198.51.100.8 10.0.1.6 49153 22 6 1700000000 1700000060 REJECT ingress"),
	}
	p := writeBytes(t, "payload", gzipBytes(joinObjects(objs, "")))

	c := newCase(t)
	r := ingestPaths(t, c, Options{}, p)[0]
	if r.Status != Refused || !strings.Contains(r.Error, "--log-format") {
		t.Fatalf("without --log-format: %s %q", r.Status, r.Error)
	}
	r = ingestPaths(t, c, Options{LogFormat: mustFormat(t, format)}, p)[0]
	if r.Status != Loaded || r.Records != 3 || r.Rejected != 0 {
		t.Fatalf("%+v", r)
	}
	for addr, eni := range map[string]string{"10.0.1.5": "eni-0a1b2c3d4e5f60001", "198.51.100.7": "eni-0a1b2c3d4e5f60002"} {
		if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE srcaddr = ? AND interface_id = ? AND flow_direction IS NOT NULL`, addr, eni); n != 1 {
			t.Errorf("%s: interface id %s not taken from the stream", addr, eni)
		}
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE srcaddr = '198.51.100.8' AND interface_id IS NULL`); n != 1 {
		t.Error("a stream not named after an interface gave an interface id")
	}
	// A format that has interface-id keeps the record's own.
	c = newCase(t)
	own := strings.Replace(v2Lines[0], "eni-0a1b2c3d4e5f60001", "eni-00000000000000009", 1)
	r = ingestPaths(t, c, Options{}, writeFile(t, "p", compact(dataObject(subStream, own))))[0]
	if r.Records != 1 || queryInt(t, c, `SELECT count(*) FROM flows WHERE interface_id = 'eni-00000000000000009'`) != 1 {
		t.Fatalf("the record's own interface id was replaced: %+v", r)
	}
}

// TestSubscriptionRejects: a bad message, a bad event and an object cut short
// are rejects; every good event lands.
func TestSubscriptionRejects(t *testing.T) {
	bad := "2 123456789012 eni-1 10.0.0.1 10.0.0.2 99999 22 6 1 1 1700000000 1700000060 ACCEPT OK"
	objs := []subObject{
		dataObject(subStream, v2Lines[0], bad, v2Lines[1]),
		dataObject(subStream, v2Lines[2], v2Lines[3]),
	}
	concatenated := joinObjects(objs, "")
	full := concatenated + compact(dataObject(subStream, v2Lines[4], v2Lines[0]))
	cut := full[:len(full)-len(`"}]}`)-20] // Firehose's file cut short inside the last object's second event

	tests := []struct {
		name     string
		content  []byte
		records  int64
		rejected int64
		reasons  []string
	}{
		{"bad message", []byte(concatenated), 4, 1, []string{`object 1, event 2 (id 31953106606966983378809025079804211143289615424298220001): srcport: "99999" is not a port (0-65535)`}},
		{"truncated last object", []byte(cut), 5, 2, []string{"srcport", "object 3 (line 1, byte 1382): the object is cut short (truncated file?)"}},
		{"truncated gzip", gzipBytes(cut)[:len(gzipBytes(cut))-12], 5, 2, []string{"srcport", "object 3 (line 1, byte 1382 of the gunzipped data): the gzip data ends inside the member at byte 0 of the file"}},
		{"event that is not an event", []byte(strings.Replace(concatenated, `"message":"`+v2Lines[3]+`"`, `"message":42`, 1)), 3, 2, []string{"srcport", "object 2, event 5: message is not string"}},
		{"unknown message type", []byte(strings.Replace(concatenated, `"DATA_MESSAGE"`, `"DATA_MESSAGES"`, 1)), 2, 1, []string{`object 1 (line 1, byte 0): messageType "DATA_MESSAGES"`}},
		{"garbage after the objects", []byte(concatenated + "\n<html>"), 4, 2, []string{"srcport", "line 2, byte 1383: not a payload: invalid character '<'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeBytes(t, "payload", tt.content))[0]
			if r.Status != Loaded || r.Records != tt.records || r.Rejected != tt.rejected {
				t.Fatalf("status %s records %d rejected %d (%v), want %d and %d: %v", r.Status, r.Records, r.Rejected, r.Rejects, tt.records, tt.rejected, r.Err())
			}
			for i, want := range tt.reasons {
				if i >= len(r.Rejects) || !strings.Contains(r.Rejects[i].Reason, want) {
					t.Errorf("reject %d: %+v, want %q", i, r.Rejects, want)
				}
			}
			if n := queryInt(t, c, `SELECT count(*) FROM rejects`); n != tt.rejected {
				t.Errorf("rejects table has %d rows", n)
			}
			if lines := r.Report(); len(lines) < 2 || !strings.HasPrefix(lines[1], "  object ") {
				t.Errorf("report %q", lines)
			}
		})
	}
	// The reject keeps the message as its raw text, at the event's position.
	c := newCase(t)
	ingestPaths(t, c, Options{}, writeFile(t, "p", concatenated))
	var line int64
	var raw string
	if err := c.DB.QueryRow(`SELECT line, raw FROM rejects`).Scan(&line, &raw); err != nil || line != 2 || raw != bad {
		t.Fatalf("reject line %d raw %q: %v", line, raw, err)
	}
}

func TestSubscriptionReingestAddsNothing(t *testing.T) {
	c := newCase(t)
	p := writeBytes(t, "payload.gz", gzipBytes(joinObjects(subObjects(), "")))
	rs := ingestPaths(t, c, Options{}, p, p)
	rs = append(rs, ingestPaths(t, c, Options{}, p)...)
	if rs[0].Status != Loaded || rs[1].Status != Duplicate || rs[2].Status != Duplicate {
		t.Fatalf("statuses %s %s %s", rs[0].Status, rs[1].Status, rs[2].Status)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 5 {
		t.Fatalf("flows = %d", n)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 1 {
		t.Fatalf("manifest has %d files", n)
	}
}

// TestSubscriptionDetection: payloads are told from content, and the shapes
// around them are detected as before.
func TestSubscriptionDetection(t *testing.T) {
	tests := []struct {
		name    string
		content string
		shape   Shape
	}{
		{"payload", compact(dataObject(subStream, v2Lines...)), ShapeSubscription},
		{"control message only", compact(controlObject), ShapeSubscription},
		{"messageType not first", `{"owner":"1","messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[]}`, ShapeSubscription},
		{"logEvents alone", `{"logEvents":[{"message":"` + v2Lines[0] + `"}]}`, ShapeSubscription},
		{"json message", `{"id":"1","timestamp":1700000000000,"message":"` + v2Lines[0] + `"}`, ShapeJSONMessage},
		{"json message with a header", `{"message":"` + v2Header + `"}` + "\n", ShapeJSONMessage},
		{"json records", `{"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2"}`, ShapeJSONRecords},
		{"json records list", `[{"srcaddr":"10.0.0.1"}]`, ShapeJSONRecords},
		{"text", v2Lines[0], ShapeText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Detect(strings.NewReader(tt.content), DetectOptions{})
			if err != nil || d.Shape != tt.shape {
				t.Fatalf("shape %s, %v; want %s", d.Shape, err, tt.shape)
			}
		})
	}
	// The first message decides the format, as for header-less text.
	_, err := Detect(strings.NewReader(compact(dataObject(subStream, "5 10.0.0.1 10.0.0.2"))), DetectOptions{})
	var fn *FormatNeededError
	if !errors.As(err, &fn) || fn.Count != 3 {
		t.Fatalf("custom format without --log-format: %v", err)
	}
}

// The manifest's new columns are NULL for other shapes.
func TestSubscriptionColumnsNullForOtherShapes(t *testing.T) {
	c := newCase(t)
	ingestPaths(t, c, Options{}, writeFile(t, "a.txt", lines(v2Lines...)))
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files WHERE log_groups IS NULL AND log_streams IS NULL AND control_messages IS NULL`); n != 1 {
		t.Fatal("subscription columns set for a text file")
	}
}

// subBenchFile writes n events in the default format as Firehose writes a
// subscription to S3: gzip of concatenated objects of 1,000 events each.
func subBenchFile(b *testing.B, n int) string {
	b.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := 0; i < n; i += 1000 {
		var msgs []string
		for j := i; j < min(i+1000, n); j++ {
			msgs = append(msgs, fmt.Sprintf("2 123456789012 eni-%08x 10.0.%d.%d 198.51.%d.%d %d 443 6 %d %d %d %d ACCEPT OK",
				j%7, j%250, j%200, j%100, j%250, 1024+j%60000, 1+j%90, 60+j%9000, 1700000000+j, 1700000060+j))
		}
		zw.Write([]byte(compact(dataObject(subStream, msgs...))))
	}
	zw.Close()
	p := filepath.Join(b.TempDir(), "firehose.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkIngestSubscription(b *testing.B) {
	const n = 100_000
	path := subBenchFile(b, n)
	for b.Loop() {
		b.StopTimer()
		c, err := store.Create(context.Background(), filepath.Join(b.TempDir(), "b.duckdb"), "b", "bench", store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		in, _ := Begin(context.Background(), c, Options{})
		b.StartTimer()
		r := in.File(context.Background(), path)
		b.StopTimer()
		if r.Records != n {
			b.Fatalf("%+v", r)
		}
		c.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPayloadDecoder is the decoder alone: gunzip, JSON, events.
func BenchmarkPayloadDecoder(b *testing.B) {
	const n = 100_000
	data, err := os.ReadFile(subBenchFile(b, n))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		events := 0
		d := newPayloadDecoder(payloadSink{
			event:  func(int64, string, *payloadHeader, *logEvent) error { events++; return nil },
			broken: func(_ int64, err error, _ []byte) error { b.Fatal(err); return nil },
		})
		if err := d.decode(bytes.NewReader(data)); err != nil || events != n {
			b.Fatal(events, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// lambdaEvent is the event Lambda is invoked with by a subscription filter:
// the payload as base64 of gzip in awslogs.data (AWS's "Using CloudWatch
// Logs subscription filters", the Lambda example).
func lambdaEvent(o subObject) string {
	return `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gzipBytes(compact(o))) + `"}}`
}

// kinesisEvent is the event Lambda gets from a Kinesis Data Streams trigger
// on the stream a subscription filter writes to: a record per payload, the
// payload as base64 of gzip in kinesis.data (AWS Lambda's "Using Lambda with
// Kinesis Data Streams" example event).
func kinesisEvent(objs ...subObject) string {
	type kinesis struct {
		SchemaVersion  string  `json:"kinesisSchemaVersion"`
		PartitionKey   string  `json:"partitionKey"`
		SequenceNumber string  `json:"sequenceNumber"`
		Data           string  `json:"data"`
		Arrival        float64 `json:"approximateArrivalTimestamp"`
	}
	type record struct {
		Kinesis        kinesis `json:"kinesis"`
		EventSource    string  `json:"eventSource"`
		EventVersion   string  `json:"eventVersion"`
		EventID        string  `json:"eventID"`
		EventName      string  `json:"eventName"`
		InvokeIdentity string  `json:"invokeIdentityArn"`
		AWSRegion      string  `json:"awsRegion"`
		EventSourceARN string  `json:"eventSourceARN"`
	}
	var ev struct {
		Records []record `json:"Records"`
	}
	for i, o := range objs {
		seq := fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i)
		ev.Records = append(ev.Records, record{
			Kinesis:     kinesis{"1.0", "3c6b2a1e0f9d8c7b6a5f4e3d2c1b0a99", seq, base64.StdEncoding.EncodeToString(gzipBytes(compact(o))), 1700000061.123},
			EventSource: "aws:kinesis", EventVersion: "1.0", EventID: "shardId-000000000000:" + seq, EventName: "aws:kinesis:record",
			InvokeIdentity: "arn:aws:iam::123456789012:role/flows-lambda", AWSRegion: "us-east-1",
			EventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/vpc-flows",
		})
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

// TestSubscriptionLambdaEvents: the events Lambda gets (awslogs.data, and
// the records of a Kinesis trigger) are told from content and load as the
// payloads they wrap.
func TestSubscriptionLambdaEvents(t *testing.T) {
	objs := subObjects()
	var events []string
	for _, o := range objs {
		events = append(events, lambdaEvent(o))
	}
	pretty := func(s string) string {
		var v any
		json.Unmarshal([]byte(s), &v)
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	}
	tests := []struct {
		name    string
		content []byte
		gz      bool
		control int64
		streams string
	}{
		{"one per file", []byte(lambdaEvent(dataObject(subStream, v2Lines...))), false, 0, subStream},
		{"one per line", []byte(strings.Join(events, "\n") + "\n"), false, 1, ""},
		{"concatenated", []byte(strings.Join(events, "")), false, 1, ""},
		{"pretty-printed", []byte(pretty(events[0]) + "\n" + pretty(events[1]) + "\n" + pretty(events[2])), false, 1, ""},
		{"gzip", gzipBytes(strings.Join(events, "\n")), true, 1, ""},
		{"kinesis event", []byte(kinesisEvent(objs...)), false, 1, ""},
		{"kinesis events one per line", []byte(kinesisEvent(objs[:2]...) + "\n" + kinesisEvent(objs[2:]...) + "\n"), false, 1, ""},
		{"kinesis event pretty-printed, gzip", gzipBytes(pretty(kinesisEvent(objs...))), true, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Detect(bytes.NewReader(tt.content), DetectOptions{})
			if err != nil || d.Shape != ShapeSubscription {
				t.Fatalf("detected %s: %v", d.Shape, err)
			}
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeBytes(t, "event.json", tt.content))[0]
			if r.Status != Loaded || r.Shape != ShapeSubscription || (r.Compression == "gzip") != tt.gz {
				t.Fatalf("status %s shape %s/%s: %v", r.Status, r.Shape, r.Compression, r.Err())
			}
			if r.Records != 5 || r.Rejected != 0 || r.ControlMessages != tt.control {
				t.Fatalf("records %d rejected %d control %d (%v)", r.Records, r.Rejected, r.ControlMessages, r.Rejects)
			}
			checkV2Values(t, c)
			want := tt.streams
			if want == "" {
				want = subStream + ",eni-0a1b2c3d4e5f60002-all"
			}
			var groups, streams string
			if err := c.DB.QueryRow(`SELECT array_to_string(log_groups, ','), array_to_string(log_streams, ',') FROM ingest_files`).Scan(&groups, &streams); err != nil {
				t.Fatal(err)
			}
			if groups != "/vpc/flows" || streams != want {
				t.Errorf("manifest: groups %q streams %q", groups, streams)
			}
		})
	}
}

// TestSubscriptionLambdaRejects: what is wrong inside a Lambda event is a
// reject naming the event (and the Kinesis record); the rest lands.
func TestSubscriptionLambdaRejects(t *testing.T) {
	bad := "2 123456789012 eni-1 10.0.0.1 10.0.0.2 99999 22 6 1 1 1700000000 1700000060 ACCEPT OK"
	good := []string{lambdaEvent(dataObject(subStream, v2Lines[:2]...)), lambdaEvent(dataObject(subStream, v2Lines[2:]...))}
	tests := []struct {
		name     string
		content  string
		records  int64
		rejected int64
		reason   string
	}{
		{"bad message", lambdaEvent(dataObject(subStream, v2Lines[0], bad)) + "\n" + good[1], 4, 1,
			`object 1, event 2 (id 31953106606966983378809025079804211143289615424298220001): srcport: "99999" is not a port`},
		{"data not base64", good[0] + "\n" + `{"awslogs":{"data":"H4sI!!!!"}}` + "\n" + good[1], 5, 1,
			`object 2 (line 2, byte 472), awslogs.data: not base64: illegal base64 data at input byte 4`},
		{"data not gzip", good[0] + "\n" + `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"}}` + "\n" + good[1], 5, 1,
			`object 2 (line 2, byte 472), awslogs.data: not base64 of gzip`},
		{"data broken inside", good[0] + "\n" + `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gzipBytes(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":`)) + `"}}` + "\n" + good[1], 5, 1,
			`object 2 (line 2, byte 472), awslogs.data: the object is cut short`},
		{"awslogs without data", good[0] + "\n" + `{"awslogs":{}}` + "\n" + good[1], 5, 1, `object 2 (line 2, byte 472): awslogs has no data`},
		{"kinesis record of something else", strings.Replace(kinesisEvent(dataObject(subStream, v2Lines[:2]...), dataObject(subStream, v2Lines[2:]...)),
			`{"kinesis":`, `{"dynamodb":`, 1), 3, 1, `object 1 (line 1, byte 0), record 1: not a Kinesis record (no kinesis.data)`},
		{"kinesis record data broken", strings.Replace(kinesisEvent(dataObject(subStream, v2Lines[:2]...), dataObject(subStream, v2Lines[2:]...)),
			`"data":"H4sI`, `"data":"H4sJ`, 1), 3, 1, `object 1 (line 1, byte 0), record 1, kinesis.data: 336 bytes are not gzip data (a gzip member was expected); skipped`},
		{"truncated", good[0] + "\n" + good[1][:200], 2, 1, `object 2 (line 2, byte 472), awslogs.data: the gzip data ends inside the member`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeFile(t, "events.json", tt.content))[0]
			if r.Status != Loaded || r.Records != tt.records || r.Rejected != tt.rejected {
				t.Fatalf("status %s records %d rejected %d (%+v): %v", r.Status, r.Records, r.Rejected, r.Rejects, r.Err())
			}
			if !strings.Contains(r.Rejects[0].Reason, tt.reason) {
				t.Errorf("reason %q, want %q", r.Rejects[0].Reason, tt.reason)
			}
		})
	}
}

// TestSubscriptionLambdaDetection: a Lambda event whose data is longer than
// what detection reads still shows its first message (the format comes from
// it), and JSON with a Records list of another kind is not payloads.
func TestSubscriptionLambdaDetection(t *testing.T) {
	format := "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ${flow-direction}"
	var msgs []string
	for i := range 6000 {
		msgs = append(msgs, fmt.Sprintf("5 10.%d.%d.%d 198.51.%d.%d %d 443 6 %d %d ACCEPT egress",
			i*7%256, i*13%256, i*31%256, i*17%256, i*3%256, 1024+i*7919%60000, 1700000000+i*37%9000, 1700000060+i*37%9000))
	}
	big := lambdaEvent(dataObject(subStream, msgs...))
	if len(big) < 2*sniffSize {
		t.Fatalf("the event is %d bytes, not longer than detection reads", len(big))
	}
	_, err := Detect(strings.NewReader(big), DetectOptions{})
	var fn *FormatNeededError
	if !errors.As(err, &fn) || fn.Count != 10 {
		t.Fatalf("without --log-format: %v", err)
	}
	c := newCase(t)
	r := ingestPaths(t, c, Options{LogFormat: mustFormat(t, format)}, writeFile(t, "big.json", big))[0]
	if r.Status != Loaded || r.Records != 6000 || r.Rejected != 0 {
		t.Fatalf("%+v", r)
	}
	for _, tc := range []struct {
		name, content string
		shape         Shape
	}{
		{"s3 event notification", `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, ShapeJSONRecords},
		{"awslogs", `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gzipBytes(compact(dataObject(subStream, v2Lines[0])))) + `"}}`, ShapeSubscription},
		{"array of payloads", `[` + compact(dataObject(subStream, v2Lines[0])) + `]`, ShapeJSONRecords},
	} {
		d, err := Detect(strings.NewReader(tc.content), DetectOptions{})
		if err != nil || d.Shape != tc.shape {
			t.Errorf("%s: shape %s, %v; want %s", tc.name, d.Shape, err, tc.shape)
		}
	}
}
