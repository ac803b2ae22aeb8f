package ec2

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// fakeEC2 speaks the EC2 Query protocol (form-encoded POST in, XML out) for
// DescribeInstances, DescribeVpcs and DescribeFlowLogs, over a small world of
// instances, VPCs and flow logs written as EC2 writes them.
type fakeEC2 struct {
	owner     string
	instances []fakeItem        // id -> an instancesSet item
	vpcs      []fakeItem        // id -> a vpcSet item
	flowLogs  []fakeItem        // resource id -> a flowLogSet item
	denied    map[string]string // Action -> error code answered with 403
	pageSize  int               // items per page; 0 = one page

	mu    sync.Mutex
	calls []url.Values
}

type fakeItem struct{ id, xml string }

const ns = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`

var instanceIDShape = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

func (f *fakeEC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	f.mu.Unlock()
	if code := f.denied[action]; code != "" {
		fakeError(w, http.StatusForbidden, code, "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: ec2:"+action+" because no identity-based policy allows the ec2:"+action+" action")
		return
	}
	switch action {
	case "DescribeInstances":
		ids := formList(r.PostForm, "InstanceId")
		var items []string
		var missing []string
		for _, id := range ids {
			if !instanceIDShape.MatchString(id) {
				fakeError(w, http.StatusBadRequest, "InvalidInstanceID.Malformed", fmt.Sprintf("Invalid id: %q", id))
				return
			}
			i := slices.IndexFunc(f.instances, func(it fakeItem) bool { return it.id == id })
			if i < 0 {
				missing = append(missing, id)
				continue
			}
			items = append(items, fmt.Sprintf(`<item><reservationId>r-%d</reservationId><ownerId>%s</ownerId><groupSet/><instancesSet>%s</instancesSet></item>`, i, f.owner, f.instances[i].xml))
		}
		switch len(missing) {
		case 0:
		case 1:
			fakeError(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", missing[0]))
			return
		default:
			fakeError(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance IDs '%s' do not exist", strings.Join(missing, ", ")))
			return
		}
		f.page(w, r, "DescribeInstancesResponse", "reservationSet", items)
	case "DescribeVpcs":
		var items []string
		for _, id := range formList(r.PostForm, "VpcId") {
			i := slices.IndexFunc(f.vpcs, func(it fakeItem) bool { return it.id == id })
			if i < 0 {
				fakeError(w, http.StatusBadRequest, "InvalidVpcID.NotFound", fmt.Sprintf("The vpc ID '%s' does not exist", id))
				return
			}
			items = append(items, f.vpcs[i].xml)
		}
		f.page(w, r, "DescribeVpcsResponse", "vpcSet", items)
	case "DescribeFlowLogs":
		var want []string
		for n := 1; r.PostForm.Has(fmt.Sprintf("Filter.%d.Name", n)); n++ {
			if name := r.PostForm.Get(fmt.Sprintf("Filter.%d.Name", n)); name != "resource-id" {
				fakeError(w, http.StatusBadRequest, "InvalidParameterValue", "fake: unexpected filter "+name)
				return
			}
			want = append(want, formList(r.PostForm, fmt.Sprintf("Filter.%d.Value", n))...)
		}
		var items []string
		for _, fl := range f.flowLogs {
			if slices.Contains(want, fl.id) {
				items = append(items, fl.xml)
			}
		}
		f.page(w, r, "DescribeFlowLogsResponse", "flowLogSet", items)
	default:
		fakeError(w, http.StatusBadRequest, "InvalidAction", "The action "+action+" is not valid for this web service.")
	}
}

// page answers one page of items, with a nextToken when more follow.
func (f *fakeEC2) page(w http.ResponseWriter, r *http.Request, response, set string, items []string) {
	start := 0
	if tok := r.PostForm.Get("NextToken"); tok != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(tok, "page-"))
	}
	end := len(items)
	if f.pageSize > 0 && start+f.pageSize < end {
		end = start + f.pageSize
	}
	next := ""
	if end < len(items) {
		next = fmt.Sprintf("<nextToken>page-%d</nextToken>", end)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<%s %s><requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><%s>%s</%s>%s</%s>`,
		response, ns, set, strings.Join(items[start:end], ""), set, next, response)
}

func fakeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// formList reads the query protocol's flattened list prefix.1, prefix.2, ….
func formList(v url.Values, prefix string) []string {
	var out []string
	for n := 1; v.Has(fmt.Sprintf("%s.%d", prefix, n)); n++ {
		out = append(out, v.Get(fmt.Sprintf("%s.%d", prefix, n)))
	}
	return out
}

func (f *fakeEC2) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Get("Action"))
	}
	return out
}

func (f *fakeEC2) flowLogFilter() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.Get("Action") == "DescribeFlowLogs" {
			return formList(c, "Filter.1.Value")
		}
	}
	return nil
}

// client is the real SDK client talking to srv.
func client(srv *httptest.Server) *ec2.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:  srv.Client(),
	}
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
}

// The world of the tests.
const (
	account  = "123456789012"
	iWeb     = "i-0a1b2c3d4e5f60001"
	iDB      = "i-0a1b2c3d4e5f60002"
	iLonely  = "i-0a1b2c3d4e5f60003"
	iUnknown = "i-0a1b2c3d4e5f6dead"

	customFormat = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${pkt-srcaddr} ${pkt-dstaddr}"
)

func newWorld() *fakeEC2 {
	return &fakeEC2{
		owner: account,
		instances: []fakeItem{
			{iWeb, `<item>
  <instanceId>` + iWeb + `</instanceId>
  <imageId>ami-0abcdef1234567890</imageId>
  <instanceState><code>16</code><name>running</name></instanceState>
  <privateDnsName>ip-10-0-1-10.ec2.internal</privateDnsName>
  <instanceType>t3.micro</instanceType>
  <placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>
  <subnetId>subnet-0a1</subnetId>
  <vpcId>vpc-0a1</vpcId>
  <privateIpAddress>10.0.1.10</privateIpAddress>
  <ipAddress>54.210.167.204</ipAddress>
  <tagSet>
    <item><key>Name</key><value>web</value></item>
    <item><key>env</key><value>prod</value></item>
  </tagSet>
  <networkInterfaceSet>
    <item>
      <networkInterfaceId>eni-0bbb</networkInterfaceId>
      <subnetId>subnet-0a2</subnetId>
      <vpcId>vpc-0a1</vpcId>
      <description>web backend</description>
      <ownerId>` + account + `</ownerId>
      <status>in-use</status>
      <privateIpAddress>10.1.2.20</privateIpAddress>
      <attachment><attachmentId>eni-attach-2</attachmentId><deviceIndex>1</deviceIndex><status>attached</status></attachment>
      <privateIpAddressesSet>
        <item><privateIpAddress>10.1.2.21</privateIpAddress><primary>false</primary></item>
        <item><privateIpAddress>10.1.2.20</privateIpAddress><primary>true</primary></item>
      </privateIpAddressesSet>
      <ipv6AddressesSet><item><ipv6Address>2600:1f18:abc:de02::20</ipv6Address></item></ipv6AddressesSet>
    </item>
    <item>
      <networkInterfaceId>eni-0aaa</networkInterfaceId>
      <subnetId>subnet-0a1</subnetId>
      <vpcId>vpc-0a1</vpcId>
      <description>Primary network interface</description>
      <ownerId>` + account + `</ownerId>
      <status>in-use</status>
      <privateIpAddress>10.0.1.10</privateIpAddress>
      <attachment><attachmentId>eni-attach-1</attachmentId><deviceIndex>0</deviceIndex><status>attached</status></attachment>
      <association><publicIp>54.210.167.204</publicIp><ipOwnerId>amazon</ipOwnerId></association>
      <privateIpAddressesSet>
        <item><privateIpAddress>10.0.1.10</privateIpAddress><primary>true</primary>
          <association><publicIp>54.210.167.204</publicIp><ipOwnerId>amazon</ipOwnerId></association></item>
        <item><privateIpAddress>10.0.1.11</privateIpAddress><primary>false</primary>
          <association><publicIp>3.5.6.7</publicIp><ipOwnerId>` + account + `</ipOwnerId></association></item>
      </privateIpAddressesSet>
      <ipv6AddressesSet>
        <item><ipv6Address>2600:1f18:abc:de01::10</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item>
        <item><ipv6Address>2600:1f18:abc:de01::11</ipv6Address></item>
      </ipv6AddressesSet>
    </item>
  </networkInterfaceSet>
</item>`},
			{iDB, `<item>
  <instanceId>` + iDB + `</instanceId>
  <instanceState><code>16</code><name>running</name></instanceState>
  <subnetId>subnet-0a2</subnetId>
  <vpcId>vpc-0a1</vpcId>
  <privateIpAddress>10.1.2.30</privateIpAddress>
  <networkInterfaceSet>
    <item>
      <networkInterfaceId>eni-0ccc</networkInterfaceId>
      <subnetId>subnet-0a2</subnetId>
      <vpcId>vpc-0a1</vpcId>
      <description></description>
      <privateIpAddress>10.1.2.30</privateIpAddress>
      <attachment><deviceIndex>0</deviceIndex></attachment>
      <privateIpAddressesSet><item><privateIpAddress>10.1.2.30</privateIpAddress><primary>true</primary></item></privateIpAddressesSet>
      <ipv4PrefixSet><item><ipv4Prefix>10.1.2.48/28</ipv4Prefix></item></ipv4PrefixSet>
    </item>
  </networkInterfaceSet>
</item>`},
			{iLonely, `<item>
  <instanceId>` + iLonely + `</instanceId>
  <instanceState><code>16</code><name>running</name></instanceState>
  <subnetId>subnet-0b1</subnetId>
  <vpcId>vpc-0b2</vpcId>
  <tagSet><item><key>Name</key><value>lonely</value></item></tagSet>
  <networkInterfaceSet>
    <item>
      <networkInterfaceId>eni-0ddd</networkInterfaceId>
      <subnetId>subnet-0b1</subnetId>
      <vpcId>vpc-0b2</vpcId>
      <privateIpAddress>172.31.5.5</privateIpAddress>
      <attachment><deviceIndex>0</deviceIndex></attachment>
      <association><publicIp>18.204.1.1</publicIp></association>
      <privateIpAddressesSet><item><privateIpAddress>172.31.5.5</privateIpAddress><primary>true</primary>
        <association><publicIp>18.204.1.1</publicIp></association></item></privateIpAddressesSet>
    </item>
  </networkInterfaceSet>
</item>`},
		},
		vpcs: []fakeItem{
			{"vpc-0a1", `<item>
  <vpcId>vpc-0a1</vpcId>
  <ownerId>` + account + `</ownerId>
  <state>available</state>
  <cidrBlock>10.0.0.0/16</cidrBlock>
  <cidrBlockAssociationSet>
    <item><cidrBlock>10.0.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-1</associationId><cidrBlockState><state>associated</state></cidrBlockState></item>
    <item><cidrBlock>10.1.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-2</associationId><cidrBlockState><state>associated</state></cidrBlockState></item>
    <item><cidrBlock>10.9.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-3</associationId><cidrBlockState><state>disassociated</state></cidrBlockState></item>
  </cidrBlockAssociationSet>
  <ipv6CidrBlockAssociationSet>
    <item><ipv6CidrBlock>2600:1f18:abc:de00::/56</ipv6CidrBlock><associationId>vpc-cidr-assoc-4</associationId>
      <ipv6CidrBlockState><state>associated</state></ipv6CidrBlockState><networkBorderGroup>us-east-1</networkBorderGroup><ipv6Pool>Amazon</ipv6Pool></item>
  </ipv6CidrBlockAssociationSet>
  <dhcpOptionsId>dopt-1</dhcpOptionsId>
  <instanceTenancy>default</instanceTenancy>
  <isDefault>false</isDefault>
</item>`},
			{"vpc-0b2", `<item>
  <vpcId>vpc-0b2</vpcId>
  <state>available</state>
  <cidrBlock>172.31.0.0/16</cidrBlock>
  <cidrBlockAssociationSet>
    <item><cidrBlock>172.31.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-9</associationId><cidrBlockState><state>associated</state></cidrBlockState></item>
  </cidrBlockAssociationSet>
  <isDefault>true</isDefault>
</item>`},
		},
		flowLogs: []fakeItem{
			{"vpc-0a1", `<item>
  <creationTime>2026-01-05T10:00:00.000Z</creationTime>
  <deliverLogsPermissionArn>arn:aws:iam::` + account + `:role/flow-logs</deliverLogsPermissionArn>
  <deliverLogsStatus>SUCCESS</deliverLogsStatus>
  <flowLogId>fl-0vpc</flowLogId>
  <flowLogStatus>ACTIVE</flowLogStatus>
  <logGroupName>vpc-flow-logs</logGroupName>
  <resourceId>vpc-0a1</resourceId>
  <trafficType>ALL</trafficType>
  <logDestinationType>cloud-watch-logs</logDestinationType>
  <logDestination>arn:aws:logs:us-east-1:` + account + `:log-group:vpc-flow-logs</logDestination>
  <logFormat>` + customFormat + `</logFormat>
  <maxAggregationInterval>60</maxAggregationInterval>
</item>`},
			{"vpc-0zzz", `<item><flowLogId>fl-0other</flowLogId><resourceId>vpc-0zzz</resourceId><logDestinationType>cloud-watch-logs</logDestinationType><logGroupName>other</logGroupName></item>`},
			{"eni-0bbb", `<item>
  <creationTime>2026-01-06T10:00:00.000Z</creationTime>
  <deliverLogsStatus>SUCCESS</deliverLogsStatus>
  <flowLogId>fl-0eni</flowLogId>
  <flowLogStatus>ACTIVE</flowLogStatus>
  <resourceId>eni-0bbb</resourceId>
  <trafficType>ALL</trafficType>
  <logDestinationType>s3</logDestinationType>
  <logDestination>arn:aws:s3:::flow-bucket/web/</logDestination>
  <maxAggregationInterval>600</maxAggregationInterval>
  <destinationOptions><fileFormat>parquet</fileFormat><hiveCompatiblePartitions>true</hiveCompatiblePartitions><perHourPartition>true</perHourPartition></destinationOptions>
</item>`},
			{"subnet-0a1", `<item>
  <deliverLogsStatus>FAILED</deliverLogsStatus>
  <deliverLogsErrorMessage>Access error</deliverLogsErrorMessage>
  <flowLogId>fl-0sub</flowLogId>
  <flowLogStatus>ACTIVE</flowLogStatus>
  <logGroupName>vpc-flow-logs</logGroupName>
  <resourceId>subnet-0a1</resourceId>
  <trafficType>REJECT</trafficType>
  <logDestinationType>cloud-watch-logs</logDestinationType>
  <logDestination>arn:aws:logs:us-east-1:` + account + `:log-group:vpc-flow-logs</logDestination>
  <logFormat>` + customFormat + `</logFormat>
  <maxAggregationInterval>600</maxAggregationInterval>
</item>`},
			{"subnet-0a2", `<item>
  <flowLogId>fl-0fh</flowLogId>
  <flowLogStatus>ACTIVE</flowLogStatus>
  <resourceId>subnet-0a2</resourceId>
  <trafficType>ALL</trafficType>
  <logDestinationType>kinesis-data-firehose</logDestinationType>
  <logDestination>arn:aws:firehose:us-east-1:` + account + `:deliverystream/flows</logDestination>
  <logFormat>${version} ${interface-id} ${srcaddr} ${dstaddr}</logFormat>
  <maxAggregationInterval>60</maxAggregationInterval>
</item>`},
		},
	}
}
