package views

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/internal/moto"
	"github.com/investigator/investigator/store"
)

func TestCreateCase(t *testing.T) {
	e := newServer(t)
	dir := casesDir(t, e)

	t.Run("form on the cases page", func(t *testing.T) {
		r := get(t, e, "/")
		form := r.doc.Find(`form[data-testid="create-form"]`)
		if action, _ := form.Attr("action"); action != "/cases" {
			t.Fatalf("form action %q:\n%s", action, r.body)
		}
		for _, n := range []string{"name", "addrs", "cidrs"} {
			if form.Find(`[name="`+n+`"]`).Length() != 1 {
				t.Errorf("no %s field", n)
			}
		}
	})

	t.Run("created and redirected", func(t *testing.T) {
		r := post(t, e, "/cases", url.Values{
			"name":  {"new-case_1"},
			"addrs": {"10.0.1.10, 10.0.1.11\n2001:db8::5"},
			"cidrs": {"10.0.0.0/16\n2001:db8::/32"},
		}, nil)
		if r.code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303:\n%s", r.code, r.body)
		}
		if loc := r.hdr.Get("Location"); loc != "/cases/new-case_1" {
			t.Fatalf("Location %q", loc)
		}
		o := get(t, e, "/cases/new-case_1")
		if o.code != http.StatusOK {
			t.Fatalf("overview status %d:\n%s", o.code, o.body)
		}
		if got := text(o, `[data-testid="case-name"]`); got != "new-case_1" {
			t.Errorf("name %q", got)
		}
		focus := o.doc.Find(`[data-testid="focus"] tbody tr`)
		if focus.Length() != 3 || !strings.Contains(focus.Text(), "2001:db8::5") || !strings.Contains(focus.Text(), "web") {
			t.Errorf("focus:\n%s", focus.Text())
		}
		cidrs := o.doc.Find(`[data-testid="vpc-cidrs"] tbody tr`)
		if cidrs.Length() != 2 || !strings.Contains(cidrs.Text(), "10.0.0.0/16") {
			t.Errorf("CIDRs:\n%s", cidrs.Text())
		}
		if o.doc.Find(`[data-testid="chart-timeline-empty"]`).Length() != 1 {
			t.Error("an empty case should say it has no flows to chart")
		}
		if get(t, e, "/").doc.Find(`[data-testid="case-row"][data-case="new-case_1"]`).Length() != 1 {
			t.Error("not in the cases list")
		}
	})

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"empty name", url.Values{"name": {" "}}, http.StatusBadRequest, "needs a name"},
		{"bad name", url.Values{"name": {"../evil"}}, http.StatusBadRequest, "not a valid case name"},
		{"markup name", url.Values{"name": {"<b>x</b>"}}, http.StatusBadRequest, "not a valid case name"},
		{"name with extension", url.Values{"name": {"x.duckdb"}}, http.StatusBadRequest, "not a valid case name"},
		{"bad address", url.Values{"name": {"bad-addr"}, "addrs": {"10.0.0.1\n10.0.0.999"}}, http.StatusBadRequest, `"10.0.0.999" is not an IPv4 or IPv6 address`},
		{"bad CIDR", url.Values{"name": {"bad-cidr"}, "cidrs": {"10.0.0.0/16, 10.0.0.0/33"}}, http.StatusBadRequest, `"10.0.0.0/33" is not a CIDR block`},
		// Refused, as on the command line, not silently masked.
		{"CIDR with host bits", url.Values{"name": {"host-bits"}, "cidrs": {"10.0.0.7/16"}}, http.StatusBadRequest, `"10.0.0.7/16" has host bits set; did you mean 10.0.0.0/16?`},
		{"existing case", url.Values{"name": {"demo"}, "addrs": {"10.9.9.9"}}, http.StatusConflict, "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := caseFiles(t, dir)
			r := post(t, e, "/cases", tc.form, nil)
			if r.code != tc.status {
				t.Fatalf("status %d, want %d:\n%s", r.code, tc.status, r.body)
			}
			if msg := text(r, `[data-testid="error-message"]`); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
			if strings.Contains(r.body, "<b>x</b>") {
				t.Error("markup from the form is not escaped")
			}
			if after := caseFiles(t, dir); after != before {
				t.Errorf("files changed:\n%s\n->\n%s", before, after)
			}
		})
	}

	t.Run("existing case untouched", func(t *testing.T) {
		o := get(t, e, "/cases/demo")
		if strings.Contains(o.doc.Find(`[data-testid="focus"]`).Text(), "10.9.9.9") {
			t.Error("refused creation changed the existing case")
		}
	})

	t.Run("cross-site post refused", func(t *testing.T) {
		r := post(t, e, "/cases", url.Values{"name": {"csrf"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if r.code != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.code)
		}
		if _, err := os.Stat(filepath.Join(dir, "csrf.duckdb")); err == nil {
			t.Error("case created")
		}
	})
}

