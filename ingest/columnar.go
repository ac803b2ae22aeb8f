package ingest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/investigator/investigator/store"
)

// jsonIgnored are keys of SIEM exports of flow logs that are not flow-log fields.
var jsonIgnored = map[string]bool{
	"timegenerated": true, "tenantid": true, "sourcesystem": true, "type": false, "_resourceid": true,
	"mg": true, "managementgroupname": true, "computer": true, "rawdata": true,
}

// jsonAliases map normalized keys of SIEM exports to field names.
var jsonAliases = map[string]string{"traffictype": "type"}

func normalizeKey(k string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(k))
}

var normalizedFields = func() map[string]Field {
	m := map[string]Field{}
	for _, f := range fieldTable {
		m[normalizeKey(f.Name)] = f
	}
	return m
}()

type sourceColumn struct {
	name, typ string
	field     Field
	// expr, when set, is the SQL of the value (a path into nested
	// structs, a mapping of values); name is then what a reject names.
	expr string
}

// ref is the SQL of the column's value in the source, aliased s.
func (c sourceColumn) ref() string {
	if c.expr != "" {
		return "(" + c.expr + ")"
	}
	return "s." + store.QuoteIdent(c.name)
}

// columnarSource is what the shared columnar load reads: the source, its
// row numbers, its columns mapped onto fields, conditions that reject a
// row before its values are judged ("WHEN cond THEN reason"), the SQL of a
// rejected row's raw text, and more staged columns ("expr AS name").
type columnarSource struct {
	src, rowExpr string
	cols         []sourceColumn
	checks       []string
	raw          string
	stage        []string
	// staged, when set, is called once the rows are staged (in ingest_stage).
	staged func() error
}

// columnar loads files whose columns the engine reads by name: Parquet as AWS
// writes it (underscore names, INT32/INT64 numerics) and JSON records. Values
// are cast in SQL; a row with a value that does not fit its field is rejected
// with its row number and a reason, never the whole file.
func (l *load) columnar(ctx context.Context) error {
	src := fmt.Sprintf("read_parquet(%s, file_row_number = true)", store.QuoteString(l.path))
	rowExpr := "s.file_row_number + 1"
	if l.det.Shape == ShapeJSONRecords {
		compression := "uncompressed"
		if l.det.Compression == "gzip" {
			compression = "gzip"
		}
		src = fmt.Sprintf("read_json(%s, format = 'auto', compression = '%s', maximum_object_size = 16777216)", store.QuoteString(l.path), compression)
		rowExpr = "row_number() OVER ()"
	}
	cols, err := l.describe(ctx, src)
	if err != nil {
		return err
	}
	// The raw text of a rejected row: the source's own columns (not the row number the reader adds).
	var rawCols []string
	for _, c := range cols {
		rawCols = append(rawCols, fmt.Sprintf("%s := s.%s", store.QuoteIdent(c.name), store.QuoteIdent(c.name)))
	}
	return l.loadColumnar(ctx, columnarSource{src: src, rowExpr: rowExpr, cols: cols,
		raw: fmt.Sprintf("CAST(struct_pack(%s) AS VARCHAR)", strings.Join(rawCols, ", "))})
}

