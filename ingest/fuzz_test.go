package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

func FuzzParseRecord(f *testing.F) {
	for _, l := range v2Lines {
		f.Add(l)
	}
	for _, s := range []string{
		"", "-", "2 123 eni-1 10.0.0.1 10.0.0.2 99999 22 6 1 1 1700000000 1700000060 ACCEPT OK",
		"2 123 eni-1 fe80::1%eth0 10.0.0.2 1 22 6 1 1 1700000000 1700000060 ACCEPT OK",
		"2 123 eni-1 ::ffff:1.2.3.4 10.0.0.2 1 22 6 1 1 4294967296 1700000060 ACCEPT OK",
		"2  123 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1700000000 1700000060 ACCEPT OK\t",
	} {
		f.Add(s)
	}
	fields := DefaultFields()
	f.Fuzz(func(t *testing.T, line string) {
		vals, err := ParseRecord(fields, line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(vals) != len(fields) {
			t.Fatalf("%d values for %d fields", len(vals), len(fields))
		}
		toks := strings.Fields(line)
		for i, v := range vals {
			if (v == nil) != (toks[i] == "-") {
				t.Fatalf("field %s: token %q gave %v", fields[i].Name, toks[i], v)
			}
		}
	})
}

func FuzzDetect(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(v2Header + "\n" + v2Lines[0] + "\n"))
	zw.Close()
	for _, s := range []string{
		v2Header + "\n" + v2Lines[0] + "\n",
		v2Lines[0] + "\n",
		"\ufeff" + v2Lines[0] + "\r\n",
		`{"message":"` + v2Lines[0] + `"}`,
		"2023-11-14T22:13:20.000Z " + v2Lines[0],
		"<html></html>", "", "\n\n", "PAR1xxxx", "[{\"SrcAddr\":\"10.0.0.1\"}]",
		"version colour\n", "\x00\x01", gz.String(), gz.String()[:10],
		`"version","account_id","interface_id","srcaddr","dstaddr","srcport","dstport","protocol","packets","bytes","start","end","action","log_status","date"` +
			"\r\n" + `"2","123456789012","eni-1","10.0.0.1","10.0.0.2","443","22","6","1.0","2.5E1","1700000000","1700000060","ACCEPT","OK","2023-11-14"` + "\r\n",
		"version\taccount-id\tinterface-id\n2\t123\t\n", "version,\"colour\n",
		`{"class_uid":4001,"src_endpoint":{"ip":"10.0.0.1","port":443},"dst_endpoint":{"ip":"10.0.0.2"},"start_time":1700000000000}` + "\n",
		`[{"class_uid":4001,"src_endpoint":{}}]`, `{"class_uid":4001,"src_endpoint":"x"}`,
		"PAR1xxxx\x00\x00class_uid src_endpoint dst_endpoint\x20\x00\x00\x00PAR1",
		lambdaEvent(dataObject(subStream, v2Lines[0])), kinesisEvent(dataObject(subStream, v2Lines[0]), controlObject),
		"\x00garbage\n" + compact(dataObject(subStream, v2Lines[0])), `{"awslogs":{"data":"H4sI`, `{"Records":[{"kinesis":{"data":"`,
		`{"Records":[{"eventSource":"aws:s3","s3":{}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Detect(bytes.NewReader(data), DetectOptions{})
		if err != nil {
			return
		}
		switch d.Shape {
		case ShapeText, ShapeTextHeader, ShapeExport, ShapeJSONMessage, ShapeSubscription, ShapeCSVHeader:
			if len(d.Fields) == 0 {
				t.Fatalf("shape %s without fields", d.Shape)
			}
			if (d.Shape == ShapeCSVHeader) != (d.Delim == "," || d.Delim == "\t") {
				t.Fatalf("shape %s with delimiter %q", d.Shape, d.Delim)
			}
		case ShapeParquet, ShapeJSONRecords, ShapeOCSF:
		default:
			t.Fatalf("unknown shape %q", d.Shape)
		}
		if d.Compression != "none" && d.Compression != "gzip" {
			t.Fatalf("compression %q", d.Compression)
		}
	})
}

func FuzzParseDelimited(f *testing.F) {
	for _, s := range []string{
		`"2","123456789012","eni-1","10.0.0.1","10.0.0.2","443","22","6","1.0","2.5E1","1700000000","1700000060","ACCEPT","OK"`,
		"2,123,eni-1,,,,,,,,1700000000,1700000060,-,NODATA", "2,123,eni-1,10.0.0.1,10.0.0.2,1,2,6,1,25238.5,1,2,ACCEPT,OK",
		`2,"1""2",eni-1,10.0.0.1,10.0.0.2,1,2,6,1,1e400,1,2,ACCEPT,OK`, `"`, "", ",,,,,,,,,,,,,",
	} {
		f.Add(s, true)
		f.Add(strings.ReplaceAll(s, ",", "\t"), false)
	}
	fields := DefaultFields()
	f.Fuzz(func(t *testing.T, line string, comma bool) {
		delim := byte('\t')
		if comma {
			delim = ','
		}
		vals, err := ParseDelimited(fields, delim, line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(vals) != len(fields) {
			t.Fatalf("%d values for %d fields", len(vals), len(fields))
		}
		cells, _ := splitDelimited(line, delim)
		for i, v := range vals {
			absent := cells[i] == "" || cells[i] == "-" || (isInteger(fields[i].Kind) && strings.TrimSpace(cells[i]) == "-")
			if (v == nil) != absent {
				t.Fatalf("field %s: cell %q gave %v", fields[i].Name, cells[i], v)
			}
		}
	})
}

func FuzzParseLogFormat(f *testing.F) {
	for _, s := range []string{
		"${version} ${account-id} ${interface-id}", "version srcaddr", "${version", "${}", "", "${colour}",
		FormatString(DefaultFields()),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseLogFormat(s, false)
		if err != nil {
			return
		}
		again, err := ParseLogFormat(FormatString(fs), false)
		if err != nil || len(again) != len(fs) {
			t.Fatalf("format %q does not round-trip: %v", FormatString(fs), err)
		}
	})
}

