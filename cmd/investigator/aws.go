package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// awsFlags choose the AWS account and the sources to pull from.
type awsFlags struct {
	profile, region string
	noDiscover      bool
	logGroup        string
	streams         []string
	insights        bool
	s3URL           string
	athenaTable     string
	athenaWorkgroup string
	athenaOutput    string
}

func (f *awsFlags) registerAccount(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.profile, "profile", "", "AWS profile (default AWS_PROFILE or the default profile)")
	cmd.Flags().StringVar(&f.region, "region", "", "AWS region (default AWS_REGION or the profile's)")
	cmd.Flags().BoolVar(&f.noDiscover, "no-discover", false, "record --instance-id as given, without asking EC2")
}

func (f *awsFlags) registerSources(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.logGroup, "log-group", "", "pull from this CloudWatch Logs log group")
	cmd.Flags().StringArrayVar(&f.streams, "log-stream", nil, "only these log streams (default: the case's ENIs when known, else all)")
	cmd.Flags().BoolVar(&f.insights, "insights", false, "with --log-group: use Logs Insights queries instead of FilterLogEvents")
	cmd.Flags().StringVar(&f.s3URL, "s3", "", "pull from this S3 location: s3://bucket[/prefix] (bucket, delivery prefix, or deeper down to a day)")
	cmd.Flags().StringVar(&f.athenaTable, "athena-table", "", "pull the case's records out of this Athena flow-log table (DB.TABLE)")
	cmd.Flags().StringVar(&f.athenaWorkgroup, "athena-workgroup", "", "Athena workgroup")
	cmd.Flags().StringVar(&f.athenaOutput, "athena-output", "", "Athena results location (s3://...), unless the workgroup sets one")
}

func (f *awsFlags) explicitSource() bool {
	return f.logGroup != "" || f.s3URL != "" || f.athenaTable != ""
}

func (f *awsFlags) config(ctx context.Context) (aws.Config, error) {
	return awsenv.Load(ctx, awsenv.Options{Profile: f.profile, Region: f.region})
}

// discoverInto asks EC2 about the instances and records what it learns in
// the case. A missing flow log is reported, not fatal: the focus and VPC are
// recorded all the same.
func (a *app) discoverInto(ctx context.Context, cfg aws.Config, c *store.Case, ids []string, profile string) (ec2.Result, error) {
	res, err := ec2.DiscoverWith(ctx, awsec2.NewFromConfig(cfg), ids, ec2.Options{Profile: profile, Region: cfg.Region})
	var none *ec2.NoFlowLogsError
	if err != nil && !errors.As(err, &none) {
		return res, err // discover explains AWS errors itself
	}
	if rerr := ec2.Record(ctx, c, res); rerr != nil {
		return res, rerr
	}
	fmt.Fprintf(a.stdout, "Discovered %s in %s (%s): %s, %s, %s\n",
		strings.Join(ids, ", "), res.Region, res.AccountID, format.Nouns(int64(len(res.Interfaces)), "interface"),
		format.Nouns(int64(len(res.Focus)), "address"), format.Nouns(int64(len(res.VPCCIDRs)), "VPC block"))
	for _, fl := range res.FlowLogs {
		fmt.Fprintf(a.stdout, "  flow log %s on %s -> %s %s\n", fl.ID, fl.ResourceID, fl.DestinationType, flowLogTarget(fl))
	}
	if none != nil {
		fmt.Fprintln(a.stderr, "investigator:", friendly(none))
	}
	return res, nil
}

func flowLogTarget(fl ec2.FlowLog) string {
	if fl.LogGroup != "" {
		return fl.LogGroup
	}
	return fl.Destination
}

// sources are the AWS sources the flags name.
func (f *awsFlags) sources() []pipeline.Source {
	var out []pipeline.Source
	if f.logGroup != "" {
		out = append(out, pipeline.Source{Kind: pipeline.CloudWatchLogs, Target: f.logGroup, Streams: f.streams, From: "--log-group"})
	}
	if f.s3URL != "" {
		out = append(out, pipeline.Source{Kind: pipeline.S3, Target: f.s3URL, From: "--s3"})
	}
	if f.athenaTable != "" {
		out = append(out, pipeline.Source{Kind: pipeline.Athena, Target: f.athenaTable, From: "--athena-table"})
	}
	return out
}

// pullFromAWS pulls into the case from the sources the flags name, else
// from the flow logs discovery found (now, or earlier and recorded in the
// case), one after the other; a source that fails is reported and the
// others still run.
func (a *app) pullFromAWS(ctx context.Context, cfg aws.Config, c *store.Case, in *ingest.Ingester, f ingestFlags,
	discovered *ec2.Result, start, end time.Time, out io.Writer) ([]pipeline.Report, error) {
	sources := f.aws.sources()
	if len(sources) == 0 {
		var err error
		if sources, err = pipeline.Discovered(ctx, c, discovered); err != nil {
			return nil, err
		}
	}
	if len(sources) == 0 {
		return nil, exitError{code: exitFail, msg: "nothing to pull from: no flow log of the case's instances can be read back (see above), and no --log-group, --s3 or --athena-table was given"}
	}
	fmt.Fprintf(out, "Window %s → %s UTC (by record start)\n", format.Time(start), format.Time(end))
	return pipeline.All(ctx, cfg, c, in, sources, pipeline.Options{
		Start: start, End: end, Lenient: f.lenient, Insights: f.aws.insights, Profile: f.aws.profile,
		AthenaWorkgroup: f.aws.athenaWorkgroup, AthenaOutput: f.aws.athenaOutput,
		CloudWatchProgress: a.cwProgress(), S3Progress: a.s3Progress(), Explain: friendly,
		Pulling: func(s pipeline.Source) {
			fmt.Fprintf(out, "pulling    %s %s (%s)\n", s.Kind, s.Target, s.From)
		},
		Pulled: func(rep pipeline.Report) {
			a.clearProgress()
			if rep.Summary != "" {
				fmt.Fprintf(out, "           %s\n", rep.Summary)
			}
			if rep.Error != "" {
				fmt.Fprintf(out, "failed     %s %s: %s\n", rep.Kind, rep.Target, rep.Error)
			}
		},
	}), nil
}

// cwProgress and s3Progress draw a progress line on a terminal.
func (a *app) cwProgress() func(cloudwatch.Progress) {
	if !a.terminal {
		return nil
	}
	return func(p cloudwatch.Progress) {
		fmt.Fprintf(a.stderr, "\r\033[K  %d/%d slices, %s events, %s records, %d requests (%d throttled, %.1f/s)",
			p.Done, p.Slices, format.Count(p.Events), format.Count(p.Records), p.Requests, p.Throttled, p.Rate)
	}
}

func (a *app) s3Progress() func(s3.Progress) {
	if !a.terminal {
		return nil
	}
	return func(p s3.Progress) {
		fmt.Fprintf(a.stderr, "\r\033[K  %d/%d objects (%d already in the case), %s, %s records",
			p.Ingested+p.Skipped, p.Objects, p.Skipped, format.Bytes(p.Bytes), format.Count(p.Records))
	}
}

func (a *app) clearProgress() {
	if a.terminal {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
}
