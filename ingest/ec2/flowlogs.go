package ec2

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/investigator/investigator/internal/format"
)

// flowLog converts what DescribeFlowLogs says into a FlowLog, filling in the
// defaults AWS leaves implicit.
func flowLog(f types.FlowLog, account, region string) FlowLog {
	fl := FlowLog{
		ID:              aws.ToString(f.FlowLogId),
		ResourceID:      aws.ToString(f.ResourceId),
		DestinationType: string(f.LogDestinationType),
		LogGroup:        aws.ToString(f.LogGroupName),
		Destination:     aws.ToString(f.LogDestination),
		LogFormat:       aws.ToString(f.LogFormat),
		Status:          aws.ToString(f.FlowLogStatus),
		AccountID:       account,
		Region:          region,
		TrafficType:     string(f.TrafficType),
		MaxAggregation:  int(aws.ToInt32(f.MaxAggregationInterval)),
	}
	if fl.DestinationType == "" { // flow logs older than the S3 destination went to CloudWatch Logs
		switch {
		case strings.Contains(fl.Destination, ":s3:::"):
			fl.DestinationType = DestS3
		case strings.Contains(fl.Destination, ":firehose:"):
			fl.DestinationType = DestFirehose
		default:
			fl.DestinationType = DestCloudWatchLogs
		}
	}
	if fl.LogFormat == "" {
		fl.LogFormat = DefaultLogFormat
	}
	if fl.MaxAggregation == 0 {
		fl.MaxAggregation = DefaultMaxAggregation
	}
	switch fl.DestinationType {
	case DestCloudWatchLogs:
		if fl.LogGroup == "" {
			fl.LogGroup = logGroupFromARN(fl.Destination)
		}
	case DestS3:
		fl.Destination = s3URL(fl.Destination)
		fl.FileFormat = string(types.DestinationFileFormatPlainText)
		if o := f.DestinationOptions; o != nil {
			if o.FileFormat != "" {
				fl.FileFormat = string(o.FileFormat)
			}
			fl.HivePartitions = aws.ToBool(o.HiveCompatiblePartitions)
			fl.PerHour = aws.ToBool(o.PerHourPartition)
		}
	}
	return fl
}

// s3URL turns arn:aws:s3:::bucket/prefix/ into s3://bucket/prefix.
func s3URL(dest string) string {
	i := strings.Index(dest, ":s3:::")
	if !strings.HasPrefix(dest, "arn:") || i < 0 {
		return dest
	}
	return "s3://" + strings.TrimRight(dest[i+len(":s3:::"):], "/")
}

// logGroupFromARN takes the name out of arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*].
func logGroupFromARN(arn string) string {
	_, name, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(name, ":*")
}

// level orders resources from the most specific: interface, subnet, VPC.
func level(resourceID string) int {
	switch {
	case strings.HasPrefix(resourceID, "eni-"):
		return 0
	case strings.HasPrefix(resourceID, "subnet-"):
		return 1
	case strings.HasPrefix(resourceID, "vpc-"):
		return 2
	}
	return 3
}

// Pullable says whether investigator can read the flow log's records where it
// delivers them (CloudWatch Logs or S3), and why not when it cannot.
func (f FlowLog) Pullable() (bool, string) {
	switch f.DestinationType {
	case DestCloudWatchLogs:
		if f.LogGroup == "" {
			return false, "it names no log group"
		}
		return true, ""
	case DestS3:
		if !strings.HasPrefix(f.Destination, "s3://") {
			return false, "it names no S3 bucket"
		}
		return true, ""
	case DestFirehose:
		return false, "it delivers to Kinesis Data Firehose (" + f.Destination + "), which cannot be read back: ingest the records from where the delivery stream puts them"
	}
	return false, "its destination type " + f.DestinationType + " is unknown to investigator"
}

// Sources are the flow logs to pull from: the pullable ones, most specific
// first (interface, then subnet, then VPC), each destination once (two flow
// logs delivering to the same log group or S3 location are pulled once; the
// more specific one is kept).
func (r Result) Sources() []FlowLog {
	var out []FlowLog
	seen := map[string]bool{}
	for _, l := range []int{0, 1, 2, 3} {
		for _, f := range r.FlowLogs {
			if level(f.ResourceID) != l {
				continue
			}
			if ok, _ := f.Pullable(); !ok {
				continue
			}
			key := f.DestinationType + "|" + f.Destination
			if f.DestinationType == DestCloudWatchLogs {
				key = f.DestinationType + "|" + f.LogGroup
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, f)
		}
	}
	return out
}

// ErrInstanceNotFound is wrapped by *InstanceNotFoundError.
var ErrInstanceNotFound = errors.New("ec2: instance not found")

