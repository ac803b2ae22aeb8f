package demo

import "net/netip"

// Indexes into environment.enis.
const (
	eniWeb     = iota // focus instance, eth0: private, public and IPv6 address
	eniWebMgmt        // focus instance, eth1: management interface
	eniNAT            // NAT gateway
	eniBastion
	eniApp
	eniDB
	eniWorker
	eniBatch // short-lived batch instance: one hour, Parquet flow log
)

// Indexes into environment.flowLogs.
const (
	flDefault = iota // v2 default format, text: app, database, worker
	flEdge           // v5 custom format, text: web server and NAT gateway
	flBatch          // v5, all fields, Parquet: the batch instance
	flBastion        // v3 custom format (bytes before packets), text: bastion
)

// Indexes into environment.subnets.
const (
	subnetPublic = iota
	subnetPrivateA
	subnetPrivateB
)

type subnet struct {
	id   string
	v4   netip.Prefix
	v6   netip.Prefix
	azID string
}

// eni is one network interface whose traffic is logged.
type eni struct {
	id       string
	instance string // empty for the NAT gateway's interface
	subnet   int
	private  netip.Addr
	public   netip.Addr // zero when the interface has no public address
	v6       netip.Addr // zero when the interface has no IPv6 address
	flowLog  int
	phase    int64 // offset of the interface's 60-second aggregation windows
}

type flowLog struct {
	id      string
	fields  []field
	parquet bool
}

type serviceRange struct {
	prefix  netip.Prefix
	service string
	region  string // "" is us-east-1
}

// environment is the fixed shape of the demo VPC: account, subnets,
// interfaces and flow logs. It is built fresh for every call and never
// modified afterwards, so concurrent readers need no locking.
type environment struct {
	account  string
	region   string
	vpcID    string
	vpcCIDRs []netip.Prefix
	subnets  []subnet
	enis     []eni
	flowLogs []flowLog
	resolver netip.Addr // the VPC's Route 53 Resolver (VPC base + 2)
	// balancer is the node of a Network Load Balancer in the public subnet
	// that has the web server in its target group; its interface is not
	// logged.
	balancer netip.Addr
	services []serviceRange
}

