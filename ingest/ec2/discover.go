// Package ec2 learns what a case is about from EC2: given the instance
// ids an analyst names, it finds their network interfaces, every address
// those interfaces carry, every CIDR block of their VPCs, and the flow logs
// that cover them (where they deliver and in which format), so that ingest
// can pull from the right place without guessing.
//
// Discovery reads only: it calls ec2:DescribeInstances, ec2:DescribeVpcs and
// ec2:DescribeFlowLogs, nothing else.
package ec2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/store"
)

// Source is what discovery writes in the source column of what it records.
const Source = "ec2"

// DefaultLogFormat is the format of a flow log created without --log-format
// (version 2): what DescribeFlowLogs means when it returns no LogFormat.
const DefaultLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// DefaultMaxAggregation is the aggregation interval of a flow log created
// without one, in seconds.
const DefaultMaxAggregation = 600

// Flow-log destination types, as the EC2 API names them.
const (
	DestCloudWatchLogs = "cloud-watch-logs"
	DestS3             = "s3"
	DestFirehose       = "kinesis-data-firehose"
)

// EC2API is the part of *ec2.Client discovery uses.
type EC2API interface {
	DescribeInstances(ctx context.Context, params *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeVpcs(ctx context.Context, params *ec2.DescribeVpcsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeFlowLogs(ctx context.Context, params *ec2.DescribeFlowLogsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeFlowLogsOutput, error)
}

var _ EC2API = (*ec2.Client)(nil)

// Interface is a network interface (ENI) of one of the case's instances.
type Interface struct {
	ID          string `json:"interface_id"`
	InstanceID  string `json:"instance_id,omitempty"`
	SubnetID    string `json:"subnet_id,omitempty"`
	VPCID       string `json:"vpc_id,omitempty"`
	Description string `json:"description,omitempty"`
}

// FlowLog is a flow log attached to one of the case's interfaces, their
// subnets or their VPCs: where it delivers and in which shape.
type FlowLog struct {
	ID         string `json:"flow_log_id"`
	ResourceID string `json:"resource_id"` // eni-…, subnet-… or vpc-…
	// DestinationType is DestCloudWatchLogs, DestS3 or DestFirehose.
	DestinationType string `json:"destination_type"`
	// LogGroup is the CloudWatch Logs group name (cloud-watch-logs only).
	LogGroup string `json:"log_group,omitempty"`
	// Destination is s3://bucket[/prefix] for S3, otherwise the destination ARN.
	Destination string `json:"destination,omitempty"`
	// LogFormat is the ${field} format string; DefaultLogFormat when AWS gave none.
	LogFormat string `json:"log_format"`
	// FileFormat is plain-text or parquet for S3, "" otherwise.
	FileFormat string `json:"file_format,omitempty"`
	Status     string `json:"status,omitempty"`
	AccountID  string `json:"account_id,omitempty"`
	Region     string `json:"region,omitempty"`
	// TrafficType is ALL, ACCEPT or REJECT: what the flow log records.
	TrafficType string `json:"traffic_type,omitempty"`
	// HivePartitions and PerHour describe the S3 key layout.
	HivePartitions bool `json:"hive_partitions,omitempty"`
	PerHour        bool `json:"per_hour,omitempty"`
	// MaxAggregation is the aggregation interval in seconds (60 or 600).
	MaxAggregation int `json:"max_aggregation"`
}

// Result is everything discovery learned about the case's instances.
type Result struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	// Instances found, in the order named, with VPC, subnet and Name tag.
	Instances []store.Instance `json:"instances"`
	// Tags of each instance by instance id (an empty map: no tags).
	Tags       map[string]map[string]string `json:"tags"`
	Interfaces []Interface                  `json:"interfaces"`
	// Focus is every address of every interface: the primary private
	// address ("private"), the other private ones ("secondary"), public
	// and Elastic IPs ("public") and IPv6 addresses ("ipv6").
	Focus []store.FocusIP `json:"focus"`
	// VPCCIDRs are the associated IPv4 and IPv6 blocks of every VPC the
	// interfaces are in, secondary blocks included.
	VPCCIDRs []store.VPCCIDR `json:"vpc_cidrs"`
	// FlowLogs on the interfaces, their subnets and their VPCs, most
	// specific first.
	FlowLogs []FlowLog `json:"flow_logs"`
	// Warnings are things the analyst should know that are not errors: a
	// terminated instance, a flow log that fails to deliver or records only
	// rejected traffic, delegated prefixes whose addresses are not in Focus.
	Warnings []string `json:"warnings,omitempty"`
}

// Options refine discovery.
type Options struct {
	// Profile names the AWS profile in use, for the hints in error messages.
	Profile string
	// Region is the region the client talks to; when empty it is read from
	// the client (an *ec2.Client knows it).
	Region string
}

// Discover describes the named instances, their network interfaces, VPCs and
// flow logs. It is DiscoverWith with no options.
func Discover(ctx context.Context, api EC2API, instanceIDs []string) (Result, error) {
	return DiscoverWith(ctx, api, instanceIDs, Options{})
}

// DiscoverWith describes the named instances, their network interfaces, VPCs
// and flow logs.
//
// The error contract: when err is nil or a *NoFlowLogsError, the Result is
// complete (a NoFlowLogsError only says that some instance has no flow log to
// pull from; its addresses and VPC blocks are still worth recording, so
// callers should Record the Result and then report the error). An unknown
// instance id is an *InstanceNotFoundError (errors.Is ErrInstanceNotFound)
// and the Result is empty. Any other error (access denied, throttling) is
// explained by awsenv.Explain, and the Result holds what was learned before
// the failure: the instances and their addresses when only DescribeVpcs or
// DescribeFlowLogs failed.
func DiscoverWith(ctx context.Context, api EC2API, instanceIDs []string, o Options) (Result, error) {
	ids := cleanIDs(instanceIDs)
	if len(ids) == 0 {
		return Result{}, errors.New("ec2: no instance id given: name the case's instances (i-0123456789abcdef0)")
	}
	region := o.Region
	if region == "" {
		if c, ok := api.(interface{ Options() ec2.Options }); ok {
			region = c.Options().Region
		}
	}
	r := Result{Region: region, Tags: map[string]map[string]string{}}

	found, err := describeInstances(ctx, api, ids, region, o.Profile)
	if err != nil {
		return Result{}, err
	}
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return Result{}, &InstanceNotFoundError{IDs: missing, Region: region}
	}

	cov := map[string]*Uncovered{} // instance id -> its resources
	vpcs := map[string]bool{}
	for _, id := range ids {
		fi := found[id]
		in := fi.inst
		if r.AccountID == "" {
			r.AccountID = fi.owner
		}
		tags := map[string]string{}
		for _, t := range in.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		r.Tags[id] = tags
		r.Instances = append(r.Instances, store.Instance{
			ID: id, AccountID: fi.owner, Region: region,
			VPCID: aws.ToString(in.VpcId), SubnetID: aws.ToString(in.SubnetId),
			Name: tags["Name"], Source: Source,
		})
		u := &Uncovered{InstanceID: id}
		cov[id] = u
		addOnce(&u.SubnetIDs, aws.ToString(in.SubnetId))
		addOnce(&u.VPCIDs, aws.ToString(in.VpcId))
		if in.State != nil && (in.State.Name == types.InstanceStateNameTerminated || in.State.Name == types.InstanceStateNameShuttingDown) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("instance %s is %s: its network interfaces may be gone, and with them what EC2 knows of its addresses", id, in.State.Name))
		}

		enis := slices.Clone(in.NetworkInterfaces)
		slices.SortStableFunc(enis, func(a, b types.InstanceNetworkInterface) int {
			return cmp.Compare(deviceIndex(a), deviceIndex(b))
		})
		for _, ni := range enis {
			eni := aws.ToString(ni.NetworkInterfaceId)
			r.Interfaces = append(r.Interfaces, Interface{
				ID: eni, InstanceID: id, SubnetID: aws.ToString(ni.SubnetId),
				VPCID: aws.ToString(ni.VpcId), Description: aws.ToString(ni.Description),
			})
			addOnce(&u.InterfaceIDs, eni)
			addOnce(&u.SubnetIDs, aws.ToString(ni.SubnetId))
			addOnce(&u.VPCIDs, aws.ToString(ni.VpcId))
			r.Focus = appendFocus(r.Focus, interfaceAddrs(ni), id, eni)
			var prefixes []string
			for _, p := range ni.Ipv4Prefixes {
				prefixes = append(prefixes, aws.ToString(p.Ipv4Prefix))
			}
			for _, p := range ni.Ipv6Prefixes {
				prefixes = append(prefixes, aws.ToString(p.Ipv6Prefix))
			}
			if len(prefixes) > 0 {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s of %s has delegated prefixes %s: addresses in them (containers, pods) are not in the focus; add the ones that matter with --instance-ip",
					eni, id, strings.Join(prefixes, ", ")))
			}
		}
		if len(in.NetworkInterfaces) == 0 { // no interface listed: take what the instance itself says
			r.Focus = appendFocus(r.Focus, []kindAddr{{"private", aws.ToString(in.PrivateIpAddress)},
				{"public", aws.ToString(in.PublicIpAddress)}, {"ipv6", aws.ToString(in.Ipv6Address)}}, id, "")
		}
		for _, v := range u.VPCIDs {
			vpcs[v] = true
		}
	}

	vpcIDs := sortedKeys(vpcs)
	if len(vpcIDs) > 0 {
		cidrs, err := describeVPCs(ctx, api, vpcIDs, o.Profile)
		if err != nil {
			return r, err
		}
		r.VPCCIDRs = cidrs
	}

	var resources []string
	seen := map[string]bool{}
	for _, id := range ids {
		u := cov[id]
		for _, res := range slices.Concat(u.InterfaceIDs, u.SubnetIDs, u.VPCIDs) {
			if !seen[res] {
				seen[res] = true
				resources = append(resources, res)
			}
		}
	}
	if len(resources) > 0 {
		fls, warns, err := describeFlowLogs(ctx, api, resources, r.AccountID, region, o.Profile)
		if err != nil {
			return r, err
		}
		r.FlowLogs = fls
		r.Warnings = append(r.Warnings, warns...)
	}
	for _, fl := range r.FlowLogs {
		if fl.TrafficType != "" && fl.TrafficType != string(types.TrafficTypeAll) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("flow log %s on %s records only %s traffic", fl.ID, fl.ResourceID, fl.TrafficType))
		}
	}

	var nf NoFlowLogsError
	for _, id := range ids {
		u := cov[id]
		covered, pullable := false, false
		for _, fl := range r.FlowLogs {
			if u.has(fl.ResourceID) {
				covered = true
				if ok, _ := fl.Pullable(); ok {
					pullable = true
				}
			}
		}
		switch {
		case !covered:
			nf.Instances = append(nf.Instances, *u)
		case !pullable:
			r.Warnings = append(r.Warnings, fmt.Sprintf("instance %s is covered only by flow logs that deliver to Kinesis Data Firehose, which investigator cannot read: ingest the records from where the stream delivers them", id))
		}
	}
	if len(nf.Instances) > 0 {
		return r, &nf
	}
	return r, nil
}

