package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/ingest/pipeline"
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
	cmd.Flags().StringVar(&f.s3URL, "s3", "", "pull from this S3 location: s3://bucket[/prefix] (bucket, delivery prefix, or deeper down to a day; AWSLogs/ delivery or a Security Lake bucket's aws/VPC_FLOW/)")
	cmd.Flags().StringVar(&f.athenaTable, "athena-table", "", "pull the case's records out of this Athena table (DB.TABLE): a flow-log table, or Amazon Security Lake's OCSF VPC flow table")
	cmd.Flags().StringVar(&f.athenaWorkgroup, "athena-workgroup", "", "Athena workgroup")
	cmd.Flags().StringVar(&f.athenaOutput, "athena-output", "", "Athena results location (s3://...), unless the workgroup sets one")
}

func (f *awsFlags) explicitSource() bool {
	return f.logGroup != "" || f.s3URL != "" || f.athenaTable != ""
}

func (f *awsFlags) config(ctx context.Context) (aws.Config, error) {
	return awsenv.Load(ctx, awsenv.Options{Profile: f.profile, Region: f.region})
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

// progressLine draws a source's progress on a terminal (nil elsewhere).
func progressLine[P fmt.Stringer](a *app) func(P) {
	if !a.terminal {
		return nil
	}
	return func(p P) { fmt.Fprintf(a.stderr, "\r\033[K  %s", p) }
}

func (a *app) clearProgress() {
	if a.terminal {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
}
