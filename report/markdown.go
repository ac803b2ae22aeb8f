package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/investigator/investigator/internal/format"
)

// mdEscaper escapes what Markdown would read as markup in a line of text.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`)

// md is text as one line of Markdown: escaped, newlines as spaces.
func md(s string) string {
	return mdEscaper.Replace(strings.Join(strings.Fields(s), " "))
}

// code is text as inline code.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// table writes a Markdown table.
func table(b *bytes.Buffer, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString(" --- |")
	}
	b.WriteByte('\n')
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = md(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteByte('\n')
}

// quote writes a note, which is Markdown already, as a block quote; raw
// HTML in it is escaped, so that a viewer shows it instead of running it.
func quote(b *bytes.Buffer, text, by, at, id string) {
	text = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(text)
	for _, line := range strings.Split(text, "\n") {
		b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
	}
	fmt.Fprintf(b, ">\n> — %s, %s (%s)\n\n", md(by), at, id)
}

func markdown(b *bytes.Buffer, m model) error {
	r := m.Report
	fmt.Fprintf(b, "# %s\n\n", md(m.Title))
	fmt.Fprintf(b, "Generated %s by investigator %s from the case file %s. Every finding cites the stored analysis runs (with the SHA-256 of their SQL) and the ingested sources it rests on; the appendix lists them.\n\n",
		stamp(r.GeneratedAt), md(r.ToolVersion), code(r.Case.Name))

	b.WriteString("## Summary\n\n")
	c := r.Case
	line := func(k, v string) { fmt.Fprintf(b, "- **%s:** %s\n", k, v) }
	caseLine := md(c.Name)
	if c.Description != "" {
		caseLine += " — " + md(c.Description)
	}
	line("Case", caseLine)
	line("Focus", orNone(c.Focus))
	if len(c.Instances) > 0 {
		line("Instances", orNone(c.Instances))
	}
	line("VPC CIDR blocks", orNone(c.VPCCIDRs))
	line("Records", fmt.Sprintf("%s flow records (%s accepted, %s rejected), %s", format.Count(c.Records), format.Count(c.Accepted), format.Count(c.Rejected), format.Bytes(c.Bytes)))
	line("Time range", window(c.TimeRange.Start, c.TimeRange.End))
	cov := fmt.Sprintf("gaps not known: the case's derived tables are out of date; %s NODATA and %s SKIPDATA records", format.Count(r.Coverage.NoData), format.Count(r.Coverage.SkipData))
	if r.Coverage.Known {
		cov = fmt.Sprintf("%s silences longer than %s between the records of an interface", format.Count(r.Coverage.Gaps), r.Coverage.Gap)
		if r.Coverage.Gaps > 0 {
			cov += " (the longest " + r.Coverage.LongestGap + ")"
		}
		cov += fmt.Sprintf("; %s NODATA and %s SKIPDATA records", format.Count(r.Coverage.NoData), format.Count(r.Coverage.SkipData))
	}
	line("Coverage", cov)
	line("Sources", fmt.Sprintf("%d ingested (see the chain of custody)", len(r.Sources)))
	b.WriteByte('\n')
	for _, n := range c.Notes {
		quote(b, n.Text, n.CreatedBy, stamp(n.CreatedAt), n.ID)
	}

	for _, s := range m.Sections {
		fmt.Fprintf(b, "## %s\n\n", s.Title)
		if len(s.Findings) == 0 {
			b.WriteString("None.\n\n")
		}
		for _, f := range s.Findings {
			fmt.Fprintf(b, "### %s: %s (%s)\n\n", f.ID, md(f.Title), strings.ToUpper(string(f.Severity)))
			status := string(f.Status)
			if f.Reason != "" {
				status += " — " + md(f.Reason)
			}
			line("Status", status)
			src := f.Source
			if f.Detection != "" {
				src += fmt.Sprintf(" (%s v%d)", md(f.Detection), f.DetectionVersion)
			}
			line("Source", src)
			if len(f.MITRE) > 0 {
				line("MITRE ATT&CK", strings.Join(f.MITRE, ", "))
			}
			if len(f.Subjects.Addresses) > 0 {
				line("Addresses", codes(f.Subjects.Addresses))
			}
			if len(f.Subjects.Ports) > 0 {
				line("Ports", ints(f.Subjects.Ports))
			}
			if len(f.Subjects.Interfaces) > 0 {
				line("Interfaces", codes(f.Subjects.Interfaces))
			}
			if len(f.Subjects.Instances) > 0 {
				line("Instances", codes(f.Subjects.Instances))
			}
			line("Seen", window(f.FirstSeen, f.LastSeen))
			if len(f.Tags) > 0 {
				line("Tags", md(strings.Join(f.Tags, ", ")))
			}
			line("Recorded", fmt.Sprintf("%s by %s; last changed %s by %s", stamp(f.CreatedAt), md(f.CreatedBy), stamp(f.UpdatedAt), md(f.UpdatedBy)))
			b.WriteByte('\n')
			for _, e := range f.Evidence {
				if e.Filter != nil {
					fmt.Fprintf(b, "Evidence: the flow records of *%s* (added %s by %s).\n\n", md(filterText(e.Filter)), stamp(e.AddedAt), md(e.AddedBy))
				}
			}
			for _, t := range f.Tables {
				which := "no rows"
				if len(t.RowNums) > 0 {
					which = fmt.Sprintf("row%s %s of %d", plural(len(t.RowNums)), ints(t.RowNums), t.TotalRows)
				}
				fmt.Fprintf(b, "Evidence: %s of run %s of **%s** v%d (SQL sha256 %s).\n\n", which, code(t.RunID), md(t.Analysis), t.Version, code(t.SHA256))
				if len(t.Rows) > 0 {
					rows := make([][]string, len(t.Rows))
					for i, row := range t.Rows {
						rows[i] = []string{fmt.Sprint(t.RowNums[i])}
						for _, v := range row {
							rows[i] = append(rows[i], cell(v))
						}
					}
					table(b, append([]string{"#"}, t.Columns...), rows)
				}
			}
			for _, n := range f.Notes {
				quote(b, n.Text, n.CreatedBy, stamp(n.CreatedAt), n.ID)
			}
		}
	}

	b.WriteString("## Timeline\n\n")
	fmt.Fprintf(b, "Findings at their first seen, status changes, notes, ingests at the span of their records, analysis runs, and the silences of an interface longer than %s (the coverage-gaps analysis).\n\n", r.TimelineGap)
	if len(r.Timeline) == 0 {
		b.WriteString("Nothing yet.\n\n")
	} else {
		rows := make([][]string, len(r.Timeline))
		for i, e := range r.Timeline {
			title := e.Title
			if e.Severity != "" {
				title += " (" + e.Severity + ")"
			}
			rows[i] = []string{stamp(e.At), stampPtr(e.End), e.Kind, e.Ref, title, e.By}
		}
		table(b, []string{"When (UTC)", "Until", "What", "Ref", "Event", "By"}, rows)
	}

	b.WriteString("## Appendix: chain of custody\n\n### Sources ingested\n\n")
	if len(r.Sources) == 0 {
		b.WriteString("None.\n\n")
	} else {
		rows := make([][]string, len(r.Sources))
		for i, s := range r.Sources {
			rows[i] = []string{s.Source, s.SHA256, fmt.Sprint(s.Bytes), s.Shape, fmt.Sprint(s.Records), fmt.Sprint(s.Rejected), stamp(s.IngestedAt)}
		}
		table(b, []string{"Source", "SHA-256 or ETag", "Bytes", "Shape", "Records", "Rejected", "Ingested (UTC)"}, rows)
	}
	b.WriteString("### Enrichment snapshots\n\n")
	if len(r.Enrichment) == 0 {
		b.WriteString("None loaded.\n\n")
	} else {
		rows := make([][]string, len(r.Enrichment))
		for i, s := range r.Enrichment {
			rows[i] = []string{s.Kind, s.Name, s.Source, s.SHA256, stampPtr(s.Date), stamp(s.LoadedAt), fmt.Sprint(s.Entries)}
		}
		table(b, []string{"Kind", "Name", "Source", "SHA-256", "Snapshot date", "Loaded (UTC)", "Entries"}, rows)
	}
	b.WriteString("### Analysis runs the findings rely on\n\n")
	if len(r.Runs) == 0 {
		b.WriteString("None.\n\n")
	} else {
		rows := make([][]string, len(r.Runs))
		for i, run := range r.Runs {
			rows[i] = []string{run.RunID, run.Analysis, fmt.Sprint(run.Version), run.SHA256, string(run.Params), stamp(run.RanAt), fmt.Sprint(run.Rows)}
		}
		table(b, []string{"Run", "Analysis", "Version", "SQL SHA-256", "Parameters", "Ran (UTC)", "Rows"}, rows)
	}
	fmt.Fprintf(b, "investigator %s; report generated %s.\n", md(r.ToolVersion), stamp(r.GeneratedAt))
	return nil
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none recorded"
	}
	return codes(xs)
}

func codes(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = code(x)
	}
	return strings.Join(out, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
