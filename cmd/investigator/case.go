package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

func (a *app) caseCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Create, list and show cases",
	}
	cmd.AddCommand(a.caseNewCommand(), a.caseListCommand(), a.caseShowCommand(), a.caseVerifyCommand())
	return cmd
}

// focusFlags are what a case is about, given by hand.
type focusFlags struct {
	instanceIDs []string
	ips         []string
	cidrs       []string
}

func (f *focusFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.instanceIDs, "instance-id", nil, "EC2 instance the case is about (repeatable)")
	cmd.Flags().StringArrayVar(&f.ips, "instance-ip", nil, "an address of the case's instances, IPv4 or IPv6 (repeatable)")
	cmd.Flags().StringArrayVar(&f.cidrs, "vpc-cidr", nil, "a CIDR block of the case's VPC, IPv4 or IPv6 (repeatable)")
}

func (f *focusFlags) empty() bool { return len(f.instanceIDs)+len(f.ips)+len(f.cidrs) == 0 }

// parse validates the flags: what the case is about, as given.
func (f *focusFlags) parse() (store.Focus, error) {
	focus, err := store.ParseFocus(f.instanceIDs, f.ips, f.cidrs, "flag")
	if err != nil {
		return focus, usageError{err}
	}
	return focus, nil
}

func (a *app) caseNewCommand() *cobra.Command {
	var focus focusFlags
	var awsf awsFlags
	var description string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a case",
		Long: `Create an empty case file, optionally with what it is about.

NAME is a case name (letters, digits, '.', '_', '-'), stored as NAME.duckdb in the
cases folder, or a path ending in .duckdb.

--instance-id asks EC2 (with --region/--profile, or the environment's AWS settings)
for the instance, every address of its interfaces, its VPC and every CIDR block of
it, and the flow logs that cover it; --no-discover records the id alone.`,
		Example: `  investigator case new incident-42 --instance-ip 10.0.1.10 --vpc-cidr 10.0.0.0/16
  investigator case new incident-42 --instance-id i-0abc1234def567890 --region us-east-1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := focus.parse()
			if err != nil {
				return err
			}
			path, err := store.Resolve(a.casesDir, args[0])
			if err != nil {
				return usageError{err}
			}
			n := pipeline.NewCase{Path: path, Name: strings.TrimSuffix(args[0], store.Ext), Program: a.program(),
				Description: description, Focus: f, Profile: awsf.profile, AWS: awsf.config, Options: store.Options{Wait: a.wait}}
			if !awsf.noDiscover {
				n.Discover = focus.instanceIDs
			}
			c, found, err := pipeline.Create(cmd.Context(), n)
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("case %s already exists (%s)", args[0], path)
			}
			if err != nil {
				return err
			}
			defer c.Close()
			fmt.Fprintf(a.stdout, "Created case %s at %s\n", c.Name, path)
			if found != nil {
				printLines(a.stdout, found.Lines())
				if found.Warning != nil {
					fmt.Fprintln(a.stderr, "investigator:", usererr.Message(found.Warning))
				}
			}
			return nil
		},
	}
	focus.register(cmd)
	awsf.registerAccount(cmd)
	cmd.Flags().StringVar(&description, "description", "", "what the investigation is about")
	return cmd
}

// caseListing is one row of `case list`.
type caseListing struct {
	Name  string         `json:"name"`
	Path  string         `json:"path"`
	Error string         `json:"error,omitempty"`
	Focus []string       `json:"focus"`
	Sum   *store.Summary `json:"summary,omitempty"`
}

func (a *app) caseListCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the cases in the cases folder",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths, err := store.List(a.casesDir)
			if err != nil {
				return err
			}
			list := []caseListing{}
			for _, p := range paths {
				list = append(list, a.listOne(cmd.Context(), p))
			}
			if outFmt.json() {
				return writeJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(a.stdout, "No cases in %s. Create one with: investigator case new NAME (or try: investigator demo)\n", a.casesDir)
				return nil
			}
			t := newTable(a.stdout, "CASE", "RECORDS", "FROM", "TO", "SIZE", "FOCUS")
			for _, l := range list {
				if l.Error != "" {
					t.row(l.Name, "-", "-", "-", "-", "("+l.Error+")")
					continue
				}
				t.row(l.Name, format.Count(l.Sum.Records), format.Stamp(l.Sum.First), format.Stamp(l.Sum.Last), format.Bytes(l.Sum.SizeBytes), focusList(l.Focus))
			}
			return t.flush()
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func focusList(f []string) string {
	if len(f) == 0 {
		return "-"
	}
	if len(f) > 3 {
		return strings.Join(f[:3], ", ") + fmt.Sprintf(" +%d", len(f)-3)
	}
	return strings.Join(f, ", ")
}

// listOne summarises one case without holding it: a case in use is listed as such.
func (a *app) listOne(ctx context.Context, path string) caseListing {
	l := caseListing{Name: strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], store.Ext), Path: path, Focus: []string{}}
	c, err := store.Open(ctx, path, store.Options{ReadOnly: true, Wait: 0})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			l.Error = "in use by another process"
		} else {
			l.Error = friendly(err)
		}
		return l
	}
	defer c.Close()
	info, err := c.Info(ctx)
	if err != nil {
		l.Error = friendly(err)
		return l
	}
	for _, f := range info.Focus {
		l.Focus = append(l.Focus, f.Addr.String())
	}
	for _, in := range info.Instances {
		l.Focus = append(l.Focus, in.ID)
	}
	s, err := c.Summary(ctx)
	if err != nil {
		l.Error = friendly(err)
		return l
	}
	l.Sum = &s
	return l
}

func (a *app) caseShowCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show what a case is about and what it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := a.readCase(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if outFmt.json() {
				return writeJSON(a.stdout, rep)
			}
			return a.printCase(rep, true)
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

// caseReport is everything `case show` tells about a case.
type caseReport struct {
	store.Info
	Summary store.Summary `json:"summary"`
	Files   []store.File  `json:"files"`
}

// readCase reads a case's report, holding the case (read-only) only while it reads.
func (a *app) readCase(ctx context.Context, name string) (caseReport, error) {
	var rep caseReport
	c, err := a.openCase(ctx, name, true)
	if err != nil {
		return rep, err
	}
	defer c.Close()
	if rep.Info, err = c.Info(ctx); err != nil {
		return rep, err
	}
	if rep.Summary, err = c.Summary(ctx); err != nil {
		return rep, err
	}
	rep.Files, err = c.Files(ctx)
	return rep, err
}

// printCase writes the report for people; withFiles adds the latest manifest entries.
func (a *app) printCase(rep caseReport, withFiles bool) error {
	info, s, files := rep.Info, rep.Summary, rep.Files
	if !withFiles {
		files = nil
	}
	w := a.stdout
	t := newTable(w)
	t.row("Case", info.Name)
	if info.Description != "" {
		t.row("About", info.Description)
	}
	t.row("File", fmt.Sprintf("%s (%s, schema %d)", info.Path, format.Bytes(s.SizeBytes), info.Schema))
	t.row("Created", fmt.Sprintf("%s UTC by %s", format.Time(info.CreatedAt), info.CreatedBy))
	t.row("Records", fmt.Sprintf("%s  (ACCEPT %s, REJECT %s, NODATA %s, SKIPDATA %s)",
		format.Count(s.Records), format.Count(s.Accepted), format.Count(s.Rejected), format.Count(s.NoData), format.Count(s.SkipData)))
	t.row("Traffic", fmt.Sprintf("%s, %s packets, %s", format.Bytes(s.Bytes), format.Count(s.Packets), format.Nouns(s.Interfaces, "interface")))
	t.row("Time range", fmt.Sprintf("%s → %s UTC", format.Stamp(s.First), format.Stamp(s.Last)))
	for i, in := range info.Instances {
		label := ""
		if i == 0 {
			label = "Instances"
		}
		t.row(label, fmt.Sprintf("%s %s(%s)", in.ID, optional(in.VPCID), in.Source))
	}
	if len(info.Focus) == 0 {
		t.row("Focus", "none: analyses look at every flow (add --instance-ip to ingest or case new)")
	}
	for i, f := range info.Focus {
		label := ""
		if i == 0 {
			label = "Focus"
		}
		t.row(label, fmt.Sprintf("%s %s%s(%s)", f.Addr, optional(f.Kind), optional(f.InstanceID), f.Source))
	}
	for i, v := range info.VPCCIDRs {
		label := ""
		if i == 0 {
			label = "VPC CIDRs"
		}
		t.row(label, fmt.Sprintf("%s %s(%s)", v.Prefix, optional(v.VPCID), v.Source))
	}
	t.row("Files", fmt.Sprintf("%s ingested, %s, last ingest %s UTC", format.Count(s.Files), format.Nouns(s.BadLines, "rejected line"), format.Stamp(s.LastIngest)))
	if err := t.flush(); err != nil {
		return err
	}
	if len(files) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	const shown = 10
	from := max(0, len(files)-shown)
	details := false // a column of its own only when a shown file has some
	for _, f := range files[from:] {
		details = details || fileDetail(f) != ""
	}
	cols := []string{"ID", "RECORDS", "REJECTED", "SHAPE", "FROM", "TO", "SOURCE"}
	if details {
		cols = slices.Insert(cols, 4, "DETAIL")
	}
	ft := newTable(w, cols...)
	for _, f := range files[from:] {
		row := []string{fmt.Sprint(f.ID), format.Count(f.Records), format.Count(f.Rejected), f.Shape, format.Stamp(f.FirstStart), format.Stamp(f.LastEnd), f.Source}
		if details {
			row = slices.Insert(row, 4, optionalDash(fileDetail(f)))
		}
		ft.row(row...)
	}
	if err := ft.flush(); err != nil {
		return err
	}
	if from > 0 {
		fmt.Fprintf(w, "(%d earlier files not shown; --format json lists them all)\n", from)
	}
	return nil
}

// fileDetail is what a file's shape told of it, as the manifest keeps it:
// the log groups and streams of subscription payloads and the control
// messages skipped, the delimiter of a delimited export, the OCSF version.
func fileDetail(f store.File) string {
	var parts []string
	switch len(f.LogGroups) {
	case 0:
	case 1:
		parts = append(parts, "log group "+f.LogGroups[0])
	default:
		parts = append(parts, "log groups "+strings.Join(f.LogGroups, ", "))
	}
	switch n := len(f.LogStreams); {
	case n == 0:
	case n <= 2:
		parts = append(parts, "streams "+strings.Join(f.LogStreams, ", "))
	default:
		parts = append(parts, fmt.Sprintf("streams %s, %s and %d more", f.LogStreams[0], f.LogStreams[1], n-2))
	}
	if f.ControlMessages != nil && *f.ControlMessages > 0 {
		parts = append(parts, format.Nouns(*f.ControlMessages, "control message")+" skipped")
	}
	switch f.Delimiter {
	case "":
	case "\t":
		parts = append(parts, "tab-separated")
	case ",":
		parts = append(parts, "comma-separated")
	default:
		parts = append(parts, fmt.Sprintf("separated by %q", f.Delimiter))
	}
	if f.OCSFVersion != "" {
		parts = append(parts, "OCSF "+f.OCSFVersion)
	}
	return strings.Join(parts, "; ")
}

func optionalDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func optional(s string) string {
	if s == "" {
		return ""
	}
	return s + " "
}