// addOnce appends v to *s unless it is empty or there already.
func addOnce(s *[]string, v string) {
	if v != "" && !slices.Contains(*s, v) {
		*s = append(*s, v)
	}
}

func deviceIndex(ni types.InstanceNetworkInterface) int32 {
	if ni.Attachment != nil && ni.Attachment.DeviceIndex != nil {
		return *ni.Attachment.DeviceIndex
	}
	return 1 << 30
}

type kindAddr struct{ kind, addr string }

// interfaceAddrs lists an interface's addresses with their kinds, primary
// private address first.
func interfaceAddrs(ni types.InstanceNetworkInterface) []kindAddr {
	var out []kindAddr
	primary := aws.ToString(ni.PrivateIpAddress)
	out = append(out, kindAddr{"private", primary})
	pips := slices.Clone(ni.PrivateIpAddresses)
	slices.SortStableFunc(pips, func(a, b types.InstancePrivateIpAddress) int {
		pa, pb := aws.ToBool(a.Primary), aws.ToBool(b.Primary)
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	for _, p := range pips {
		kind := "secondary"
		if aws.ToBool(p.Primary) {
			kind = "private"
		}
		out = append(out, kindAddr{kind, aws.ToString(p.PrivateIpAddress)})
	}
	if ni.Association != nil {
		out = append(out, kindAddr{"public", aws.ToString(ni.Association.PublicIp)})
	}
	for _, p := range pips {
		if p.Association != nil {
			out = append(out, kindAddr{"public", aws.ToString(p.Association.PublicIp)})
		}
	}
	for _, a := range ni.Ipv6Addresses {
		out = append(out, kindAddr{"ipv6", aws.ToString(a.Ipv6Address)})
	}
	return out
}

// appendFocus adds the addresses not already in focus (the first kind wins).
func appendFocus(focus []store.FocusIP, addrs []kindAddr, instanceID, eni string) []store.FocusIP {
	for _, ka := range addrs {
		if ka.addr == "" {
			continue
		}
		a, err := netip.ParseAddr(ka.addr)
		if err != nil {
			continue
		}
		a = a.Unmap()
		if slices.ContainsFunc(focus, func(f store.FocusIP) bool { return f.Addr == a }) {
			continue
		}
		focus = append(focus, store.FocusIP{Addr: a, Kind: ka.kind, InstanceID: instanceID, InterfaceID: eni, Source: Source})
	}
	return focus
}

type foundInstance struct {
	inst  types.Instance
	owner string
}

// maxIDs bounds the ids (or filter values) sent in one request.
const maxIDs = 200

func describeInstances(ctx context.Context, api EC2API, ids []string, region, profile string) (map[string]foundInstance, error) {
	found := map[string]foundInstance{}
	for chunk := range slices.Chunk(ids, maxIDs) {
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{InstanceIds: chunk})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				var ae smithy.APIError
				if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidInstanceID.NotFound" || ae.ErrorCode() == "InvalidInstanceID.Malformed") {
					return nil, &InstanceNotFoundError{IDs: namedIn(ae.ErrorMessage(), chunk), Region: region, Malformed: ae.ErrorCode() == "InvalidInstanceID.Malformed", Err: err}
				}
				return nil, fmt.Errorf("ec2: describe instances: %w", awsenv.Explain(err, profile))
			}
			for _, res := range out.Reservations {
				for _, in := range res.Instances {
					id := aws.ToString(in.InstanceId)
					if _, dup := found[id]; !dup {
						found[id] = foundInstance{inst: in, owner: aws.ToString(res.OwnerId)}
					}
				}
			}
		}
	}
	return found, nil
}

