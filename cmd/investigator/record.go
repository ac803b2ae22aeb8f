package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/report"
	"github.com/investigator/investigator/store"
)

// The investigation record: findings, notes, tags, the timeline and the
// report. Every change is written by store, which logs it with the analyst.

// analystFlag is --analyst: who makes the change.
func analystFlag(cmd *cobra.Command, v *string) {
	cmd.PersistentFlags().StringVar(v, "analyst", "", "who makes the change, for the case log (default $INVESTIGATOR_ANALYST, else the OS user)")
}

// recordError makes a value the record refuses a usage error: it was given
// on the command line.
func recordError(err error) error {
	var re *store.RecordError
	if errors.As(err, &re) {
		return usageError{err}
	}
	return err
}

func (a *app) findingCommand() *cobra.Command {
	var analyst string
	cmd := &cobra.Command{
		Use:   "finding",
		Short: "Add, list, show and change the case's findings",
		Long: `A finding is a conclusion of the investigation: a title, a severity (info, low, medium,
high, critical), a status (open, confirmed, dismissed — with a reason), MITRE ATT&CK
technique ids, its subjects (addresses, ports, interfaces, instances), the window it
is about, and its evidence: rows of stored analysis runs (run id, analysis, version
and the SHA-256 of its SQL) that the report shows. Every change is kept in the case
log with the analyst and the value before.`,
	}
	analystFlag(cmd, &analyst)
	cmd.AddCommand(a.findingAddCommand(&analyst), a.findingListCommand(), a.findingShowCommand(), a.findingSetCommand(&analyst))
	return cmd
}

