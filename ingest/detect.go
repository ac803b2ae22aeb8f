package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Shape is how a file carries its flow records.
type Shape string

// The shapes ingest reads.
const (
	ShapeTextHeader  Shape = "text-header"       // space-separated, first line names the fields (S3 delivery)
	ShapeText        Shape = "text"              // space-separated, no header: default or --log-format
	ShapeExport      Shape = "cloudwatch-export" // CloudWatch Logs export to S3: a timestamp before each record
	ShapeJSONMessage Shape = "json-message"      // one JSON object per line, the record in "message"
	ShapeJSONRecords Shape = "json-records"      // JSON objects whose keys are field names (e.g. a SIEM export)
	ShapeParquet     Shape = "parquet"           // Parquet as AWS delivers it
	ShapeCSVHeader   Shape = "csv-header"        // comma- or tab-separated, quoted values, first line names the fields (Athena, Glue exports)
	// ShapeOCSF (ocsf.go): Security Lake's OCSF Network Activity, Parquet or JSON.
)

// Detected is what detection learned about a file.
type Detected struct {
	Compression string // none | gzip
	Shape       Shape
	Fields      []Field // nil for shapes whose columns the engine describes (Parquet, JSON records)
	Header      string  // the header line, for text-header and csv-header
	// Delim is the separator of csv-header: "," or "\t".
	Delim string
	// Skip is the number of physical lines before the first content line
	// (blank lines); for text-header the header is the line after them.
	Skip int
	// lineParser: the engine cannot read the file as detected (lines that
	// are not text before its header): the line parser reads it.
	lineParser bool
	// parquet: an OCSF file in Parquet (else JSON).
	parquet bool
}

// NotFlowLogError says why a file is not a flow log at all.
type NotFlowLogError struct{ Reason string }

func (e *NotFlowLogError) Error() string { return "not a flow log: " + e.Reason }

// UserMessage is the refusal for people: the same text, without the
// package prefixes it gathers on its way up.
func (e *NotFlowLogError) UserMessage() string { return e.Error() }

// DetectOptions are the user's hints.
type DetectOptions struct {
	LogFormat []Field // from --log-format, for header-less lines
	Lenient   bool    // keep unknown header fields as text
}

const sniffSize = 64 << 10

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
	zstdMagic    = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Detect decides a file's compression, shape and fields from its first bytes:
// magic numbers, not the file name.
func Detect(r io.Reader, o DetectOptions) (Detected, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, _ := br.Peek(4)
	var d Detected
	switch {
	case len(head) == 0:
		return d, &NotFlowLogError{"the file is empty"}
	case bytes.HasPrefix(head, parquetMagic):
		d.Compression, d.Shape = "none", ShapeParquet
		if parquetOCSF(r) {
			d.Shape, d.parquet = ShapeOCSF, true
		}
		return d, nil
	case bytes.HasPrefix(head, zstdMagic):
		return d, &NotFlowLogError{"zstd-compressed; only gzip is supported (decompress it with zstd -d first)"}
	case bytes.HasPrefix(head, gzipMagic):
		d.Compression = "gzip"
		zr, err := gzip.NewReader(br)
		if err != nil {
			return d, &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		prefix, long, err := sniff(zr)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			// Subscription payloads are read member by member, past one
			// that is broken or bytes between members that are not gzip.
			if sd, ok, serr := detectSubscription(d, prefix, o); ok && len(prefix) > 0 {
				return sd, serr
			}
			return d, &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		return detectShape(d, prefix, long, o)
	default:
		d.Compression = "none"
		prefix, long, _ := sniff(br)
		return detectShape(d, prefix, long, o)
	}
}

// sniff reads the prefix that detection judges. A first line longer than
// the prefix (but not than maxLine) is passed over, as the reject it is:
// the prefix then starts on the line after it, and long is set.
func sniff(r io.Reader) (prefix []byte, long bool, err error) {
	prefix, err = io.ReadAll(io.LimitReader(r, sniffSize))
	if err != nil || len(prefix) < sniffSize || bytes.IndexByte(prefix, '\n') >= 0 {
		return prefix, false, err
	}
	br := bufio.NewReader(io.LimitReader(r, maxLine))
	for {
		_, err := br.ReadSlice('\n')
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return prefix, false, nil // no end of line in reach: judge what we have
		}
	}
	next, err := io.ReadAll(io.LimitReader(br, sniffSize))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return prefix, false, nil
	}
	return next, true, nil
}

