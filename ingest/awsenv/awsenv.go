// Package awsenv loads the AWS configuration the way the AWS CLI does
// (--profile, --region, AWS_PROFILE, AWS_REGION, SSO, environment
// credentials, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> for VPC
// endpoints and emulators) and turns the SDK's errors into plain,
// actionable messages.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// Options are the user's choices; empty ones fall back to the environment
// and the shared config files.
type Options struct {
	Profile string
	Region  string
	// MaxAttempts per request, throttling included (default 10).
	MaxAttempts int
}

// Load returns the AWS configuration. It fails when no region is known.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = 20 * time.Second
		})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, Explain(err, o.Profile)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("aws: no region: pass --region, or set AWS_REGION or a region in the profile")
	}
	return cfg, nil
}

// Explain turns an SDK error into a message that says what to do. profile
// names the profile in use, for the hints ("" for the default chain).
func Explain(err error, profile string) error {
	if err == nil {
		return nil
	}
	var ctxErr error
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		ctxErr = err
	}
	action := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		action = iamAction(oe.ServiceID, oe.OperationName)
	}
	who := "the default credentials"
	login := "aws sso login"
	if profile != "" {
		who = "profile " + profile
		login = "aws sso login --profile " + profile
	}
	msg := err.Error()
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case ctxErr != nil:
		return ctxErr
	case strings.Contains(msg, "failed to refresh cached credentials") || strings.Contains(msg, "SSO session") ||
		strings.Contains(msg, "token has expired") || code == "ExpiredToken" || code == "ExpiredTokenException":
		return &Error{Kind: "expired", Msg: fmt.Sprintf("aws: the credentials of %s have expired: run %s (or refresh the session) and try again", who, login), Err: err}
	case strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found") ||
		strings.Contains(msg, "get identity") && strings.Contains(msg, "anonymous"):
		return &Error{Kind: "credentials", Msg: "aws: no AWS credentials found: set AWS_PROFILE or pass --profile, run aws configure or " + login + ", or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", Err: err}
	case code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" || code == "Forbidden":
		what := "this request"
		if action != "" {
			what = action
		}
		return &Error{Kind: "denied", Msg: fmt.Sprintf("aws: access denied to %s for %s: its IAM policy needs %s (see the README's IAM section)", what, who, what), Err: err}
	case isThrottle(code):
		what := "AWS"
		if action != "" {
			what = action
		}
		return &Error{Kind: "throttled", Msg: fmt.Sprintf("aws: %s kept throttling the requests after every retry; wait a minute and run the same command again (it resumes where it stopped)", what), Err: err}
	}
	if action != "" && code != "" {
		return &Error{Kind: code, Msg: fmt.Sprintf("aws: %s failed: %s", action, apiMessage(ae)), Err: err}
	}
	return fmt.Errorf("aws: %w", err)
}

// Error is an explained AWS error; Kind is "expired", "credentials",
// "denied", "throttled" or the API's error code.
type Error struct {
	Kind string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
		"RequestThrottled", "RequestThrottledException", "SlowDown", "LimitExceededException":
		return true
	}
	return false
}

func apiMessage(ae smithy.APIError) string {
	if ae == nil {
		return ""
	}
	if m := ae.ErrorMessage(); m != "" {
		return ae.ErrorCode() + ": " + m
	}
	return ae.ErrorCode()
}

// iamAction is the IAM action of an SDK operation: "ec2:DescribeInstances".
func iamAction(serviceID, operation string) string {
	prefix := map[string]string{
		"EC2": "ec2", "CloudWatch Logs": "logs", "S3": "s3", "Athena": "athena", "STS": "sts", "Glue": "glue",
	}[serviceID]
	if prefix == "" {
		prefix = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	op := operation
	if prefix == "s3" { // S3's IAM actions differ from its API names
		switch operation {
		case "ListObjectsV2":
			op = "ListBucket"
		case "HeadObject":
			op = "GetObject"
		}
	}
	return prefix + ":" + op
}
