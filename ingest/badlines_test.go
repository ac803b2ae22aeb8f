package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// garbage is every kind of bad line a text flow log meets in the wild.
var garbage = []struct {
	name, line string
	records    int64  // records the bad line itself still holds
	reason     string // part of the reject's reason
}{
	{name: "NUL bytes", line: "\x00\x00\x00\x00", reason: "NUL byte"},
	{name: "NUL inside a value", line: strings.Replace(v2Lines[1], "eni-", "eni-\x00", 1), reason: "NUL byte"},
	{name: "random binary", line: randomBinary(300), reason: "not text"},
	{name: "invalid UTF-8", line: strings.Replace(v2Lines[1], "eni-", "eni-\xff\xfe", 1), reason: "invalid UTF-8"},
	{name: "lone continuation bytes", line: "\x80\x81\x82 \xbf", reason: "invalid UTF-8"},
	{name: "UTF-8 sequence cut at the end", line: v2Lines[1] + "\xe2\x82", reason: "invalid UTF-8"},
	{name: "ANSI escapes around a record", line: "\x1b[31m" + v2Lines[1] + "\x1b[0m", reason: "escape character"},
	{name: "ANSI escape inside a value", line: strings.Replace(v2Lines[1], "eni-", "\x1b[1meni-", 1), reason: "escape character"},
	{name: "control characters", line: strings.Replace(v2Lines[1], "eni-", "eni-\x07\x08", 1), reason: "control character 0x07"},
	{name: "DEL", line: strings.Replace(v2Lines[1], "123456789012", "1234\x7f56789012", 1), reason: "control character 0x7f"},
	{name: "C1 control character", line: strings.Replace(v2Lines[1], "eni-", "eni-\u009b1m", 1), reason: "U+009B"},
	{name: "CR-only line end", line: "downloading 45%\r" + v2Lines[1], records: 1, reason: "expected 14 fields, found 2"},
	{name: "very long line", line: strings.Repeat("x", maxLine+100), reason: "longer than 2000000 bytes"},
	{name: "a line of a different shape", line: "Phony unsupported log format.", reason: "expected 14 fields, found 4"},
	{name: "an HTML line", line: "<html><body>502 Bad Gateway</body></html>", reason: "expected 14 fields, found 3"},
	{name: "too many fields", line: v2Lines[1] + " 17", reason: "expected 14 fields, found 15"},
}

// randomBinary is n bytes of noise without line ends.
func randomBinary(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		for b[i] = byte(r.UintN(256)); b[i] == '\n' || b[i] == '\r'; b[i] = byte(r.UintN(256)) {
		}
	}
	b[0] = 0 // noise starts binary
	return string(b)
}

// TestBadLineIsAReject: a text flow log with one bad line, wherever it is and
// whatever it holds, lands every good line and rejects the bad one with its
// physical line number, on the engine's path and the line parser's.
func TestBadLineIsAReject(t *testing.T) {
	const n = 9 // good records
	records := make([]string, n)
	for i := range records {
		records[i] = v2Lines[i%2]
	}
	type layout struct {
		name   string
		header bool
		at     int  // index of the bad line among the physical lines
		noEOL  bool // the file does not end with a newline
		json   bool // records wrapped as JSON messages (the line parser's path)
	}
	var layouts []layout
	for _, shape := range []struct {
		name         string
		header, json bool
	}{{"header", true, false}, {"no header", false, false}, {"json", false, true}} {
		first := 0
		if shape.header {
			layouts = append(layouts, layout{name: shape.name + "/after the header", header: true, at: 1})
		}
		layouts = append(layouts,
			layout{name: shape.name + "/first line", header: shape.header, at: first, json: shape.json},
			layout{name: shape.name + "/middle", header: shape.header, at: 5, json: shape.json},
			layout{name: shape.name + "/last line", header: shape.header, at: -1, json: shape.json},
			layout{name: shape.name + "/last line without newline", header: shape.header, at: -1, noEOL: true, json: shape.json})
	}
	for _, g := range garbage {
		c := newCase(t) // one case per kind: its files are told apart by file_id
		for _, lo := range layouts {
			t.Run(g.name+"/"+lo.name, func(t *testing.T) {
				var ls []string
				if lo.header {
					ls = append(ls, v2Header)
				}
				for _, r := range records {
					if lo.json {
						r = fmt.Sprintf(`{"message":%q}`, r)
					}
					ls = append(ls, r)
				}
				at := lo.at
				if at < 0 {
					at = len(ls)
				}
				ls = append(ls[:at], append([]string{g.line}, ls[at:]...)...)
				content := strings.Join(ls, "\n")
				if !lo.noEOL {
					content += "\n"
				}
				r := ingestPaths(t, c, Options{}, writeFile(t, "x.log", content))[0]
				if r.Status != Loaded {
					t.Fatalf("status %s: %v", r.Status, r.Err())
				}
				if r.Records != n+g.records || r.Rejected != 1 {
					t.Fatalf("records %d rejected %d (%+v), want %d and 1", r.Records, r.Rejected, r.Rejects, n+g.records)
				}
				rj := r.Rejects[0]
				if rj.Line != int64(at+1) || !strings.Contains(rj.Reason, g.reason) {
					t.Fatalf("reject at line %d %q, want line %d and %q", rj.Line, rj.Reason, at+1, g.reason)
				}
				var raw string
				if err := c.DB.QueryRow(`SELECT raw FROM rejects WHERE file_id = ?`, r.FileID).Scan(&raw); err != nil {
					t.Fatal(err)
				}
				if textProblem(raw) != "" || strings.ContainsAny(raw, "\x00\x1b\r") || len(raw) > maxRaw+len("…") {
					t.Fatalf("raw text is not safe to show: %q", raw)
				}
				if got := queryInt(t, c, `SELECT count(*) FROM flows WHERE file_id = ? AND interface_id = 'eni-0a1b2c3d4e5f60001'`, r.FileID); got != n+g.records {
					t.Fatalf("%d good records in flows, want %d", got, n+g.records)
				}
			})
		}
	}
}

