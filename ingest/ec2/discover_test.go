package ec2

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/investigator/investigator/ingest/awsenv"
)

// render writes a Result as lines, for comparing whole results readably.
func render(r Result) []string {
	out := []string{fmt.Sprintf("account %s region %s", r.AccountID, r.Region)}
	for _, in := range r.Instances {
		out = append(out, fmt.Sprintf("instance %s account=%s region=%s vpc=%s subnet=%s name=%q source=%s", in.ID, in.AccountID, in.Region, in.VPCID, in.SubnetID, in.Name, in.Source))
	}
	for _, id := range slices.Sorted(maps.Keys(r.Tags)) {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(r.Tags[id])) {
			kv = append(kv, k+"="+r.Tags[id][k])
		}
		out = append(out, fmt.Sprintf("tags %s {%s}", id, strings.Join(kv, " ")))
	}
	for _, ni := range r.Interfaces {
		out = append(out, fmt.Sprintf("interface %s instance=%s subnet=%s vpc=%s description=%q", ni.ID, ni.InstanceID, ni.SubnetID, ni.VPCID, ni.Description))
	}
	for _, f := range r.Focus {
		out = append(out, fmt.Sprintf("focus %s %s %s %s %s", f.Addr, f.Kind, f.InstanceID, f.InterfaceID, f.Source))
	}
	for _, v := range r.VPCCIDRs {
		out = append(out, fmt.Sprintf("cidr %s %s %s", v.Prefix, v.VPCID, v.Source))
	}
	for _, f := range r.FlowLogs {
		format := f.LogFormat
		switch format {
		case DefaultLogFormat:
			format = "default"
		case customFormat:
			format = "custom"
		}
		out = append(out, fmt.Sprintf("flowlog %s on=%s type=%s group=%s dest=%s format=%s file=%s status=%s account=%s region=%s traffic=%s hive=%t hour=%t agg=%d",
			f.ID, f.ResourceID, f.DestinationType, f.LogGroup, f.Destination, format, f.FileFormat, f.Status, f.AccountID, f.Region, f.TrafficType, f.HivePartitions, f.PerHour, f.MaxAggregation))
	}
	for _, f := range r.Sources() {
		out = append(out, "source "+f.ID)
	}
	for _, w := range r.Warnings {
		out = append(out, "warning "+w)
	}
	return out
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "! "
		}
		fmt.Fprintf(&b, "%sgot  %s\n%swant %s\n", mark, g, mark, w)
	}
	t.Fatalf("result differs:\n%s", b.String())
}

