package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// resyncObjects are five payloads of one record each (v2Lines, in order),
// from streams of their own.
func resyncObjects() []subObject {
	var objs []subObject
	for i, l := range v2Lines {
		objs = append(objs, dataObject(fmt.Sprintf("eni-0a1b2c3d4e5f6%04d-all", i), l))
	}
	return objs
}

// payloadForm lays payload texts out as a file does.
type payloadForm struct {
	name   string
	pretty bool                          // the texts are pretty-printed
	gz     bool                          // the file is gzip
	join   func([]string) []byte         // the file
	label  func(k int, at string) string // the reject's start for payload k (0-based) at its place
}

func payloadForms() []payloadForm {
	object := func(k int, at string) string { return fmt.Sprintf("object %d (%s): ", k+1, at) }
	return []payloadForm{
		{"one per line", false, false, func(ps []string) []byte { return []byte(strings.Join(ps, "\n") + "\n") }, object},
		{"concatenated", false, false, func(ps []string) []byte { return []byte(strings.Join(ps, "")) }, object},
		{"pretty-printed", true, false, func(ps []string) []byte { return []byte(strings.Join(ps, "\n")) }, object},
		{"gzip, one per line", false, true, func(ps []string) []byte { return gzipBytes(strings.Join(ps, "\n") + "\n") }, object},
		{"gzip, concatenated", false, true, func(ps []string) []byte { return gzipBytes(strings.Join(ps, "")) }, object},
		{"gzip, a member each", false, true, func(ps []string) []byte {
			var b []byte
			for _, p := range ps {
				b = append(b, gzipBytes(p)...)
			}
			return b
		}, object},
		{"base64 of gzip, a blob a line", false, false, func(ps []string) []byte {
			var ls []string
			for _, p := range ps {
				ls = append(ls, base64.StdEncoding.EncodeToString(gzipBytes(p)))
			}
			return []byte(strings.Join(ls, "\n") + "\n")
		}, func(k int, _ string) string { return fmt.Sprintf("object %d (blob %d (line %d)): ", k+1, k+1, k+1) }},
		{"lambda events, one per line", false, false, func(ps []string) []byte {
			var ls []string
			for _, p := range ps {
				ls = append(ls, `{"awslogs":{"data":"`+base64.StdEncoding.EncodeToString(gzipBytes(p))+`"}}`)
			}
			return []byte(strings.Join(ls, "\n") + "\n")
		}, func(k int, at string) string { return fmt.Sprintf("object %d (%s), awslogs.data: ", k+1, at) }},
	}
}

// place is where text begins in content (gunzipped when gz), as a reject
// names it.
func place(content []byte, gz bool, text string, lambda bool, k int) string {
	if lambda { // the k-th line
		off := 0
		for range k {
			off += bytes.IndexByte(content[off:], '\n') + 1
		}
		return fmt.Sprintf("line %d, byte %d", k+1, off)
	}
	if gz {
		zr, _ := gzip.NewReader(bytes.NewReader(content))
		var b bytes.Buffer
		b.ReadFrom(zr)
		content = b.Bytes()
	}
	off := bytes.Index(content, []byte(text))
	if off < 0 {
		return "" // not to be seen in the file (base64)
	}
	at := fmt.Sprintf("line %d, byte %d", bytes.Count(content[:off], []byte("\n"))+1, off)
	if gz {
		at += " of the gunzipped data"
	}
	return at
}

var ownerKey = regexp.MustCompile(`"owner": ?"123456789012"`)

// corrupt breaks a payload's JSON before its events: binary bytes after its owner.
func corrupt(p string) string { return ownerKey.ReplaceAllString(p, "$0\x00\x01\xff{") }

func payloadTexts(objs []subObject, pretty bool) []string {
	var ps []string
	for _, o := range objs {
		if pretty {
			b, _ := json.MarshalIndent(o, "", "    ")
			ps = append(ps, string(b))
			continue
		}
		ps = append(ps, compact(o))
	}
	return ps
}

