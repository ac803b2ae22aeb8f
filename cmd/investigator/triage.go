package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func (a *app) triageCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	var analyst string
	var fresh bool
	cmd := &cobra.Command{
		Use:   "triage CASE",
		Short: "Run every detection and turn what they find into findings",
		Long: `Run every detection (the analyses whose header says what a row means as a finding:
investigator analyses lists them with a severity) and record each row of their results as
a finding of source "detection", with the row as its evidence. The same detection and
subjects update the same finding, so running triage again adds nothing; a finding the
analyst dismissed stays dismissed unless its evidence grows. Results are stored runs as
usual: on unchanged data triage answers from the case.

--format json prints {"findings":[...]} in the shape of finding list, and the runs.`,
		Example: `  investigator triage incident-42
  investigator finding list incident-42 --status open`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := queries.Load()
			if err != nil {
				return err
			}
			c, err := a.openCase(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			o := queries.TriageOptions{Analyst: store.Analyst(analyst), Program: a.program(), Fresh: fresh}
			if a.terminal && !outFmt.json() {
				o.Progress = func(d string, done, total int) {
					fmt.Fprintf(a.stderr, "\r\033[Ktriage: %s (%d of %d)", d, done+1, total)
				}
			}
			began := time.Now()
			res, err := queries.Triage(cmd.Context(), c, reg, o)
			if a.terminal && !outFmt.json() {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			if outFmt.json() {
				return writeJSON(a.stdout, res)
			}
			t := newTable(a.stdout, "DETECTION", "VERSION", "ROWS", "NEW", "UPDATED", "REOPENED", "UNCHANGED", "RUN", "TOOK")
			var nw, up, re int
			for _, r := range res.Runs {
				took := r.Took.Round(time.Millisecond).String()
				if r.Cached {
					took += " (stored)"
				}
				t.row(r.Detection, strconv.Itoa(r.Version), strconv.Itoa(r.Rows), strconv.Itoa(r.New), strconv.Itoa(r.Updated),
					strconv.Itoa(r.Reopened), strconv.Itoa(r.Unchanged), r.RunID, took)
				nw, up, re = nw+r.New, up+r.Updated, re+r.Reopened
			}
			if err := t.flush(); err != nil {
				return err
			}
			open := 0
			for _, f := range res.Findings {
				if f.Status == store.StatusOpen {
					open++
				}
			}
			fmt.Fprintf(a.stdout, "\n%d detections in %s: %d new findings, %d updated, %d reopened; %d findings from detections, %d open. See: investigator finding list %s\n",
				len(res.Runs), time.Since(began).Round(time.Millisecond), nw, up, re, len(res.Findings), open, args[0])
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "table or json")
	cmd.Flags().BoolVar(&fresh, "fresh", false, "run the detections again even when stored results exist")
	analystFlag(cmd, &analyst)
	return cmd
}