// namedIn returns the ids that AWS's error message names, or all of them
// when it names none.
func namedIn(msg string, ids []string) []string {
	var named []string
	for _, id := range ids {
		if strings.Contains(msg, id) {
			named = append(named, id)
		}
	}
	if len(named) == 0 {
		return ids
	}
	return named
}

func describeVPCs(ctx context.Context, api EC2API, vpcIDs []string, profile string) ([]store.VPCCIDR, error) {
	var out []store.VPCCIDR
	seen := map[netip.Prefix]bool{}
	add := func(vpc, cidr string) {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return
		}
		p = p.Masked()
		if seen[p] {
			return
		}
		seen[p] = true
		out = append(out, store.VPCCIDR{Prefix: p, VPCID: vpc, Source: Source})
	}
	var vpcs []types.Vpc
	for chunk := range slices.Chunk(vpcIDs, maxIDs) {
		p := ec2.NewDescribeVpcsPaginator(api, &ec2.DescribeVpcsInput{VpcIds: chunk})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("ec2: describe VPCs %s: %w", strings.Join(chunk, ", "), awsenv.Explain(err, profile))
			}
			vpcs = append(vpcs, page.Vpcs...)
		}
	}
	slices.SortStableFunc(vpcs, func(a, b types.Vpc) int { return cmp.Compare(aws.ToString(a.VpcId), aws.ToString(b.VpcId)) })
	for _, v := range vpcs {
		id := aws.ToString(v.VpcId)
		n := len(out)
		for _, a := range v.CidrBlockAssociationSet {
			if a.CidrBlockState == nil || a.CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
				add(id, aws.ToString(a.CidrBlock))
			}
		}
		if len(out) == n && len(v.CidrBlockAssociationSet) == 0 { // no association list: the primary block
			add(id, aws.ToString(v.CidrBlock))
		}
		for _, a := range v.Ipv6CidrBlockAssociationSet {
			if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
				add(id, aws.ToString(a.Ipv6CidrBlock))
			}
		}
	}
	return out, nil
}