// FuzzCorruptedLine: one good file with one corrupted line lands every other
// record; the corrupted line lands if it is still a record, or is the one
// reject, at its physical line number (and it must be a reject when it is
// not text). The fuzzer picks the line, the place and the bytes.
func FuzzCorruptedLine(f *testing.F) {
	for _, s := range []struct {
		line, at uint
		data     string
		header   bool
	}{
		{1, 0, "\x00", true}, {3, 10, "\xff\xfe", true}, {7, 100, "\x1b[31m", false}, {2, 5, " x", false},
		{4, 0, "\x80\x80", true}, {5, 30, "\u009b", true}, {1, 3, "\t", false}, {6, 200, "junk", true},
	} {
		f.Add(s.line, s.at, []byte(s.data), s.header)
	}
	c, err := store.Create(context.Background(), filepath.Join(f.TempDir(), "f.duckdb"), "f", "fuzz", store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	const n = 8
	f.Fuzz(func(t *testing.T, line, at uint, data []byte, header bool) {
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\n"), nil), []byte("\r"), nil) // one line stays one line
		recs := make([]string, n)
		for i := range recs {
			recs[i] = v2Lines[i%len(v2Lines)]
		}
		k := int(line % n)
		if !header && k == 0 {
			k = 1 // the first line of a header-less file is its format
		}
		orig := recs[k]
		pos := int(at % uint(len(orig)+1))
		bad := orig[:pos] + string(data) + orig[pos:]
		recs[k] = bad
		ls := recs
		phys := k + 1
		if header {
			ls = append([]string{v2Header}, recs...)
			phys++
		}
		p := filepath.Join(t.TempDir(), "x.log")
		if err := os.WriteFile(p, []byte(strings.Join(ls, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := Begin(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := in.File(context.Background(), p)
		if r.Status == Duplicate {
			return // the same file came from another input
		}
		if r.Status != Loaded {
			t.Fatalf("line %d %q: status %s: %v", phys, bad, r.Status, r.Err())
		}
		switch {
		case r.Rejected == 0 && r.Records == n && textProblem(bad) == "":
		case r.Rejected == 1 && r.Records == n-1 && r.Rejects[0].Line == int64(phys):
		default:
			t.Fatalf("line %d %q: records %d rejected %d %+v", phys, bad, r.Records, r.Rejected, r.Rejects)
		}
	})
}

// FuzzPayloadDecoder: whatever the bytes, the decoder ends without panic,
// reports events in order with positions that only grow, and a broken input
// costs at most the events after the break: a valid payload with bytes
// appended still gives every one of its events.
func FuzzPayloadDecoder(f *testing.F) {
	good := `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"eni-1-all","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"a"},{"id":"2","timestamp":2,"message":"b"}]}`
	control := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE"}]}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(good))
	zw.Close()
	for _, s := range []string{
		good, good + good, good + "\n" + control, control, "{", "{}", `{"logEvents":null}`, `{"logEvents":[1]}`,
		`{"logEvents":[{"message":2}],"messageType":"DATA_MESSAGE"}`, gz.String(), gz.String() + gz.String(),
		base64.StdEncoding.EncodeToString(gz.Bytes()), "H4sI\nH4sI", "\ufeff" + good, good[:50],
		`{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gz.Bytes()) + `"}}`,
		`{"Records":[{"kinesis":{"data":"` + base64.StdEncoding.EncodeToString(gz.Bytes()) + `"}},{"kinesis":{}}]}`,
		good + "\x00\x01" + good, gz.String() + "junk" + gz.String(),
	} {
		f.Add([]byte(s), []byte("x"))
	}
	f.Fuzz(func(t *testing.T, data, tail []byte) {
		run := func(b []byte) []string {
			var got []string
			last := int64(0)
			d := newPayloadDecoder(payloadSink{
				event: func(n int64, obj string, h *payloadHeader, e *logEvent) error {
					if n <= last || obj == "" {
						t.Fatalf("event %d (object %q) after %d", n, obj, last)
					}
					last = n
					got = append(got, e.Message)
					return nil
				},
				broken: func(n int64, err error, _ []byte) error {
					if err == nil || err.Error() == "" || n < 1 {
						t.Fatalf("broken at %d without a reason: %v", n, err)
					}
					return nil
				},
			})
			if err := d.decode(bytes.NewReader(b)); err != nil {
				t.Fatalf("decode: %v", err)
			}
			return got
		}
		run(data)
		if !bytes.Equal(data, []byte(good)) {
			return
		}
		if got := run(append(append([]byte(nil), data...), tail...)); len(got) < 2 || got[0] != "a" || got[1] != "b" {
			t.Fatalf("a valid payload with %q appended gave %q", tail, got)
		}
	})
}

// FuzzCorruptedPayload: in a file of payloads, one corrupted payload loses
// only its own records: every event of every other payload is read, once
// and in order, whatever the bytes inserted into (or written over) the one,
// in each form a file of payloads takes. The fuzzer picks the form, the
// payload, the place and the bytes. (The damaged payload may spell the
// message of another's event; that one may then be read more than once.)
func FuzzCorruptedPayload(f *testing.F) {
	for _, s := range []struct {
		form      uint8
		k, at     uint
		data      string
		overwrite bool
	}{
		{0, 2, 60, "\x00\x01\xff", false}, {1, 0, 5, "}{", false}, {2, 4, 100, "\n{\"owner\":", false},
		{3, 1, 200, "\"", true}, {4, 3, 0, "<html>", false}, {5, 2, 30, "!!", true}, {6, 1, 250, "]}", true},
		{7, 0, 40, "\x1f\x8b\x08", false}, {1, 2, 1000, "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[", false},
		{0, 3, 10, "{\"awslogs\":{\"data\":\"H4sI", false}, {1, 1, 300, "\\", true}, {8, 2, 100, "\x00", true},
		{2, 2, 325, "0", true}, // msg-2-0 becomes msg-0-0: the damaged payload spells another's event
	} {
		f.Add(s.form, s.k, s.at, []byte(s.data), s.overwrite)
	}
	const n = 5
	f.Fuzz(func(t *testing.T, form uint8, k, at uint, data []byte, overwrite bool) {
		form %= 9
		ki := int(k % n)
		var texts []string
		for i := range n {
			o := dataObject(fmt.Sprintf("eni-%d-all", i), fmt.Sprintf("msg-%d-0", i), fmt.Sprintf("msg-%d-1", i))
			if form == 2 {
				b, _ := json.MarshalIndent(o, "", "  ")
				texts = append(texts, string(b))
			} else {
				texts = append(texts, compact(o))
			}
		}
		damage := func(s string) string {
			pos := int(at % uint(len(s)+1))
			if overwrite {
				return s[:pos] + string(data) + s[min(len(s), pos+len(data)):]
			}
			return s[:pos] + string(data) + s[pos:]
		}
		lambda := func(s string) string {
			return `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gzipBytes(s)) + `"}}`
		}
		damaged := string(data) // the text of the damaged payload
		if form != 6 && form != 8 {
			texts[ki] = damage(texts[ki])
			damaged = texts[ki]
		}
		var file []byte
		switch form {
		case 0, 2: // one per line; pretty-printed
			file = []byte(strings.Join(texts, "\n") + "\n")
		case 1: // concatenated
			file = []byte(strings.Join(texts, ""))
		case 3: // gzip
			file = gzipBytes(strings.Join(texts, "\n"))
		case 4: // a gzip member each
			for _, s := range texts {
				file = append(file, gzipBytes(s)...)
			}
		case 5: // base64 blobs, one a line
			var ls []string
			for _, s := range texts {
				ls = append(ls, base64.StdEncoding.EncodeToString(gzipBytes(s)))
			}
			file = []byte(strings.Join(ls, "\n") + "\n")
		case 6, 7: // Lambda events, one a line: the event itself damaged (6) or its payload (7)
			var ls []string
			for _, s := range texts {
				ls = append(ls, lambda(s))
			}
			if form == 6 {
				ls[ki] = strings.ReplaceAll(damage(ls[ki]), "\n", "")
			}
			file = []byte(strings.Join(ls, "\n") + "\n")
		case 8: // a gzip member each, bytes between two of them
			for i, s := range texts {
				file = append(file, gzipBytes(s)...)
				if i == ki && !bytes.Contains(data, gzipHeader) {
					file = append(file, data...)
				}
			}
		}
		var got []string
		d := newPayloadDecoder(payloadSink{
			event: func(_ int64, _ string, _ *payloadHeader, e *logEvent) error {
				got = append(got, e.Message)
				return nil
			},
			broken: func(_ int64, err error, _ []byte) error {
				if err == nil || err.Error() == "" {
					t.Fatal("a reject without a reason")
				}
				return nil
			},
		})
		if err := d.decode(bytes.NewReader(file)); err != nil {
			t.Fatalf("decode: %v", err)
		}
		var want []string
		for i := range n {
			if i != ki {
				want = append(want, fmt.Sprintf("msg-%d-0", i), fmt.Sprintf("msg-%d-1", i))
			}
		}
		// Each event of the others once, in order; more only as many times as
		// the damaged payload spells that message itself.
		j := 0
		seen := map[string]int{}
		for _, m := range got {
			if !slices.Contains(want, m) {
				continue
			}
			seen[m]++
			if j < len(want) && m == want[j] {
				j++
			} else if seen[m] > 1+strings.Count(damaged, m) || !strings.Contains(damaged, m) {
				t.Fatalf("form %d, payload %d damaged with %q at %d: events %q, want %q", form, ki, data, at, got, want)
			}
		}
		if j < len(want) {
			t.Fatalf("form %d, payload %d damaged with %q at %d: events %q, want %q among them", form, ki, data, at, got, want)
		}
	})
}