// caseFiles lists the cases folder with sizes.
func caseFiles(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name() + " " + info.ModTime().String() + "\n")
	}
	return b.String()
}

// TestCreateFromInstance makes a case from an EC2 instance id on the cases
// page, discovered through the real SDK against moto: the instance's
// address, its VPC block and the flow log are in the case. A bad id, an
// unknown instance and a workbench without AWS write nothing.
func TestCreateFromInstance(t *testing.T) {
	endpoint := moto.Start(t)
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
	ec2c := awsec2.NewFromConfig(cfg)
	vpc, err := ec2c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ec2c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.40.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	run, err := ec2c.RunInstances(ctx, &awsec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: sub.Subnet.SubnetId})
	if err != nil {
		t.Fatal(err)
	}
	id, ip := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[0].PrivateIpAddress)
	if _, err := ec2c.CreateFlowLogs(ctx, &awsec2.CreateFlowLogsInput{ResourceType: ec2types.FlowLogsResourceTypeVpc, ResourceIds: []string{aws.ToString(vpc.Vpc.VpcId)},
		TrafficType: ec2types.TrafficTypeAll, LogGroupName: aws.String("/vpc/flows"), DeliverLogsPermissionArn: aws.String("arn:aws:iam::123456789012:role/flow-logs")}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	e, err := New(Options{CasesDir: dir, Program: "test", AWS: func(context.Context) (aws.Config, error) { return cfg, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, e, "/"); r.doc.Find(`[data-testid="create-instances"]:not([disabled])`).Length() != 1 {
		t.Fatal("no instance id field on the cases page")
	}
	r := post(t, e, "/cases", url.Values{"name": {"from-ec2"}, "instances": {id}}, nil)
	if r.code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.code, text(r, `[data-testid="error-message"]`))
	}
	o := get(t, e, "/cases/from-ec2")
	if focus := o.doc.Find(`[data-testid="focus"]`).Text(); !strings.Contains(focus, ip) || !strings.Contains(focus, id) {
		t.Errorf("focus after discovery:\n%s", focus)
	}
	if got := o.doc.Find(`[data-testid="vpc-cidrs"]`).Text(); !strings.Contains(got, "10.40.0.0/16") {
		t.Errorf("VPC blocks:\n%s", got)
	}
	cs, err := store.Open(ctx, filepath.Join(dir, "from-ec2"+store.Ext), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	logs, err := ec2.Recorded(ctx, cs)
	cs.Close()
	if err != nil || len(logs) != 1 || logs[0].LogGroup != "/vpc/flows" {
		t.Errorf("recorded flow logs: %+v %v", logs, err)
	}

	for _, c := range []struct {
		name, instances string
		status          int
		want            string
	}{
		{"bad-id", "i-xyz", http.StatusBadRequest, `"i-xyz" is not an EC2 instance id`},
		{"unknown", "i-0123456789abcdef0", http.StatusBadGateway, "Discovery failed"},
	} {
		r := post(t, e, "/cases", url.Values{"name": {c.name}, "instances": {c.instances}}, nil)
		if r.code != c.status || !strings.Contains(text(r, `[data-testid="error-message"]`), c.want) {
			t.Errorf("%s: %d %q", c.name, r.code, text(r, `[data-testid="error-message"]`))
		}
		if _, err := os.Stat(filepath.Join(dir, c.name+store.Ext)); err == nil {
			t.Errorf("%s: a case was written", c.name)
		}
	}
	noAWS, err := New(Options{CasesDir: dir, Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, noAWS, "/"); r.doc.Find(`[data-testid="create-instances"][disabled]`).Length() != 1 {
		t.Error("the instance field is usable without AWS")
	}
	if r := post(t, noAWS, "/cases", url.Values{"name": {"no-aws"}, "instances": {id}}, nil); r.code != http.StatusBadRequest {
		t.Errorf("without AWS: %d", r.code)
	}
}
