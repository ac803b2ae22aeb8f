package ingest

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Detect(bytes.NewReader(data), DetectOptions{})
		if err != nil {
			return
		}
		switch d.Shape {
		case ShapeText, ShapeTextHeader, ShapeExport, ShapeJSONMessage:
			if len(d.Fields) == 0 {
				t.Fatalf("shape %s without fields", d.Shape)
			}
		case ShapeParquet, ShapeJSONRecords:
		default:
			t.Fatalf("unknown shape %q", d.Shape)
		}
		if d.Compression != "none" && d.Compression != "gzip" {
			t.Fatalf("compression %q", d.Compression)
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