// TestTruncatedGzip: the records before the point where a gzip file breaks
// off land; the line it ends in is a reject.
func TestTruncatedGzip(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", wrap), func(t *testing.T) {
			var plain bytes.Buffer
			if !wrap {
				plain.WriteString(v2Header + "\n")
			}
			for i := range 20_000 {
				line := fmt.Sprintf("2 123456789012 eni-%08x 10.0.%d.%d 198.51.%d.%d %d 443 6 %d %d %d %d ACCEPT OK",
					i*7919%100_000, i%250, i%200, i%100, i%250, 1024+i%60000, 1+i%90, 60+i*31%9000, 1700000000+i, 1700000060+i)
				if wrap {
					line = fmt.Sprintf(`{"message":%q}`, line)
				}
				plain.WriteString(line + "\n")
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(plain.Bytes())
			zw.Close()
			p := filepath.Join(t.TempDir(), "cut.log.gz")
			if err := os.WriteFile(p, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
				t.Fatal(err)
			}
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, p)[0]
			if r.Status != Loaded || r.Records < 5_000 || r.Rejected != 1 {
				t.Fatalf("status %s records %d rejected %d: %v", r.Status, r.Records, r.Rejected, r.Err())
			}
			first := int64(1) // the header
			if wrap {
				first = 0
			}
			if r.Rejects[0].Line != first+r.Records+1 {
				t.Fatalf("reject at line %d after %d records", r.Rejects[0].Line, r.Records)
			}
		})
	}
}

// TestBinaryAsAWhole: files that are binary, HTML or empty as a whole are
// still refused, whatever text a line of them holds.
func TestBinaryAsAWhole(t *testing.T) {
	noise := randomBinary(50_000)
	tests := []struct{ name, content, want string }{
		{"noise", noise, "not a flow log: binary data"},
		{"noise in lines", strings.ReplaceAll(noise, "\x00", "\n"), "not a flow log: binary data"},
		{"noise with a word that is a field name", "version\n" + noise + "\n" + noise, "not a flow log: binary data"},
		{"noise with a text line", noise + "\nhello world\n" + noise, "not a flow log: binary data"},
		{"UTF-16 text", "\xff\xfe" + strings.Join(strings.Split(v2Lines[0], ""), "\x00") + "\x00\n\x00", "not a flow log: binary data"},
		{"a header and noise only", v2Header + "\n" + noise + "\n", "not a flow log: binary data"},
		{"html after a bad line", "\x00\x01\n<!DOCTYPE html><html><body>Access Denied</body></html>\n", "not a flow log: it looks like HTML"},
		{"first line longer than the sniff", strings.Repeat("x", 100_000) + "\n" + noise, "not a flow log: binary data"},
	}
	c := newCase(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ingestPaths(t, c, Options{}, writeFile(t, "x.log", tt.content))[0]
			if r.Status != Refused || !strings.HasPrefix(r.Error, tt.want) {
				t.Fatalf("status %s error %q, want refused with %q", r.Status, r.Error, tt.want)
			}
		})
	}
}

// TestBadLinesBeyondTheSniff: bad lines deep in a large file, on both paths.
func TestBadLinesBeyondTheSniff(t *testing.T) {
	var b strings.Builder
	b.WriteString(v2Header + "\n")
	const n = 5000
	bad := map[int64]bool{}
	for i := range n {
		if i%1000 == 999 {
			b.WriteString("\x00\xff\x1b[0m garbage\n")
			bad[int64(i/1000*1001+1000+1)] = true
		}
		b.WriteString(v2Lines[1] + "\n")
	}
	c := newCase(t)
	r := ingestPaths(t, c, Options{}, writeGzip(t, "big.log.gz", b.String()))[0]
	if r.Status != Loaded || r.Records != n || r.Rejected != int64(len(bad)) {
		t.Fatalf("status %s records %d rejected %d: %v", r.Status, r.Records, r.Rejected, r.Err())
	}
	for _, rj := range r.Rejects {
		if !bad[rj.Line] {
			t.Errorf("reject at line %d, want one of %v", rj.Line, bad)
		}
	}
}
