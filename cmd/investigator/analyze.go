package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// resultFormat is --format for results: table, json or csv.
type resultFormat string

func (f *resultFormat) String() string { return string(*f) }
func (f *resultFormat) Type() string   { return "table|json|csv" }
func (f *resultFormat) Set(s string) error {
	switch s {
	case "table", "json", "csv":
		*f = resultFormat(s)
		return nil
	}
	return fmt.Errorf("%q is not table, json or csv", s)
}

// paramFlags maps analysis parameters to flags: the usual ones by name, any
// other with --param name=value.
var paramFlags = map[string]string{
	"port": "port", "start": "start", "end": "end", "limit": "limit", "order": "order",
	"gap": "gap", "min_ports": "min-ports", "min_hosts": "min-hosts", "addr": "addr",
}

type analyzeFlags struct {
	analysis string
	format   resultFormat
	fresh    bool
	whois    bool
	wf       whoisFlags
	values   map[string]*string
	extra    []string
	// the original tool's one-command form
	logFiles []string
	focus    focusFlags
}

func (a *app) analyzeCommand() *cobra.Command {
	f := analyzeFlags{format: "table", values: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "analyze [CASE] --analysis NAME|all",
		Short: "Run an analysis (or all of them) on a case",
		Long: `Run a versioned SQL analysis inside a case and print the result. Every run is
recorded in the case with its result; the same analysis, version and parameters on
unchanged data returns the stored result (with its run id) unless --fresh.

--analysis all runs every analysis whose required parameters are given.
'investigator analyses' lists the analyses and their parameters.

For users of the original investiGATOR, one command on a local file works too:
it creates (or reuses) a case named after the file, ingests it, and analyses it:
  investigator analyze --log-file flows.log --instance-ip 10.0.1.10 --vpc-cidr 10.0.0.0/16 \
      --analysis ssh-inbound --start-time 24h --end-time now`,
		Example: `  investigator analyze demo --analysis ssh-inbound
  investigator analyze demo --analysis top-external --order bytes --limit 20
  investigator analyze demo --analysis port-specific --port 3389 --start 2026-11-20 --end 2026-11-21
  investigator analyze demo --analysis conversations --addr 186.96.193.99
  investigator analyze demo --analysis all --format json > findings.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := map[string]string{}
			for p, flag := range paramFlags {
				if cmd.Flags().Changed(flag) {
					given[p] = *f.values[p]
				}
			}
			for _, alias := range [][2]string{{"start-time", "start"}, {"end-time", "end"}} {
				if cmd.Flags().Changed(alias[0]) {
					given[alias[1]] = *f.values[alias[1]]
				}
			}
			for _, kv := range f.extra {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usagef("--param %q: want name=value", kv)
				}
				given[k] = v
			}
			caseArg := ""
			if len(args) == 1 {
				caseArg = args[0]
			}
			return a.runAnalyze(cmd.Context(), caseArg, f, given)
		},
	}
	cmd.Flags().StringVarP(&f.analysis, "analysis", "a", "", "the analysis to run, or all (see: investigator analyses)")
	for p, flag := range paramFlags {
		f.values[p] = new(string)
		cmd.Flags().StringVar(f.values[p], flag, "", paramHelp[p])
	}
	cmd.Flags().StringVar(f.values["start"], "start-time", "", "same as --start (the original tool's name)")
	cmd.Flags().StringVar(f.values["end"], "end-time", "", "same as --end (the original tool's name)")
	cmd.Flags().StringArrayVar(&f.extra, "param", nil, "any other parameter, as name=value (repeatable)")
	cmd.Flags().Var(&f.format, "format", "output format: table, json or csv")
	cmd.Flags().BoolVar(&f.fresh, "fresh", false, "run again even when the case holds a result for the same question")
	cmd.Flags().BoolVar(&f.whois, "whois", false, "look up the addresses of the results in WHOIS first (see investigator enrich)")
	f.wf.register(cmd)
	cmd.Flags().StringArrayVar(&f.logFiles, "log-file", nil, "analyse this flow-log file in a case named after it (the original tool's form; repeatable)")
	f.focus.register(cmd)
	return cmd
}

var paramHelp = map[string]string{
	"port":      "port to look at (ssh-* default 22; port-specific needs it)",
	"start":     "only records that start at or after this time (now, 3d, 2026-11-20T08:00:00Z, Unix seconds)",
	"end":       "only records that start at or before this time",
	"limit":     "at most this many rows (default 1000)",
	"order":     "top-external: order by flows or bytes",
	"gap":       "coverage: report silences longer than this (90s, 15m, 2h, 1d)",
	"min_ports": "port-scan: sources that touched at least this many ports of one host in an hour (default 20)",
	"min_hosts": "host-sweep: sources that touched at least this many hosts on one port in an hour (default 20)",
	"addr":      "conversations: only those of this address (either side)",
}

func (a *app) runAnalyze(ctx context.Context, caseArg string, f analyzeFlags, given map[string]string) error {
	reg, err := queries.Load()
	if err != nil {
		return err
	}
	if f.analysis == "" {
		return usagef("--analysis is required: one of %s, or all", strings.Join(reg.Names(), ", "))
	}
	var list []queries.Analysis
	if f.analysis == "all" {
		list = reg.All()
	} else {
		an, ok := reg.Get(f.analysis)
		if !ok {
			return usagef("no analysis %q; there are: %s (or all)", f.analysis, strings.Join(reg.Names(), ", "))
		}
		list = []queries.Analysis{an}
	}
	// Bind before touching the case: a bad value is a usage error.
	var jobs []queries.Job
	for _, an := range list {
		mine := map[string]string{}
		for k, v := range given {
			if _, ok := an.Param(k); ok || f.analysis != "all" {
				mine[k] = v
			}
		}
		params, err := an.Bind(mine, a.now())
		var missing *queries.MissingParamError
		if errors.As(err, &missing) && f.analysis == "all" {
			a.log.Debug("skipped: required parameter not given", "analysis", an.Name, "param", missing.Param)
			continue
		}
		if err != nil {
			return usageError{err}
		}
		jobs = append(jobs, queries.Job{Analysis: an, Params: params})
	}

	if len(f.logFiles) > 0 {
		if caseArg == "" {
			caseArg = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f.logFiles[0]), ".gz"), filepath.Ext(strings.TrimSuffix(filepath.Base(f.logFiles[0]), ".gz")))
			caseArg = sanitizeName(caseArg)
		}
		quiet := *a
		quiet.stdout = io.Discard
		if err := quiet.runIngest(ctx, caseArg, f.logFiles, ingestFlags{focus: f.focus, format: "table"}, "investigator analyze --log-file"); err != nil {
			return err
		}
	} else if caseArg == "" {
		return usagef("name the case to analyse (or give --log-file)")
	} else if !f.focus.empty() {
		return usagef("--instance-ip, --vpc-cidr and --instance-id go with --log-file, or with ingest and case new")
	}

	// Read-only first: the case is held for writing only when something is
	// to be written (a result the case does not hold, ranges to load).
	var results []*queries.Result
	if !f.fresh && !f.whois {
		if results, err = a.storedResults(ctx, caseArg, jobs); err != nil {
			return err
		}
	}
	if results == nil {
		if results, err = a.runJobs(ctx, caseArg, jobs, f); err != nil {
			return err
		}
	}
	if f.format == "table" {
		for _, r := range results {
			if err := writeResultTable(a.stdout, r); err != nil {
				return err
			}
		}
	}
	switch f.format {
	case "json":
		if f.analysis == "all" {
			return writeJSON(a.stdout, map[string]any{"analyses": results})
		}
		return writeJSON(a.stdout, results[0])
	case "csv":
		for i, r := range results {
			if len(results) > 1 {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				fmt.Fprintf(a.stdout, "# %s v%d run %s\n", r.Analysis, r.Version, r.RunID)
			}
			if err := queries.WriteCSV(a.stdout, r.Columns, r.Rows); err != nil {
				return err
			}
		}
	}
	return nil
}

// storedResults answers every job from the case's stored runs through a
// read-only handle: nil when one of them has none, or the home folder has
// ranges the case does not hold yet (loading them changes the answers). A
// read error is an error, never taken for a miss.
func (a *app) storedResults(ctx context.Context, caseArg string, jobs []queries.Job) ([]*queries.Result, error) {
	c, err := a.openCase(ctx, caseArg, true)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	home, err := a.home()
	if err != nil {
		return nil, err
	}
	held, err := cidrs.CaseHeld(ctx, c)
	if err != nil {
		return nil, err
	}
	if pending, err := home.Pending(held); err != nil || len(pending) > 0 {
		return nil, err
	}
	var out []*queries.Result
	for _, j := range jobs {
		r, err := queries.Stored(ctx, c, j.Analysis, j.Params)
		if err != nil || r == nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// runJobs answers the jobs on the case opened for writing: the home
// folder's ranges loaded first, then each job from a stored run or run and
// recorded; --whois looks the results' addresses up and answers again.
func (a *app) runJobs(ctx context.Context, caseArg string, jobs []queries.Job, f analyzeFlags) ([]*queries.Result, error) {
	c, err := a.openCase(ctx, caseArg, false)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := a.syncRanges(ctx, c); err != nil {
		return nil, err
	}
	runAll := func() ([]*queries.Result, error) {
		return queries.RunAll(ctx, c, jobs, queries.Options{Fresh: f.fresh, Program: a.program()})
	}
	if f.whois {
		// Look up the addresses the results hold, then answer again: the
		// data version changed, so the results carry the orgs.
		first, err := runAll()
		if err != nil {
			return nil, err
		}
		quiet := *a
		quiet.stdout = a.stderr
		if err := quiet.runWhois(ctx, c, resultAddrs(first...), f.wf); err != nil {
			return nil, err
		}
		f.fresh = false // the first answers stand where the data did not change
	}
	return runAll()
}

// sanitizeName makes a case name out of a file name.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	s = strings.Trim(string(b), "-_")
	if s == "" || store.ValidName(s) != nil {
		return "log-file"
	}
	return s
}

func (a *app) analysesCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	return withFormat(&cobra.Command{
		Use:   "analyses",
		Short: "List the analyses with their versions and parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := queries.Load()
			if err != nil {
				return err
			}
			if outFmt.json() {
				return writeJSON(a.stdout, reg.All())
			}
			t := newTable(a.stdout, "ANALYSIS", "VERSION", "PARAMETERS", "DESCRIPTION")
			for _, an := range reg.All() {
				var ps []string
				for _, p := range an.Params {
					value := strings.Trim(p.Default, "'")
					if p.Required {
						value = "(required)"
					}
					switch {
					case p.Name == "start" || p.Name == "end" || p.Name == "limit":
					case paramFlags[p.Name] != "":
						ps = append(ps, fmt.Sprintf("--%s %s", paramFlags[p.Name], value))
					default:
						ps = append(ps, fmt.Sprintf("--param %s=%s", p.Name, value))
					}
				}
				if len(ps) == 0 {
					ps = []string{"-"}
				}
				t.row(an.Name, fmt.Sprint(an.Version), strings.Join(ps, " "), an.Description)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "\nEvery analysis also takes --start, --end and --limit (default 1000).")
			return nil
		},
	}, &outFmt)
}

func withFormat(cmd *cobra.Command, f *outputFormat) *cobra.Command {
	cmd.Flags().Var(f, "format", "output format: table or json")
	return cmd
}

func (a *app) runsCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	return withFormat(&cobra.Command{
		Use:   "runs CASE",
		Short: "List the analysis runs recorded in a case",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.openCase(ctx, args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			runs, err := queries.Runs(ctx, c)
			if err != nil {
				return err
			}
			if outFmt.json() {
				return writeJSON(a.stdout, runs)
			}
			if len(runs) == 0 {
				fmt.Fprintf(a.stdout, "No analysis has run on %s yet: investigator analyze %s --analysis all\n", args[0], args[0])
				return nil
			}
			t := newTable(a.stdout, "RUN", "ANALYSIS", "VERSION", "ROWS", "RAN AT (UTC)", "TOOK", "PARAMETERS")
			for _, r := range runs {
				t.row(r.RunID, r.Analysis, fmt.Sprint(r.Version), format.Count(r.Rows), format.Time(r.RanAt), r.Took.String(), r.Params)
			}
			return t.flush()
		},
	}, &outFmt)
}