// InstanceNotFoundError names the instance ids EC2 does not know (in this
// account and region) or that are not instance ids at all.
type InstanceNotFoundError struct {
	IDs       []string
	Region    string
	Malformed bool  // AWS said the id is not an instance id
	Err       error // the SDK error, when AWS said so (nil when it just listed nothing)
}

func (e *InstanceNotFoundError) Error() string {
	ids := strings.Join(e.IDs, ", ")
	if e.Malformed {
		return fmt.Sprintf("ec2: %s is not a valid instance id: an instance id is i- followed by 17 (or, for old instances, 8) hex digits", ids)
	}
	where := "this region"
	if e.Region != "" {
		where = e.Region
	}
	noun := "instance " + ids + " was"
	if len(e.IDs) > 1 {
		noun = "instances " + ids + " were"
	}
	return fmt.Sprintf("ec2: %s not found in %s with these credentials: check the id, --region and --profile (the account that owns it); EC2 lists a terminated instance for about an hour only", noun, where)
}

// Unwrap returns ErrInstanceNotFound and the SDK error.
func (e *InstanceNotFoundError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInstanceNotFound}
	}
	return []error{ErrInstanceNotFound, e.Err}
}

// Uncovered is an instance no flow log covers, with the resources a flow log
// could be created on to cover it.
type Uncovered struct {
	InstanceID   string
	InterfaceIDs []string
	SubnetIDs    []string
	VPCIDs       []string
}

func (u *Uncovered) has(resource string) bool {
	for _, s := range [][]string{u.InterfaceIDs, u.SubnetIDs, u.VPCIDs} {
		for _, v := range s {
			if v == resource {
				return true
			}
		}
	}
	return false
}

// NoFlowLogsError says that some of the case's instances have no flow log on
// any of their network interfaces, subnets or VPCs: AWS holds no flow records
// for them. Discover still returns everything else it learned.
type NoFlowLogsError struct {
	Instances []Uncovered
}

func (e *NoFlowLogsError) Error() string {
	var parts []string
	for _, u := range e.Instances {
		var on []string
		if len(u.InterfaceIDs) > 0 {
			on = append(on, "its "+format.Plural(int64(len(u.InterfaceIDs)), "network interface")+" "+strings.Join(u.InterfaceIDs, ", "))
		}
		if len(u.SubnetIDs) > 0 {
			on = append(on, "its "+format.Plural(int64(len(u.SubnetIDs)), "subnet")+" "+strings.Join(u.SubnetIDs, ", "))
		}
		if len(u.VPCIDs) > 0 {
			on = append(on, "its "+format.Plural(int64(len(u.VPCIDs)), "VPC")+" "+strings.Join(u.VPCIDs, ", "))
		}
		msg := "no flow log covers instance " + u.InstanceID
		if len(on) > 0 {
			msg += " (none on " + strings.Join(on, ", ") + ")"
		}
		msg += ", so AWS holds no flow records of it"
		var alt []string
		if len(u.SubnetIDs) > 0 {
			alt = append(alt, "--resource-type Subnet --resource-ids "+strings.Join(u.SubnetIDs, " "))
		}
		if len(u.InterfaceIDs) > 0 {
			alt = append(alt, "--resource-type NetworkInterface --resource-ids "+strings.Join(u.InterfaceIDs, " "))
		}
		switch {
		case len(u.VPCIDs) > 0:
			msg += fmt.Sprintf(": create a flow log on %s (%s)", strings.Join(u.VPCIDs, ", "), createCommand("VPC", u.VPCIDs))
			if len(alt) > 0 {
				msg += ", or on less of it with " + strings.Join(alt, " or ")
			}
		case len(u.SubnetIDs) > 0:
			msg += fmt.Sprintf(": create a flow log on %s (%s)", strings.Join(u.SubnetIDs, ", "), createCommand("Subnet", u.SubnetIDs))
		case len(u.InterfaceIDs) > 0:
			msg += fmt.Sprintf(": create a flow log on %s (%s)", strings.Join(u.InterfaceIDs, ", "), createCommand("NetworkInterface", u.InterfaceIDs))
		}
		parts = append(parts, msg)
	}
	return "ec2: " + strings.Join(parts, "; ") +
		". A flow log records traffic only from when it is created; the addresses and VPC blocks were discovered all the same"
}

func createCommand(resourceType string, ids []string) string {
	return fmt.Sprintf("aws ec2 create-flow-logs --resource-type %s --resource-ids %s --traffic-type ALL --max-aggregation-interval 60 --log-destination-type s3 --log-destination arn:aws:s3:::BUCKET/PREFIX",
		resourceType, strings.Join(ids, " "))
}
