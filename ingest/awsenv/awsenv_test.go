package awsenv

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

func opErr(service, op, code string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &smithy.GenericAPIError{Code: code, Message: "m"}}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		err       error
		profile   string
		kind      string
		wantInMsg string
	}{
		{opErr("EC2", "DescribeInstances", "UnauthorizedOperation"), "prod", "denied", "ec2:DescribeInstances"},
		{opErr("CloudWatch Logs", "FilterLogEvents", "AccessDeniedException"), "", "denied", "logs:FilterLogEvents"},
		{opErr("S3", "ListObjectsV2", "AccessDenied"), "", "denied", "s3:ListBucket"},
		{opErr("CloudWatch Logs", "FilterLogEvents", "ThrottlingException"), "", "throttled", "resumes"},
		{opErr("S3", "GetObject", "ExpiredToken"), "dev", "expired", "aws sso login --profile dev"},
		{errors.New("operation error STS: GetCallerIdentity, failed to refresh cached credentials, the SSO session has expired"), "x", "expired", "aws sso login --profile x"},
		{errors.New("operation error EC2: DescribeInstances, get identity: get credentials: failed to retrieve credentials"), "", "credentials", "AWS_PROFILE"},
		{opErr("CloudWatch Logs", "FilterLogEvents", "ResourceNotFoundException"), "", "ResourceNotFoundException", "logs:FilterLogEvents failed"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.wantInMsg, func(t *testing.T) {
			err := Explain(tt.err, tt.profile)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Msg, tt.wantInMsg) {
				t.Fatalf("Explain = %v (%T)", err, err)
			}
			if !errors.Is(err, tt.err) && errors.Unwrap(err) != tt.err {
				t.Fatalf("the SDK error is not wrapped")
			}
		})
	}
	if err := Explain(context.Canceled, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
}

func TestLoadNeedsARegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_PROFILE", "")
	if _, err := Load(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "--region") {
		t.Fatalf("err = %v", err)
	}
	cfg, err := Load(context.Background(), Options{Region: "eu-west-1"})
	if err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("%v %v", cfg.Region, err)
	}
}