func newEnvironment() *environment {
	mp := netip.MustParsePrefix
	ma := netip.MustParseAddr
	env := &environment{
		account:  "123456789012",
		region:   "us-east-1",
		vpcID:    "vpc-0a1b2c3d4e5f60718",
		vpcCIDRs: []netip.Prefix{mp("10.0.0.0/16"), mp("2600:1f18:abc:de00::/56")},
		resolver: ma("10.0.0.2"),
		balancer: ma("10.0.1.142"),
		subnets: []subnet{
			subnetPublic:   {id: "subnet-04f1b2c3d4e5f6a01", v4: mp("10.0.1.0/24"), v6: mp("2600:1f18:abc:de01::/64"), azID: "use1-az4"},
			subnetPrivateA: {id: "subnet-09e8d7c6b5a493821", v4: mp("10.0.2.0/24"), v6: mp("2600:1f18:abc:de02::/64"), azID: "use1-az4"},
			subnetPrivateB: {id: "subnet-0c3b2a1f0e9d8c7b6", v4: mp("10.0.3.0/24"), v6: mp("2600:1f18:abc:de03::/64"), azID: "use1-az6"},
		},
		enis: []eni{
			eniWeb: {id: "eni-0f1e2d3c4b5a69788", instance: "i-0abc1234def567890", subnet: subnetPublic,
				private: ma("10.0.1.10"), public: ma("54.210.167.204"), v6: ma("2600:1f18:abc:de01::10"), flowLog: flEdge, phase: 17},
			eniWebMgmt: {id: "eni-07a6b5c4d3e2f1a09", instance: "i-0abc1234def567890", subnet: subnetPublic,
				private: ma("10.0.1.11"), flowLog: flEdge, phase: 43},
			eniNAT: {id: "eni-0e5f4a3b2c1d09876", subnet: subnetPublic,
				private: ma("10.0.1.200"), public: ma("44.206.113.57"), flowLog: flEdge, phase: 5},
			eniBastion: {id: "eni-0e4d5c6b7a8f90123", instance: "i-0b5e8f1c2d3a49687", subnet: subnetPublic,
				private: ma("10.0.1.20"), public: ma("3.92.141.18"), flowLog: flBastion, phase: 31},
			eniApp: {id: "eni-0a9b8c7d6e5f40312", instance: "i-0c7d1e2f3a4b5c6d7", subnet: subnetPrivateA,
				private: ma("10.0.2.15"), flowLog: flDefault, phase: 52},
			eniDB: {id: "eni-0b8c7d6e5f4a30219", instance: "i-0d9e8f7a6b5c4d3e2", subnet: subnetPrivateA,
				private: ma("10.0.2.40"), flowLog: flDefault, phase: 9},
			eniWorker: {id: "eni-0c7d6e5f4a3b20198", instance: "i-0e1f2a3b4c5d6e7f8", subnet: subnetPrivateB,
				private: ma("10.0.3.25"), flowLog: flDefault, phase: 24},
			eniBatch: {id: "eni-0d6e5f4a3b2c10987", instance: "i-0f2e3d4c5b6a79801", subnet: subnetPrivateB,
				private: ma("10.0.3.77"), flowLog: flBatch, phase: 38},
		},
		flowLogs: []flowLog{
			flDefault: {id: "fl-0a1b2c3d4e5f6a7b8", fields: []field{
				fVersion, fAccountID, fInterfaceID, fSrcAddr, fDstAddr, fSrcPort, fDstPort,
				fProtocol, fPackets, fBytes, fStart, fEnd, fAction, fLogStatus,
			}},
			flEdge: {id: "fl-0b2c3d4e5f6a7b8c9", fields: []field{
				fVersion, fAccountID, fVPCID, fSubnetID, fInstanceID, fInterfaceID, fType,
				fSrcAddr, fDstAddr, fSrcPort, fDstPort, fPktSrcAddr, fPktDstAddr, fProtocol,
				fPackets, fBytes, fStart, fEnd, fAction, fTCPFlags, fLogStatus, fRegion, fAZID,
				fPktSrcAWSService, fPktDstAWSService, fFlowDirection, fTrafficPath,
			}},
			flBatch: {id: "fl-0c3d4e5f6a7b8c9d0", parquet: true, fields: []field{
				fVersion, fAccountID, fInterfaceID, fSrcAddr, fDstAddr, fSrcPort, fDstPort,
				fProtocol, fPackets, fBytes, fStart, fEnd, fAction, fLogStatus, fVPCID,
				fSubnetID, fInstanceID, fTCPFlags, fType, fPktSrcAddr, fPktDstAddr, fRegion,
				fAZID, fSublocationType, fSublocationID, fPktSrcAWSService, fPktDstAWSService,
				fFlowDirection, fTrafficPath,
			}},
			flBastion: {id: "fl-0d4e5f6a7b8c9d0e1", fields: []field{
				fVersion, fVPCID, fSubnetID, fInstanceID, fInterfaceID, fAccountID, fType,
				fSrcAddr, fDstAddr, fSrcPort, fDstPort, fPktSrcAddr, fPktDstAddr, fProtocol,
				fBytes, fPackets, fStart, fEnd, fAction, fTCPFlags, fLogStatus,
			}},
		},
		// Subsets of AWS's published ip-ranges.json (us-east-1 unless noted)
		// that the demo's peers are drawn from. AWS names the most specific
		// service, so S3 and DYNAMODB come before the AMAZON superset.
		services: []serviceRange{
			{mp("52.216.0.0/15"), "S3", ""},
			{mp("3.5.0.0/19"), "S3", ""},
			{mp("54.231.0.0/16"), "S3", ""},
			{mp("16.182.0.0/16"), "S3", ""},
			{mp("52.94.0.0/22"), "DYNAMODB", ""},
			{mp("54.243.31.192/26"), "ROUTE53_HEALTHCHECKS", ""},
			{mp("107.23.255.0/26"), "ROUTE53_HEALTHCHECKS", ""},
			{mp("54.228.16.0/26"), "ROUTE53_HEALTHCHECKS", "eu-west-1"},
			{mp("54.251.31.128/26"), "ROUTE53_HEALTHCHECKS", "ap-southeast-1"},
			{mp("54.183.255.128/26"), "ROUTE53_HEALTHCHECKS", "us-west-1"},
			{mp("177.71.207.128/26"), "ROUTE53_HEALTHCHECKS", "sa-east-1"},
			{mp("52.46.128.0/19"), "AMAZON", ""},
			{mp("3.239.232.0/24"), "AMAZON", ""},
		},
	}
	return env
}

// awsService returns the AWS service name flow logs give an address in
// pkt-src-aws-service / pkt-dst-aws-service, or "" when it is not one.
// The demo's own public addresses are deliberately left unnamed.
func (env *environment) awsService(a netip.Addr) string {
	if !a.Is4() || a.IsPrivate() {
		return ""
	}
	for _, s := range env.services {
		if s.prefix.Contains(a) {
			return s.service
		}
	}
	return ""
}

// focusIPs returns every address of the focus instance's interfaces.
func (env *environment) focusIPs() []netip.Addr {
	var ips []netip.Addr
	for _, i := range []int{eniWeb, eniWebMgmt} {
		n := env.enis[i]
		for _, a := range []netip.Addr{n.private, n.public, n.v6} {
			if a.IsValid() {
				ips = append(ips, a)
			}
		}
	}
	return ips
}
