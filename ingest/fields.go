// Package ingest reads VPC flow logs of every shape AWS writes them in and
// loads them into a case: detection of the shape, the field table of versions
// 2 to 11, the engine-driven bulk load, and a line parser of our own for what
// the engine cannot do and for exact reject reasons.
package ingest

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind is how a field's text is parsed and stored.
type Kind int

// The field kinds. Each names the parse type (what the text must be) and the
// column type in flows (what is stored).
const (
	KString    Kind = iota // VARCHAR
	KAddr                  // VARCHAR, must be an IPv4 or IPv6 address
	KPort                  // 0..65535, stored INTEGER
	KProto                 // 0..255, stored SMALLINT
	KSmall                 // 0..255 (version, traffic-path, tcp-flags, encryption-status), stored INTEGER
	KCount                 // BIGINT (packets, bytes, packets-lost-*)
	KTime                  // Unix seconds, stored TIMESTAMP (UTC)
	KAction                // ACCEPT | REJECT
	KLogStatus             // OK | NODATA | SKIPDATA
	KDirection             // ingress | egress
)

// Field is one flow-log field.
type Field struct {
	Name    string // as AWS writes it in a header and a log format: "pkt-srcaddr"
	Version int    // the flow-log version that introduced it (transit gateway fields: 6)
	Kind    Kind
	// Unknown marks a field we do not know, kept as text under --lenient.
	Unknown bool
}

// Stored reports whether the field has a column of its own in flow_records:
// the fields of versions 2 to 5 and reject-reason. The rarer ones are kept in
// the extra map (the flows view shows them as columns all the same).
func (f Field) Stored() bool {
	return !f.Unknown && (f.Version <= 5 || f.Name == "reject-reason")
}

// Column is the field's column in flows: the AWS name with '-' as '_'.
func (f Field) Column() string { return strings.ReplaceAll(f.Name, "-", "_") }

// ParseType is the DuckDB type the text must cast to: this is where the engine
// validates each value while it reads.
func (f Field) ParseType() string {
	switch f.Kind {
	case KPort:
		return "USMALLINT"
	case KProto, KSmall:
		return "UTINYINT"
	case KCount:
		return "BIGINT"
	case KTime:
		return "UINTEGER" // Unix seconds up to 2106; anything else is not a flow-log time
	case KAction:
		return "flow_action"
	case KLogStatus:
		return "log_status"
	case KDirection:
		return "flow_direction"
	default:
		return "VARCHAR"
	}
}

// The field table. Order within a version follows AWS's "Available fields"
// table; the default format is the version 2 fields in this order.
var fieldTable = []Field{
	{"version", 2, KSmall, false},
	{"account-id", 2, KString, false},
	{"interface-id", 2, KString, false},
	{"srcaddr", 2, KAddr, false},
	{"dstaddr", 2, KAddr, false},
	{"srcport", 2, KPort, false},
	{"dstport", 2, KPort, false},
	{"protocol", 2, KProto, false},
	{"packets", 2, KCount, false},
	{"bytes", 2, KCount, false},
	{"start", 2, KTime, false},
	{"end", 2, KTime, false},
	{"action", 2, KAction, false},
	{"log-status", 2, KLogStatus, false},
	{"vpc-id", 3, KString, false},
	{"subnet-id", 3, KString, false},
	{"instance-id", 3, KString, false},
	{"tcp-flags", 3, KSmall, false},
	{"type", 3, KString, false},
	{"pkt-srcaddr", 3, KAddr, false},
	{"pkt-dstaddr", 3, KAddr, false},
	{"region", 4, KString, false},
	{"az-id", 4, KString, false},
	{"sublocation-type", 4, KString, false},
	{"sublocation-id", 4, KString, false},
	{"pkt-src-aws-service", 5, KString, false},
	{"pkt-dst-aws-service", 5, KString, false},
	{"flow-direction", 5, KDirection, false},
	{"traffic-path", 5, KSmall, false},
	{"ecs-cluster-arn", 7, KString, false},
	{"ecs-cluster-name", 7, KString, false},
	{"ecs-container-instance-arn", 7, KString, false},
	{"ecs-container-instance-id", 7, KString, false},
	{"ecs-container-id", 7, KString, false},
	{"ecs-second-container-id", 7, KString, false},
	{"ecs-service-name", 7, KString, false},
	{"ecs-task-definition-arn", 7, KString, false},
	{"ecs-task-arn", 7, KString, false},
	{"ecs-task-id", 7, KString, false},
	{"reject-reason", 8, KString, false},
	{"resource-id", 9, KString, false},
	{"encryption-status", 10, KSmall, false},
	{"instance-tag", 11, KString, false},
	{"instance-tag-2", 11, KString, false},
	{"interface-tag", 11, KString, false},
	{"interface-tag-2", 11, KString, false},
	{"asg-tag", 11, KString, false},
	{"asg-tag-2", 11, KString, false},
	{"interface-type", 11, KString, false},
	{"next-hop-interface-id", 11, KString, false},
	{"next-hop-subnet-id", 11, KString, false},
	{"next-hop-az-id", 11, KString, false},
	{"next-hop-vpc-id", 11, KString, false},
	{"next-hop-interface-type", 11, KString, false},
	// Transit gateway flow logs.
	{"resource-type", 6, KString, false},
	{"tgw-id", 6, KString, false},
	{"tgw-attachment-id", 6, KString, false},
	{"tgw-src-vpc-account-id", 6, KString, false},
	{"tgw-dst-vpc-account-id", 6, KString, false},
	{"tgw-src-vpc-id", 6, KString, false},
	{"tgw-dst-vpc-id", 6, KString, false},
	{"tgw-src-subnet-id", 6, KString, false},
	{"tgw-dst-subnet-id", 6, KString, false},
	{"tgw-src-eni", 6, KString, false},
	{"tgw-dst-eni", 6, KString, false},
	{"tgw-src-az-id", 6, KString, false},
	{"tgw-dst-az-id", 6, KString, false},
	{"tgw-pair-attachment-id", 6, KString, false},
	{"packets-lost-no-route", 6, KCount, false},
	{"packets-lost-blackhole", 6, KCount, false},
	{"packets-lost-mtu-exceeded", 6, KCount, false},
	{"packets-lost-ttl-expired", 6, KCount, false},
}

