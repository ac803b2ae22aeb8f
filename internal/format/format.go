// Package format renders values for people the same way on the command line
// and in the workbench: counts with thousands separators, byte sizes in
// binary units, times in UTC, and result cells.
package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// timeLayout is how times are shown (always UTC).
const timeLayout = "2006-01-02 15:04:05"

// Count renders n with thousands separators: 1,234,567.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes renders a byte count in binary units: 12.3 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Nouns renders n and its noun: "1 file", "2,000 files", "3 addresses".
func Nouns(n int64, noun string) string { return Count(n) + " " + Plural(n, noun) }

// Be is the verb after n of them: "1 line is", "2 lines are".
func Be(n int64) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// Plural is the noun for n of them, by the English rules the nouns we
// count need: file → files, address → addresses, query → queries.
func Plural(n int64, noun string) string {
	if n == 1 || noun == "" {
		return noun
	}
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "z"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsAny(noun[len(noun)-2:len(noun)-1], "aeiou"):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

// Time renders t in UTC.
func Time(t time.Time) string { return t.UTC().Format(timeLayout) }

// identifiers are numeric columns that are names, not quantities: no
// thousands separators.
var identifiers = map[string]bool{"port": true, "srcport": true, "dstport": true, "server_port": true, "protocol": true, "protocol_number": true, "asn": true, "version": true}

// Cell renders one value of the named result column: "-" for NULL.
func Cell(column string, v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case int64:
		switch {
		case column == "tcp_flags":
			return TCPFlags(v)
		case column == "traffic_path":
			return TrafficPath(v)
		case identifiers[column]:
			return strconv.FormatInt(v, 10)
		}
		return Count(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return Time(v)
	default:
		return fmt.Sprint(v)
	}
}

// tcpFlags are the TCP flags a flow log's tcp-flags field ORs over the
// capture window, by bit.
var tcpFlags = []struct {
	bit  int64
	name string
}{{2, "SYN"}, {16, "ACK"}, {1, "FIN"}, {4, "RST"}, {8, "PSH"}, {32, "URG"}}

// TCPFlags names a tcp-flags value, e.g. 18 is "SYN-ACK (18)" and 2
// "SYN (2)"; a SYN without an answer in the window is how a refused or
// dropped attempt shows.
func TCPFlags(v int64) string {
	if v == 0 {
		return "none (0)"
	}
	var names []string
	for _, f := range tcpFlags {
		if v&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	if rest := v &^ 63; rest != 0 || len(names) == 0 {
		return strconv.FormatInt(v, 10)
	}
	return strings.Join(names, "-") + " (" + strconv.FormatInt(v, 10) + ")"
}

// trafficPaths are the values of the traffic-path field (AWS's numbering).
var trafficPaths = map[int64]string{
	1: "same VPC", 2: "internet gateway or gateway endpoint", 3: "virtual private gateway", 4: "intra-region peering",
	5: "inter-region peering", 6: "local gateway", 7: "gateway endpoint", 8: "internet gateway",
}

// TrafficPath names a traffic-path value: "internet gateway (8)".
func TrafficPath(v int64) string {
	if name, ok := trafficPaths[v]; ok {
		return name + " (" + strconv.FormatInt(v, 10) + ")"
	}
	return strconv.FormatInt(v, 10)
}

// Stamp renders *t in UTC, or "-" when there is no time.
func Stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return Time(*t)
}

// TimeUTC renders t in UTC and says so: 2023-11-14 22:13:20 UTC. The
// workbench shows every time this way, so that no reader takes it for local.
func TimeUTC(t time.Time) string { return Time(t) + " UTC" }

// StampUTC renders *t as TimeUTC does, or "-" when there is no time.
func StampUTC(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return TimeUTC(*t)
}

// rateUnits are the suffixes of rate columns (bytes_per_s, attempts_per_day)
// and the unit each shows.
var rateUnits = []struct{ suffix, unit string }{
	{"_per_second", "/s"}, {"_per_sec", "/s"}, {"_per_s", "/s"},
	{"_per_minute", "/min"}, {"_per_min", "/min"},
	{"_per_hour", "/h"}, {"_per_day", "/day"},
}

// byteColumns are result columns that count bytes beyond those named
// bytes, *_bytes or bytes_* (exfiltration's sent and received).
var byteColumns = map[string]bool{"sent": true, "received": true}

// BytesColumn reports whether the named result column counts bytes: bytes,
// sent, received, or a name that starts with bytes_ or ends with _bytes.
func BytesColumn(column string) bool {
	return column == "bytes" || byteColumns[column] || strings.HasPrefix(column, "bytes_") || strings.HasSuffix(column, "_bytes")
}

// Human renders one value of the named result column for people reading a
// table, where Cell renders it for a terminal or a file: byte counts in
// binary units (1.2 MiB), rates with their unit (3.4 KiB/s, 1,200/day),
// fractions rounded, times with their zone. exact is the whole value when
// shown is rounded (for a tooltip), "" when shown says it all.
func Human(column string, v any) (shown, exact string) {
	switch v := v.(type) {
	case int64:
		base, unit := column, ""
		for _, r := range rateUnits {
			if strings.HasSuffix(column, r.suffix) {
				base, unit = strings.TrimSuffix(column, r.suffix), r.unit
				break
			}
		}
		switch {
		case BytesColumn(base) && v >= 1024:
			return Bytes(v) + unit, Count(v) + " bytes" + unit
		case BytesColumn(base):
			return Bytes(v) + unit, ""
		case unit != "":
			return Count(v) + unit, ""
		}
	case float64:
		if r := roundFloat(v); r != v {
			return strconv.FormatFloat(r, 'f', -1, 64), strconv.FormatFloat(v, 'f', -1, 64)
		}
	case time.Time:
		return TimeUTC(v), ""
	}
	return Cell(column, v), ""
}

// roundFloat keeps what a reader compares of a fraction: two decimals from
// 1 up, three significant digits below (0.000123 stays readable).
func roundFloat(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	if math.Abs(v) >= 1 {
		return math.Round(v*100) / 100
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	if err != nil {
		return v
	}
	return r
}