// loadColumnar stages the source's rows with their values cast and a reason
// for each row that does not fit, then loads the good rows and records the
// rejects.
func (l *load) loadColumnar(ctx context.Context, cs columnarSource) error {
	cols := cs.cols
	fields := make([]Field, 0, len(cols))
	for _, c := range cols {
		fields = append(fields, c.field)
	}
	l.det.Fields = fields
	l.res.Fields = FieldNames(fields)

	var sel, staged []string
	checks := cs.checks
	for _, c := range cols {
		val, bad, want := columnExpr(c)
		sel = append(sel, fmt.Sprintf("%s AS %s", val, store.QuoteIdent(c.field.Column())))
		staged = append(staged, store.QuoteIdent(c.field.Column()))
		if bad != "" {
			checks = append(checks, fmt.Sprintf("WHEN %s THEN format('{}: \"{}\" is not {}', %s, left(CAST(%s AS VARCHAR), 80), %s)",
				bad, store.QuoteString(c.field.Name), c.ref(), store.QuoteString(want)))
		}
	}
	reason := "NULL"
	if len(checks) > 0 {
		reason = "CASE " + strings.Join(checks, " ") + " END"
	}
	if _, err := l.exec(ctx, `DROP TABLE IF EXISTS temp.ingest_stage`); err != nil {
		return fmt.Errorf("ingest: stage: %w", err)
	}
	sel = append(sel, cs.stage...)
	q := fmt.Sprintf(`CREATE TEMP TABLE ingest_stage AS SELECT %s AS _row, %s, %s AS _reason,
		CASE WHEN (%s) IS NOT NULL THEN %s END AS _raw FROM %s s`,
		cs.rowExpr, strings.Join(sel, ", "), reason, reason, cs.raw, cs.src)
	if _, err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("ingest: read %s: %w", l.path, err)
	}
	defer l.exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.ingest_stage`) //nolint:errcheck // temp
	if cs.staged != nil {
		if err := cs.staged(); err != nil {
			return err
		}
	}

	// Addresses: the engine has no IP type, so check them here.
	for _, f := range fields {
		if f.Kind != KAddr {
			continue
		}
		col := store.QuoteIdent(f.Column())
		rows, err := l.conn.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT %s FROM ingest_stage WHERE %s IS NOT NULL AND _reason IS NULL`, col, col))
		if err != nil {
			return fmt.Errorf("ingest: addresses: %w", err)
		}
		var bad []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("ingest: addresses: %w", err)
			}
			if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" {
				bad = append(bad, s)
			}
		}
		rows.Close()
		for _, s := range bad {
			if _, err := l.exec(ctx, fmt.Sprintf(`UPDATE ingest_stage SET _reason = ? WHERE %s = ? AND _reason IS NULL`, col),
				fmt.Sprintf("%s: %q is not an IP address", f.Name, truncate(s, 80)), s); err != nil {
				return fmt.Errorf("ingest: addresses: %w", err)
			}
		}
	}

	window := "TRUE"
	if s, e := l.in.opts.Start, l.in.opts.End; s != nil || e != nil {
		var conds []string
		if s != nil {
			conds = append(conds, fmt.Sprintf("start >= '%s'::TIMESTAMP", s.UTC().Format("2006-01-02 15:04:05")))
		}
		if e != nil {
			conds = append(conds, fmt.Sprintf("start <= '%s'::TIMESTAMP", e.UTC().Format("2006-01-02 15:04:05")))
		}
		window = "start IS NOT NULL AND " + strings.Join(conds, " AND ")
		if _, ok := l.fieldIndex("start"); !ok {
			window = "FALSE"
		}
	}
	if err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM ingest_stage WHERE _reason IS NULL AND NOT (%s)`, window)).
		Scan(&l.res.OutsideWindow); err != nil {
		return fmt.Errorf("ingest: time window: %w", err)
	}
	ins, exprs := insertColumns(fields, func(f Field) string { return store.QuoteIdent(f.Column()) })
	if _, err := l.exec(ctx, fmt.Sprintf(`INSERT INTO flow_records (%s, file_id) SELECT %s, %d FROM ingest_stage WHERE _reason IS NULL AND %s ORDER BY _row`,
		store.QuoteIdents(ins), strings.Join(exprs, ", "), l.fileID, window)); err != nil {
		return fmt.Errorf("ingest: load %s: %w", l.path, err)
	}
	// Rows rejected for an address have no raw text from the reader: show the staged values.
	for i, c := range staged {
		staged[i] = fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), '-')", c)
	}
	rows, err := l.conn.QueryContext(ctx, fmt.Sprintf(`SELECT _row, _reason, coalesce(_raw, concat_ws(' ', %s))
		FROM ingest_stage WHERE _reason IS NOT NULL ORDER BY _row`, strings.Join(staged, ", ")))
	if err != nil {
		return fmt.Errorf("ingest: rejects: %w", err)
	}
	var rejects []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Line, &r.Reason, &r.Raw); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: rejects: %w", err)
		}
		rejects = append(rejects, r)
	}
	rows.Close()
	return l.storeRejects(ctx, rejects)
}

func (l *load) fieldIndex(name string) (int, bool) {
	for i, f := range l.det.Fields {
		if f.Name == name {
			return i, true
		}
	}
	return 0, false
}

// describe maps the source's columns to fields.
func (l *load) describe(ctx context.Context, src string) ([]sourceColumn, error) {
	rows, err := l.conn.QueryContext(ctx, "DESCRIBE SELECT * FROM "+src)
	if err != nil {
		return nil, &NotFlowLogError{fmt.Sprintf("the engine cannot read it as %s: %v", l.det.Shape, err)}
	}
	defer rows.Close()
	var cols []sourceColumn
	seen := map[string]bool{}
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, fmt.Errorf("ingest: describe: %w", err)
		}
		if name == "file_row_number" && l.det.Shape == ShapeParquet {
			continue
		}
		f, ok := LookupField(name)
		if !ok && l.det.Shape == ShapeJSONRecords {
			k := normalizeKey(name)
			if alias, isAlias := jsonAliases[k]; isAlias {
				f, ok = LookupField(alias)
			} else if jsonIgnored[k] {
				continue
			} else {
				f, ok = normalizedFields[k]
			}
		}
		if !ok {
			if !l.in.opts.Lenient || !identifier.MatchString(name) {
				return nil, &UnknownFieldError{Name: name}
			}
			f = Field{Name: strings.ToLower(name), Kind: KString, Unknown: true}
		}
		if seen[f.Column()] {
			return nil, fmt.Errorf("ingest: columns %q and another both map to field %s", name, f.Name)
		}
		seen[f.Column()] = true
		cols = append(cols, sourceColumn{name: name, typ: typ, field: f})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ingest: describe: %w", err)
	}
	if len(cols) == 0 {
		return nil, &NotFlowLogError{"no column is a flow-log field"}
	}
	return cols, nil
}

// columnExpr returns the SQL value of a source column as its field's column,
// the condition under which the value does not fit, and what was expected.
func columnExpr(c sourceColumn) (val, bad, want string) {
	col := c.ref()
	isText := c.typ == "VARCHAR"
	// '-' is AWS's absent value; writers of Parquet and JSON add their own.
	text := fmt.Sprintf("CASE WHEN trim(CAST(%s AS VARCHAR)) NOT IN ('-', '', 'None', 'null', 'NULL') THEN trim(CAST(%s AS VARCHAR)) END", col, col)
	src := col
	if isText {
		src = text
	}
	f := c.field
	switch f.Kind {
	case KString, KAddr:
		if strings.HasSuffix(f.Name, "account-id") && strings.Contains(c.typ, "INT") {
			// An account id written as a number lost its leading zeros: they are 12 digits.
			return fmt.Sprintf("lpad(CAST(%s AS VARCHAR), 12, '0')", col), "", ""
		}
		return text, "", ""
	case KTime:
		switch {
		case c.typ == "TIMESTAMP":
			return col, "", ""
		case c.typ == "TIMESTAMP WITH TIME ZONE":
			return fmt.Sprintf("timezone('UTC', %s)", col), "", ""
		case isText:
			val = fmt.Sprintf("coalesce(make_timestamp(TRY_CAST(%s AS UINTEGER)::BIGINT * 1000000), timezone('UTC', TRY_CAST(%s AS TIMESTAMPTZ)))", text, text)
		default:
			val = fmt.Sprintf("make_timestamp(TRY_CAST(%s AS UINTEGER)::BIGINT * 1000000)", col)
		}
		return val, fmt.Sprintf("%s IS NOT NULL AND %s IS NULL", src, val), "a time (Unix seconds or ISO 8601)"
	default:
		val = fmt.Sprintf("TRY_CAST(%s AS %s)", src, f.ParseType())
		return val, fmt.Sprintf("%s IS NOT NULL AND %s IS NULL", src, val), expected(f.Kind)
	}
}
