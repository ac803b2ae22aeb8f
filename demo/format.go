package demo

import (
	"net/netip"
	"strconv"
)

// field is one VPC flow log field.
type field uint8

const (
	fVersion field = iota
	fAccountID
	fInterfaceID
	fSrcAddr
	fDstAddr
	fSrcPort
	fDstPort
	fProtocol
	fPackets
	fBytes
	fStart
	fEnd
	fAction
	fLogStatus
	fVPCID
	fSubnetID
	fInstanceID
	fTCPFlags
	fType
	fPktSrcAddr
	fPktDstAddr
	fRegion
	fAZID
	fSublocationType
	fSublocationID
	fPktSrcAWSService
	fPktDstAWSService
	fFlowDirection
	fTrafficPath
)

// kind is the Parquet type AWS gives a field.
type kind uint8

const (
	kindString kind = iota
	kindInt32
	kindInt64
)

// fieldSpec describes a field as AWS names it: the hyphenated name used in
// format strings and text headers, the underscore name used as the Parquet
// column, the flow log version that introduced it and its Parquet type.
type fieldSpec struct {
	name    string
	column  string
	version int
	kind    kind
}

func (f field) spec() fieldSpec {
	switch f {
	case fVersion:
		return fieldSpec{"version", "version", 2, kindInt32}
	case fAccountID:
		return fieldSpec{"account-id", "account_id", 2, kindString}
	case fInterfaceID:
		return fieldSpec{"interface-id", "interface_id", 2, kindString}
	case fSrcAddr:
		return fieldSpec{"srcaddr", "srcaddr", 2, kindString}
	case fDstAddr:
		return fieldSpec{"dstaddr", "dstaddr", 2, kindString}
	case fSrcPort:
		return fieldSpec{"srcport", "srcport", 2, kindInt32}
	case fDstPort:
		return fieldSpec{"dstport", "dstport", 2, kindInt32}
	case fProtocol:
		return fieldSpec{"protocol", "protocol", 2, kindInt32}
	case fPackets:
		return fieldSpec{"packets", "packets", 2, kindInt64}
	case fBytes:
		return fieldSpec{"bytes", "bytes", 2, kindInt64}
	case fStart:
		return fieldSpec{"start", "start", 2, kindInt64}
	case fEnd:
		return fieldSpec{"end", "end", 2, kindInt64}
	case fAction:
		return fieldSpec{"action", "action", 2, kindString}
	case fLogStatus:
		return fieldSpec{"log-status", "log_status", 2, kindString}
	case fVPCID:
		return fieldSpec{"vpc-id", "vpc_id", 3, kindString}
	case fSubnetID:
		return fieldSpec{"subnet-id", "subnet_id", 3, kindString}
	case fInstanceID:
		return fieldSpec{"instance-id", "instance_id", 3, kindString}
	case fTCPFlags:
		return fieldSpec{"tcp-flags", "tcp_flags", 3, kindInt32}
	case fType:
		return fieldSpec{"type", "type", 3, kindString}
	case fPktSrcAddr:
		return fieldSpec{"pkt-srcaddr", "pkt_srcaddr", 3, kindString}
	case fPktDstAddr:
		return fieldSpec{"pkt-dstaddr", "pkt_dstaddr", 3, kindString}
	case fRegion:
		return fieldSpec{"region", "region", 4, kindString}
	case fAZID:
		return fieldSpec{"az-id", "az_id", 4, kindString}
	case fSublocationType:
		return fieldSpec{"sublocation-type", "sublocation_type", 4, kindString}
	case fSublocationID:
		return fieldSpec{"sublocation-id", "sublocation_id", 4, kindString}
	case fPktSrcAWSService:
		return fieldSpec{"pkt-src-aws-service", "pkt_src_aws_service", 5, kindString}
	case fPktDstAWSService:
		return fieldSpec{"pkt-dst-aws-service", "pkt_dst_aws_service", 5, kindString}
	case fFlowDirection:
		return fieldSpec{"flow-direction", "flow_direction", 5, kindString}
	case fTrafficPath:
		return fieldSpec{"traffic-path", "traffic_path", 5, kindInt32}
	}
	panic("demo: unknown field " + strconv.Itoa(int(f)))
}

// formatVersion is the value AWS writes in the version field of a format:
// the highest version among its fields.
func formatVersion(fields []field) int {
	v := 2
	for _, f := range fields {
		v = max(v, f.spec().version)
	}
	return v
}

// Record values.
const (
	actionNone uint8 = iota
	actionAccept
	actionReject
)

const (
	statusOK uint8 = iota
	statusNoData
	statusSkipData
)

