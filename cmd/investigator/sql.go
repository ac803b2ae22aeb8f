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

	"github.com/peterh/liner"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

const sqlMaxRows = 10_000

func (a *app) sqlCommand() *cobra.Command {
	var outFmt resultFormat = "table"
	var showPath bool
	var maxRows int
	cmd := &cobra.Command{
		Use:   "sql CASE [QUERY]",
		Short: "Run read-only SQL on a case (an interactive prompt without QUERY)",
		Long: `Run SQL against a case, read-only: the case cannot be changed from here.

With QUERY, print its result. Without it, read statements from standard input, or,
on a terminal, open a prompt with history (statements end with ';'; .tables lists
the tables and views, .quit leaves). --path prints the file for the duckdb shell:
  duckdb -readonly "$(investigator sql CASE --path)"

The tables: flows (every record, one typed column per field), case_flows (flows
seen from the focus: src_ip, dst_ip, direction, peer_ip), address_info (scope,
cloud provider, org per address), ingest_files, rejects, focus_ips, vpc_cidrs,
cidr_ranges, whois, analysis_runs.`,
		Example: `  investigator sql demo "` + queries.ExampleSQL("actions") + `"
  investigator sql demo --format csv < queries.sql
  investigator sql demo`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if showPath {
				path, err := store.Resolve(a.casesDir, args[0])
				if err != nil {
					return usageError{err}
				}
				if _, err := os.Stat(path); err != nil {
					return fmt.Errorf("no case %q (%s)", args[0], path)
				}
				abs, _ := filepath.Abs(path)
				fmt.Fprintln(a.stdout, abs)
				return nil
			}
			c, err := a.openCase(ctx, args[0], true)
			if err != nil {
				return err
			}
			defer c.Close()
			if len(args) == 2 {
				return a.runSQL(ctx, c, args[1], outFmt, maxRows)
			}
			if f, ok := cmd.InOrStdin().(*os.File); ok && isTerminal(f) && a.terminal {
				return a.sqlPrompt(ctx, c, maxRows)
			}
			return a.sqlScript(ctx, c, cmd.InOrStdin(), outFmt, maxRows)
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table, json or csv")
	cmd.Flags().BoolVar(&showPath, "path", false, "print the case file's path (for duckdb -readonly) and exit")
	cmd.Flags().IntVar(&maxRows, "max-rows", sqlMaxRows, "print at most this many rows of a result")
	return cmd
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runSQL runs one statement and prints its result.
func (a *app) runSQL(ctx context.Context, c *store.Case, query string, outFmt resultFormat, maxRows int) error {
	began := time.Now()
	cols, rows, err := queries.Query(ctx, c.DB, query, maxRows)
	truncated := errors.Is(err, queries.ErrTruncated)
	if err != nil && !truncated {
		return fmt.Errorf("sql: %w", err)
	}
	switch outFmt {
	case "json":
		out := make([]map[string]any, len(rows))
		for i, row := range rows {
			out[i] = map[string]any{}
			for j, col := range cols {
				out[i][col.Name] = row[j]
			}
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	case "csv":
		if err := queries.WriteCSV(a.stdout, cols, rows); err != nil {
			return err
		}
	default:
		writeRows(a.stdout, cols, rows, false)
		fmt.Fprintf(a.stdout, "%s in %s\n", format.Nouns(int64(len(rows)), "row"), time.Since(began).Round(time.Millisecond))
	}
	if truncated {
		fmt.Fprintf(a.stderr, "(only the first %s rows: --max-rows shows more, or add a LIMIT)\n", format.Count(int64(maxRows)))
	}
	return nil
}

// printTables lists the case's tables and views, as a result of SQL is shown.
func (a *app) printTables(ctx context.Context, c *store.Case) error {
	began := time.Now()
	tables, err := queries.Tables(ctx, c)
	if err != nil {
		return err
	}
	rows := make([][]any, len(tables))
	for i, t := range tables {
		rows[i] = []any{t.Name, t.Kind}
	}
	writeRows(a.stdout, []queries.Column{{Name: "name", Type: "VARCHAR"}, {Name: "kind", Type: "VARCHAR"}}, rows, false)
	fmt.Fprintf(a.stdout, "%s in %s\n", format.Nouns(int64(len(rows)), "row"), time.Since(began).Round(time.Millisecond))
	return nil
}

// sqlScript runs the ';'-separated statements read from r, stopping at the first error.
func (a *app) sqlScript(ctx context.Context, c *store.Case, r io.Reader, outFmt resultFormat, maxRows int) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ran := 0
	for _, stmt := range splitStatements(string(data)) {
		if err := a.runSQL(ctx, c, stmt, outFmt, maxRows); err != nil {
			return err
		}
		ran++
	}
	if ran == 0 {
		return usagef("no SQL given: pass a query, pipe statements in, or run on a terminal for a prompt")
	}
	return nil
}

// splitStatements splits on ';' outside quotes and comments.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				j++
			}
			cur.WriteString(s[i:min(j+1, len(s))])
			i = j
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// sqlPrompt is the interactive console: line editing and history, kept in
// the cases folder between sessions.
func (a *app) sqlPrompt(ctx context.Context, c *store.Case, maxRows int) error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	history := filepath.Join(a.casesDir, ".sql_history")
	if f, err := os.Open(history); err == nil {
		ln.ReadHistory(f) //nolint:errcheck // a damaged history is not worth failing for
		f.Close()
	}
	defer func() {
		if f, err := os.Create(history); err == nil {
			ln.WriteHistory(f) //nolint:errcheck // best effort
			f.Close()
		}
	}()
	fmt.Fprintf(a.stdout, "Case %s (read-only). End statements with ';'. .tables lists tables, .quit leaves.\n", c.Name)
	var buf strings.Builder
	for {
		prompt := c.Name + "> "
		if buf.Len() > 0 {
			prompt = strings.Repeat(" ", len(c.Name)-1) + "..> "
		}
		line, err := ln.Prompt(prompt)
		if errors.Is(err, liner.ErrPromptAborted) {
			buf.Reset()
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			fmt.Fprintln(a.stdout)
			return nil
		}
		trimmed := strings.TrimSpace(line)
		if buf.Len() == 0 && strings.HasPrefix(trimmed, ".") {
			ln.AppendHistory(trimmed)
			switch trimmed {
			case ".quit", ".exit":
				return nil
			case ".tables":
				if err := a.printTables(ctx, c); err != nil {
					fmt.Fprintln(a.stdout, "Error:", friendly(err))
				}
			default:
				fmt.Fprintln(a.stdout, "Commands: .tables, .quit. Anything else is SQL, ended with ';'.")
			}
			continue
		}
		buf.WriteString(line + "\n")
		if !strings.HasSuffix(trimmed, ";") {
			continue
		}
		stmt := strings.TrimSpace(buf.String())
		buf.Reset()
		ln.AppendHistory(strings.Join(strings.Fields(stmt), " "))
		if err := a.runSQL(ctx, c, strings.TrimSuffix(stmt, ";"), "table", maxRows); err != nil {
			fmt.Fprintln(a.stdout, "Error:", friendly(err))
		}
	}
}
