package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"

	"github.com/investigator/investigator/ingest/awsenv"
)

// explain turns a pull's error into a message that says what to do: a log
// group that does not exist is named, with the groups that do; the rest goes
// through awsenv.Explain (access denied names logs:FilterLogEvents or
// logs:StartQuery, expired credentials say how to log in again).
func (p *puller) explain(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		return fmt.Errorf("cloudwatch: %w", err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
		return &awsenv.Error{Kind: "not-found", Msg: p.notFound(ctx, ae), Err: err}
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return fmt.Errorf("cloudwatch: %w", awsenv.Explain(err, p.o.Profile))
	}
	return fmt.Errorf("cloudwatch: %w", err)
}

// notFound says which log group is missing, where, and which ones exist.
func (p *puller) notFound(ctx context.Context, ae smithy.APIError) string {
	region := ""
	if c, ok := p.api.(interface{ Options() cloudwatchlogs.Options }); ok && c.Options().Region != "" {
		region = " in region " + c.Options().Region
	}
	group := p.o.LogGroup
	prefix := ""
	if i := strings.LastIndex(group, "/"); i > 0 && !isARN(group) {
		prefix = group[:i+1]
	}
	names, listed := p.similarGroups(ctx, prefix)
	if listed && slices.Contains(names, group) {
		// The group is there: what is missing is something else, most likely a stream.
		return fmt.Sprintf("cloudwatch: log group %s%s: %s (%s)%s; list its streams with: aws logs describe-log-streams --log-group-name %s",
			group, region, ae.ErrorCode(), ae.ErrorMessage(), streamNote(p.o.Streams), group)
	}
	msg := fmt.Sprintf("cloudwatch: log group %q does not exist%s (%s); list the log groups with: aws logs describe-log-groups", group, region, ae.ErrorMessage())
	if prefix != "" {
		msg += " --log-group-name-prefix " + prefix
	}
	if len(names) > 0 {
		msg += "; groups that do exist: " + strings.Join(names, ", ")
	}
	return msg
}

// similarGroups lists up to five log groups under prefix, best effort.
func (p *puller) similarGroups(ctx context.Context, prefix string) ([]string, bool) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	in := &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(5)}
	if prefix != "" {
		in.LogGroupNamePrefix = aws.String(prefix)
	}
	if !isARN(p.o.LogGroup) {
		// Ask for the group itself first: it may exist beyond the first five.
		exact := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(p.o.LogGroup), Limit: aws.Int32(5)}
		var out *cloudwatchlogs.DescribeLogGroupsOutput
		err := p.gov.call(dctx, func(ctx context.Context) (err error) {
			out, err = p.api.DescribeLogGroups(ctx, exact, p.gov.option)
			return err
		})
		if err != nil {
			return nil, false
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == p.o.LogGroup {
				return []string{p.o.LogGroup}, true
			}
		}
	}
	var out *cloudwatchlogs.DescribeLogGroupsOutput
	err := p.gov.call(dctx, func(ctx context.Context) (err error) {
		out, err = p.api.DescribeLogGroups(ctx, in, p.gov.option)
		return err
	})
	if err != nil {
		return nil, false
	}
	var names []string
	for _, g := range out.LogGroups {
		names = append(names, aws.ToString(g.LogGroupName))
	}
	return names, true
}