func (a *app) findingAddCommand(analyst *string) *cobra.Command {
	var (
		f                       store.Finding
		severity, status        string
		reason, start, end      string
		addrs, mitre, enis, ins []string
		ports                   []int
		runID                   string
		rowKeys                 []string
		note                    string
	)
	cmd := &cobra.Command{
		Use:   "add CASE --title TITLE",
		Short: "Record a finding and print its id",
		Long: `Record a finding and print its id (F-1, F-2, …).

--run names a stored run (investigator runs CASE lists them) as the evidence, and
--row the rows of its result that matter: a row number (from 1, as the table shows)
or COLUMN=VALUE, every row whose column has that value (repeatable; none: the whole
result).`,
		Example: `  investigator finding add incident-42 --title "SSH brute force from 203.0.113.9" --severity high \
      --addr 203.0.113.9 --port 22 --mitre T1110 --start 2026-11-20T03:00 --end 2026-11-20T04:10 \
      --run 20261120T0412-3f2a --row peer_ip=203.0.113.9 --note "Started at 03:02; got in at 04:05."`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, e, err := when.Window(start, end, a.now())
			if err != nil {
				return usageError{err}
			}
			f.Severity, f.Status, f.Reason, f.FirstSeen, f.LastSeen = store.Severity(severity), store.Status(status), reason, s, e
			f.MITRE, f.Subjects = mitre, store.Subjects{Addresses: addrs, Ports: ports, Interfaces: enis, Instances: ins}
			if runID == "" && len(rowKeys) > 0 {
				return usagef("--row needs --run: the rows are rows of a stored run")
			}
			c, err := a.openCase(ctx, args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			if runID != "" {
				ev, err := queries.RunEvidence(ctx, c, runID, rowKeys)
				if err != nil {
					return recordError(err)
				}
				f.Evidence = []store.Evidence{ev}
			}
			id, err := c.AddFinding(ctx, store.Analyst(*analyst), f, note)
			if err != nil {
				return recordError(err)
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Title, "title", "", "what was found (required)")
	fl.StringVar(&severity, "severity", "medium", "info, low, medium, high or critical")
	fl.StringVar(&status, "status", "open", "open, confirmed or dismissed (with --reason)")
	fl.StringVar(&reason, "reason", "", "why it is dismissed (or confirmed)")
	fl.StringArrayVar(&addrs, "addr", nil, "an address the finding is about (repeatable)")
	fl.IntSliceVar(&ports, "port", nil, "a port the finding is about (repeatable)")
	fl.StringArrayVar(&enis, "interface", nil, "a network interface (eni-…) the finding is about (repeatable)")
	fl.StringArrayVar(&ins, "instance", nil, "an EC2 instance (i-…) the finding is about (repeatable)")
	fl.StringArrayVar(&mitre, "mitre", nil, "a MITRE ATT&CK technique id, like T1110 or T1071.001 (repeatable)")
	fl.StringVar(&start, "start", "", "when what was found began (first seen)")
	fl.StringVar(&end, "end", "", "when it ended (last seen)")
	fl.StringVar(&runID, "run", "", "a stored analysis run that is the evidence")
	fl.StringArrayVar(&rowKeys, "row", nil, "a row of the run: its number, or COLUMN=VALUE (repeatable)")
	fl.StringVar(&note, "note", "", "a first note on the finding (Markdown)")
	return cmd
}

// findingsFormat is --format of finding list: table, json or csv.
type findingsFormat string

func (f *findingsFormat) String() string { return string(*f) }
func (f *findingsFormat) Type() string   { return "table|json|csv" }
func (f *findingsFormat) Set(s string) error {
	switch s {
	case "table", "json", "csv":
		*f = findingsFormat(s)
		return nil
	}
	return fmt.Errorf("%q is not table, json or csv", s)
}

func (a *app) findingListCommand() *cobra.Command {
	var outFmt findingsFormat = "table"
	var status, severity, tag string
	cmd := &cobra.Command{
		Use:   "list CASE",
		Short: "List the findings",
		Long: `List the findings in the order they were made.

--format json prints {"findings":[{id, title, severity, status, source, detection, mitre,
subjects:{addresses, ports, interfaces, instances}, first_seen, last_seen,
evidence:[{run_id, analysis, version, sha256, rows}], notes, tags, created_at,
created_by, updated_at}]}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ff store.FindingFilter
			var err error
			if status != "" {
				if ff.Status, err = store.ParseStatus(status); err != nil {
					return usageError{err}
				}
			}
			if severity != "" {
				if ff.Severity, err = store.ParseSeverity(severity); err != nil {
					return usageError{err}
				}
			}
			ff.Tag = tag
			c, err := a.openCase(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			fs, err := c.Findings(cmd.Context(), ff)
			if err != nil {
				return err
			}
			switch outFmt {
			case "json":
				return writeJSON(a.stdout, struct {
					Findings []store.Finding `json:"findings"`
				}{fs})
			case "csv":
				return findingsCSV(a.stdout, fs)
			}
			if len(fs) == 0 {
				fmt.Fprintf(a.stdout, "No findings%s. Record one with: investigator finding add %s --title TITLE\n", filterNote(ff), args[0])
				return nil
			}
			t := newTable(a.stdout, "ID", "SEVERITY", "STATUS", "TITLE", "SUBJECTS", "SEEN", "EVIDENCE", "TAGS")
			for _, f := range fs {
				t.row(f.ID, string(f.Severity), string(f.Status), f.Title, subjectsText(f.Subjects), seenText(f.FirstSeen, f.LastSeen),
					strconv.Itoa(len(f.Evidence)), strings.Join(f.Tags, ","))
			}
			return t.flush()
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table, json or csv")
	cmd.Flags().StringVar(&status, "status", "", "only findings with this status")
	cmd.Flags().StringVar(&severity, "severity", "", "only findings of this severity")
	cmd.Flags().StringVar(&tag, "tag", "", "only findings with this tag")
	return cmd
}

func filterNote(f store.FindingFilter) string {
	var parts []string
	if f.Status != "" {
		parts = append(parts, "status "+string(f.Status))
	}
	if f.Severity != "" {
		parts = append(parts, "severity "+string(f.Severity))
	}
	if f.Tag != "" {
		parts = append(parts, "tag "+f.Tag)
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

func subjectsText(s store.Subjects) string {
	parts := append([]string{}, s.Addresses...)
	for _, p := range s.Ports {
		parts = append(parts, ":"+strconv.Itoa(p))
	}
	parts = append(parts, s.Interfaces...)
	parts = append(parts, s.Instances...)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func seenText(a, b *time.Time) string {
	f := func(t *time.Time) string {
		if t == nil {
			return "…"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	if a == nil && b == nil {
		return "-"
	}
	return f(a) + "–" + f(b)
}

func findingsCSV(w io.Writer, fs []store.Finding) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "title", "severity", "status", "reason", "source", "detection", "mitre", "addresses", "ports",
		"interfaces", "instances", "first_seen", "last_seen", "evidence", "notes", "tags", "created_at", "created_by", "updated_at"})
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, f := range fs {
		var ports, ev []string
		for _, p := range f.Subjects.Ports {
			ports = append(ports, strconv.Itoa(p))
		}
		for _, e := range f.Evidence {
			if e.RunID != "" {
				ev = append(ev, e.RunID)
			} else {
				ev = append(ev, "flows")
			}
		}
		_ = cw.Write([]string{f.ID, f.Title, string(f.Severity), string(f.Status), f.Reason, f.Source, f.Detection,
			strings.Join(f.MITRE, " "), strings.Join(f.Subjects.Addresses, " "), strings.Join(ports, " "),
			strings.Join(f.Subjects.Interfaces, " "), strings.Join(f.Subjects.Instances, " "), ts(f.FirstSeen), ts(f.LastSeen),
			strings.Join(ev, " "), strconv.Itoa(len(f.Notes)), strings.Join(f.Tags, " "),
			f.CreatedAt.Format(time.RFC3339), f.CreatedBy, f.UpdatedAt.Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

func (a *app) findingShowCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "show CASE ID",
		Short: "Show a finding: its evidence, notes, tags and history",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := store.ParseFindingID(args[1])
			if err != nil {
				return usageError{err}
			}
			c, err := a.openCase(ctx, args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			f, err := c.Finding(ctx, id)
			if err != nil {
				return err
			}
			log, err := c.CaseLog(ctx, id)
			if err != nil {
				return err
			}
			if outFmt.json() {
				return writeJSON(a.stdout, struct {
					store.Finding
					History []store.LogEntry `json:"history"`
				}{f, log})
			}
			w := a.stdout
			fmt.Fprintf(w, "%s  %s\n", f.ID, f.Title)
			fmt.Fprintf(w, "  severity   %s\n  status     %s", f.Severity, f.Status)
			if f.Reason != "" {
				fmt.Fprintf(w, " (%s)", f.Reason)
			}
			fmt.Fprintf(w, "\n  source     %s", f.Source)
			if f.Detection != "" {
				fmt.Fprintf(w, " (%s v%d)", f.Detection, f.DetectionVersion)
			}
			fmt.Fprintln(w)
			if len(f.MITRE) > 0 {
				fmt.Fprintf(w, "  mitre      %s\n", strings.Join(f.MITRE, ", "))
			}
			fmt.Fprintf(w, "  subjects   %s\n  seen       %s\n", subjectsText(f.Subjects), seenText(f.FirstSeen, f.LastSeen))
			if len(f.Tags) > 0 {
				fmt.Fprintf(w, "  tags       %s\n", strings.Join(f.Tags, ", "))
			}
			fmt.Fprintf(w, "  recorded   %s by %s; changed %s by %s\n", f.CreatedAt.Format(time.DateTime), f.CreatedBy, f.UpdatedAt.Format(time.DateTime), f.UpdatedBy)
			for _, e := range f.Evidence {
				if e.Filter != nil {
					fmt.Fprintf(w, "  evidence   flows %s\n", flowsFilterText(*e.Filter))
					continue
				}
				rows := "the whole result"
				if len(e.Rows) > 0 {
					rows = "rows " + joinInts(e.Rows)
				}
				fmt.Fprintf(w, "  evidence   run %s: %s v%d (sha256 %s), %s\n", e.RunID, e.Analysis, e.Version, e.SHA256[:min(12, len(e.SHA256))], rows)
			}
			for _, n := range f.Notes {
				fmt.Fprintf(w, "\n  %s by %s, %s:\n%s\n", n.ID, n.CreatedBy, n.CreatedAt.Format(time.DateTime), indent(n.Text, "    "))
			}
			fmt.Fprintln(w, "\nHistory:")
			for _, e := range log {
				fmt.Fprintf(w, "  %s  %-8s %s\n", e.At.Format(time.DateTime), e.Analyst, logText(e))
			}
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table or json")
	return cmd
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func indent(text, prefix string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func flowsFilterText(f store.FlowsFilter) string {
	var parts []string
	if len(f.Addresses) > 0 {
		parts = append(parts, "addr "+strings.Join(f.Addresses, ","))
	}
	if len(f.Ports) > 0 {
		parts = append(parts, "port "+joinInts(f.Ports))
	}
	if f.Protocol != nil {
		parts = append(parts, "protocol "+strconv.Itoa(*f.Protocol))
	}
	if f.Action != "" {
		parts = append(parts, f.Action)
	}
	if f.Start != nil || f.End != nil {
		parts = append(parts, seenText(f.Start, f.End))
	}
	if len(parts) == 0 {
		return "(all)"
	}
	return strings.Join(parts, " ")
}

// logText is a case-log row in words.
func logText(e store.LogEntry) string {
	val := func(s *string) string {
		if s == nil || *s == "" {
			return "(none)"
		}
		if r := []rune(*s); len(r) > 60 {
			return strconv.Quote(string(r[:60]) + "…")
		}
		return strconv.Quote(*s)
	}
	switch e.Action {
	case "finding.add":
		return "made the finding"
	case "finding.set":
		return fmt.Sprintf("%s %s → %s", e.Field, val(e.Old), val(e.New))
	case "evidence.add":
		return "added evidence"
	case "note.add":
		return "added note " + e.EntityID
	case "note.edit":
		return fmt.Sprintf("edited note %s (was %s)", e.EntityID, val(e.Old))
	case "note.rm":
		return fmt.Sprintf("removed note %s (was %s)", e.EntityID, val(e.Old))
	case "tag.add":
		return "tagged " + val(e.New)
	case "tag.rm":
		return "untagged " + val(e.Old)
	}
	return e.Action
}

func (a *app) findingSetCommand(analyst *string) *cobra.Command {
	var title, severity, status, reason string
	cmd := &cobra.Command{
		Use:   "set CASE ID",
		Short: "Change a finding's status, severity or title",
		Example: `  investigator finding set incident-42 F-3 --status confirmed
  investigator finding set incident-42 F-4 --status dismissed --reason "the red team's scanner"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch store.FindingChange
			fl := cmd.Flags()
			if fl.Changed("title") {
				ch.Title = &title
			}
			if fl.Changed("severity") {
				s := store.Severity(severity)
				ch.Severity = &s
			}
			if fl.Changed("status") {
				s := store.Status(status)
				ch.Status = &s
			}
			if fl.Changed("reason") {
				ch.Reason = &reason
			}
			if ch == (store.FindingChange{}) {
				return usagef("nothing to change: give --status, --severity, --title or --reason")
			}
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.SetFinding(cmd.Context(), store.Analyst(*analyst), args[1], ch); err != nil {
				return recordError(err)
			}
			f, err := c.Finding(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s  %s  %s  %s\n", f.ID, f.Severity, f.Status, f.Title)
			return nil
		},
	}
	cmd.Flags().StringVar(&title, "title", "", "the new title")
	cmd.Flags().StringVar(&severity, "severity", "", "info, low, medium, high or critical")
	cmd.Flags().StringVar(&status, "status", "", "open, confirmed or dismissed (dismissed needs --reason)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required to dismiss)")
	return cmd
}

// targetFlags choose what a note or tag is on.
type targetFlags struct {
	finding, addr, run string
}

func (t *targetFlags) register(cmd *cobra.Command, run bool) {
	cmd.Flags().StringVar(&t.finding, "finding", "", "on this finding (F-3)")
	cmd.Flags().StringVar(&t.addr, "addr", "", "on this address")
	if run {
		cmd.Flags().StringVar(&t.run, "run", "", "on this stored analysis run")
	}
}

// target is the target the flags name; the case when none.
func (t *targetFlags) target() (store.Target, error) {
	n := 0
	tg := store.Target{Kind: store.OnCase}
	for _, c := range []struct {
		v    string
		kind store.TargetKind
	}{{t.finding, store.OnFinding}, {t.addr, store.OnAddress}, {t.run, store.OnRun}} {
		if c.v != "" {
			n++
			tg = store.Target{Kind: c.kind, ID: c.v}
		}
	}
	if n > 1 {
		return tg, usagef("give one of --finding, --addr, --run")
	}
	if tg.Kind == store.OnAddress {
		at, err := store.AddressTarget(tg.ID)
		if err != nil {
			return tg, usageError{err}
		}
		return at, nil
	}
	return tg, nil
}

func (a *app) noteCommand() *cobra.Command {
	var analyst string
	var on targetFlags
	cmd := &cobra.Command{
		Use:   "note CASE TEXT",
		Short: "Write a note on the case, a finding, an address or a run",
		Long: `Write a note (Markdown) on the case, or with --finding, --addr or --run on one of
them, and print its id (N-1, N-2, …). TEXT "-" reads the note from standard input.
Edited and removed notes keep their earlier text in the case log.`,
		Example: `  investigator note incident-42 "Started from the GuardDuty alert at 03:10 UTC."
  investigator note incident-42 --addr 203.0.113.9 "VPS at a bulletproof hoster; also in the WAF logs."
  investigator note list incident-42 --finding F-3`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := on.target()
			if err != nil {
				return err
			}
			text, err := noteText(args[1])
			if err != nil {
				return err
			}
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			id, err := c.AddNote(cmd.Context(), store.Analyst(analyst), t, text)
			if err != nil {
				return recordError(err)
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	analystFlag(cmd, &analyst)
	on.register(cmd, true)
	cmd.AddCommand(a.noteListCommand(), a.noteEditCommand(&analyst), a.noteRmCommand(&analyst))
	return cmd
}

// noteText is a note's text: the argument, or standard input for "-".
func noteText(arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read the note from standard input: %w", err)
	}
	return string(b), nil
}

func (a *app) noteListCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	var on targetFlags
	cmd := &cobra.Command{
		Use:   "list CASE",
		Short: "List the notes (of a finding, an address or a run)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := on.target()
			if err != nil {
				return err
			}
			c, err := a.openCase(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			var tp *store.Target
			if on != (targetFlags{}) {
				tp = &t
			}
			notes, err := c.Notes(cmd.Context(), tp)
			if err != nil {
				return recordError(err)
			}
			if outFmt.json() {
				return writeJSON(a.stdout, struct {
					Notes []store.Note `json:"notes"`
				}{notes})
			}
			if len(notes) == 0 {
				fmt.Fprintln(a.stdout, "No notes.")
				return nil
			}
			for _, n := range notes {
				fmt.Fprintf(a.stdout, "%s on %s by %s, %s\n%s\n\n", n.ID, n.Target, n.CreatedBy, n.CreatedAt.Format(time.DateTime), indent(n.Text, "  "))
			}
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table or json")
	on.register(cmd, true)
	return cmd
}

func (a *app) noteEditCommand(analyst *string) *cobra.Command {
	return &cobra.Command{
		Use:   "edit CASE NOTE_ID TEXT",
		Short: "Replace a note's text (the case log keeps the text before)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := noteText(args[2])
			if err != nil {
				return err
			}
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			return recordError(c.EditNote(cmd.Context(), store.Analyst(*analyst), args[1], text))
		},
	}
}

func (a *app) noteRmCommand(analyst *string) *cobra.Command {
	return &cobra.Command{
		Use:   "rm CASE NOTE_ID",
		Short: "Remove a note (the case log keeps its text)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			return recordError(c.RemoveNote(cmd.Context(), store.Analyst(*analyst), args[1]))
		},
	}
}

func (a *app) tagCommand() *cobra.Command {
	var analyst string
	var on targetFlags
	var rm bool
	cmd := &cobra.Command{
		Use:   "tag CASE (--addr IP | --finding ID) TAG...",
		Short: "Tag an address or a finding (attacker, benign, c2, …)",
		Example: `  investigator tag incident-42 --addr 203.0.113.9 attacker c2
  investigator tag incident-42 --finding F-3 --rm needs-review`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := on.target()
			if err != nil {
				return err
			}
			if t.Kind == store.OnCase {
				return usagef("give --addr or --finding: what the tags go on")
			}
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			by := store.Analyst(analyst)
			var changed []string
			if rm {
				changed, err = c.Untag(cmd.Context(), by, t, args[1:]...)
			} else {
				changed, err = c.Tag(cmd.Context(), by, t, args[1:]...)
			}
			if err != nil {
				return recordError(err)
			}
			tags, err := c.TagsOf(cmd.Context(), t)
			if err != nil {
				return err
			}
			verb := "added"
			if rm {
				verb = "removed"
			}
			fmt.Fprintf(a.stdout, "%s: %s %d (%s); tags now: %s\n", t, verb, len(changed), strings.Join(changed, ", "), strings.Join(tags, ", "))
			return nil
		},
	}
	analystFlag(cmd, &analyst)
	cmd.Flags().StringVar(&on.finding, "finding", "", "tag this finding (F-3)")
	cmd.Flags().StringVar(&on.addr, "addr", "", "tag this address")
	cmd.Flags().BoolVar(&rm, "rm", false, "remove the tags instead")
	return cmd
}

func (a *app) timelineCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	var dismissed bool
	var gap string
	cmd := &cobra.Command{
		Use:   "timeline CASE",
		Short: "Findings, notes, ingests, analysis runs and coverage gaps on one time axis",
		Long: `Print the case's events in time order: findings at their first seen, their status
changes, notes, ingests at the span of the records they brought, analysis runs, and
the coverage gaps (silences of an interface longer than --gap, the coverage-gaps
analysis). Dismissed findings are left out unless --dismissed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.openCase(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			tl, err := queries.Events(cmd.Context(), c, queries.TimelineOptions{Dismissed: dismissed, Gap: gap})
			if err != nil {
				return recordError(err)
			}
			if outFmt.json() {
				return writeJSON(a.stdout, tl)
			}
			if len(tl.Events) == 0 {
				fmt.Fprintln(a.stdout, "Nothing on the timeline yet: ingest flow logs, run analyses, add findings and notes.")
				return nil
			}
			t := newTable(a.stdout, "WHEN (UTC)", "UNTIL", "WHAT", "REF", "EVENT", "BY")
			for _, e := range tl.Events {
				until := "-"
				if e.End != nil {
					until = e.End.Format(time.DateTime)
				}
				title := e.Title
				if e.Severity != "" {
					title += " [" + e.Severity + "]"
				}
				t.row(e.At.Format(time.DateTime), until, e.Kind, e.Ref, title, e.By)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if !tl.GapsKnown {
				fmt.Fprintln(a.stderr, "investigator: coverage gaps are not shown: the case's derived tables are out of date (investigator analyze CASE rebuilds them)")
			}
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table or json")
	cmd.Flags().BoolVar(&dismissed, "dismissed", false, "include dismissed findings")
	cmd.Flags().StringVar(&gap, "gap", queries.TimelineGap, "the shortest coverage gap shown")
	return cmd
}

func (a *app) reportCommand() *cobra.Command {
	var outFmt, out, gap string
	var include []string
	cmd := &cobra.Command{
		Use:   "report CASE",
		Short: "Write the case's report: findings with their evidence, the timeline, the chain of custody",
		Long: `Write the case's report from the record and the stored runs only: a summary (case,
focus, VPC, time range, records, coverage gaps), the confirmed findings by severity,
then the open ones (--include dismissed adds those), each with its evidence rows
(run id, analysis, version, SHA-256 of the SQL) and notes; the timeline; and the chain
of custody: every ingested source with its SHA-256 or ETag, size, records and
rejects, the enrichment snapshots, the runs relied on, the tool version.

--format html is one self-contained file (inline styles, no script, no request off
the machine; print it to PDF from a browser); md is Markdown; json is
{case, coverage, sources, enrichment, findings, timeline, runs, generated_at,
tool_version}. The same case gives the same report, apart from the time it was made.`,
		Example: `  investigator report incident-42 --out incident-42.html
  investigator report incident-42 --format md --include dismissed > report.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if outFmt == "" {
				outFmt = "html"
				if ext := strings.TrimPrefix(filepath.Ext(out), "."); ext == "md" || ext == "json" {
					outFmt = ext
				}
			}
			if outFmt == "markdown" {
				outFmt = "md"
			}
			if outFmt != "html" && outFmt != "md" && outFmt != "json" {
				return usagef("--format %q is not html, md or json", outFmt)
			}
			dismissed := false
			for _, i := range include {
				if i != "dismissed" {
					return usagef("--include %q: only dismissed can be included", i)
				}
				dismissed = true
			}
			c, err := a.openCase(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			r, err := queries.BuildReport(cmd.Context(), c, queries.ReportOptions{Dismissed: dismissed, Gap: gap, ToolVersion: version, Now: a.now()})
			if err != nil {
				return recordError(err)
			}
			if out == "" || out == "-" {
				return report.Write(a.stdout, r, outFmt)
			}
			tmp := out + ".tmp"
			f, err := os.Create(tmp)
			if err != nil {
				return err
			}
			if err := report.Write(f, r, outFmt); err != nil {
				f.Close()
				os.Remove(tmp)
				return err
			}
			if err := f.Close(); err != nil {
				os.Remove(tmp)
				return err
			}
			if err := os.Rename(tmp, out); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "Wrote %s (%d findings, %d sources)\n", out, len(r.Findings), len(r.Sources))
			return nil
		},
	}
	cmd.Flags().StringVar(&outFmt, "format", "", "html, md or json (default: from --out's extension, else html)")
	cmd.Flags().StringVar(&out, "out", "", "write to this file (default standard output)")
	cmd.Flags().StringArrayVar(&include, "include", nil, "also include: dismissed")
	cmd.Flags().StringVar(&gap, "gap", queries.TimelineGap, "the shortest coverage gap the timeline shows")
	return cmd
}

