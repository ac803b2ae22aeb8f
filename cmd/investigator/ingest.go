package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

type ingestFlags struct {
	focus     focusFlags
	aws       awsFlags
	logFormat string
	lenient   bool
	strict    bool
	start     string
	end       string
	format    outputFormat
}

func (a *app) ingestCommand() *cobra.Command {
	f := ingestFlags{format: "table"}
	cmd := &cobra.Command{
		Use:   "ingest CASE [PATH...]",
		Short: "Load flow logs into a case: local files, or pulled from AWS",
		Long: `Load flow logs into a case, creating the case if it does not exist.

From AWS: --instance-id asks EC2 for the instance's addresses, VPC and flow logs and
pulls the window (--start, default 24h, to --end, default now) from wherever those
flow logs go; --log-group, --s3 and --athena-table name a source yourself. Without
PATH or any of these, ingest pulls from the flow logs an earlier discovery recorded
in the case. Every log slice, object and query is recorded in the manifest: an
interrupted pull resumes where it stopped and a repeated pull adds nothing.
--athena-table also takes an Amazon Security Lake VPC flow table (OCSF structs,
class_uid 4001; see the last example): the query selects its OCSF paths as the
AWS fields and bounds start_time (epoch ms) and the eventday partition by the
window; the manifest records the shape as ocsf.

PATH is a file, a directory (walked recursively, e.g. a tree made by
'aws s3 sync' of a flow-log bucket) or a glob. The shape is told by content,
never by name, plain or gzip:
  text-header              space-separated, a header line first (S3 delivery)
  text                     no header: the default format or --log-format's
  cloudwatch-export        CloudWatch Logs exports to S3 (a timestamp per record)
  json-message             JSON lines with a "message" field (Firehose)
  cloudwatch-subscription  subscription payloads ({"messageType":"DATA_MESSAGE",
                           "logEvents":[...]}) as Lambda, Kinesis or Firehose get
                           them: one per file or line, pretty-printed or
                           concatenated, base64 of gzip too; Lambda's events
                           ({"awslogs":{"data":...}}, and a Kinesis trigger's
                           {"Records":[{"kinesis":{"data":...}}]}); CONTROL_MESSAGE
                           skipped; interface-id from the eni-... log stream; a
                           payload that cannot be read is a reject, the next lands
  csv-header               delimited exports (Athena CSV, Glue, Spark): comma or
                           tab, quoted or not; names in any case; empty cells and
                           - are NULL; partition columns kept as text
  json-records             JSON records (SIEM exports)
  parquet                  Parquet as AWS delivers it
  ocsf                     Amazon Security Lake's OCSF 1.x Network Activity
                           (class_uid 4001): Parquet (*.gz.parquet, nested
                           structs) or JSON / JSON lines, mapped back onto the
                           AWS fields; the manifest keeps the OCSF version
The README's list of shapes says what each reads in detail.

Each file lands in one transaction and is recorded in the case's manifest.
Ingesting the same file again adds nothing. Lines that do not parse are kept
in the case's rejects table with their line number and reason, and the rest of
the file lands. Exit status: 0 when every file landed (rejected lines are
reported, and fatal only with --strict), 1 when any file was refused or failed.`,
		Example: `  investigator ingest incident-42 ./flowlogs/
  investigator ingest incident-42 'exports/*.log.gz' --start 2026-11-20 --end 2026-11-22T12:00:00Z
  investigator ingest incident-42 tgw.log --log-format '${version} ${resource-type} ${account-id} ...'
  investigator ingest incident-42 --instance-id i-0abc1234def567890 --region us-east-1 --start 24h
  investigator ingest incident-42 --log-group /vpc/flowlogs --start 2026-11-20 --end 2026-11-21
  investigator ingest incident-42 --s3 s3://flow-log-bucket/AWSLogs/123456789012/ --start 3d
  investigator ingest incident-42 --athena-table amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_vpc_flow_2_0 --athena-output s3://athena-results/ --start 2d`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runIngest(cmd.Context(), args[0], args[1:], f, strings.Join(append([]string{"investigator", "ingest"}, args...), " "))
		},
	}
	f.focus.register(cmd)
	f.aws.registerAccount(cmd)
	f.aws.registerSources(cmd)
	cmd.Flags().StringVar(&f.logFormat, "log-format", "", "format of header-less lines, in AWS's syntax: '${version} ${account-id} ...'")
	cmd.Flags().BoolVar(&f.lenient, "lenient", false, "keep unknown header fields as text columns instead of refusing the file")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "treat rejected lines as failure (exit 1)")
	cmd.Flags().StringVar(&f.start, "start", "", "keep records that start at or after this time (now, 3d, 2026-11-20T08:00:00Z, Unix seconds)")
	cmd.Flags().StringVar(&f.end, "end", "", "keep records that start at or before this time")
	cmd.Flags().Var(&f.format, "format", "summary format: table or json")
	return cmd
}

// ingestReport is the summary of one ingest command.
type ingestReport struct {
	Case    string `json:"case"`
	Path    string `json:"path"`
	Created bool   `json:"created"`
	pipeline.Report
}

