package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/internal/moto"
	"github.com/investigator/investigator/store"
)

// TestMoto checks discovery against moto, an independent implementation of
// the EC2 API: a VPC with a secondary IPv4 block and an IPv6 block, a subnet,
// an instance with a secondary private address, a CloudWatch Logs flow log on
// the VPC and an S3 flow log on the instance's interface.
func TestMoto(t *testing.T) {
	endpoint := moto.Start(t)
	ctx := context.Background()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	api := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(endpoint) })
	logs := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vpcOut, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
	must(err)
	vpc := aws.ToString(vpcOut.Vpc.VpcId)
	_, err = api.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.21.0.0/16")})
	must(err)
	if len(vpcOut.Vpc.Ipv6CidrBlockAssociationSet) != 1 {
		t.Fatalf("moto gave the VPC no IPv6 block: %+v", vpcOut.Vpc)
	}
	v6 := netip.MustParsePrefix(aws.ToString(vpcOut.Vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
	v6sub := netip.PrefixFrom(v6.Addr(), 64)
	subOut, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.20.1.0/24"),
		Ipv6CidrBlock: aws.String(v6sub.String()), AvailabilityZone: aws.String("us-east-1a")})
	must(err)
	subnet := aws.ToString(subOut.Subnet.SubnetId)
	runOut, err := api.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex: aws.Int32(0), SubnetId: aws.String(subnet), AssociatePublicIpAddress: aws.Bool(true),
			PrivateIpAddresses: []types.PrivateIpAddressSpecification{
				{PrivateIpAddress: aws.String("10.20.1.10"), Primary: aws.Bool(true)},
				{PrivateIpAddress: aws.String("10.20.1.11"), Primary: aws.Bool(false)},
			},
		}},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("moto-web")}}}},
	})
	must(err)
	inst := aws.ToString(runOut.Instances[0].InstanceId)
	eni := aws.ToString(runOut.Instances[0].NetworkInterfaces[0].NetworkInterfaceId)
	// moto keeps only the primary of the PrivateIpAddresses given to RunInstances: add the secondary afterwards.
	_, err = api.AssignPrivateIpAddresses(ctx, &ec2.AssignPrivateIpAddressesInput{NetworkInterfaceId: aws.String(eni), PrivateIpAddresses: []string{"10.20.1.11"}})
	must(err)
	_, err = api.AssignIpv6Addresses(ctx, &ec2.AssignIpv6AddressesInput{NetworkInterfaceId: aws.String(eni), Ipv6Addresses: []string{v6sub.Addr().Next().Next().String()}})
	must(err)

	t.Run("no flow log yet", func(t *testing.T) {
		r, err := Discover(ctx, api, []string{inst})
		var nf *NoFlowLogsError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "--resource-ids "+vpc) {
			t.Fatalf("err = %v", err)
		}
		if len(r.Focus) == 0 || len(r.VPCCIDRs) == 0 {
			t.Fatalf("the result should hold the addresses and blocks: %+v", r)
		}
	})

	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("moto-flows")})
	must(err)
	flOut, err := api.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{
		ResourceType: types.FlowLogsResourceTypeVpc, ResourceIds: []string{vpc}, TrafficType: types.TrafficTypeAll,
		LogGroupName: aws.String("moto-flows"), DeliverLogsPermissionArn: aws.String("arn:aws:iam::123456789012:role/flow-logs"),
		LogFormat: aws.String(customFormat), MaxAggregationInterval: aws.Int32(60),
	})
	must(err)
	if len(flOut.FlowLogIds) != 1 {
		t.Fatalf("create flow logs: %+v", flOut.Unsuccessful)
	}
	vpcFlowLog := flOut.FlowLogIds[0]
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("moto-flow-bucket")})
	must(err)
	flOut, err = api.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{
		ResourceType: types.FlowLogsResourceTypeNetworkInterface, ResourceIds: []string{eni}, TrafficType: types.TrafficTypeAll,
		LogDestinationType: types.LogDestinationTypeS3, // moto looks the whole "bucket/prefix" up as a bucket name, so no prefix here.
		LogDestination:     aws.String("arn:aws:s3:::moto-flow-bucket"),
		DestinationOptions: &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true), PerHourPartition: aws.Bool(true)},
	})
	must(err)
	if len(flOut.FlowLogIds) != 1 {
		t.Fatalf("create flow logs: %s", aws.ToString(flOut.Unsuccessful[0].Error.Message))
	}
	eniFlowLog := flOut.FlowLogIds[0]

	t.Run("discover", func(t *testing.T) {
		r, err := Discover(ctx, api, []string{inst})
		if err != nil {
			t.Fatal(err)
		}
		if r.Region != "us-east-1" || r.AccountID == "" || len(r.Instances) != 1 || r.Instances[0].VPCID != vpc || r.Instances[0].SubnetID != subnet ||
			r.Instances[0].Name != "moto-web" || r.Tags[inst]["Name"] != "moto-web" {
			t.Errorf("instance: %s %s %+v %v", r.Region, r.AccountID, r.Instances, r.Tags)
		}
		if len(r.Interfaces) != 1 || r.Interfaces[0].ID != eni || r.Interfaces[0].SubnetID != subnet || r.Interfaces[0].VPCID != vpc {
			t.Errorf("interfaces %+v", r.Interfaces)
		}
		kinds := map[string]string{}
		for _, f := range r.Focus {
			kinds[f.Addr.String()] = f.Kind
			if f.InstanceID != inst || f.InterfaceID != eni || f.Source != "ec2" {
				t.Errorf("focus %+v", f)
			}
		}
		if kinds["10.20.1.10"] != "private" || kinds["10.20.1.11"] != "secondary" || kinds[v6sub.Addr().Next().Next().String()] != "ipv6" {
			t.Errorf("focus %v", kinds)
		}
		public := 0
		for _, k := range kinds {
			if k == "public" {
				public++
			}
		}
		if public != 1 {
			t.Errorf("want the public address moto assigned: %v", kinds)
		}
		var blocks []string
		for _, v := range r.VPCCIDRs {
			blocks = append(blocks, v.Prefix.String())
			if v.VPCID != vpc {
				t.Errorf("block %+v", v)
			}
		}
		if len(blocks) != 3 || blocks[0] != "10.20.0.0/16" || blocks[1] != "10.21.0.0/16" || !netip.MustParsePrefix(blocks[2]).Addr().Is6() {
			t.Errorf("blocks %v, want 10.20.0.0/16, 10.21.0.0/16 and an IPv6 /56", blocks)
		}
		if len(r.FlowLogs) != 2 {
			t.Fatalf("flow logs %+v", r.FlowLogs)
		}
		e, v := r.FlowLogs[0], r.FlowLogs[1]
		if e.ID != eniFlowLog || e.ResourceID != eni || e.DestinationType != DestS3 || e.Destination != "s3://moto-flow-bucket" ||
			e.LogFormat != DefaultLogFormat || e.MaxAggregation != 600 || e.FileFormat == "" {
			t.Errorf("ENI flow log %+v", e)
		}
		if v.ID != vpcFlowLog || v.ResourceID != vpc || v.DestinationType != DestCloudWatchLogs || v.LogGroup != "moto-flows" ||
			v.LogFormat != customFormat || v.MaxAggregation != 60 || v.Status != "ACTIVE" || v.TrafficType != "ALL" {
			t.Errorf("VPC flow log %+v", v)
		}
		if got := r.Sources(); len(got) != 2 || got[0].ID != eniFlowLog {
			t.Errorf("sources %+v", got)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("warnings %q", r.Warnings)
		}
		t.Logf("moto gave the S3 flow log file format %q, hive %t, per hour %t", e.FileFormat, e.HivePartitions, e.PerHour)
	})

	t.Run("unknown instance", func(t *testing.T) {
		_, err := Discover(ctx, api, []string{inst, "i-0123456789abcdef0"})
		if !errors.Is(err, ErrInstanceNotFound) || !strings.Contains(err.Error(), "i-0123456789abcdef0") || strings.Contains(err.Error(), inst) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("record", func(t *testing.T) {
		r, err := Discover(ctx, api, []string{inst})
		if err != nil {
			t.Fatal(err)
		}
		c, err := store.Create(ctx, filepath.Join(t.TempDir(), "moto.duckdb"), "moto", "test", store.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := Record(ctx, c, r); err != nil {
			t.Fatal(err)
		}
		got := dump(t, c.DB, `SELECT (SELECT count(*) FROM case_instances), (SELECT count(*) FROM case_interfaces),
			(SELECT count(*) FROM focus_ips), (SELECT count(*) FROM vpc_cidrs), (SELECT count(*) FROM case_flow_logs)`)
		want := fmt.Sprintf("1 | 1 | %d | 3 | 2", len(r.Focus))
		if !slices.Equal(got, []string{want}) {
			t.Errorf("rows %v, want %s", got, want)
		}
	})
}
