package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
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

PATH is a file, a directory (walked recursively, e.g. a tree made by
'aws s3 sync' of a flow-log bucket) or a glob. Every shape AWS writes is read:
text with a header line (S3 delivery), plain or gzip (decided by content, not
name); header-less text in the default format or the one --log-format gives;
CloudWatch Logs exports to S3 (a timestamp before each record); JSON lines with
a "message" field (Firehose, subscriptions); JSON records (SIEM exports); and
Parquet.

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
  investigator ingest incident-42 --s3 s3://flow-log-bucket/AWSLogs/123456789012/ --start 3d`,
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
	Case    string              `json:"case"`
	Path    string              `json:"path"`
	Created bool                `json:"created"`
	Files   []ingest.FileResult `json:"files"`
	ingest.Totals
	Seconds float64           `json:"seconds"`
	Window  [2]*time.Time     `json:"window"`
	Sources []pipeline.Report `json:"sources,omitempty"`
}

func (a *app) runIngest(ctx context.Context, caseArg string, paths []string, f ingestFlags, command string) error {
	start, end, err := when.Window(f.start, f.end, a.now())
	if err != nil {
		return usageError{err}
	}
	var logFormat []ingest.Field
	if f.logFormat != "" {
		if logFormat, err = ingest.ParseLogFormat(f.logFormat, f.lenient); err != nil {
			return usagef("--log-format: %v", err)
		}
	}
	ins, ips, cidrs, err := f.focus.parse()
	if err != nil {
		return err
	}
	discovering := len(f.focus.instanceIDs) > 0 && !f.aws.noDiscover
	pulling := discovering || f.aws.explicitSource() || len(paths) == 0
	if f.aws.insights && f.aws.logGroup == "" && !discovering && len(paths) > 0 {
		return usagef("--insights goes with --log-group (or discovered CloudWatch flow logs)")
	}
	if pulling {
		// A pull needs a window: the last day unless told otherwise, resolved
		// once, so a resumed pull asks for the same slices.
		if end == nil {
			now := a.now().UTC().Truncate(time.Second)
			end = &now
		}
		if start == nil {
			s := end.Add(-24 * time.Hour)
			start = &s
		}
	}
	files, missing := expandPaths(paths)

	path, err := store.Resolve(a.casesDir, caseArg)
	if err != nil {
		return usageError{err}
	}
	nothing := usagef("nothing to ingest into %s: give files or folders, an AWS source (--log-group, --s3, --athena-table), or --instance-id to find the instance's flow logs", caseArg)
	fromRecorded := pulling && !discovering && !f.aws.explicitSource()
	if _, err := os.Stat(path); err != nil && fromRecorded {
		return nothing // no case, so no flow logs recorded in it either: do not create one for nothing
	}
	began := time.Now()
	rep := ingestReport{Case: caseArg, Path: path, Files: []ingest.FileResult{}, Window: [2]*time.Time{start, end}}
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
	if discovering {
		ins = nil // discovery records the instances, with what EC2 says of them
	}
	if err := recordFocus(ctx, c, ins, ips, cidrs); err != nil {
		return err
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
	var cfg aws.Config
	var discovered *ec2.Result
	if pulling {
		if cfg, err = f.aws.config(ctx); err != nil {
			return err
		}
		if discovering {
			quiet := *a
			quiet.stdout = out
			res, err := quiet.discoverInto(ctx, cfg, c, f.focus.instanceIDs, f.aws.profile)
			if err != nil {
				return err
			}
			discovered = &res
		}
	}

	in, err := ingest.Begin(ctx, c, ingest.Options{LogFormat: logFormat, Lenient: f.lenient, Start: start, End: end, Command: command, Program: a.program(), Logger: a.log})
	if err != nil {
		return err
	}
	rep.Files = append(rep.Files, missing...)
	prog := newProgress(a, len(files))
	for i, p := range files {
		if ctx.Err() != nil {
			break
		}
		prog.file(i, p)
		r := in.File(ctx, p)
		rep.Files = append(rep.Files, r)
		a.log.Debug("ingested", "path", p, "status", r.Status, "records", r.Records, "rejected", r.Rejected, "took", r.Duration)
		prog.done(r)
		if !f.format.json() {
			printFileResult(a, r)
		}
	}
	prog.finish()

	if pulling && ctx.Err() == nil {
		if rep.Sources, err = a.pullFromAWS(ctx, cfg, c, in, f, discovered, *start, *end, out); err != nil {
			return err
		}
	}
	if err := in.Finish(ctx); err != nil {
		return err
	}
	for _, r := range rep.Files {
		rep.Add(r)
	}
	failedSources := 0
	for _, s := range rep.Sources {
		rep.Records += s.Records
		if s.Error != "" {
			failedSources++
		}
	}
	rep.Seconds = time.Since(began).Seconds()
	if f.format.json() {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		from := format.Nouns(int64(rep.Loaded), "file")
		if len(rep.Sources) > 0 {
			from += " and " + format.Nouns(int64(len(rep.Sources)), "AWS source")
		}
		fmt.Fprintf(a.stdout, "\n%s from %s into %s in %.1fs (%d already ingested, %d refused, %d failed, %s)\n",
			format.Nouns(rep.Records, "record"), from, c.Name, rep.Seconds, rep.Duplicates, rep.Refused, rep.Failed, format.Nouns(rep.Rejected, "rejected line"))
		if rep.Rejected > 0 {
			fmt.Fprintf(a.stdout, "Rejected lines are in the case: SELECT * FROM rejects;\n")
		}
	}
	if ctx.Err() != nil {
		return exitError{code: exitFail, msg: "interrupted; what landed is in the case, and the same command resumes where it stopped"}
	}
	if rep.Refused+rep.Failed > 0 {
		return exitError{code: exitFail, msg: fmt.Sprintf("%d of %d files did not land", rep.Refused+rep.Failed, len(rep.Files))}
	}
	if failedSources > 0 {
		return exitError{code: exitFail, msg: fmt.Sprintf("%d of %d AWS sources failed (see above); run the same command again to resume", failedSources, len(rep.Sources))}
	}
	if f.strict && rep.Rejected > 0 {
		return exitError{code: exitFail, msg: fmt.Sprintf("--strict: %s lines were rejected", format.Count(rep.Rejected))}
	}
	if len(rep.Files) == 0 && len(rep.Sources) == 0 {
		return exitError{code: exitFail, msg: "no files to ingest"}
	}
	return nil
}

func printFileResult(a *app, r ingest.FileResult) {
	for _, l := range r.Report() {
		fmt.Fprintln(a.stdout, l)
	}
}

// expandPaths turns arguments into files: a file is itself, a directory is
// every file under it (hidden ones aside), a glob its matches. Arguments that
// match nothing come back as refused results.
func expandPaths(args []string) (files []string, missing []ingest.FileResult) {
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	miss := func(arg, why string) {
		err := errors.New(why)
		missing = append(missing, ingest.RefusedResult(arg, err))
	}
	for _, arg := range args {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				miss(arg, fmt.Sprintf("bad pattern: %v", err))
				continue
			}
			if len(m) == 0 {
				miss(arg, "no files match")
				continue
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				miss(m, "no such file or directory")
				continue
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			var under []string
			filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error { //nolint:errcheck // errors become results below
				if err != nil {
					miss(p, err.Error())
					return nil
				}
				if strings.HasPrefix(d.Name(), ".") && p != m {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					under = append(under, p)
				}
				return nil
			})
			if len(under) == 0 {
				miss(m, "the directory has no files")
			}
			sort.Strings(under)
			for _, p := range under {
				add(p)
			}
		}
	}
	return files, missing
}