func (a *app) runIngest(ctx context.Context, caseArg string, paths []string, f ingestFlags, command string) error {
	var logFormat []ingest.Field
	var err error
	if f.logFormat != "" {
		if logFormat, err = ingest.ParseLogFormat(f.logFormat, f.lenient); err != nil {
			return usagef("--log-format: %v", err)
		}
	}
	focus, err := f.focus.parse()
	if err != nil {
		return err
	}
	var discover []string
	if !f.aws.noDiscover {
		discover = f.focus.instanceIDs
	}
	sources := f.aws.sources()
	fromRecorded := len(paths) == 0 && len(sources) == 0 && len(discover) == 0
	if f.aws.insights && f.aws.logGroup == "" && len(discover) == 0 && len(paths) > 0 {
		return usagef("--insights goes with --log-group (or discovered CloudWatch flow logs)")
	}
	pulling := fromRecorded || len(sources) > 0 || len(discover) > 0
	if _, _, err := pipeline.Window(f.start, f.end, a.now(), pulling); err != nil {
		return usageError{err}
	}
	items, missing := pipeline.Expand(paths)

	path, err := store.Resolve(a.casesDir, caseArg)
	if err != nil {
		return usageError{err}
	}
	nothing := usagef("nothing to ingest into %s: give files or folders, an AWS source (--log-group, --s3, --athena-table), or --instance-id to find the instance's flow logs", caseArg)
	if _, err := os.Stat(path); err != nil && fromRecorded {
		return nothing // no case, so no flow logs recorded in it either: do not create one for nothing
	}
	rep := ingestReport{Case: caseArg, Path: path}
	c, err := store.Open(ctx, path, store.Options{Wait: a.wait})
	if errors.Is(err, store.ErrNotFound) {
		c, err = store.Create(ctx, path, strings.TrimSuffix(filepath.Base(caseArg), store.Ext), a.program(), store.Options{Wait: a.wait})
		rep.Created = err == nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	out := a.stdout
	if f.format.json() {
		out = io.Discard
	}
	if rep.Created {
		fmt.Fprintf(out, "Created case %s at %s\n", c.Name, path)
	}
	if fromRecorded {
		recorded, err := ec2.Recorded(ctx, c)
		if err != nil {
			return err
		}
		if len(recorded) == 0 {
			return nothing
		}
	}

	prog := newProgress(a, len(items))
	current := 0 // the file being read
	rep.Report, err = pipeline.Run(ctx, c, pipeline.Request{
		Items: items, Missing: missing, Focus: focus, Discover: discover, Sources: sources, Pull: fromRecorded,
		Start: f.start, End: f.end, Now: a.now(), LogFormat: logFormat, Lenient: f.lenient,
		Insights: f.aws.insights, Profile: f.aws.profile, AthenaWorkgroup: f.aws.athenaWorkgroup, AthenaOutput: f.aws.athenaOutput,
		AWS: f.aws.config, Command: command, Program: a.program(), Logger: a.log,
	}, pipeline.Events{
		Discovered: func(d pipeline.Discovery) {
			printLines(out, d.Lines())
			if d.Warning != nil {
				fmt.Fprintln(a.stderr, "investigator:", usererr.Message(d.Warning))
			}
		},
		File:    func(i, _ int, it ingest.Item) { current = i; prog.file(i, it.Path) },
		Reading: func(r ingest.ReadProgress) { prog.reading(current, r) },
		FileDone: func(r ingest.FileResult) {
			a.log.Debug("ingested", "path", r.Path, "status", r.Status, "records", r.Records, "rejected", r.Rejected, "took", r.Duration)
			prog.done(r)
			if !f.format.json() {
				prog.finish()
				printLines(a.stdout, r.Report())
			}
		},
		Window:     func(start, end time.Time) { prog.finish(); fmt.Fprintln(out, pipeline.WindowLine(start, end)) },
		Pulling:    func(s pipeline.Source) { fmt.Fprintln(out, s.PullingLine()) },
		Pulled:     func(r pipeline.SourceReport) { a.clearProgress(); printLines(out, r.Lines()) },
		CloudWatch: progressLine[cloudwatch.Progress](a),
		S3:         progressLine[s3.Progress](a),
	})
	prog.finish()
	if errors.Is(err, pipeline.ErrNothingToPull) {
		return exitError{code: exitFail, msg: "nothing to pull from: no flow log of the case's instances can be read back (see above), and no --log-group, --s3 or --athena-table was given"}
	}
	if err != nil {
		return err
	}
	if f.format.json() {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout)
		printLines(a.stdout, rep.Summary(c.Name))
	}
	if fail := rep.Failure(); fail != nil {
		return exitError{code: exitFail, msg: fail.Msg}
	}
	if f.strict && rep.Rejected > 0 {
		return exitError{code: exitFail, msg: fmt.Sprintf("--strict: %s were rejected", format.Nouns(rep.Rejected, "line"))}
	}
	return nil
}

func printLines(w io.Writer, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}
