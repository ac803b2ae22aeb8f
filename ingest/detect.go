package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
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
)

// Detected is what detection learned about a file.
type Detected struct {
	Compression string // none | gzip
	Shape       Shape
	Fields      []Field // nil for shapes whose columns the engine describes (Parquet, JSON records)
	Header      string  // the header line, for text-header
	// Skip is the number of physical lines before the first content line
	// (blank lines); for text-header the header is the line after them.
	Skip int
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
		return d, nil
	case bytes.HasPrefix(head, zstdMagic):
		return d, &NotFlowLogError{"zstd-compressed; only gzip is supported (decompress it with zstd -d first)"}
	case bytes.HasPrefix(head, gzipMagic):
		d.Compression = "gzip"
		zr, err := gzip.NewReader(br)
		if err != nil {
			return d, &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		prefix, err := io.ReadAll(io.LimitReader(zr, sniffSize))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return d, &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		return detectShape(d, prefix, o)
	default:
		d.Compression = "none"
		prefix, _ := br.Peek(sniffSize)
		return detectShape(d, prefix, o)
	}
}

func detectText(d Detected, prefix []byte, o DetectOptions) (Detected, error) {
	if bytes.IndexByte(prefix, 0) >= 0 || !validUTF8Prefix(prefix) {
		return d, &NotFlowLogError{"binary data"}
	}
	prefix = bytes.TrimPrefix(prefix, bom)
	// The first content line, and how many blank lines precede it.
	var first string
	for rest := prefix; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if first = cleanLine(line); first != "" {
			break
		}
		d.Skip++
	}
	switch {
	case first == "":
		return d, &NotFlowLogError{"the file has no content (only blank lines)"}
	case strings.HasPrefix(first, "<"):
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
	if names, ok := headerNames(first); ok {
		fields, err := resolveFields(names, o.Lenient)
		if err != nil {
			return d, fmt.Errorf("header line %d: %w", d.Skip+1, err)
		}
		d.Shape, d.Fields, d.Header = ShapeTextHeader, fields, first
		return d, nil
	}
	if _, rest, ok := splitExportTimestamp(first); ok {
		d.Shape = ShapeExport
		fields, err := headerlessFields(rest, o)
		d.Fields = fields
		return d, err
	}
	d.Shape = ShapeText
	fields, err := headerlessFields(first, o)
	d.Fields = fields
	return d, err
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

// validUTF8Prefix is utf8.Valid that forgives a sequence cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}
