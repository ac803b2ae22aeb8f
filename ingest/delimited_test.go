package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// athenaHeader is the header of an Athena query's result over the table that
// AWS's documentation creates for flow logs (underscore names, `start`/`end`).
var athenaColumns = []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log_status"}

// delimitedLines renders v2Lines as an export: cells joined by delim, each
// '-' written as absent (empty), quoted when quote is set.
func delimitedLines(delim string, quote bool, absent string) []string {
	var out []string
	for _, l := range v2Lines {
		toks := strings.Fields(l)
		for i, t := range toks {
			if t == "-" {
				t = absent
			}
			if quote {
				t = `"` + t + `"`
			}
			toks[i] = t
		}
		out = append(out, strings.Join(toks, delim))
	}
	return out
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = `"` + n + `"`
	}
	return out
}

func TestDelimitedExports(t *testing.T) {
	athenaQuoted := strings.Join(quoted(athenaColumns), ",")
	athena := strings.Join(athenaColumns, ",")
	reversed := func(ls []string, delim string) []string {
		var out []string
		for _, l := range ls {
			cells := strings.Split(l, delim)
			slices.Reverse(cells)
			out = append(out, strings.Join(cells, delim))
		}
		return out
	}
	v8 := "version,account_id,interface_id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start,end,action,log_status,reject_reason,instance_tag"
	v8Line := func(reason, tag string) string {
		return "8,123456789012,eni-1,10.0.0.1,10.0.0.2,40000,443,6,1,100,1700000000,1700000060,REJECT,OK," + reason + "," + tag
	}
	tests := []struct {
		name     string
		content  string
		gzip     bool
		opts     Options
		delim    string
		records  int64
		rejected int64
		v2       bool     // the five v2Lines, checked value by value
		query    string   // must return 1
		lines    []int64  // the rejects' line numbers
		reasons  []string // and words of their reasons
	}{
		{name: "Athena console CSV, all quoted, NULL as empty", content: lines(append([]string{athenaQuoted}, delimitedLines(",", true, "")...)...), delim: ",", records: 5, v2: true},
		{name: "unquoted CSV with -", content: lines(append([]string{athena}, delimitedLines(",", false, "-")...)...), delim: ",", records: 5, v2: true},
		{name: "quoted -", content: lines(append([]string{athenaQuoted}, delimitedLines(",", true, "-")...)...), delim: ",", records: 5, v2: true},
		{name: "TSV", content: lines(append([]string{strings.Join(athenaColumns, "\t")}, delimitedLines("\t", false, "")...)...), delim: "\t", records: 5, v2: true},
		{name: "AWS names, upper case, reordered", content: lines(append(
			[]string{strings.ToUpper(strings.Join(reversed([]string{strings.Join(FieldNames(DefaultFields()), ",")}, ","), ","))},
			reversed(delimitedLines(",", false, "-"), ",")...)...), delim: ",", records: 5, v2: true},
		{name: "Glue camel case", content: lines(append([]string{"Version,AccountId,InterfaceId,SrcAddr,DstAddr,SrcPort,DstPort,Protocol,Packets,Bytes,Start,End,Action,LogStatus"},
			delimitedLines(",", false, "")...)...), delim: ",", records: 5, v2: true},
		{name: "CRLF", content: strings.Join(append([]string{athenaQuoted}, delimitedLines(",", true, "")...), "\r\n") + "\r\n", delim: ",", records: 5, v2: true},
		{name: "gzip", content: lines(append([]string{athenaQuoted}, delimitedLines(",", true, "")...)...), gzip: true, delim: ",", records: 5, v2: true},
		{name: "BOM and blank lines", content: "\ufeff" + lines(append([]string{athena, ""}, delimitedLines(",", false, "")...)...), delim: ",", records: 5, v2: true},
		{name: "integers written as decimals", content: lines(athena,
			"2.0,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6.0,20,25238.0,1700000060,1.70000012E9,ACCEPT,OK",
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,2.5E1,2.5238E4,1700000060,1700000120,ACCEPT,OK"),
			delim: ",", records: 2, query: `SELECT count(*) FROM (SELECT sum(bytes) AS b, sum(packets) AS p, max("end") AS e, max(version) AS v, max(protocol) AS pr FROM flows)
				WHERE b = 50476 AND p = 45 AND e = make_timestamp(1700000120000000) AND v = 2 AND pr = 6`},
		{name: "a fraction where an integer is expected is a reject", content: lines(athena,
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,25238.0,1700000060,1700000120,ACCEPT,OK",
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,25238.5,1700000060,1700000120,ACCEPT,OK",
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK"),
			delim: ",", records: 2, rejected: 1, lines: []int64{3}, reasons: []string{`bytes: "25238.5" is not a count`}},
		{name: "unknown reject_reason lands as text", content: lines(v8, v8Line("TCP_SOMETHING_NEW", ""), v8Line("BPA", "-")),
			delim: ",", records: 2, query: `SELECT count(*) FROM flows WHERE reject_reason = 'TCP_SOMETHING_NEW'`},
		{name: "a quoted comma inside a value is the value's", content: lines(v8, v8Line("", `"web,prod"`)),
			delim: ",", records: 1, query: `SELECT count(*) FROM flow_records WHERE extra['instance_tag'] = 'web,prod' AND reject_reason IS NULL`},
		{name: "a quoted comma in a number is a reject", content: lines(athena,
			`2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,"25,238",1700000060,1700000120,ACCEPT,OK`,
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK"),
			delim: ",", records: 1, rejected: 1, lines: []int64{2}, reasons: []string{`bytes: "25,238" is not a count`}},
		{name: "quoted \"\" escapes", content: lines(v8, v8Line("", `"say ""hi"""`)),
			delim: ",", records: 1, query: `SELECT count(*) FROM flow_records WHERE extra['instance_tag'] = 'say "hi"'`},
		// No flow-log value holds a line break: each physical line is a reject.
		{name: "a quoted value over two lines", content: lines(v8, v8Line("", "\"two\nlines\""), v8Line("", "one")),
			delim: ",", records: 1, rejected: 2, lines: []int64{2, 3}, reasons: []string{"quoted-field", "non-quoted-field"}},
		{name: "partition columns kept as text", content: lines(athena+",date,year,month,day,hour,aws_account_id,aws_region,partition_0",
			"2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK,2023-11-14,2023,11,14,22,123456789012,us-east-1,x"),
			delim: ",", records: 1, query: `SELECT count(*) FROM flow_records WHERE extra['date'] = '2023-11-14' AND extra['hour'] = '22' AND extra['aws_region'] = 'us-east-1'`},
		{name: "a bad line in the middle", content: lines(append(append([]string{athena}, delimitedLines(",", false, "")[:2]...),
			append([]string{"this,is,not,a,record"}, delimitedLines(",", false, "")[2:]...)...)...),
			delim: ",", records: 5, rejected: 1, v2: true, lines: []int64{4}, reasons: []string{"expected 14 fields, found 5"}},
		{name: "a binary line in the middle", content: lines(append(append([]string{athena}, delimitedLines(",", false, "")[:3]...),
			append([]string{"\x00\x01\x02garbage\x1b[0m"}, delimitedLines(",", false, "")[3:]...)...)...),
			delim: ",", records: 5, rejected: 1, v2: true, lines: []int64{5}, reasons: []string{"NUL byte"}},
		{name: "an address that is not an IP", content: lines(athena,
			"2,123456789012,eni-1,10.0.0.300,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK",
			"2,123456789012,eni-1,10.0.0.3,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK"),
			delim: ",", records: 1, rejected: 1, lines: []int64{2}, reasons: []string{"srcaddr"}},
		{name: "TSV with a bad value and an empty last cell", content: lines(strings.Join(athenaColumns, "\t"),
			"2\t123456789012\teni-1\t10.0.0.1\t10.0.0.2\tx\t50000\t6\t20\t100\t1700000060\t1700000120\tACCEPT\t",
			"2\t123456789012\teni-1\t10.0.0.1\t10.0.0.2\t443\t50000\t6\t20\t100\t1700000060\t1700000120\tACCEPT\t"),
			delim: "\t", records: 1, rejected: 1, lines: []int64{2}, reasons: []string{`srcport: "x" is not a port`},
			query: `SELECT count(*) FROM flows WHERE log_status IS NULL`},
		{name: "the header repeated", content: lines(append(append([]string{athena}, delimitedLines(",", false, "")[:2]...),
			append([]string{athena}, delimitedLines(",", false, "")[2:]...)...)...), delim: ",", records: 5, v2: true},
		{name: "unknown column with --lenient", content: lines(athena+",colour", "2,123456789012,eni-1,10.0.0.1,10.0.0.2,443,50000,6,20,100,1700000060,1700000120,ACCEPT,OK,blue"),
			opts: Options{Lenient: true}, delim: ",", records: 1, query: `SELECT count(*) FROM flow_records WHERE extra['colour'] = 'blue'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			p := writeFile(t, "export", tt.content)
			if tt.gzip {
				p = writeGzip(t, "export", tt.content)
			}
			var log bytes.Buffer
			opts := tt.opts
			opts.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			r := ingestPaths(t, c, opts, p)[0]
			if tt.rejected == 0 && !strings.Contains(log.String(), "engine=true") {
				t.Errorf("not loaded by the engine:\n%s", log.String())
			}
			if r.Status != Loaded {
				t.Fatalf("status %s: %v", r.Status, r.Err())
			}
			if r.Shape != ShapeCSVHeader || r.Delimiter != tt.delim || (r.Compression == "gzip") != tt.gzip {
				t.Errorf("shape %s delimiter %q compression %s", r.Shape, r.Delimiter, r.Compression)
			}
			if rep := r.Report()[0]; !strings.Contains(rep, "(csv-header, "+delimName(tt.delim[0])+"-separated") {
				t.Errorf("report %q", rep)
			}
			if r.Records != tt.records || r.Rejected != tt.rejected {
				t.Fatalf("records %d rejected %d (%+v), want %d and %d", r.Records, r.Rejected, r.Rejects, tt.records, tt.rejected)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM ingest_files WHERE shape = 'csv-header' AND delimiter = ?`, tt.delim); n != 1 {
				t.Errorf("manifest: %d files of shape csv-header with delimiter %q", n, tt.delim)
			}
			if tt.v2 {
				checkV2Values(t, c)
			}
			if tt.query != "" {
				if n := queryInt(t, c, tt.query); n != 1 {
					t.Errorf("%s = %d", tt.query, n)
				}
			}
			for i, line := range tt.lines {
				var reason string
				if err := c.DB.QueryRow(`SELECT reason FROM rejects WHERE line = ?`, line).Scan(&reason); err != nil {
					t.Fatalf("no reject at line %d: %v (%+v)", line, err, r.Rejects)
				}
				if !strings.Contains(reason, tt.reasons[i]) {
					t.Errorf("line %d: reason %q, want %q", line, reason, tt.reasons[i])
				}
			}
			// Ingesting it again adds nothing.
			again := ingestPaths(t, c, tt.opts, p)[0]
			if again.Status != Duplicate {
				t.Fatalf("again: %s", again.Status)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != tt.records {
				t.Errorf("flows = %d after re-ingest", n)
			}
		})
	}
}

func TestDelimitedDetection(t *testing.T) {
	tests := []struct {
		name, first string
		shape       Shape
		delim       string
		unknown     string // the refusal's unknown field
	}{
		{name: "space header stays text-header", first: v2Header, shape: ShapeTextHeader},
		{name: "space header with a tab inside stays text-header", first: "version account-id\tinterface-id srcaddr", shape: ShapeTextHeader},
		{name: "comma", first: strings.Join(athenaColumns, ","), shape: ShapeCSVHeader, delim: ","},
		{name: "comma with blanks", first: strings.Join(athenaColumns, ", "), shape: ShapeCSVHeader, delim: ","},
		{name: "quoted names", first: strings.Join(quoted(athenaColumns), ","), shape: ShapeCSVHeader, delim: ","},
		{name: "tab", first: strings.Join(quoted(athenaColumns), "\t"), shape: ShapeCSVHeader, delim: "\t"},
		{name: "hyphens", first: strings.Join(FieldNames(DefaultFields()), ","), shape: ShapeCSVHeader, delim: ","},
		{name: "older Athena example names", first: "version,account,interfaceid,sourceaddress,destinationaddress,sourceport,destinationport,protocol,numpackets,numbytes,starttime,endtime,action,logstatus", shape: ShapeCSVHeader, delim: ","},
		{name: "unknown column", first: "version,colour", unknown: "colour"},
		{name: "no known name", first: "a,b,c", shape: ShapeText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Detect(strings.NewReader(tt.first+"\n"), DetectOptions{})
			if tt.unknown != "" {
				var uf *UnknownFieldError
				if !errors.As(err, &uf) || uf.Name != tt.unknown || !strings.Contains(uf.UserMessage(), tt.unknown) {
					t.Fatalf("err %v, want unknown field %s", err, tt.unknown)
				}
				return
			}
			if d.Shape == ShapeCSVHeader && len(d.Fields) != strings.Count(tt.first, tt.delim)+1 {
				t.Errorf("fields %v", FieldNames(d.Fields))
			}
			if d.Shape != tt.shape || d.Delim != tt.delim {
				t.Fatalf("shape %s delim %q (%v), want %s %q", d.Shape, d.Delim, err, tt.shape, tt.delim)
			}
		})
	}
}

func TestDelimitedBinaryRefused(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(strings.Join(athenaColumns, ",") + "\n")
	for i := range 20 {
		fmt.Fprintf(&b, "\x00\x01%d\xff\n", i)
	}
	_, err := Detect(&b, DetectOptions{})
	var nf *NotFlowLogError
	if !errors.As(err, &nf) {
		t.Fatalf("err %v, want not a flow log", err)
	}
}