func (a *app) caseVerifyCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	var dirs []string
	cmd := &cobra.Command{
		Use:   "verify CASE",
		Short: "Re-hash the case's sources and say which match the manifest",
		Long: `Re-hash every source of the case's manifest that can be found — a local file at the
path it was ingested from, or any file under the --sources folders with the recorded
SHA-256 (S3 objects downloaded again, files moved since) — and say which match.
Exits 1 when a file found at a source's path has another hash.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.openCase(cmd.Context(), args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			vs, err := ingest.Verify(cmd.Context(), c, dirs)
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for _, v := range vs {
				counts[v.Status]++
			}
			if outFmt.json() {
				if err := writeJSON(a.stdout, struct {
					Sources []ingest.Verification `json:"sources"`
					Counts  map[string]int        `json:"counts"`
				}{vs, counts}); err != nil {
					return err
				}
			} else {
				t := newTable(a.stdout, "STATUS", "SOURCE", "SHA256", "FOUND AT")
				for _, v := range vs {
					at := v.Path
					if v.Status == ingest.VerifyMismatch {
						at += " (sha256 " + v.Found + ")"
					}
					t.row(v.Status, v.Source, v.SHA256, at)
				}
				if err := t.flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d sources: %d match, %d mismatch, %d not found, %d without a hash\n",
					len(vs), counts[ingest.VerifyMatch], counts[ingest.VerifyMismatch], counts[ingest.VerifyMissing], counts[ingest.VerifyUnhashed])
			}
			if counts[ingest.VerifyMismatch] > 0 {
				return exitError{code: exitFail, msg: fmt.Sprintf("%d sources do not match the manifest", counts[ingest.VerifyMismatch])}
			}
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table or json")
	cmd.Flags().StringArrayVar(&dirs, "sources", nil, "a folder to look for the sources in, by content (repeatable)")
	return cmd
}
