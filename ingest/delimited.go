package ingest

import (
	"encoding/csv"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Delimited exports with a header (shape csv-header): what the Athena console
// downloads, `aws athena get-query-results` rendered as CSV, Glue and Spark
// exports. Comma- or tab-separated, values optionally double-quoted ("" is a
// quote inside one), field names with underscores or hyphens in any case and
// order; an empty cell or '-' is absent; an integer may be written as
// 25238.0 or 2.5238E4, but 25238.5 is not an integer.

// delimiters are tried in this order on the header line.
var delimiters = []byte{',', '\t'}

// splitDelimited splits one line of a delimited export into its cells.
func splitDelimited(line string, delim byte) ([]string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.Comma = rune(delim)
	r.FieldsPerRecord = -1
	cells, err := r.Read()
	if err != nil {
		return nil, err
	}
	if _, err := r.Read(); err == nil {
		return nil, fmt.Errorf("a quoted value spans lines")
	}
	return cells, nil
}

// delimitedHeader reports whether line is the header of a delimited export:
// it holds a comma (or else a tab), and split at it, every cell is a
// field-name-like identifier (quoted or not) and at least one is a flow-log
// field. A space-separated header has neither, so it stays text-header.
func delimitedHeader(line string) (delim byte, names []string, ok bool) {
	for _, c := range delimiters {
		if strings.IndexByte(line, c) < 0 {
			continue
		}
		cells, err := splitDelimited(line, c)
		if err != nil || len(cells) < 2 {
			continue
		}
		known := false
		for i, cell := range cells {
			cell = strings.TrimSpace(cell)
			cells[i] = cell
			if !identifier.MatchString(cell) {
				known = false
				break
			}
			if _, isField := lookupDelimited(cell); isField {
				known = true
			}
		}
		if known {
			return c, cells, true
		}
	}
	return 0, nil, false
}

// lookupDelimited finds the field a column name of an export means: AWS's
// name, its underscore form, or either written without separators in any
// case (Glue and Spark write accountId, LogStatus).
func lookupDelimited(name string) (Field, bool) {
	if f, ok := LookupField(name); ok {
		return f, true
	}
	k := normalizeKey(name)
	if alias, ok := delimitedAliases[k]; ok {
		return LookupField(alias)
	}
	f, ok := normalizedFields[k]
	return f, ok
}

// delimitedAliases are the column names of the flow-log table in older AWS
// examples of Athena (numpackets, starttime, sourceaddress, ...).
var delimitedAliases = map[string]string{
	"account": "account-id", "sourceaddress": "srcaddr", "destinationaddress": "dstaddr",
	"sourceport": "srcport", "destinationport": "dstport", "numpackets": "packets", "numbytes": "bytes",
	"starttime": "start", "endtime": "end",
}

// partitionColumns are columns that tables of flow logs add beside the
// fields (Athena's date and year/month/day/hour, the S3 layout's aws-account-id,
// aws-service, aws-region, Glue's partition_N, Spark's dt). An export keeps
// them as text in the extra column, without --lenient.
var (
	partitionColumns = map[string]bool{
		"date": true, "dt": true, "year": true, "month": true, "day": true, "hour": true,
		"awsaccountid": true, "awsservice": true, "awsregion": true,
	}
	glueColumn = regexp.MustCompile(`^partition_[0-9]+$`)
)

// resolveDelimitedFields maps an export's column names to fields: partition
// columns become text fields of their own; other unknown names are an
// error, or with lenient text fields too.
func resolveDelimitedFields(names []string, lenient bool) ([]Field, error) {
	out := make([]Field, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		f, ok := lookupDelimited(n)
		if !ok {
			lower := strings.ToLower(n)
			if !partitionColumns[normalizeKey(n)] && !glueColumn.MatchString(lower) && (!lenient || !identifier.MatchString(n)) {
				return nil, &UnknownFieldError{Name: n}
			}
			f = Field{Name: strings.ReplaceAll(lower, "_", "-"), Kind: KString, Unknown: true}
		}
		if seen[f.Column()] {
			return nil, fmt.Errorf("field %q appears twice", n)
		}
		seen[f.Column()] = true
		out = append(out, f)
	}
	return out, nil
}

// ParseDelimited parses one line of a delimited export in the given fields.
func ParseDelimited(fields []Field, delim byte, line string) ([]any, error) {
	cells, err := splitDelimited(line, delim)
	if err != nil {
		return nil, fmt.Errorf("not a line of %s-separated values: %v", delimName(delim), err)
	}
	if len(cells) != len(fields) {
		return nil, fmt.Errorf("expected %d fields, found %d", len(fields), len(cells))
	}
	vals := make([]any, len(fields))
	for i, cell := range cells {
		v, err := parseCell(fields[i], cell)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// parseCell parses one cell: empty is absent, and an integer may be written
// as a whole decimal number.
func parseCell(f Field, cell string) (any, error) {
	if cell == "" {
		return nil, nil
	}
	switch f.Kind {
	case KPort, KProto, KSmall, KCount, KTime:
		tok := strings.TrimSpace(cell)
		if _, err := strconv.ParseInt(tok, 10, 64); err != nil && tok != "-" {
			if x, ferr := strconv.ParseFloat(tok, 64); ferr == nil && !math.IsInf(x, 0) && x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				tok = strconv.FormatFloat(x, 'f', -1, 64)
			}
		}
		v, err := parseValue(f, tok)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not %s", f.Name, truncate(cell, 80), expected(f.Kind))
		}
		return v, nil
	}
	return parseValue(f, cell)
}

// engineInteger is the SQL value of an integer field that the engine read as
// DOUBLE (so that 25238.0 reads): a value that is not a whole number in the
// field's range fails the statement, and the line parser rejects its line.
func engineInteger(col string, f Field) string {
	lo, hi, typ := "0", "255", "INTEGER"
	switch f.Kind {
	case KPort:
		hi = "65535"
	case KCount:
		// beyond 2^53 a DOUBLE is not exact: the line parser reads those
		lo, hi, typ = "-9007199254740992", "9007199254740992", "BIGINT"
	case KTime:
		hi, typ = "4294967295", "BIGINT"
	case KProto:
		typ = "SMALLINT"
	}
	v := fmt.Sprintf("CAST(%s AS %s)", col, typ)
	if f.Kind == KTime {
		v = fmt.Sprintf("make_timestamp(%s * 1000000)", v)
	}
	return fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL WHEN %s = trunc(%s) AND %s >= %s AND %s <= %s THEN %s ELSE error('ingest: not a whole number in range') END",
		col, col, col, col, lo, col, hi, v)
}

func isInteger(k Kind) bool {
	return k == KPort || k == KProto || k == KSmall || k == KCount || k == KTime
}

func delimName(delim byte) string {
	if delim == '\t' {
		return "tab"
	}
	return "comma"
}