// Fields returns the table of known fields.
func Fields() []Field { return append([]Field(nil), fieldTable...) }

var fieldIndex = func() map[string]Field {
	m := make(map[string]Field, 2*len(fieldTable))
	for _, f := range fieldTable {
		m[f.Name] = f
		m[f.Column()] = f
	}
	return m
}()

// LookupField finds a field by its AWS name ("log-status"), its column name
// ("log_status") or its ${...} form.
func LookupField(name string) (Field, bool) {
	name = strings.TrimSuffix(strings.TrimPrefix(name, "${"), "}")
	f, ok := fieldIndex[strings.ToLower(name)]
	return f, ok
}

// DefaultFields are the 14 fields of the default (version 2) format, in order.
func DefaultFields() []Field { return append([]Field(nil), fieldTable[:14]...) }

var identifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// UnknownFieldError names a field that is not a flow-log field.
type UnknownFieldError struct{ Name string }

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("unknown flow-log field %q (not a field of versions 2 to 11; --lenient keeps it as text in the extra column)", e.Name)
}

// UserMessage is the refusal for people.
func (e *UnknownFieldError) UserMessage() string { return e.Error() }

// resolveFields maps names to fields. Unknown names are an error, or with
// lenient become text fields of their own.
func resolveFields(names []string, lenient bool) ([]Field, error) {
	out := make([]Field, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		f, ok := LookupField(n)
		if !ok {
			if !lenient || !identifier.MatchString(n) {
				return nil, &UnknownFieldError{Name: n}
			}
			f = Field{Name: strings.ToLower(n), Kind: KString, Unknown: true}
		}
		if seen[f.Column()] {
			return nil, fmt.Errorf("field %q appears twice", n)
		}
		seen[f.Column()] = true
		out = append(out, f)
	}
	return out, nil
}

// ParseLogFormat reads a flow log's format in AWS's own syntax, the LogFormat
// string DescribeFlowLogs returns: "${version} ${account-id} ...". Bare names
// separated by spaces are accepted too.
func ParseLogFormat(s string, lenient bool) ([]Field, error) {
	toks := strings.Fields(s)
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty log format")
	}
	names := make([]string, len(toks))
	for i, t := range toks {
		if strings.HasPrefix(t, "${") != strings.HasSuffix(t, "}") {
			return nil, fmt.Errorf("log format: %q is not ${field-name}", t)
		}
		names[i] = strings.TrimSuffix(strings.TrimPrefix(t, "${"), "}")
	}
	fs, err := resolveFields(names, lenient)
	if err != nil {
		return nil, fmt.Errorf("log format: %w", err)
	}
	return fs, nil
}

// FieldNames returns the AWS names of fs.
func FieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// FormatString renders fs in AWS's log-format syntax.
func FormatString(fs []Field) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${" + f.Name + "}")
	}
	return b.String()
}