func TestDiscover(t *testing.T) {
	const arn = "arn:aws:logs:us-east-1:" + account + ":log-group:vpc-flow-logs"
	tests := []struct {
		name   string
		ids    []string
		setup  func(*fakeEC2)
		check  func(t *testing.T, f *fakeEC2, r Result, err error)
		noCall bool
	}{
		{
			name: "two instances over two pages",
			ids:  []string{iWeb, iDB},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				sameLines(t, render(r), []string{
					"account 123456789012 region us-east-1",
					`instance i-0a1b2c3d4e5f60001 account=123456789012 region=us-east-1 vpc=vpc-0a1 subnet=subnet-0a1 name="web" source=ec2`,
					`instance i-0a1b2c3d4e5f60002 account=123456789012 region=us-east-1 vpc=vpc-0a1 subnet=subnet-0a2 name="" source=ec2`,
					"tags i-0a1b2c3d4e5f60001 {Name=web env=prod}",
					"tags i-0a1b2c3d4e5f60002 {}",
					`interface eni-0aaa instance=i-0a1b2c3d4e5f60001 subnet=subnet-0a1 vpc=vpc-0a1 description="Primary network interface"`,
					`interface eni-0bbb instance=i-0a1b2c3d4e5f60001 subnet=subnet-0a2 vpc=vpc-0a1 description="web backend"`,
					`interface eni-0ccc instance=i-0a1b2c3d4e5f60002 subnet=subnet-0a2 vpc=vpc-0a1 description=""`,
					"focus 10.0.1.10 private i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 10.0.1.11 secondary i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 54.210.167.204 public i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 3.5.6.7 public i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 2600:1f18:abc:de01::10 ipv6 i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 2600:1f18:abc:de01::11 ipv6 i-0a1b2c3d4e5f60001 eni-0aaa ec2",
					"focus 10.1.2.20 private i-0a1b2c3d4e5f60001 eni-0bbb ec2",
					"focus 10.1.2.21 secondary i-0a1b2c3d4e5f60001 eni-0bbb ec2",
					"focus 2600:1f18:abc:de02::20 ipv6 i-0a1b2c3d4e5f60001 eni-0bbb ec2",
					"focus 10.1.2.30 private i-0a1b2c3d4e5f60002 eni-0ccc ec2",
					"cidr 10.0.0.0/16 vpc-0a1 ec2",
					"cidr 10.1.0.0/16 vpc-0a1 ec2",
					"cidr 2600:1f18:abc:de00::/56 vpc-0a1 ec2",
					"flowlog fl-0eni on=eni-0bbb type=s3 group= dest=s3://flow-bucket/web format=default file=parquet status=ACTIVE account=123456789012 region=us-east-1 traffic=ALL hive=true hour=true agg=600",
					"flowlog fl-0sub on=subnet-0a1 type=cloud-watch-logs group=vpc-flow-logs dest=" + arn + " format=custom file= status=ACTIVE account=123456789012 region=us-east-1 traffic=REJECT hive=false hour=false agg=600",
					"flowlog fl-0fh on=subnet-0a2 type=kinesis-data-firehose group= dest=arn:aws:firehose:us-east-1:123456789012:deliverystream/flows format=${version} ${interface-id} ${srcaddr} ${dstaddr} file= status=ACTIVE account=123456789012 region=us-east-1 traffic=ALL hive=false hour=false agg=60",
					"flowlog fl-0vpc on=vpc-0a1 type=cloud-watch-logs group=vpc-flow-logs dest=" + arn + " format=custom file= status=ACTIVE account=123456789012 region=us-east-1 traffic=ALL hive=false hour=false agg=60",
					"source fl-0eni",
					"source fl-0sub",
					"warning eni-0ccc of i-0a1b2c3d4e5f60002 has delegated prefixes 10.1.2.48/28: addresses in them (containers, pods) are not in the focus; add the ones that matter with --instance-ip",
					"warning flow log fl-0sub on subnet-0a1 fails to deliver (Access error): records may be missing",
					"warning flow log fl-0sub on subnet-0a1 records only REJECT traffic",
				})
				if got, want := f.actions(), []string{"DescribeInstances", "DescribeInstances", "DescribeVpcs",
					"DescribeFlowLogs", "DescribeFlowLogs", "DescribeFlowLogs", "DescribeFlowLogs"}; !slices.Equal(got, want) {
					t.Errorf("calls %v, want %v (one request per page)", got, want)
				}
				filter := slices.Sorted(slices.Values(f.flowLogFilter()))
				if want := []string{"eni-0aaa", "eni-0bbb", "eni-0ccc", "subnet-0a1", "subnet-0a2", "vpc-0a1"}; !slices.Equal(filter, want) {
					t.Errorf("DescribeFlowLogs resource-id filter %v, want %v", filter, want)
				}
			},
		},
		{
			name: "ids split, trimmed and deduplicated",
			ids:  []string{" " + iDB + "," + iWeb, iDB},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Instances) != 2 || r.Instances[0].ID != iDB || r.Instances[1].ID != iWeb {
					t.Errorf("instances %+v", r.Instances)
				}
				if got := formList(f.calls[0], "InstanceId"); !slices.Equal(got, []string{iDB, iWeb}) {
					t.Errorf("asked for %v", got)
				}
			},
		},
		{
			name: "an instance without flow logs",
			ids:  []string{iLonely},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				var nf *NoFlowLogsError
				if !errors.As(err, &nf) {
					t.Fatalf("err = %v, want a NoFlowLogsError", err)
				}
				if len(nf.Instances) != 1 || nf.Instances[0].InstanceID != iLonely ||
					!slices.Equal(nf.Instances[0].InterfaceIDs, []string{"eni-0ddd"}) ||
					!slices.Equal(nf.Instances[0].SubnetIDs, []string{"subnet-0b1"}) ||
					!slices.Equal(nf.Instances[0].VPCIDs, []string{"vpc-0b2"}) {
					t.Errorf("uncovered %+v", nf.Instances)
				}
				for _, want := range []string{
					"no flow log covers instance " + iLonely,
					"(none on its network interface eni-0ddd, its subnet subnet-0b1, its VPC vpc-0b2)",
					"create a flow log on vpc-0b2 (aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-0b2 ",
					"--resource-type Subnet --resource-ids subnet-0b1",
					"--resource-type NetworkInterface --resource-ids eni-0ddd",
					"only from when it is created",
				} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message lacks %q:\n%s", want, err)
					}
				}
				// Everything else is there, to be recorded.
				sameLines(t, render(r), []string{
					"account 123456789012 region us-east-1",
					`instance i-0a1b2c3d4e5f60003 account=123456789012 region=us-east-1 vpc=vpc-0b2 subnet=subnet-0b1 name="lonely" source=ec2`,
					"tags i-0a1b2c3d4e5f60003 {Name=lonely}",
					`interface eni-0ddd instance=i-0a1b2c3d4e5f60003 subnet=subnet-0b1 vpc=vpc-0b2 description=""`,
					"focus 172.31.5.5 private i-0a1b2c3d4e5f60003 eni-0ddd ec2",
					"focus 18.204.1.1 public i-0a1b2c3d4e5f60003 eni-0ddd ec2",
					"cidr 172.31.0.0/16 vpc-0b2 ec2",
				})
			},
		},
		{
			name: "one instance covered, one not",
			ids:  []string{iWeb, iLonely},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				var nf *NoFlowLogsError
				if !errors.As(err, &nf) || len(nf.Instances) != 1 || nf.Instances[0].InstanceID != iLonely {
					t.Fatalf("err = %v", err)
				}
				if strings.Contains(err.Error(), iWeb) {
					t.Errorf("message names the covered instance: %s", err)
				}
				if len(r.FlowLogs) != 4 || len(r.Instances) != 2 || len(r.VPCCIDRs) != 4 {
					t.Errorf("result incomplete: %d flow logs, %d instances, %d blocks", len(r.FlowLogs), len(r.Instances), len(r.VPCCIDRs))
				}
			},
		},
		{
			name: "an unknown instance id",
			ids:  []string{iWeb, iUnknown},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				var nf *InstanceNotFoundError
				if !errors.As(err, &nf) || !errors.Is(err, ErrInstanceNotFound) {
					t.Fatalf("err = %v (%T)", err, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, "instance "+iUnknown+" was not found in us-east-1") || strings.Contains(msg, iWeb) || !strings.Contains(msg, "--region") {
					t.Errorf("message: %s", msg)
				}
				if len(r.Instances) != 0 {
					t.Errorf("result %+v", r)
				}
			},
		},
		{
			name: "two unknown instance ids",
			ids:  []string{iUnknown, "i-0123456789abcdef0"},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if err == nil || !strings.Contains(err.Error(), "instances "+iUnknown+", i-0123456789abcdef0 were not found") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "a malformed instance id",
			ids:  []string{"i-web"},
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if !errors.Is(err, ErrInstanceNotFound) || !strings.Contains(err.Error(), "i-web is not a valid instance id") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:  "DescribeFlowLogs denied",
			ids:   []string{iWeb},
			setup: func(f *fakeEC2) { f.denied = map[string]string{"DescribeFlowLogs": "UnauthorizedOperation"} },
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				var ae *awsenv.Error
				if !errors.As(err, &ae) || ae.Kind != "denied" || !strings.Contains(err.Error(), "ec2:DescribeFlowLogs") {
					t.Fatalf("err = %v", err)
				}
				if len(r.Focus) != 9 || len(r.VPCCIDRs) != 3 || r.FlowLogs != nil {
					t.Errorf("want the addresses and blocks learned before the failure: %d focus, %d blocks, %d flow logs", len(r.Focus), len(r.VPCCIDRs), len(r.FlowLogs))
				}
			},
		},
		{
			name:  "DescribeInstances denied",
			ids:   []string{iWeb},
			setup: func(f *fakeEC2) { f.denied = map[string]string{"DescribeInstances": "AccessDenied"} },
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if err == nil || !strings.Contains(err.Error(), "ec2:DescribeInstances") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "no instance id",
			ids:    []string{" ", ""},
			noCall: true,
			check: func(t *testing.T, f *fakeEC2, r Result, err error) {
				if err == nil || !strings.Contains(err.Error(), "no instance id") {
					t.Fatalf("err = %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newWorld()
			f.pageSize = 1
			if tt.setup != nil {
				tt.setup(f)
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			r, err := Discover(context.Background(), client(srv), tt.ids)
			tt.check(t, f, r, err)
			if tt.noCall && len(f.actions()) > 0 {
				t.Errorf("calls %v, want none", f.actions())
			}
		})
	}
}

func TestFlowLogDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   types.FlowLog
		want FlowLog
	}{
		{
			name: "old CloudWatch flow log: no type, no format, no interval",
			in:   types.FlowLog{FlowLogId: aws.String("fl-1"), ResourceId: aws.String("vpc-1"), LogGroupName: aws.String("g")},
			want: FlowLog{ID: "fl-1", ResourceID: "vpc-1", DestinationType: DestCloudWatchLogs, LogGroup: "g", LogFormat: DefaultLogFormat, MaxAggregation: 600, AccountID: "a", Region: "r"},
		},
		{
			name: "log group from the ARN",
			in: types.FlowLog{FlowLogId: aws.String("fl-2"), ResourceId: aws.String("eni-1"), LogDestinationType: types.LogDestinationTypeCloudWatchLogs,
				LogDestination: aws.String("arn:aws:logs:eu-west-1:1:log-group:/vpc/flows:*")},
			want: FlowLog{ID: "fl-2", ResourceID: "eni-1", DestinationType: DestCloudWatchLogs, LogGroup: "/vpc/flows", Destination: "arn:aws:logs:eu-west-1:1:log-group:/vpc/flows:*",
				LogFormat: DefaultLogFormat, MaxAggregation: 600, AccountID: "a", Region: "r"},
		},
		{
			name: "S3 without options is plain text; bucket without prefix",
			in: types.FlowLog{FlowLogId: aws.String("fl-3"), ResourceId: aws.String("subnet-1"), LogDestination: aws.String("arn:aws:s3:::bucket"),
				MaxAggregationInterval: aws.Int32(60), TrafficType: types.TrafficTypeAccept},
			want: FlowLog{ID: "fl-3", ResourceID: "subnet-1", DestinationType: DestS3, Destination: "s3://bucket", FileFormat: "plain-text",
				LogFormat: DefaultLogFormat, MaxAggregation: 60, AccountID: "a", Region: "r", TrafficType: "ACCEPT"},
		},
		{
			name: "S3 in another partition",
			in: types.FlowLog{FlowLogId: aws.String("fl-4"), ResourceId: aws.String("vpc-1"), LogDestinationType: types.LogDestinationTypeS3,
				LogDestination: aws.String("arn:aws-us-gov:s3:::gov-bucket/a/b/"), DestinationOptions: &types.DestinationOptionsResponse{FileFormat: types.DestinationFileFormatPlainText}},
			want: FlowLog{ID: "fl-4", ResourceID: "vpc-1", DestinationType: DestS3, Destination: "s3://gov-bucket/a/b", FileFormat: "plain-text",
				LogFormat: DefaultLogFormat, MaxAggregation: 600, AccountID: "a", Region: "r"},
		},
		{
			name: "Firehose without a type",
			in:   types.FlowLog{FlowLogId: aws.String("fl-5"), ResourceId: aws.String("vpc-1"), LogDestination: aws.String("arn:aws:firehose:r:a:deliverystream/x")},
			want: FlowLog{ID: "fl-5", ResourceID: "vpc-1", DestinationType: DestFirehose, Destination: "arn:aws:firehose:r:a:deliverystream/x",
				LogFormat: DefaultLogFormat, MaxAggregation: 600, AccountID: "a", Region: "r"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flowLog(tt.in, "a", "r"); got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSources(t *testing.T) {
	cwl := func(id, res, group string) FlowLog {
		return FlowLog{ID: id, ResourceID: res, DestinationType: DestCloudWatchLogs, LogGroup: group}
	}
	s3 := func(id, res, dest string) FlowLog {
		return FlowLog{ID: id, ResourceID: res, DestinationType: DestS3, Destination: dest}
	}
	tests := []struct {
		name string
		in   []FlowLog
		want []string
	}{
		{"most specific first", []FlowLog{cwl("fl-v", "vpc-1", "a"), cwl("fl-s", "subnet-1", "b"), s3("fl-e", "eni-1", "s3://x")}, []string{"fl-e", "fl-s", "fl-v"}},
		{"same log group once, the specific one kept", []FlowLog{cwl("fl-v", "vpc-1", "a"), cwl("fl-e", "eni-1", "a")}, []string{"fl-e"}},
		{"same bucket once", []FlowLog{s3("fl-v", "vpc-1", "s3://x/p"), s3("fl-s", "subnet-1", "s3://x/p"), s3("fl-e", "eni-1", "s3://x/q")}, []string{"fl-e", "fl-s"}},
		{"Firehose is not pulled", []FlowLog{{ID: "fl-f", ResourceID: "eni-1", DestinationType: DestFirehose, Destination: "arn:aws:firehose:r:a:deliverystream/x"}, cwl("fl-v", "vpc-1", "a")}, []string{"fl-v"}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range (Result{FlowLogs: tt.in}).Sources() {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPullable(t *testing.T) {
	tests := []struct {
		f       FlowLog
		ok      bool
		whyHas  string
		comment string
	}{
		{FlowLog{DestinationType: DestCloudWatchLogs, LogGroup: "g"}, true, "", "CloudWatch"},
		{FlowLog{DestinationType: DestS3, Destination: "s3://b"}, true, "", "S3"},
		{FlowLog{DestinationType: DestFirehose, Destination: "arn:aws:firehose:r:a:deliverystream/x"}, false, "Kinesis Data Firehose (arn:aws:firehose:r:a:deliverystream/x)", "Firehose"},
		{FlowLog{DestinationType: "carrier-pigeon"}, false, "unknown", "unknown type"},
	}
	for _, tt := range tests {
		t.Run(tt.comment, func(t *testing.T) {
			ok, why := tt.f.Pullable()
			if ok != tt.ok || !strings.Contains(why, tt.whyHas) || (ok && why != "") {
				t.Fatalf("Pullable = %v, %q", ok, why)
			}
		})
	}
}