// detectText decides a text file's shape from its first content line that is
// text. Whether the file is text at all is decided from the sniffed prefix
// as a whole: lines with binary bytes, escape sequences or invalid UTF-8 are
// rejects of a flow log, unless no line parses as a record and such lines are
// at least as many as the text lines (then the file is binary). longFirst
// says the prefix starts after a first line longer than the sniff.
func detectText(d Detected, prefix []byte, longFirst bool, o DetectOptions) (Detected, error) {
	prefix = bytes.TrimPrefix(prefix, bom)
	var (
		first      string // the first content line that is text
		firstIdx   int    // its index among the physical lines
		text       []string
		binary     int
		seenAny    bool
		sniffed    = sniffLines(prefix, len(prefix) == sniffSize)
		binaryFile = &NotFlowLogError{"binary data"}
	)
	if longFirst {
		// the long line counts as a line that is not a record's text
		sniffed = append([][]byte{[]byte("\x00")}, sniffed...)
	}
	for i, b := range sniffed {
		s := cleanLine(b)
		if s == "" {
			if !seenAny {
				d.Skip++
			}
			continue
		}
		seenAny = true
		if textProblem(s) != "" {
			binary++
			continue
		}
		if first == "" {
			first, firstIdx = s, i
		}
		text = append(text, s)
	}
	if first == "" && binary > 0 {
		return d, binaryFile
	}
	// mostlyBinary: no line of the prefix is a record in these fields, and
	// lines that are not text are at least as many as those that are.
	mostlyBinary := func(fields []Field, export bool) bool {
		if binary == 0 || binary < len(text) {
			return false
		}
		return !anyRecord(text, fields, export)
	}
	if first != "" && strings.HasPrefix(nextText(text), "{") && !strings.HasPrefix(first, "{") && !shapeLine(first, o) {
		// A stray text line before the first JSON object (a banner, a cut
		// line) is a reject of a JSON file, not what makes the file text.
		first = nextText(text)
	}
	switch {
	case first == "":
		return d, &NotFlowLogError{"the file has no content (only blank lines)"}
	case strings.HasPrefix(first, "<") && !anyRecord(text, orDefault(o.LogFormat), false):
		return d, &NotFlowLogError{"it looks like HTML or XML (an error page saved in place of the log?)"}
	case strings.HasPrefix(first, "["):
		d.Shape = ShapeJSONRecords
		return d, nil
	case strings.HasPrefix(first, "{"):
		msg, err := unwrapMessage(first)
		if err != nil {
			// objects whose keys are the fields themselves
			d.Shape = ShapeJSONRecords
			return d, nil
		}
		d.Shape = ShapeJSONMessage
		if names, ok := headerNames(msg); ok {
			fields, err := resolveFields(names, o.Lenient)
			if err != nil {
				return d, fmt.Errorf("header line %d: %w", d.Skip+1, err)
			}
			d.Fields, d.Header = fields, msg
			return d, nil
		}
		fields, err := headerlessFields(msg, o)
		d.Fields = fields
		return d, err
	}
	if delim, names, ok := delimitedHeader(first); ok {
		fields, err := resolveDelimitedFields(names, o.Lenient)
		if err != nil {
			return d, fmt.Errorf("header line %d: %w", firstIdx+1, err)
		}
		if binary > 0 && binary >= len(text) && !anyDelimitedRecord(text[1:], fields, delim) {
			return d, binaryFile
		}
		d.Shape, d.Fields, d.Header, d.Delim = ShapeCSVHeader, fields, first, string(delim)
		d.lineParser = firstIdx != d.Skip
		return d, nil
	}
	if names, ok := headerNames(first); ok {
		fields, err := resolveFields(names, o.Lenient)
		if err != nil {
			return d, fmt.Errorf("header line %d: %w", firstIdx+1, err)
		}
		if mostlyBinary(fields, false) {
			return d, binaryFile
		}
		d.Shape, d.Fields, d.Header = ShapeTextHeader, fields, first
		// Lines before the header that are not text would be skipped by
		// the engine without a word: the line parser rejects each.
		d.lineParser = firstIdx != d.Skip
		return d, nil
	}
	if _, rest, ok := splitExportTimestamp(first); ok {
		d.Shape = ShapeExport
		return headerlessShape(d, rest, text, o, mostlyBinary)
	}
	d.Shape = ShapeText
	return headerlessShape(d, first, text, o, mostlyBinary)
}

// nextText is the second text line of the prefix ("" when there is none).
func nextText(text []string) string {
	if len(text) < 2 {
		return ""
	}
	return text[1]
}

