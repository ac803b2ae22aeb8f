package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/internal/moto"
)

// TestAWSThroughTheCLI runs discovery, a CloudWatch Logs pull and an S3 pull
// through the command line against moto, reached the way a user reaches a VPC
// endpoint or an emulator: AWS_ENDPOINT_URL and the usual credential variables.
func TestAWSThroughTheCLI(t *testing.T) {
	endpoint := moto.Start(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx, awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ec2c := ec2.NewFromConfig(cfg)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/16")})
	must(err)
	sub, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.30.1.0/24")})
	must(err)
	run, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: sub.Subnet.SubnetId})
	must(err)
	inst := run.Instances[0]
	ip := aws.ToString(inst.PrivateIpAddress)
	eni := aws.ToString(inst.NetworkInterfaces[0].NetworkInterfaceId)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/vpc/flows")})
	must(err)
	_, err = ec2c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceType: types.FlowLogsResourceTypeVpc, ResourceIds: []string{aws.ToString(vpc.Vpc.VpcId)},
		TrafficType: types.TrafficTypeAll, LogGroupName: aws.String("/vpc/flows"), DeliverLogsPermissionArn: aws.String("arn:aws:iam::123456789012:role/flow-logs")})
	must(err)

	// One hour of SSH attempts on the instance, one event a minute, in its stream.
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	stream := eni + "-all"
	_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/vpc/flows"), LogStreamName: aws.String(stream)})
	must(err)
	var events []cwtypes.InputLogEvent
	var lines []string
	for i := range 60 {
		start := t0.Add(time.Duration(i) * time.Minute).Unix()
		line := fmt.Sprintf("2 123456789012 %s 45.61.9.%d %s %d 22 6 2 120 %d %d REJECT OK", eni, i%5+1, ip, 40000+i, start, start+60)
		lines = append(lines, line)
		events = append(events, cwtypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(start * 1000)})
	}
	_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/vpc/flows"), LogStreamName: aws.String(stream), LogEvents: events})
	must(err)

	c := newCLI(t)
	r := c.mustRun("case", "new", "cloud", "--instance-id", aws.ToString(inst.InstanceId))
	if !strings.Contains(r.stdout, "Discovered "+aws.ToString(inst.InstanceId)) || !strings.Contains(r.stdout, "-> cloud-watch-logs /vpc/flows") {
		t.Fatalf("case new --instance-id:\n%s%s", r.stdout, r.stderr)
	}
	window := []string{"--start", t0.Format(time.RFC3339), "--end", t0.Add(time.Hour - time.Second).Format(time.RFC3339)}
	r = c.mustRun(append([]string{"ingest", "cloud"}, window...)...)
	if !strings.Contains(r.stdout, "pulling    cloud-watch-logs /vpc/flows") || !strings.Contains(r.stdout, "60 records") {
		t.Fatalf("ingest from the discovered flow log:\n%s%s", r.stdout, r.stderr)
	}
	r = c.mustRun(append([]string{"ingest", "cloud"}, window...)...)
	if !strings.Contains(r.stdout, "0 records") {
		t.Fatalf("a repeated pull added records:\n%s", r.stdout)
	}
	if r := c.mustRun("analyze", "cloud", "--analysis", "ssh-inbound", "--format", "csv"); strings.Count(r.stdout, "REJECT") != 5 {
		t.Fatalf("ssh-inbound after the pull:\n%s", r.stdout)
	}

	// S3: the same records as one delivered object, pulled with --s3.
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("flow-bucket")})
	must(err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintln(zw, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	for _, l := range lines {
		fmt.Fprintln(zw, strings.Replace(l, "REJECT", "ACCEPT", 1))
	}
	zw.Close()
	key := fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/%s/123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_%s_abcd1234.log.gz",
		t0.Format("2006/01/02"), t0.Add(10*time.Minute).Format("20060102T1504Z"))
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("flow-bucket"), Key: aws.String(key), Body: bytes.NewReader(gz.Bytes())})
	must(err)
	r = c.mustRun(append([]string{"ingest", "cloud", "--s3", "s3://flow-bucket/"}, window...)...)
	if !strings.Contains(r.stdout, "pulling    s3 s3://flow-bucket/") || !strings.Contains(r.stdout, "60 records") {
		t.Fatalf("ingest --s3:\n%s%s", r.stdout, r.stderr)
	}
	if r := c.mustRun("sql", "cloud", "SELECT count(*) AS n FROM flows WHERE action = 'ACCEPT'"); !strings.Contains(r.stdout, "60") {
		t.Fatalf("records from S3:\n%s", r.stdout)
	}

	// Errors say what to do.
	r = c.run(append([]string{"ingest", "cloud", "--log-group", "/vpc/missing"}, window...)...)
	if r.code != exitFail || !strings.Contains(r.stdout, "/vpc/missing") {
		t.Fatalf("a missing log group: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
