package athena

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/investigator/investigator/ingest"
)

// pageSize is the most rows GetQueryResults returns at once.
const pageSize = 1000

// resultColumns are the column names of a result, from its metadata.
func resultColumns(rs *types.ResultSet) []string {
	if rs == nil || rs.ResultSetMetadata == nil {
		return nil
	}
	var out []string
	for _, c := range rs.ResultSetMetadata.ColumnInfo {
		out = append(out, strings.ToLower(aws.ToString(c.Name)))
	}
	return out
}

// isHeader reports whether a row holds the column names: the first row of
// the first page of a SELECT's results does.
func isHeader(r types.Row, names []string) bool {
	if len(r.Data) != len(names) {
		return false
	}
	for i, d := range r.Data {
		if !strings.EqualFold(aws.ToString(d.VarCharValue), names[i]) {
			return false
		}
	}
	return true
}

// fetch pages through the query's results and writes them to a temporary
// file in the flow-log text shape: a header of AWS field names, then one
// record per line, '-' for NULL and empty values. Rows that cannot be
// written so are counted in sum and left out. The OCSF version column of a
// Security Lake pull is not written: its values go to sum.OCSFVersion. It
// returns the file's path (also on error, when the file was created, for
// the caller to remove).
func fetch(ctx context.Context, api API, o Options, id string, sum *Summary) (path string, err error) {
	f, err := os.CreateTemp("", "investigator-athena-*.log")
	if err != nil {
		return "", fmt.Errorf("athena: results file: %w", err)
	}
	path = f.Name()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("athena: results file: %w", cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)

	var token *string
	var names []string
	var written []string // names without the OCSF version column
	version := -1        // the index of the OCSF version column, when the result has one
	versions := map[string]bool{}
	var line strings.Builder
	for page := 0; ; page++ {
		out, err := api.GetQueryResults(ctx, &athena.GetQueryResultsInput{
			QueryExecutionId: aws.String(id), NextToken: token, MaxResults: aws.Int32(pageSize)})
		if err != nil {
			return path, explain(err, o, fmt.Sprintf("results of query %s", id))
		}
		var rows []types.Row
		if out.ResultSet != nil {
			rows = out.ResultSet.Rows
		}
		if page == 0 {
			names = resultColumns(out.ResultSet)
			if len(names) == 0 {
				names = sum.Columns
			}
			if len(rows) > 0 && isHeader(rows[0], names) {
				rows = rows[1:]
			}
			version = slices.Index(names, ocsfVersionColumn)
			written = without(names, version)
			header, err := headerLine(written)
			if err != nil {
				return path, fmt.Errorf("athena: results of query %s: %w", id, err)
			}
			w.WriteString(header)
			w.WriteByte('\n')
		}
		for _, r := range rows {
			sum.Rows++
			line.Reset()
			values, cols := r, written
			switch {
			case version >= 0 && len(r.Data) == len(names):
				if v := strings.TrimSpace(aws.ToString(r.Data[version].VarCharValue)); v != "" && len(v) <= 40 && len(versions) < 16 {
					versions[v] = true
				}
				values = types.Row{Data: without(r.Data, version)}
			case version >= 0:
				cols = names // a row of the wrong length: writeRow says so
			}
			if reason := writeRow(&line, values, cols); reason != "" {
				sum.Rejected++
				if len(sum.Rejects) < maxRejects {
					sum.Rejects = append(sum.Rejects, ingest.Reject{Line: sum.Rows, Reason: reason, Raw: rawRow(r)})
				}
				continue
			}
			line.WriteByte('\n')
			if _, err := w.WriteString(line.String()); err != nil {
				return path, fmt.Errorf("athena: results file: %w", err)
			}
		}
		next := aws.ToString(out.NextToken)
		if next == "" {
			break
		}
		if token != nil && *token == next {
			return path, fmt.Errorf("athena: results of query %s: the same page token came back twice", id)
		}
		token = aws.String(next)
	}
	if err := w.Flush(); err != nil {
		return path, fmt.Errorf("athena: results file: %w", err)
	}
	sum.OCSFVersion = strings.Join(slices.Sorted(maps.Keys(versions)), ", ")
	return path, nil
}

// without is s without its element i (s itself when i < 0).
func without[T any](s []T, i int) []T {
	if i < 0 || i >= len(s) {
		return s
	}
	return slices.Delete(slices.Clone(s), i, i+1)
}

// headerLine is the result's column names as AWS field names.
func headerLine(names []string) (string, error) {
	if len(names) == 0 {
		return "", errors.New("the result has no columns")
	}
	out := make([]string, len(names))
	for i, n := range names {
		f, ok := ingest.LookupField(n)
		if !ok {
			return "", fmt.Errorf("column %q is not a flow-log field", n)
		}
		out[i] = f.Name
	}
	return strings.Join(out, " "), nil
}

// writeRow writes a row's values space-separated, '-' for NULL and empty
// ones, or returns why it cannot.
func writeRow(b *strings.Builder, r types.Row, names []string) string {
	if len(r.Data) != len(names) {
		return fmt.Sprintf("the row has %d values, the result %d columns", len(r.Data), len(names))
	}
	for i, d := range r.Data {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := aws.ToString(d.VarCharValue)
		if v == "" {
			v = "-"
		}
		if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
			return fmt.Sprintf("%s: value %s has white space, which a flow-log line cannot carry", names[i], strconv.Quote(v))
		}
		b.WriteString(v)
	}
	return ""
}

// rawRow shows a row for a reject report: values space-separated, quoted
// when they hold white space, '-' for NULL.
func rawRow(r types.Row) string {
	var b strings.Builder
	for i, d := range r.Data {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := aws.ToString(d.VarCharValue)
		switch {
		case d.VarCharValue == nil:
			v = "-"
		case v == "" || strings.IndexFunc(v, unicode.IsSpace) >= 0:
			v = strconv.Quote(v)
		}
		b.WriteString(v)
		if b.Len() > 1000 {
			break
		}
	}
	s := b.String()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}

// removeQuietly removes a temporary file; a failure only leaves it behind.
func removeQuietly(path string) { _ = os.Remove(path) }