// IANA protocol numbers used by the generator.
const (
	protoICMP   uint8 = 1
	protoTCP    uint8 = 6
	protoUDP    uint8 = 17
	protoICMPv6 uint8 = 58
)

// TCP flag bits as flow logs report them (OR-ed over the window).
const (
	flagFIN    uint8 = 1
	flagSYN    uint8 = 2
	flagRST    uint8 = 4
	flagSYNACK uint8 = 18
)

// record is one flow log record before it is rendered. Everything that
// follows from the interface (VPC, subnet, instance, AZ, region, traffic
// type, AWS service names) is derived when the record is written.
type record struct {
	start, end     int64
	packets, bytes int64
	src, dst       netip.Addr
	pktSrc, pktDst netip.Addr
	srcPort        uint16
	dstPort        uint16
	eni            uint8 // index into environment.enis
	proto          uint8
	action         uint8
	status         uint8
	flags          uint8
	path           uint8 // traffic-path; 0 when absent (ingress)
	egress         bool
}

// encoder renders records of one flow log.
type encoder struct {
	env     *environment
	fields  []field
	version int
}

func newEncoder(env *environment, fl *flowLog) *encoder {
	return &encoder{env: env, fields: fl.fields, version: formatVersion(fl.fields)}
}

// header returns the first line of a text object: the field names.
func (e *encoder) header() []byte {
	var b []byte
	for i, f := range e.fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f.spec().name...)
	}
	return append(b, '\n')
}

// appendRecord appends r as one line (with its newline) to b.
func (e *encoder) appendRecord(b []byte, r *record) []byte {
	for i, f := range e.fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = e.appendField(b, f, r)
	}
	return append(b, '\n')
}

// appendField appends the text form of one field, "-" when it is absent.
func (e *encoder) appendField(b []byte, f field, r *record) []byte {
	n := &e.env.enis[r.eni]
	ok := r.status == statusOK
	switch f {
	case fVersion:
		return strconv.AppendInt(b, int64(e.version), 10)
	case fAccountID:
		return append(b, e.env.account...)
	case fInterfaceID:
		return append(b, n.id...)
	case fStart:
		return strconv.AppendInt(b, r.start, 10)
	case fEnd:
		return strconv.AppendInt(b, r.end, 10)
	case fLogStatus:
		switch r.status {
		case statusNoData:
			return append(b, "NODATA"...)
		case statusSkipData:
			return append(b, "SKIPDATA"...)
		}
		return append(b, "OK"...)
	case fVPCID:
		return append(b, e.env.vpcID...)
	case fSubnetID:
		return append(b, e.env.subnets[n.subnet].id...)
	case fInstanceID:
		return appendOrDash(b, n.instance)
	case fRegion:
		return append(b, e.env.region...)
	case fAZID:
		return append(b, e.env.subnets[n.subnet].azID...)
	case fSublocationType, fSublocationID:
		return append(b, '-')
	}
	if !ok {
		return append(b, '-')
	}
	switch f {
	case fSrcAddr:
		return r.src.AppendTo(b)
	case fDstAddr:
		return r.dst.AppendTo(b)
	case fSrcPort:
		return strconv.AppendUint(b, uint64(r.srcPort), 10)
	case fDstPort:
		return strconv.AppendUint(b, uint64(r.dstPort), 10)
	case fProtocol:
		return strconv.AppendUint(b, uint64(r.proto), 10)
	case fPackets:
		return strconv.AppendInt(b, r.packets, 10)
	case fBytes:
		return strconv.AppendInt(b, r.bytes, 10)
	case fAction:
		if r.action == actionReject {
			return append(b, "REJECT"...)
		}
		return append(b, "ACCEPT"...)
	case fTCPFlags:
		return strconv.AppendUint(b, uint64(r.flags), 10)
	case fType:
		if r.src.Is6() {
			return append(b, "IPv6"...)
		}
		return append(b, "IPv4"...)
	case fPktSrcAddr:
		return r.pktSrc.AppendTo(b)
	case fPktDstAddr:
		return r.pktDst.AppendTo(b)
	case fPktSrcAWSService:
		return appendOrDash(b, e.env.awsService(r.pktSrc))
	case fPktDstAWSService:
		return appendOrDash(b, e.env.awsService(r.pktDst))
	case fFlowDirection:
		if r.egress {
			return append(b, "egress"...)
		}
		return append(b, "ingress"...)
	case fTrafficPath:
		if r.path == 0 {
			return append(b, '-')
		}
		return strconv.AppendUint(b, uint64(r.path), 10)
	}
	panic("demo: unhandled field " + f.spec().name)
}

func appendOrDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}