// shapeLine reports whether line decides a shape of its own: a header, a
// delimited header, a JSON array, or a record in the given or default format.
func shapeLine(line string, o DetectOptions) bool {
	if strings.HasPrefix(line, "[") {
		return true
	}
	if _, ok := headerNames(line); ok {
		return true
	}
	if _, _, ok := delimitedHeader(line); ok {
		return true
	}
	if _, rest, ok := splitExportTimestamp(line); ok {
		line = rest
	}
	return anyRecord([]string{line}, orDefault(o.LogFormat), false)
}

// headerlessShape decides the fields of header-less lines: the user's
// --log-format, or the default format when the first line has its fields or
// another line of the prefix is a default record (the first line being a
// reject, not the file's format).
func headerlessShape(d Detected, first string, text []string, o DetectOptions, mostlyBinary func([]Field, bool) bool) (Detected, error) {
	export := d.Shape == ShapeExport
	fields, err := headerlessFields(first, o)
	if err != nil && anyRecord(text, DefaultFields(), export) {
		fields, err = DefaultFields(), nil
	}
	if mostlyBinary(fields, export) {
		return d, &NotFlowLogError{"binary data"}
	}
	d.Fields = fields
	return d, err
}

func orDefault(fields []Field) []Field {
	if fields == nil {
		return DefaultFields()
	}
	return fields
}

// anyDelimitedRecord reports whether one of the lines parses as a record of a delimited export.
func anyDelimitedRecord(lines []string, fields []Field, delim byte) bool {
	for _, s := range lines {
		if _, err := ParseDelimited(fields, delim, s); err == nil {
			return true
		}
	}
	return false
}

// anyRecord reports whether one of the lines parses as a record in fields.
func anyRecord(lines []string, fields []Field, export bool) bool {
	if fields == nil {
		return false
	}
	for _, s := range lines {
		if export {
			_, rest, ok := splitExportTimestamp(s)
			if !ok {
				continue
			}
			s = rest
		}
		if _, err := ParseRecord(fields, s); err == nil {
			return true
		}
	}
	return false
}

// headerlessFields decides the format of lines that carry no header: the
// user's --log-format, or the default format when the line has its 14 fields.
func headerlessFields(line string, o DetectOptions) ([]Field, error) {
	if o.LogFormat != nil {
		return o.LogFormat, nil
	}
	n := len(strings.Fields(line))
	if n == len(DefaultFields()) {
		return DefaultFields(), nil
	}
	return nil, &FormatNeededError{Count: n}
}

// FormatNeededError is returned for header-less lines that are not the default format.
type FormatNeededError struct{ Count int }

func (e *FormatNeededError) Error() string {
	msg := fmt.Sprintf("lines have no header and %d fields, but the default format has %d; pass the flow log's format with --log-format '${version} ${account-id} ...' (the LogFormat that aws ec2 describe-flow-logs shows)",
		e.Count, len(DefaultFields()))
	if guess := guessFormat(e.Count); guess != "" {
		msg += "; " + guess
	}
	return msg
}

// UserMessage is the refusal for people.
func (e *FormatNeededError) UserMessage() string { return e.Error() }

// guessFormat names the format a field count suggests: all fields up to a
// version, in AWS's order, or the transit gateway default.
func guessFormat(n int) string {
	var upTo []Field
	for _, f := range fieldTable {
		if f.Version == 6 {
			continue
		}
		upTo = append(upTo, f)
		if len(upTo) == n && (len(fieldTable) == len(upTo) || fieldTable[len(upTo)].Version != f.Version) {
			return fmt.Sprintf("%d fields is every field of versions 2 to %d in AWS's order: --log-format '%s'", n, f.Version, FormatString(upTo))
		}
	}
	if n == len(TransitGatewayDefault) {
		fs, _ := ParseLogFormat(strings.Join(TransitGatewayDefault, " "), false)
		return fmt.Sprintf("%d fields is the transit gateway default format: --log-format '%s'", n, FormatString(fs))
	}
	return ""
}

// TransitGatewayDefault is the default format of transit gateway flow logs.
var TransitGatewayDefault = []string{
	"version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id",
	"tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id", "tgw-src-subnet-id", "tgw-dst-subnet-id",
	"tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id", "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr",
	"dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "log-status", "type",
	"packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired",
	"tcp-flags", "region", "flow-direction", "pkt-src-aws-service", "pkt-dst-aws-service",
}
