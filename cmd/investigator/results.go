package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
)

// writeResultTable writes a result for people, as the original tool did: a
// titled section, aligned columns, thousands separators, and the run id.
func writeResultTable(w io.Writer, r *queries.Result) error {
	fmt.Fprintf(w, "=== %s (%s v%d) ===\n", r.Title, r.Analysis, r.Version)
	writeRows(w, r.Columns, r.Rows, true)
	how := fmt.Sprintf("ran in %s", r.Duration.Round(time.Millisecond))
	if r.Cached {
		how = fmt.Sprintf("stored result of %s UTC (--fresh runs it again)", format.Time(r.RanAt))
	}
	_, err := fmt.Fprintf(w, "%s · run %s · %s\n\n", format.Nouns(int64(len(r.Rows)), "row"), r.RunID, how)
	return err
}

// writeRows writes aligned columns: numbers right-aligned, the rest left.
// With hideEmpty, columns empty in every row are left out (JSON and CSV keep them).
func writeRows(w io.Writer, columns []queries.Column, rows [][]any, hideEmpty bool) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "(no rows)")
		return
	}
	var cols []int
	for i := range columns {
		keep := !hideEmpty
		for _, row := range rows {
			if keep {
				break
			}
			keep = row[i] != nil && row[i] != ""
		}
		if keep {
			cols = append(cols, i)
		}
	}
	text := make([][]string, len(rows))
	width := make([]int, len(columns))
	numeric := make([]bool, len(columns))
	for _, i := range cols {
		width[i] = len(columns[i].Name)
	}
	for j, row := range rows {
		text[j] = make([]string, len(row))
		for _, i := range cols {
			text[j][i] = format.Cell(columns[i].Name, row[i])
			width[i] = max(width[i], utf8.RuneCountInString(text[j][i]))
			switch row[i].(type) {
			case int64, float64:
				numeric[i] = true
			}
		}
	}
	line := func(get func(i int) string) {
		var b strings.Builder
		for k, i := range cols {
			if k > 0 {
				b.WriteString("  ")
			}
			s := get(i)
			pad := strings.Repeat(" ", max(0, width[i]-utf8.RuneCountInString(s)))
			switch {
			case numeric[i]:
				b.WriteString(pad + s)
			case k == len(cols)-1:
				b.WriteString(s)
			default:
				b.WriteString(s + pad)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(func(i int) string { return strings.ToUpper(columns[i].Name) })
	line(func(i int) string { return strings.Repeat("-", width[i]) })
	for j := range text {
		line(func(i int) string { return text[j][i] })
	}
}
