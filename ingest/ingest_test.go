package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

const v2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

var v2Lines = []string{
	"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 203.0.113.9 443 50000 6 20 16800 1700000060 1700000120 ACCEPT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 - - - - - - - 1700000120 1700000180 - NODATA",
	"2 123456789012 eni-0a1b2c3d4e5f60001 2600:1f18:abc:de01::10 2001:db8::1 443 51000 6 5 500 1700000180 1700000240 ACCEPT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 - - - - - - - 1700000240 1700000300 - SKIPDATA",
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// TestShapes ingests the same five records in every shape and checks each lands whole.
func TestShapes(t *testing.T) {
	v5Header := "version vpc-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status interface-id account-id pkt-srcaddr pkt-dstaddr flow-direction traffic-path tcp-flags"
	tests := []struct {
		name      string
		path      func(t *testing.T) string
		opts      Options
		shape     Shape
		gz        bool
		records   int64
		rejected  int64
		wantQuery string // a query over flows that must return 1
	}{
		{name: "header plain", path: func(t *testing.T) string {
			return writeFile(t, "a.log", lines(append([]string{v2Header}, v2Lines...)...))
		}, shape: ShapeTextHeader, records: 5},
		{name: "header gzip without .gz name", path: func(t *testing.T) string {
			return writeGzip(t, "a.log", lines(append([]string{v2Header}, v2Lines...)...))
		}, shape: ShapeTextHeader, gz: true, records: 5},
		{name: "no header default", path: func(t *testing.T) string { return writeFile(t, "a.txt", lines(v2Lines...)) }, shape: ShapeText, records: 5},
		{name: "BOM and CRLF", path: func(t *testing.T) string {
			return writeFile(t, "a.txt", "\ufeff"+strings.Join(v2Lines, "\r\n")+"\r\n")
		}, shape: ShapeText, records: 5},
		{name: "no trailing newline", path: func(t *testing.T) string { return writeFile(t, "a.txt", strings.Join(v2Lines, "\n")) }, shape: ShapeText, records: 5},
		{name: "repeated header and blank lines", path: func(t *testing.T) string {
			return writeFile(t, "a.log", lines(v2Header, v2Lines[0], v2Lines[1], "", v2Header, v2Lines[2], "", v2Lines[3], v2Lines[4]))
		}, shape: ShapeTextHeader, records: 5},
		{name: "cloudwatch export", path: func(t *testing.T) string {
			var ls []string
			for _, l := range v2Lines {
				ls = append(ls, "2023-11-14T22:13:20.000Z "+l)
			}
			return writeGzip(t, "000000.gz", lines(ls...))
		}, shape: ShapeExport, gz: true, records: 5},
		{name: "json message", path: func(t *testing.T) string {
			var ls []string
			for _, l := range v2Lines {
				ls = append(ls, fmt.Sprintf(`{"id":"1","timestamp":1700000000000,"message":%q}`, l))
			}
			return writeFile(t, "firehose.json", lines(ls...))
		}, shape: ShapeJSONMessage, records: 5},
		{name: "custom v5 header", path: func(t *testing.T) string {
			return writeFile(t, "v5.log", lines(v5Header,
				"5 vpc-1 10.0.2.15 52.216.1.1 40000 443 6 3 300 1700000000 1700000060 ACCEPT OK eni-1 123456789012 10.0.2.15 52.216.1.1 egress 8 19",
				"5 vpc-1 10.0.0.5 52.216.1.1 40001 443 6 3 300 1700000000 1700000060 ACCEPT OK eni-2 123456789012 10.0.2.15 52.216.1.1 egress 8 2"))
		}, shape: ShapeTextHeader, records: 2, wantQuery: `SELECT count(*) FROM flows WHERE pkt_srcaddr = '10.0.2.15' AND flow_direction = 'egress' AND traffic_path = 8 AND tcp_flags = 19`},
		{name: "log format flag", path: func(t *testing.T) string {
			return writeFile(t, "tgw.log", lines("3 tgw-1 10.0.0.1 10.1.0.1 6 17 5"))
		}, opts: Options{LogFormat: mustFormat(t, "${version} ${tgw-id} ${srcaddr} ${dstaddr} ${protocol} ${packets-lost-no-route} ${packets-lost-blackhole}")},
			shape: ShapeText, records: 1, wantQuery: `SELECT count(*) FROM flows WHERE tgw_id = 'tgw-1' AND packets_lost_blackhole = 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, tt.opts, tt.path(t))[0]
			if r.Status != Loaded {
				t.Fatalf("status %s: %v", r.Status, r.Err())
			}
			if r.Shape != tt.shape || (r.Compression == "gzip") != tt.gz {
				t.Errorf("shape %s/%s, want %s gzip=%v", r.Shape, r.Compression, tt.shape, tt.gz)
			}
			if r.Records != tt.records || r.Rejected != tt.rejected {
				t.Fatalf("records %d rejected %d (%v), want %d and %d", r.Records, r.Rejected, r.Rejects, tt.records, tt.rejected)
			}
			if got := queryInt(t, c, `SELECT count(*) FROM flows`); got != tt.records {
				t.Errorf("flows has %d rows", got)
			}
			if tt.wantQuery != "" {
				if got := queryInt(t, c, tt.wantQuery); got != 1 && got != tt.records-1 {
					t.Errorf("%s = %d", tt.wantQuery, got)
				}
			}
			if tt.records == 5 {
				checkV2Values(t, c)
			}
		})
	}
}

func mustFormat(t *testing.T, s string) []Field {
	t.Helper()
	f, err := ParseLogFormat(s, false)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkV2Values checks that the five v2Lines landed with the right types and values.
func checkV2Values(t *testing.T, c *store.Case) {
	t.Helper()
	var bytes, packets, nodata, skipdata, rejects, v6 int64
	var first, last time.Time
	err := c.DB.QueryRow(`SELECT sum(bytes), sum(packets), count(*) FILTER (log_status = 'NODATA'), count(*) FILTER (log_status = 'SKIPDATA'),
		count(*) FILTER (action = 'REJECT'), count(*) FILTER (srcaddr = '2600:1f18:abc:de01::10'), min(start), max("end") FROM flows`).
		Scan(&bytes, &packets, &nodata, &skipdata, &rejects, &v6, &first, &last)
	if err != nil {
		t.Fatal(err)
	}
	if bytes != 18140 || packets != 35 || nodata != 1 || skipdata != 1 || rejects != 1 || v6 != 1 ||
		!first.Equal(time.Unix(1700000000, 0)) || !last.Equal(time.Unix(1700000300, 0)) {
		t.Fatalf("values: bytes %d packets %d nodata %d skipdata %d reject %d v6 %d first %v last %v", bytes, packets, nodata, skipdata, rejects, v6, first, last)
	}
}

func TestValuesAndTypes(t *testing.T) {
	c := newCase(t)
	ingestPaths(t, c, Options{}, writeFile(t, "a.txt", lines(v2Lines...)))
	var (
		srcport, dstport int
		proto            int
		packets, bytes   int64
		start, end       time.Time
		action, status   string
	)
	err := c.DB.QueryRow(`SELECT srcport, dstport, protocol, packets, bytes, start, "end", action::VARCHAR, log_status::VARCHAR
		FROM flows WHERE srcaddr = '198.51.100.7'`).Scan(&srcport, &dstport, &proto, &packets, &bytes, &start, &end, &action, &status)
	if err != nil {
		t.Fatal(err)
	}
	if srcport != 49152 || dstport != 22 || proto != 6 || packets != 10 || bytes != 840 || action != "REJECT" || status != "OK" {
		t.Fatalf("values: %d %d %d %d %d %s %s", srcport, dstport, proto, packets, bytes, action, status)
	}
	if !start.Equal(time.Unix(1700000000, 0)) || !end.Equal(time.Unix(1700000060, 0)) {
		t.Fatalf("times %v %v", start, end)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE log_status = 'NODATA' AND srcaddr IS NULL AND packets IS NULL AND action IS NULL`); n != 1 {
		t.Fatalf("NODATA with NULLs: %d", n)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM addresses WHERE addr = '2600:1f18:abc:de01::10' AND family = 6`); n != 1 {
		t.Fatalf("IPv6 address not indexed")
	}
	if n := queryInt(t, c, `SELECT count(*) FROM addresses WHERE addr = '10.0.1.10' AND num = 281470681743360 + 167772426`); n != 1 {
		t.Fatalf("IPv4 numeric form wrong")
	}
	if n := queryInt(t, c, `SELECT nodata + skipdata FROM ingest_files`); n != 2 {
		t.Fatalf("coverage counts = %d", n)
	}
}

func TestRejectedLinesKeepTheRest(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			content := lines(v2Header,
				v2Lines[0],
				"2 123456789012 eni-1 10.0.0.1 10.0.0.2 99999 22 6 1 1 1700000000 1700000060 ACCEPT OK", // line 3: port
				v2Lines[1],
				"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1700000000 1700000060 SUCCESS OK", // line 5: action
				"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1700000000",                       // line 6: short
				v2Lines[2])
			path := writeFile(t, "a.log", content)
			if gz {
				path = writeGzip(t, "a.log", content)
			}
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, path)[0]
			if r.Status != Loaded || r.Records != 3 || r.Rejected != 3 {
				t.Fatalf("status %s records %d rejected %d: %v", r.Status, r.Records, r.Rejected, r.Err())
			}
			rows, err := c.DB.Query(`SELECT line, reason, raw FROM rejects ORDER BY line`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := []struct {
				line   int64
				reason string
			}{{3, `srcport: "99999" is not a port (0-65535)`}, {5, `action: "SUCCESS" is not ACCEPT or REJECT`}, {6, "expected 14 fields, found 11"}}
			i := 0
			for rows.Next() {
				var line int64
				var reason, raw string
				rows.Scan(&line, &reason, &raw)
				if i >= len(want) || line != want[i].line || reason != want[i].reason || !strings.HasPrefix(raw, "2 123456789012") {
					t.Errorf("reject %d: line %d %q %q", i, line, reason, raw)
				}
				i++
			}
			if i != len(want) {
				t.Fatalf("%d rejects, want %d", i, len(want))
			}
		})
	}
}

// TestLineParserFallback: what the engine cannot judge (an address that is not
// an IP, a header that changes mid-file) goes through the line parser, with
// the same result the engine would give for the good lines.
func TestLineParserFallback(t *testing.T) {
	c := newCase(t)
	bad := writeFile(t, "badip.log", lines(v2Header, v2Lines[0],
		"2 123456789012 eni-1 999.1.1.1 10.0.0.2 1 22 6 1 1 1700000000 1700000060 ACCEPT OK", v2Lines[1]))
	r := ingestPaths(t, c, Options{}, bad)[0]
	if r.Status != Loaded || r.Records != 2 || r.Rejected != 1 || r.Rejects[0].Line != 3 || !strings.Contains(r.Rejects[0].Reason, `srcaddr: "999.1.1.1" is not an IP address`) {
		t.Fatalf("bad ip: %+v", r)
	}
	switched := writeFile(t, "switch.log", lines(v2Header, v2Lines[0],
		"version srcaddr dstaddr dstport action",
		"3 10.9.9.9 10.0.0.1 3306 REJECT"))
	r = ingestPaths(t, c, Options{}, switched)[0]
	if r.Status != Loaded || r.Records != 2 || r.Rejected != 0 {
		t.Fatalf("format switch: %+v", r)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE srcaddr = '10.9.9.9' AND dstport = 3306 AND version = 3`); n != 1 {
		t.Fatal("record after the new header did not land with the new format")
	}
}

func TestIdempotent(t *testing.T) {
	c := newCase(t)
	p := writeFile(t, "a.log", lines(append([]string{v2Header}, v2Lines...)...))
	copyPath := filepath.Join(t.TempDir(), "copy-of-a.log")
	data, _ := os.ReadFile(p)
	os.WriteFile(copyPath, data, 0o644)
	rs := ingestPaths(t, c, Options{}, p, p, copyPath)
	if rs[0].Status != Loaded || rs[1].Status != Duplicate || rs[2].Status != Duplicate || rs[2].DuplicateOf != rs[0].Path {
		t.Fatalf("statuses %s %s %s (%s)", rs[0].Status, rs[1].Status, rs[2].Status, rs[2].DuplicateOf)
	}
	rs = ingestPaths(t, c, Options{}, p)
	if rs[0].Status != Duplicate {
		t.Fatalf("second ingest: %s", rs[0].Status)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != 5 {
		t.Fatalf("flows = %d after repeated ingest", n)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 1 {
		t.Fatalf("manifest has %d files", n)
	}
}

func TestWindowInclusive(t *testing.T) {
	s, e := time.Unix(1700000060, 0).UTC(), time.Unix(1700000180, 0).UTC()
	for _, shape := range []string{"engine", "line parser"} {
		t.Run(shape, func(t *testing.T) {
			c := newCase(t)
			p := writeFile(t, "a.txt", lines(v2Lines...))
			if shape == "line parser" {
				var ls []string
				for _, l := range v2Lines {
					ls = append(ls, fmt.Sprintf(`{"message":%q}`, l))
				}
				p = writeFile(t, "a.json", lines(ls...))
			}
			r := ingestPaths(t, c, Options{Start: &s, End: &e}, p)[0]
			// starts: ...000, ...060, ...120, ...180, ...240: the window keeps 060, 120, 180.
			if r.Records != 3 || r.OutsideWindow != 2 {
				t.Fatalf("records %d outside %d", r.Records, r.OutsideWindow)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "empty"},
		{"blank lines only", "\n\n  \n", "no content"},
		{"binary", "\x00\x01\x02\x03garbage", "binary"},
		{"html", "<!DOCTYPE html><html><body>Access Denied</body></html>", "HTML"},
		{"not default format", "Phony unsupported log format.\n", "4 fields"},
		{"29 fields suggests the format", strings.Repeat("x ", 28) + "x\n", "versions 2 to 5"},
		{"unknown header field", "version account-id colour srcaddr\n2 1 red 10.0.0.1\n", `unknown flow-log field "colour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			good := writeFile(t, "good.log", lines(v2Lines...))
			rs := ingestPaths(t, c, Options{}, writeFile(t, "x.log", tt.content), good)
			if rs[0].Status != Refused || !strings.Contains(rs[0].Error, tt.want) {
				t.Fatalf("status %s error %q, want refused with %q", rs[0].Status, rs[0].Error, tt.want)
			}
			if rs[1].Status != Loaded || rs[1].Records != 5 {
				t.Fatalf("the good file after it: %s %d", rs[1].Status, rs[1].Records)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 1 {
				t.Fatalf("a refused file is in the manifest")
			}
		})
	}
}

func TestLenientKeepsUnknownFields(t *testing.T) {
	c := newCase(t)
	p := writeFile(t, "a.log", lines("version srcaddr colour", "2 10.0.0.1 red"))
	r := ingestPaths(t, c, Options{Lenient: true}, p)[0]
	if r.Status != Loaded || r.Records != 1 {
		t.Fatalf("%+v", r)
	}
	var colour string
	if err := c.DB.QueryRow(`SELECT extra['colour'] FROM flows`).Scan(&colour); err != nil || colour != "red" {
		t.Fatalf("colour = %q, %v", colour, err)
	}
}

func TestParquetAndJSONRecords(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	pq := filepath.Join(dir, "x.log.parquet")
	// AWS's Parquet: underscore names, INT32 and INT64 numerics.
	_, err := c.DB.Exec(fmt.Sprintf(`COPY (SELECT * FROM (VALUES
			(2::INTEGER, '123456789012', 'eni-1', '10.0.0.1', '198.51.100.1', 443::INTEGER, 50000::INTEGER, 6::INTEGER, 4::BIGINT, 400::BIGINT, 1700000000::BIGINT, 1700000060::BIGINT, 'ACCEPT', 'OK'),
			(2::INTEGER, '123456789012', 'eni-1', '10.0.0.1', 'not-an-ip', 443::INTEGER, 50000::INTEGER, 6::INTEGER, 4::BIGINT, 400::BIGINT, 1700000000::BIGINT, 1700000060::BIGINT, 'ACCEPT', 'OK'),
			(2::INTEGER, '123456789012', 'eni-1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1700000000::BIGINT, 1700000060::BIGINT, NULL, 'NODATA'))
			t(version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status))
		TO '%s' (FORMAT parquet)`, pq))
	if err != nil {
		t.Fatal(err)
	}
	js := writeFile(t, "siem.json", `[{"TimeGenerated":"2023-11-14T22:14:20Z","Version":5,"SrcAddr":"10.0.0.9","DstAddr":"10.0.0.1","SrcPort":1,"DstPort":22,"Protocol":6,"Start":"2023-11-14T22:13:20Z","End":"2023-11-14T22:14:20Z","Action":"REJECT","LogStatus":"OK","TrafficType":"IPv4","PktSrcAwsService":""}]`)
	rs := ingestPaths(t, c, Options{}, pq, js)
	if rs[0].Status != Loaded || rs[0].Shape != ShapeParquet || rs[0].Records != 2 || rs[0].Rejected != 1 || rs[0].Rejects[0].Line != 2 {
		t.Fatalf("parquet: %+v", rs[0])
	}
	if rs[1].Status != Loaded || rs[1].Shape != ShapeJSONRecords || rs[1].Records != 1 {
		t.Fatalf("json records: %+v", rs[1])
	}
	var raw string
	if err := c.DB.QueryRow(`SELECT raw FROM rejects`).Scan(&raw); err != nil || strings.Contains(raw, "file_row_number") || !strings.Contains(raw, "not-an-ip") {
		t.Fatalf("raw of the rejected row: %q %v", raw, err)
	}
	// An account id stored as a number gets its leading zeros back.
	pq2 := filepath.Join(dir, "y.parquet")
	if _, err := c.DB.Exec(fmt.Sprintf(`COPY (SELECT 12345678901::BIGINT AS account_id, '10.0.0.3' AS srcaddr) TO '%s' (FORMAT parquet)`, pq2)); err != nil {
		t.Fatal(err)
	}
	if r := ingestPaths(t, c, Options{}, pq2)[0]; r.Status != Loaded {
		t.Fatalf("%+v", r)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE account_id = '012345678901'`); n != 1 {
		t.Fatal("account id not padded to 12 digits")
	}
	var start time.Time
	var typ string
	if err := c.DB.QueryRow(`SELECT start, type FROM flows WHERE srcaddr = '10.0.0.9'`).Scan(&start, &typ); err != nil {
		t.Fatal(err)
	}
	if !start.Equal(time.Unix(1700000000, 0)) || typ != "IPv4" {
		t.Fatalf("json record: start %v type %q", start, typ)
	}
}

func TestDetectErrorsNameTheProblem(t *testing.T) {
	_, err := Detect(strings.NewReader("version account-id bogus-field\n"), DetectOptions{})
	var uf *UnknownFieldError
	if !errors.As(err, &uf) || uf.Name != "bogus-field" || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v", err)
	}
}

// TestFlowsViewHasEveryField keeps the schema (SQL) and the field table (Go)
// in step: the flows view shows every field, in table order, with the type
// the field stores; flow_records has a column for exactly the stored fields.
func TestFlowsViewHasEveryField(t *testing.T) {
	c := newCase(t)
	columns := func(table string) map[string]string {
		rows, err := c.DB.Query(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		var order []string
		for rows.Next() {
			var n, typ string
			rows.Scan(&n, &typ)
			m[n] = typ
			order = append(order, n)
		}
		m["_order"] = strings.Join(order, " ")
		return m
	}
	view, table := columns("flows"), columns("flow_records")
	var want, stored []string
	for _, f := range Fields() {
		want = append(want, f.Column())
		if f.Stored() {
			stored = append(stored, f.Column())
		}
	}
	if got := view["_order"]; got != strings.Join(append(want, "extra", "file_id"), " ") {
		t.Fatalf("flows view columns:\n%s\nwant:\n%s", got, strings.Join(want, " "))
	}
	if got := table["_order"]; got != strings.Join(append(stored, "extra", "file_id"), " ") {
		t.Fatalf("flow_records columns:\n%s\nwant:\n%s", got, strings.Join(stored, " "))
	}
	for _, f := range Fields() {
		typ := view[f.Column()]
		var ok bool
		switch f.Kind {
		case KString, KAddr:
			ok = typ == "VARCHAR"
		case KPort, KSmall:
			ok = typ == "INTEGER"
		case KProto:
			ok = typ == "SMALLINT"
		case KCount:
			ok = typ == "BIGINT"
		case KTime:
			ok = typ == "TIMESTAMP"
		case KAction, KLogStatus, KDirection:
			ok = strings.HasPrefix(typ, "ENUM")
		}
		if !ok {
			t.Errorf("%s is %s in the flows view", f.Column(), typ)
		}
	}
}

// TestRareFieldsRoundTrip: fields kept in the extra map come back typed
// through the view, on the engine's path and the line parser's alike.
func TestRareFieldsRoundTrip(t *testing.T) {
	header := "version srcaddr ecs-task-id encryption-status packets-lost-blackhole"
	line := "7 10.0.0.1 abc123 2 17"
	for name, content := range map[string]string{
		"engine":      lines(header, line),
		"line parser": lines(fmt.Sprintf(`{"message":%q}`, header), fmt.Sprintf(`{"message":%q}`, line)),
	} {
		t.Run(name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeFile(t, "x.log", content))[0]
			if r.Status != Loaded || r.Records != 1 {
				t.Fatalf("%+v", r)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE ecs_task_id = 'abc123' AND encryption_status = 2 AND packets_lost_blackhole = 17 AND tgw_id IS NULL`); n != 1 {
				t.Fatal("rare fields did not come back through the view")
			}
		})
	}
}

// TestManyRejects: a file whose lines are mostly bad is processed in bounded
// batches and still keeps every good line and every reject.
func TestManyRejects(t *testing.T) {
	const bad = 2*rejectBatch + 123
	var b strings.Builder
	for i := range bad {
		if i%1000 == 0 {
			b.WriteString(v2Lines[1] + "\n")
		}
		b.WriteString("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1700000000 1700000060 MAYBE OK\n")
	}
	good := int64(bad/1000 + 1)
	for name, wrap := range map[string]bool{"engine": false, "line parser": true} {
		t.Run(name, func(t *testing.T) {
			content := b.String()
			if wrap {
				var w strings.Builder
				for _, l := range strings.Split(strings.TrimSpace(content), "\n") {
					fmt.Fprintf(&w, "{\"message\":%q}\n", l)
				}
				content = w.String()
			}
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, writeFile(t, "bad.log", content))[0]
			if r.Status != Loaded || r.Records != good || r.Rejected != bad {
				t.Fatalf("records %d rejected %d, want %d and %d: %v", r.Records, r.Rejected, good, bad, r.Err())
			}
			if n := queryInt(t, c, `SELECT count(DISTINCT line) FROM rejects`); n != bad {
				t.Fatalf("rejects table has %d lines", n)
			}
		})
	}
}