func describeFlowLogs(ctx context.Context, api EC2API, resources []string, account, region, profile string) ([]FlowLog, []string, error) {
	var fls []FlowLog
	var warns []string
	seen := map[string]bool{}
	for chunk := range slices.Chunk(resources, maxIDs) {
		p := ec2.NewDescribeFlowLogsPaginator(api, &ec2.DescribeFlowLogsInput{
			Filter: []types.Filter{{Name: aws.String("resource-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("ec2: describe flow logs: %w", awsenv.Explain(err, profile))
			}
			for _, f := range page.FlowLogs {
				fl := flowLog(f, account, region)
				if fl.ID == "" || seen[fl.ID] {
					continue
				}
				seen[fl.ID] = true
				fls = append(fls, fl)
				if aws.ToString(f.DeliverLogsStatus) == "FAILED" {
					why := aws.ToString(f.DeliverLogsErrorMessage)
					if why == "" {
						why = "no reason given"
					}
					warns = append(warns, fmt.Sprintf("flow log %s on %s fails to deliver (%s): records may be missing", fl.ID, fl.ResourceID, why))
				}
			}
		}
	}
	slices.SortStableFunc(fls, func(a, b FlowLog) int {
		return cmp.Or(cmp.Compare(level(a.ResourceID), level(b.ResourceID)),
			cmp.Compare(a.ResourceID, b.ResourceID), cmp.Compare(a.ID, b.ID))
	})
	return fls, warns, nil
}

func cleanIDs(in []string) []string {
	var out []string
	for _, id := range in {
		for f := range strings.FieldsFuncSeq(id, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
