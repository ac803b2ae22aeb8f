package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/athenasrc"
	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/ingest/cwlogs"
	"github.com/investigator/investigator/ingest/discover"
	"github.com/investigator/investigator/ingest/s3logs"
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
func (a *app) discoverInto(ctx context.Context, cfg aws.Config, c *store.Case, ids []string, profile string) (discover.Result, error) {
	res, err := discover.DiscoverWith(ctx, ec2.NewFromConfig(cfg), ids, discover.Options{Profile: profile, Region: cfg.Region})
	var none *discover.NoFlowLogsError
	if err != nil && !errors.As(err, &none) {
		return res, err // discover explains AWS errors itself
	}
	if rerr := discover.Record(ctx, c, res); rerr != nil {
		return res, rerr
	}
	fmt.Fprintf(a.stdout, "Discovered %s in %s (%s): %s, %s, %s\n",
		strings.Join(ids, ", "), res.Region, res.AccountID, plural(int64(len(res.Interfaces)), "interface"),
		plural(int64(len(res.Focus)), "address"), plural(int64(len(res.VPCCIDRs)), "VPC block"))
	for _, fl := range res.FlowLogs {
		fmt.Fprintf(a.stdout, "  flow log %s on %s -> %s %s\n", fl.ID, fl.ResourceID, fl.DestinationType, flowLogTarget(fl))
	}
	if none != nil {
		fmt.Fprintln(a.stderr, "investigator:", friendly(none))
	}
	return res, nil
}

func flowLogTarget(fl discover.FlowLog) string {
	if fl.LogGroup != "" {
		return fl.LogGroup
	}
	return fl.Destination
}

// flowSource is one place to pull flow logs from.
type flowSource struct {
	kind    string // cloud-watch-logs | s3 | athena
	target  string // log group, s3:// URL or DB.TABLE
	streams []string
	format  string // the flow log's ${...} format, when known
	from    string // what named it: a flag, or the flow log's id
}

