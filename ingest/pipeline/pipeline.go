// Package pipeline is the one ingest orchestration that the command line and
// the workbench both call: a case's focus, EC2 discovery, local files and
// the AWS sources (a log group, an S3 location, an Athena table, or the flow
// logs discovery found for the case's instances) in one ingest, with the
// default window, the per-source reports, the totals and the classification
// of the outcome. What the faces print or show is theirs, through Events;
// the lines for people are here, so both say the same.
package pipeline

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/athena"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

// Source kinds: where a source's flow logs are read from.
const (
	CloudWatchLogs = ec2.DestCloudWatchLogs
	S3             = ec2.DestS3
	Athena         = "athena"
)

// Source is one place to pull flow logs from.
type Source struct {
	Kind    string   // CloudWatchLogs, S3 or Athena (or a destination no pull reads)
	Target  string   // log group, s3:// URL or DB.TABLE
	Streams []string // CloudWatch Logs: only these log streams (none: all)
	Format  string   // the flow log's ${...} format, when known
	From    string   // what named it: a flag or form field, or the flow log's id
}

// Discovered are the sources of the flow logs discovery found: now (when
// discovered is not nil) or earlier, as recorded in the case. A CloudWatch
// Logs source reads only the streams of the case's interfaces.
func Discovered(ctx context.Context, c *store.Case, discovered *ec2.Result) ([]Source, error) {
	var logs []ec2.FlowLog
	if discovered != nil {
		logs = discovered.Sources()
	} else {
		recorded, err := ec2.Recorded(ctx, c)
		if err != nil {
			return nil, err
		}
		logs = ec2.Result{FlowLogs: recorded}.Sources()
	}
	ifaces, err := caseInterfaces(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, fl := range logs {
		s := Source{Kind: fl.DestinationType, Format: fl.LogFormat, From: fl.ID}
		switch fl.DestinationType {
		case ec2.DestCloudWatchLogs:
			s.Target = fl.LogGroup
			// Flow logs name a log group's streams after the interface and
			// the traffic they record: eni-…-all, eni-…-accept, eni-…-reject.
			suffix := strings.ToLower(fl.TrafficType)
			if suffix == "" {
				suffix = "all"
			}
			for _, id := range ifaces {
				s.Streams = append(s.Streams, id+"-"+suffix)
			}
		default:
			s.Target = fl.Destination
		}
		out = append(out, s)
	}
	return out, nil
}

func caseInterfaces(ctx context.Context, c *store.Case) ([]string, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT interface_id FROM case_interfaces ORDER BY interface_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Options control a pipeline.
type Options struct {
	// Start and End are the window, by record start; the Ingester's
	// Options must carry the same window.
	Start, End time.Time
	// Lenient parses a source's Format keeping unknown fields.
	Lenient bool
	// Insights reads CloudWatch Logs with Logs Insights queries instead of
	// FilterLogEvents.
	Insights bool
	// Profile names the AWS profile in use, for the hints in error messages.
	Profile string
	// AthenaWorkgroup and AthenaOutput are where Athena queries run and
	// write their results.
	AthenaWorkgroup, AthenaOutput string
	// CloudWatchProgress and S3Progress, when set, are called as a pull
	// from CloudWatch Logs or S3 goes on.
	CloudWatchProgress func(cloudwatch.Progress)
	S3Progress         func(s3.Progress)
	// Pulling, when set, is called before each source, and Pulled after it
	// with what it gave.
	Pulling func(Source)
	Pulled  func(SourceReport)
}

// SourceReport is what one source gave.
type SourceReport struct {
	Kind    string `json:"kind"`
	Target  string `json:"target"`
	From    string `json:"from"`
	Summary string `json:"summary,omitempty"`
	Records int64  `json:"records"`
	Error   string `json:"error,omitempty"`
}

// All pulls every source into the case through in, one after the other; a
// source that fails is reported and the others still run.
func All(ctx context.Context, cfg aws.Config, c *store.Case, in *ingest.Ingester, sources []Source, o Options) []SourceReport {
	var reps []SourceReport
	for _, s := range sources {
		if o.Pulling != nil {
			o.Pulling(s)
		}
		rep := SourceReport{Kind: s.Kind, Target: s.Target, From: s.From}
		var err error
		var fields []ingest.Field
		if s.Format != "" {
			if fields, err = ingest.ParseLogFormat(s.Format, o.Lenient); err != nil {
				err = &usererr.Error{Msg: "its log format: " + usererr.Message(err), Err: err}
			}
		}
		if err == nil {
			rep.Summary, rep.Records, err = one(ctx, cfg, c, in, s, fields, o)
		}
		if err != nil {
			rep.Error = usererr.Message(err)
		}
		if o.Pulled != nil {
			o.Pulled(rep)
		}
		reps = append(reps, rep)
	}
	return reps
}

// PullingLine says which source is pulled, for people.
func (s Source) PullingLine() string {
	return fmt.Sprintf("pulling    %s %s (%s)", s.Kind, s.Target, s.From)
}

// Lines say what the source gave, for people.
func (r SourceReport) Lines() []string {
	var lines []string
	if r.Summary != "" {
		lines = append(lines, "           "+r.Summary)
	}
	if r.Error != "" {
		lines = append(lines, fmt.Sprintf("failed     %s %s: %s", r.Kind, r.Target, r.Error))
	}
	return lines
}

// one pulls one source: a summary of what it did, the records it stored.
func one(ctx context.Context, cfg aws.Config, c *store.Case, in *ingest.Ingester, s Source, fields []ingest.Field, o Options) (string, int64, error) {
	switch s.Kind {
	case CloudWatchLogs:
		sum, err := cloudwatch.Pull(ctx, cloudwatchlogs.NewFromConfig(cfg), in, cloudwatch.Options{
			LogGroup: s.Target, Streams: s.Streams, Start: o.Start, End: o.End, Fields: fields,
			Insights: o.Insights, Profile: o.Profile, Progress: o.CloudWatchProgress,
		})
		return sum.String(), sum.Records, err
	case S3:
		client := awss3.NewFromConfig(cfg, func(so *awss3.Options) {
			so.DisableLogOutputChecksumValidationSkipped = true // flow-log objects carry no checksums: nothing to warn about
		})
		sum, err := s3.Pull(ctx, client, in, s3.Options{
			URL: s.Target, Start: o.Start, End: o.End, Fields: fields, Profile: o.Profile, Progress: o.S3Progress,
		})
		return sum.String(), sum.Records, err
	case Athena:
		focus, err := focusAddrs(ctx, c)
		if err != nil {
			return "", 0, err
		}
		sum, err := athena.Pull(ctx, awsathena.NewFromConfig(cfg), in, athena.Options{
			Table: s.Target, Workgroup: o.AthenaWorkgroup, Output: o.AthenaOutput, Start: o.Start, End: o.End,
			Focus: focus, Profile: o.Profile,
		})
		return sum.String(), sum.Records, err
	}
	return "", 0, fmt.Errorf("flow log %s delivers to %s, which investigator cannot read back; pull it with --s3 or --log-group from where it lands", s.From, s.Kind)
}

func focusAddrs(ctx context.Context, c *store.Case) ([]netip.Addr, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, f := range info.Focus {
		out = append(out, f.Addr)
	}
	return out, nil
}
