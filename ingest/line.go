package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxRaw is how much of a rejected line the case keeps.
const maxRaw = 1000

// ParseRecord parses the space-separated values of one record in the given
// format. It returns one value per field, typed as the flows column wants it
// (nil for '-'), or an error that names the field and what was expected.
func ParseRecord(fields []Field, line string) ([]any, error) {
	toks := strings.Fields(line)
	if len(toks) != len(fields) {
		return nil, fmt.Errorf("expected %d fields, found %d", len(fields), len(toks))
	}
	vals := make([]any, len(fields))
	for i, tok := range toks {
		v, err := parseValue(fields[i], tok)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

func parseValue(f Field, tok string) (any, error) {
	if tok == "-" {
		return nil, nil
	}
	var v any
	var err error
	switch f.Kind {
	case KAddr:
		var a netip.Addr
		if a, err = netip.ParseAddr(tok); err == nil && a.Zone() != "" {
			err = errors.New("zone")
		}
		v = tok
	case KPort:
		var n uint64
		n, err = strconv.ParseUint(tok, 10, 16)
		v = int32(n)
	case KProto:
		var n uint64
		n, err = strconv.ParseUint(tok, 10, 8)
		v = int16(n)
	case KSmall:
		var n uint64
		n, err = strconv.ParseUint(tok, 10, 8)
		v = int32(n)
	case KCount:
		v, err = strconv.ParseInt(tok, 10, 64)
	case KTime:
		var n uint64
		n, err = strconv.ParseUint(tok, 10, 32)
		v = time.Unix(int64(n), 0).UTC()
	case KAction:
		v, err = oneOf(tok, "ACCEPT", "REJECT")
	case KLogStatus:
		v, err = oneOf(tok, "OK", "NODATA", "SKIPDATA")
	case KDirection:
		v, err = oneOf(tok, "ingress", "egress")
	default:
		v = tok
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not %s", f.Name, truncate(tok, 80), expected(f.Kind))
	}
	return v, nil
}

func oneOf(tok string, allowed ...string) (string, error) {
	if slices.Contains(allowed, tok) {
		return tok, nil
	}
	return "", errors.New("not allowed")
}

// expected says what a value of kind k must be, for reject reasons.
func expected(k Kind) string {
	switch k {
	case KAddr:
		return "an IP address"
	case KPort:
		return "a port (0-65535)"
	case KProto:
		return "a protocol number (0-255)"
	case KSmall:
		return "a number from 0 to 255"
	case KCount:
		return "a count"
	case KTime:
		return "a time in Unix seconds"
	case KAction:
		return "ACCEPT or REJECT"
	case KLogStatus:
		return "OK, NODATA or SKIPDATA"
	case KDirection:
		return "ingress or egress"
	}
	return "valid"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// do not cut a UTF-8 sequence in half (one is at most 4 bytes long)
	for back := 0; back < 3 && n > 0 && n < len(s) && s[n]&0xC0 == 0x80; back++ {
		n--
	}
	return s[:n] + "…"
}

var bom = []byte("\xef\xbb\xbf")

// cleanLine removes what surrounds a record in real files: a UTF-8 byte-order
// mark, a carriage return, surrounding blanks.
func cleanLine(b []byte) string {
	b = bytes.TrimPrefix(b, bom)
	return string(bytes.TrimSpace(b))
}

// unwrapMessage returns the "message" of a JSON object line (the Firehose and
// CloudWatch subscription shape).
func unwrapMessage(line string) (string, error) {
	var obj struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal([]byte(line), &obj); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	if obj.Message == nil {
		return "", fmt.Errorf(`JSON object without a "message" field`)
	}
	return strings.TrimSpace(*obj.Message), nil
}

// splitExportTimestamp splits the leading timestamp that a CloudWatch Logs
// export to S3 puts before every message.
func splitExportTimestamp(line string) (ts time.Time, rest string, ok bool) {
	i := strings.IndexByte(line, ' ')
	if i < 0 {
		return time.Time{}, line, false
	}
	t, err := time.Parse(time.RFC3339Nano, line[:i])
	if err != nil {
		return time.Time{}, line, false
	}
	return t, strings.TrimLeft(line[i+1:], " "), true
}

// headerNames returns the tokens of line when it is a header: every token a
// field-name-like identifier and at least one a known field.
func headerNames(line string) ([]string, bool) {
	toks := strings.Fields(line)
	if len(toks) == 0 {
		return nil, false
	}
	known := false
	for _, t := range toks {
		if !identifier.MatchString(t) {
			return nil, false
		}
		if _, ok := LookupField(t); ok {
			known = true
		}
	}
	return toks, known
}