// TestSubscriptionCorruptedPayload: of N payloads with one corrupted, at the
// start, in the middle or at the end, the records of the other N-1 land and
// the one is a reject naming it and where it begins; in every form.
func TestSubscriptionCorruptedPayload(t *testing.T) {
	for _, form := range payloadForms() {
		for _, k := range []int{0, 2, 4} {
			t.Run(fmt.Sprintf("%s, payload %d of 5", form.name, k+1), func(t *testing.T) {
				ps := payloadTexts(resyncObjects(), form.pretty)
				ps[k] = corrupt(ps[k])
				content := form.join(ps)
				d, err := Detect(bytes.NewReader(content), DetectOptions{})
				if err != nil || d.Shape != ShapeSubscription {
					t.Fatalf("detected %s: %v", d.Shape, err)
				}
				c := newCase(t)
				r := ingestPaths(t, c, Options{}, writeBytes(t, "payloads", content))[0]
				if r.Status != Loaded || r.Records != 4 || r.Rejected != 1 {
					t.Fatalf("status %s records %d rejected %d %+v: %v", r.Status, r.Records, r.Rejected, r.Rejects, r.Err())
				}
				want := form.label(k, place(content, form.gz, ps[k], strings.HasPrefix(form.name, "lambda"), k))
				rj := r.Rejects[0]
				if !strings.HasPrefix(rj.Reason, want) || !strings.Contains(rj.Reason, `invalid character '\x00'`) || rj.Line != int64(k+1) {
					t.Fatalf("reject %+v, want line %d and %q...", rj, k+1, want)
				}
				var starts string
				if err := c.DB.QueryRow(`SELECT string_agg(CAST(epoch(start)::BIGINT - 1700000000 AS VARCHAR), ' ' ORDER BY start) FROM flows`).Scan(&starts); err != nil {
					t.Fatal(err)
				}
				wantStarts := strings.Fields("0 60 120 180 240")
				wantStarts = append(wantStarts[:k:k], wantStarts[k+1:]...)
				if starts != strings.Join(wantStarts, " ") {
					t.Fatalf("records starting %s, want %s", starts, strings.Join(wantStarts, " "))
				}
			})
		}
	}
}

// gzipFlushed is gzip of the texts with a flush after each, as a writer
// that is still writing leaves it, and the length of the stream up to the
// flush after each text.
func gzipFlushed(texts []string) ([]byte, []int) {
	var b bytes.Buffer
	var ends []int
	zw := gzip.NewWriter(&b)
	for _, s := range texts {
		zw.Write([]byte(s))
		zw.Flush()
		ends = append(ends, b.Len())
	}
	zw.Close()
	return b.Bytes(), ends
}