// awsSources decides where to pull from: the sources the flags name, else the
// flow logs discovery found (now, or earlier and recorded in the case).
func (a *app) awsSources(ctx context.Context, c *store.Case, f awsFlags, discovered *discover.Result) ([]flowSource, error) {
	var out []flowSource
	if f.logGroup != "" {
		out = append(out, flowSource{kind: discover.DestCloudWatchLogs, target: f.logGroup, streams: f.streams, from: "--log-group"})
	}
	if f.s3URL != "" {
		out = append(out, flowSource{kind: discover.DestS3, target: f.s3URL, from: "--s3"})
	}
	if f.athenaTable != "" {
		out = append(out, flowSource{kind: "athena", target: f.athenaTable, from: "--athena-table"})
	}
	if len(out) > 0 {
		return out, nil
	}
	var logs []discover.FlowLog
	if discovered != nil {
		logs = discovered.Sources()
	} else {
		recorded, err := discover.Recorded(ctx, c)
		if err != nil {
			return nil, err
		}
		logs = discover.Result{FlowLogs: recorded}.Sources()
	}
	ifaces, err := caseInterfaces(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, fl := range logs {
		s := flowSource{kind: fl.DestinationType, format: fl.LogFormat, from: fl.ID}
		switch fl.DestinationType {
		case discover.DestCloudWatchLogs:
			s.target = fl.LogGroup
			// Flow logs name a log group's streams after the interface and
			// the traffic they record: eni-…-all, eni-…-accept, eni-…-reject.
			suffix := strings.ToLower(fl.TrafficType)
			if suffix == "" {
				suffix = "all"
			}
			for _, id := range ifaces {
				s.streams = append(s.streams, id+"-"+suffix)
			}
		default:
			s.target = fl.Destination
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

// sourceReport is what one AWS source gave.
type sourceReport struct {
	Kind    string `json:"kind"`
	Target  string `json:"target"`
	From    string `json:"from"`
	Summary string `json:"summary,omitempty"`
	Records int64  `json:"records"`
	Error   string `json:"error,omitempty"`
}

// pullFromAWS pulls every source into the case, one after the other; a
// source that fails is reported and the others still run.
func (a *app) pullFromAWS(ctx context.Context, cfg aws.Config, c *store.Case, in *ingest.Ingester, f ingestFlags,
	discovered *discover.Result, start, end time.Time, out io.Writer) ([]sourceReport, error) {
	sources, err := a.awsSources(ctx, c, f.aws, discovered)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, exitError{code: exitFail, msg: "nothing to pull from: no flow log of the case's instances can be read back (see above), and no --log-group, --s3 or --athena-table was given"}
	}
	fmt.Fprintf(out, "Window %s → %s UTC (by record start)\n", format.Time(start), format.Time(end))
	var reps []sourceReport
	for _, s := range sources {
		fmt.Fprintf(out, "pulling    %s %s (%s)\n", s.kind, s.target, s.from)
		rep := sourceReport{Kind: s.kind, Target: s.target, From: s.from}
		var err error
		var fields []ingest.Field
		if s.format != "" {
			if fields, err = ingest.ParseLogFormat(s.format, f.lenient); err != nil {
				err = fmt.Errorf("its log format: %w", err)
			}
		}
		if err == nil {
			rep.Summary, rep.Records, err = a.pullOne(ctx, cfg, c, in, s, fields, f.aws, start, end)
		}
		a.clearProgress()
		if rep.Summary != "" {
			fmt.Fprintf(out, "           %s\n", rep.Summary)
		}
		if err != nil {
			rep.Error = friendly(err)
			fmt.Fprintf(out, "failed     %s %s: %s\n", s.kind, s.target, rep.Error)
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

func (a *app) pullOne(ctx context.Context, cfg aws.Config, c *store.Case, in *ingest.Ingester, s flowSource, fields []ingest.Field,
	f awsFlags, start, end time.Time) (string, int64, error) {
	switch s.kind {
	case discover.DestCloudWatchLogs:
		sum, err := cwlogs.Pull(ctx, cloudwatchlogs.NewFromConfig(cfg), in, cwlogs.Options{
			LogGroup: s.target, Streams: s.streams, Start: start, End: end, Fields: fields,
			Insights: f.insights, Profile: f.profile, Progress: a.cwProgress(),
		})
		return sum.String(), sum.Records, err
	case discover.DestS3:
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.DisableLogOutputChecksumValidationSkipped = true // flow-log objects carry no checksums: nothing to warn about
		})
		sum, err := s3logs.Pull(ctx, client, in, s3logs.Options{
			URL: s.target, Start: start, End: end, Fields: fields, Profile: f.profile, Progress: a.s3Progress(),
		})
		return sum.String(), sum.Records, err
	case "athena":
		focus, err := focusAddrs(ctx, c)
		if err != nil {
			return "", 0, err
		}
		sum, err := athenasrc.Pull(ctx, athena.NewFromConfig(cfg), in, athenasrc.Options{
			Table: s.target, Workgroup: f.athenaWorkgroup, Output: f.athenaOutput, Start: start, End: end,
			Focus: focus, Profile: f.profile,
		})
		return sum.String(), sum.Records, err
	}
	return "", 0, fmt.Errorf("flow log %s delivers to %s, which investigator cannot read back; pull it with --s3 or --log-group from where it lands", s.from, s.kind)
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

// cwProgress and s3Progress draw a progress line on a terminal.
func (a *app) cwProgress() func(cwlogs.Progress) {
	if !a.terminal {
		return nil
	}
	return func(p cwlogs.Progress) {
		fmt.Fprintf(a.stderr, "\r\033[K  %d/%d slices, %s events, %s records, %d requests (%d throttled, %.1f/s)",
			p.Done, p.Slices, format.Count(p.Events), format.Count(p.Records), p.Requests, p.Throttled, p.Rate)
	}
}

func (a *app) s3Progress() func(s3logs.Progress) {
	if !a.terminal {
		return nil
	}
	return func(p s3logs.Progress) {
		fmt.Fprintf(a.stderr, "\r\033[K  %d/%d objects (%d already in the case), %s, %s records",
			p.Ingested+p.Skipped, p.Objects, p.Skipped, format.Bytes(p.Bytes), format.Count(p.Records))
	}
}

func (a *app) clearProgress() {
	if a.terminal {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
}