// TestSubscriptionResync: bytes that are not a payload between payloads, a
// payload cut short by the next, and a file cut short in its last payload (a
// crash while Firehose wrote it) cost only themselves.
func TestSubscriptionResync(t *testing.T) {
	ps := payloadTexts(resyncObjects(), false)
	garbage := "\x00\x01binary\xff\xfe garbage\x1b[0m"
	var members []byte
	var memberEnds []int
	for _, p := range ps {
		members = append(members, gzipBytes(p)...)
		memberEnds = append(memberEnds, len(members))
	}
	withGap := append(append(append([]byte(nil), members[:memberEnds[1]]...), garbage...), members[memberEnds[1]:]...)
	brokenMember := append([]byte(nil), members...)
	brokenMember[memberEnds[1]+10] = 0x07 // payload 3's first deflate block: type 3, which does not exist
	flushed, flushEnds := gzipFlushed(ps)
	cutShort := ps[2][:len(ps[2])-25] // inside its one event

	tests := []struct {
		name    string
		content []byte
		records int64
		reasons []string
	}{
		{"garbage line between payloads", []byte(lines(ps[0], ps[1], garbage, ps[2], ps[3], ps[4])), 5,
			[]string{fmt.Sprintf("line 3, byte %d: not a payload: invalid character '\\x00' looking for beginning of value", len(ps[0])+len(ps[1])+2)}},
		{"garbage between concatenated payloads", []byte(ps[0] + ps[1] + garbage + ps[2] + ps[3] + ps[4]), 5,
			[]string{fmt.Sprintf("line 1, byte %d: not a payload", len(ps[0])+len(ps[1]))}},
		{"garbage in gzip", gzipBytes(ps[0] + "\n" + garbage + "\n" + ps[1] + ps[2] + ps[3] + ps[4]), 5,
			[]string{fmt.Sprintf("line 2, byte %d of the gunzipped data: not a payload", len(ps[0])+1)}},
		{"garbage before the first payload", []byte(garbage + "\n" + lines(ps...)), 5,
			[]string{"line 1, byte 0: not a payload"}},
		{"garbage between gzip members", withGap, 5,
			[]string{fmt.Sprintf("%d bytes at byte %d of the file are not gzip data (between gzip members); skipped", len(garbage), memberEnds[1])}},
		{"garbage after the last gzip member", append(append([]byte(nil), members...), garbage...), 5,
			[]string{fmt.Sprintf("%d bytes at byte %d of the file are not gzip data (after the last gzip member)", len(garbage), len(members))}},
		{"a broken gzip member", brokenMember, 4,
			[]string{fmt.Sprintf("line 1, byte %d of the gunzipped data: broken gzip data in the member at byte %d of the file (flate: corrupt input", len(ps[0])+len(ps[1]), memberEnds[1])}},
		{"a payload cut short by the next", []byte(ps[0] + ps[1] + cutShort + ps[3] + ps[4]), 4,
			[]string{fmt.Sprintf("object 3 (line 1, byte %d): the payload ends before its closing brace, where the next one begins (line 1)", len(ps[0])+len(ps[1]))}},
		{"two corrupted payloads in a row", []byte(lines(ps[0], corrupt(ps[1]), corrupt(ps[2]), ps[3], ps[4])), 3,
			[]string{"object 2 (line 2, ", "object 3 (line 3, "}},
		{"truncated in the last payload", []byte(lines(ps...)[:len(lines(ps...))-40]), 4,
			[]string{fmt.Sprintf("object 5 (line 5, byte %d): the object is cut short (truncated file?)", len(lines(ps[:4]...)))}},
		{"truncated gzip in the last payload", flushed[:flushEnds[3]+(flushEnds[4]-flushEnds[3])/2], 4,
			[]string{fmt.Sprintf("object 5 (line 1, byte %d of the gunzipped data): the gzip data ends inside the member at byte 0 of the file (the file was cut short", len(strings.Join(ps[:4], "")))}},
		{"truncated last gzip member", members[:memberEnds[4]-30], 4,
			[]string{fmt.Sprintf("object 5 (line 1, byte %d of the gunzipped data): the gzip data ends inside the member at byte %d of the file", len(strings.Join(ps[:4], "")), memberEnds[3])}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := Detect(bytes.NewReader(tt.content), DetectOptions{}); err != nil || d.Shape != ShapeSubscription {
				t.Fatalf("detected %s: %v", d.Shape, err)
			}
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeBytes(t, "payloads", tt.content))[0]
			if r.Status != Loaded || r.Records != tt.records || r.Rejected != int64(len(tt.reasons)) {
				t.Fatalf("status %s records %d rejected %d %+v: %v", r.Status, r.Records, r.Rejected, r.Rejects, r.Err())
			}
			for i, want := range tt.reasons {
				if !strings.HasPrefix(r.Rejects[i].Reason, want) {
					t.Errorf("reject %d: %q, want %q...", i, r.Rejects[i].Reason, want)
				}
			}
			if n := queryInt(t, c, `SELECT count(*) FROM rejects`); n != int64(len(tt.reasons)) {
				t.Errorf("rejects table has %d rows", n)
			}
		})
	}
	// The reject of bytes that are not a payload keeps them, safe to show.
	c := newCase(t)
	ingestPaths(t, c, Options{}, writeFile(t, "p", lines(ps[0], garbage, ps[1])))
	var line int64
	var raw string
	if err := c.DB.QueryRow(`SELECT line, raw FROM rejects`).Scan(&line, &raw); err != nil || line != 2 || !strings.HasPrefix(raw, `\x00\x01binary\xff\xfe garbage\x1b[0m`) {
		t.Fatalf("reject line %d raw %q: %v", line, raw, err)
	}
}
