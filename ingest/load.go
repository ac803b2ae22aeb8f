package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// errFallback sends a file from the engine's fast path to the line parser:
// the engine met something only the line parser handles (a format change
// mid-file, an address that is not an IP).
var errFallback = errors.New("ingest: needs the line parser")

// reportRejects is how many rejected lines a FileResult carries for display.
const reportRejects = 5

type load struct {
	in     *Ingester
	path   string // the local file read
	source string // its origin, for the manifest
	det    Detected
	// shape and ocsfVersion are what the manifest records: det's shape,
	// unless the source said otherwise (Item.Shape).
	shape       Shape
	ocsfVersion string
	key         string
	size        int64
	sha         string
	conn        *sql.Conn
	fileID      int64 // its manifest row's id
	givenID     int64 // the id to write it under (0: the next of the sequence)
	res         *FileResult
	begun       time.Time
}

func (l *load) run(ctx context.Context, res *FileResult) error {
	l.begun = time.Now()
	fast := (l.det.Shape == ShapeText || l.det.Shape == ShapeTextHeader || l.det.Shape == ShapeExport || l.det.Shape == ShapeCSVHeader) && !l.det.lineParser
	err := l.attempt(ctx, res, fast)
	if errors.Is(err, errFallback) {
		*res = FileResult{Path: res.Path, Size: res.Size, SHA256: res.SHA256, Compression: res.Compression, Shape: res.Shape, Delimiter: res.Delimiter, Fields: res.Fields,
			OCSFVersion: l.ocsfVersion}
		err = l.attempt(ctx, res, false)
	}
	return err
}

func (l *load) exec(ctx context.Context, q string, args ...any) (int64, error) {
	r, err := l.conn.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// attempt loads the file in one transaction: its records, rejects, addresses
// and manifest entry land together, or nothing does.
func (l *load) attempt(ctx context.Context, res *FileResult, fast bool) error {
	return l.in.c.InTx(ctx, func(conn *sql.Conn) error {
		l.conn, l.res = conn, res
		return l.load(ctx, fast)
	})
}

func (l *load) load(ctx context.Context, fast bool) error {
	res := l.res
	// A file id given (l.givenID) is one taken from the sequence before;
	// else the column's default takes the next. (nextval() written in the
	// VALUES would take two.)
	idCol, id := "", ""
	if l.givenID != 0 {
		idCol, id = "id, ", fmt.Sprintf("%d, ", l.givenID)
	}
	err := l.conn.QueryRowContext(ctx, `INSERT INTO ingest_files (`+idCol+`ingest_id, source, dedup_key, size, sha256, compression, shape, fields,
			records, rejected, outside_window, nodata, skipdata, delimiter, ocsf_version)
		VALUES (`+id+`?, ?, ?, ?, ?, ?, ?, ?::VARCHAR[], 0, 0, 0, 0, 0, ?, ?) RETURNING id`,
		l.in.ingestID, l.source, l.key, l.size, l.sha, l.det.Compression, string(l.shape), listLiteral(FieldNames(l.det.Fields)),
		nullable(l.det.Delim), nullable(l.ocsfVersion)).Scan(&l.fileID)
	if err != nil {
		return fmt.Errorf("ingest: manifest: %w", err)
	}
	res.FileID = l.fileID

	began := time.Now()
	switch {
	case fast:
		err = l.engineText(ctx)
	case l.det.Shape == ShapeParquet || l.det.Shape == ShapeJSONRecords:
		err = l.columnar(ctx)
	case l.det.Shape == ShapeOCSF:
		err = l.ocsf(ctx)
	case l.det.Shape == ShapeSubscription:
		err = l.subscription(ctx)
	default:
		err = l.lineParser(ctx)
	}
	if err != nil {
		return err
	}
	loaded := time.Since(began)
	if err := l.indexAddresses(ctx); err != nil {
		return err
	}
	l.in.opts.logger().Debug("ingest: file loaded", "path", l.path, "engine", fast, "load", loaded, "addresses", time.Since(began)-loaded)
	return l.finishManifest(ctx)
}

// engineRead is how the engine's CSV reader reads text files of one
// detected shape: the options after the file (or list of files) argument,
// and the INSERT's target columns and the expressions that fill them. Files
// whose engineRead options are the same can be read together.
type engineRead struct {
	options  string
	ins, sel []string
}

func newEngineRead(det Detected) engineRead {
	var cols []string
	if det.Shape == ShapeExport {
		cols = append(cols, "'_export_ts': 'VARCHAR'")
	}
	delimited := det.Shape == ShapeCSVHeader
	for _, f := range det.Fields {
		typ := f.ParseType()
		if delimited && isInteger(f.Kind) {
			typ = "DOUBLE" // 25238.0 and 2.5238E4 are integers too; engineInteger checks
		}
		cols = append(cols, fmt.Sprintf("%s: '%s'", store.QuoteString(f.Column()), typ))
	}
	ins, sel := insertColumns(det.Fields, func(f Field) string {
		col := store.QuoteIdent(f.Column())
		switch {
		case delimited && isInteger(f.Kind):
			return engineInteger(col, f)
		case f.Kind == KTime:
			return fmt.Sprintf("make_timestamp(%s::BIGINT * 1000000)", col)
		}
		return col
	})
	hasHeader := det.Shape == ShapeTextHeader || delimited
	syntax := `delim = ' ', quote = '', escape = '', nullstr = '-'`
	if delimited {
		syntax = fmt.Sprintf(`delim = %s, quote = '"', escape = '"', nullstr = ['-', '']`, store.QuoteString(det.Delim))
	}
	opts := fmt.Sprintf(`%s, header = %t, skip = %d,
			auto_detect = false, compression = '%s', columns = {%s},
			store_rejects = true, rejects_table = 'ingest_rejects', rejects_scan = 'ingest_reject_scans'`,
		syntax, hasHeader, det.Skip, det.Compression, strings.Join(cols, ", "))
	return engineRead{options: opts, ins: ins, sel: sel}
}

// engineText loads space-separated text and delimited exports with DuckDB's
// CSV reader: parallel, typed, and validating every value as it reads. Lines
// it cannot read land in its rejects table with their physical line numbers.
func (l *load) engineText(ctx context.Context) error {
	r := newEngineRead(l.det)
	q := fmt.Sprintf(`INSERT INTO flow_records (%s, file_id)
		SELECT %s, %d FROM read_csv(%s, %s)`,
		store.QuoteIdents(r.ins), strings.Join(r.sel, ", "), l.fileID, store.QuoteString(l.path), r.options)
	if _, err := l.exec(ctx, q); err != nil {
		var de *duckdb.Error
		if ctx.Err() == nil && errors.As(err, &de) && de.Type == duckdb.ErrorTypeInvalidInput {
			// The reader gave up on the whole file (a carriage return inside
			// a line, say): the line parser rejects the lines it cannot read.
			l.in.opts.logger().Debug("ingest: engine cannot read the file", "path", l.path, "err", err)
			return errFallback
		}
		return fmt.Errorf("ingest: load %s: %w", l.path, err)
	}
	if err := l.engineRejects(ctx); err != nil {
		return err
	}
	if err := l.controlCharacters(ctx); err != nil {
		return err
	}
	return l.applyWindowSQL(ctx)
}

// controlCharacters sends the file to the line parser when a value the
// engine took as text holds a control character (a NUL, an escape sequence):
// its line is a reject, and only the line parser knows its number. Addresses
// are checked when they are indexed, typed values when they are read.
func (l *load) controlCharacters(ctx context.Context) error {
	// Over the distinct values of the text columns together, which are few
	// (interfaces, accounts), in one scan: a pattern over every row would
	// cost the default path a tenth of its time.
	cols, matches := controlColumns(l.det.Fields)
	if len(cols) == 0 {
		return nil
	}
	var found bool
	err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT %s FROM flow_records WHERE file_id = ?) WHERE %s)`,
		strings.Join(cols, ", "), strings.Join(matches, " OR ")), l.fileID).Scan(&found)
	if err != nil {
		return fmt.Errorf("ingest: check values: %w", err)
	}
	if found {
		return errFallback
	}
	return nil
}

// controlColumns are the text columns of fields whose values the engine
// does not check, and for each a test for a control character in it.
func controlColumns(fields []Field) (cols, matches []string) {
	const pattern = `'[\x00-\x1f\x7f-\x9f]'`
	for _, f := range fields {
		if f.Kind == KString && f.Stored() {
			c := store.QuoteIdent(f.Column())
			cols, matches = append(cols, c), append(matches, fmt.Sprintf("regexp_matches(%s, %s)", c, pattern))
		}
	}
	if hasExtra(fields) {
		cols, matches = append(cols, "CAST(extra AS VARCHAR) AS extra_text"), append(matches, "regexp_matches(extra_text, "+pattern+")")
	}
	return cols, matches
}

// rejectBatch bounds the rejected lines held in memory at once: a file in the
// wrong format can reject every one of millions of lines.
const rejectBatch = 10_000

// engineRejects turns the CSV reader's rejects into ours: one per line, the
// reason from our own parser (consistent across paths), repeated headers
// skipped. A different header mid-file needs the line parser.
func (l *load) engineRejects(ctx context.Context) error {
	defer func() {
		for _, t := range []string{"ingest_rejects", "ingest_reject_scans", "ingest_reject_lines"} {
			l.exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp."+t) //nolint:errcheck // temp tables of this connection
		}
	}()
	if _, err := l.exec(ctx, `CREATE TEMP TABLE ingest_reject_lines AS
		SELECT row_number() OVER (ORDER BY line) AS n, line, arg_min(csv_line, column_idx) AS raw, arg_min(error_message, column_idx) AS msg,
			bool_or(error_type = 'INVALID ENCODING') AS not_utf8, bool_or(error_type = 'LINE SIZE OVER MAXIMUM') AS long
		FROM ingest_rejects GROUP BY line`); err != nil {
		return fmt.Errorf("ingest: read rejects: %w", err)
	}
	headerToks, _ := l.headerOf(l.det.Header)
	for from := int64(0); ; from += rejectBatch {
		rows, err := l.conn.QueryContext(ctx, `SELECT line, raw, msg, not_utf8, long FROM ingest_reject_lines WHERE n > ? AND n <= ? ORDER BY n`, from, from+rejectBatch)
		if err != nil {
			return fmt.Errorf("ingest: read rejects: %w", err)
		}
		var rejects []Reject
		read := 0
		for rows.Next() {
			read++
			var line int64
			var raw, msg string
			var notUTF8, long bool
			if err := rows.Scan(&line, &raw, &msg, &notUTF8, &long); err != nil {
				rows.Close()
				return fmt.Errorf("ingest: read rejects: %w", err)
			}
			if l.det.Shape == ShapeCSVHeader {
				// a tab may end a line before an empty cell
				raw = strings.Trim(strings.TrimPrefix(raw, "\ufeff"), " \r\n")
				if i := strings.LastIndexByte(raw, '\n'); i >= 0 {
					raw = strings.Trim(raw[i+1:], " \r")
				}
			} else {
				raw = lastLine(raw)
			}
			switch {
			case notUTF8: // the engine shows the bytes as '?'
				rejects = append(rejects, Reject{Line: line, Raw: raw, Reason: reasonNotUTF8})
				continue
			case long:
				rejects = append(rejects, Reject{Line: line, Raw: raw, Reason: reasonLongLine})
				continue
			}
			if names, ok := l.headerOf(raw); ok {
				if slices.Equal(names, headerToks) {
					continue // the header repeated (concatenated objects)
				}
				rows.Close()
				return errFallback
			}
			rejects = append(rejects, Reject{Line: line, Raw: raw, Reason: l.reason(raw, msg)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ingest: read rejects: %w", err)
		}
		if err := l.storeRejects(ctx, rejects); err != nil {
			return err
		}
		if read < rejectBatch {
			return nil
		}
	}
}

// reason explains a rejected line in our own words, falling back to the engine's.
func (l *load) reason(raw, engineMsg string) string {
	if p := textProblem(raw); p != "" {
		return p
	}
	body := raw
	if l.det.Shape == ShapeExport {
		_, rest, ok := splitExportTimestamp(raw)
		if !ok {
			return "expected a CloudWatch export timestamp before the record"
		}
		body = rest
	}
	if _, err := l.parse(l.det.Fields, body); err != nil {
		return err.Error()
	}
	return engineMsg
}

// headerOf returns the names of a header line of the file's shape.
func (l *load) headerOf(s string) ([]string, bool) {
	if l.det.Shape == ShapeCSVHeader {
		delim, names, ok := delimitedHeader(s)
		return names, ok && string(delim) == l.det.Delim
	}
	return headerNames(s)
}

// parse parses one record of the file's shape.
func (l *load) parse(fields []Field, s string) ([]any, error) {
	if l.det.Shape == ShapeCSVHeader {
		return ParseDelimited(fields, l.det.Delim[0], s)
	}
	return ParseRecord(fields, s)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return cleanLine([]byte(s))
}

func (l *load) storeRejects(ctx context.Context, rejects []Reject) error {
	l.res.Rejected += int64(len(rejects))
	for i := range rejects {
		rejects[i].Raw = safeRaw(rejects[i].Raw)
		if len(l.res.Rejects) < reportRejects {
			l.res.Rejects = append(l.res.Rejects, rejects[i])
		}
	}
	if len(rejects) == 0 {
		return nil
	}
	return l.withAppender(ctx, "rejects", []string{"file_id", "line", "reason", "raw"}, func(a *duckdb.Appender) error {
		for _, r := range rejects {
			if err := a.AppendRow(int32(l.fileID), r.Line, r.Reason, r.Raw); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *load) withAppender(ctx context.Context, table string, cols []string, fn func(*duckdb.Appender) error) error {
	if err := store.WithAppender(l.conn, table, cols, fn); err != nil {
		return fmt.Errorf("ingest: append to %s: %w", table, err)
	}
	return nil
}

// applyWindowSQL removes the file's records outside --start/--end.
func (l *load) applyWindowSQL(ctx context.Context) error {
	lo, hi, ok := l.in.opts.window()
	if !ok {
		return nil
	}
	n, err := l.exec(ctx, `DELETE FROM flow_records WHERE file_id = ? AND (start IS NULL OR start < ? OR start > ?)`, l.fileID, lo, hi)
	if err != nil {
		return fmt.Errorf("ingest: time window: %w", err)
	}
	l.res.OutsideWindow += n
	return nil
}

func (l *load) inWindow(start any) bool {
	s, e := l.in.opts.Start, l.in.opts.End
	if s == nil && e == nil {
		return true
	}
	t, ok := start.(time.Time)
	if !ok {
		return false
	}
	return (s == nil || !t.Before(*s)) && (e == nil || !t.After(*e))
}

// lineParser reads the file line by line in Go: the path for JSON-wrapped
// records, format changes mid-file and whatever the engine could not read.
func (l *load) lineParser(ctx context.Context) error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if l.det.Compression == "gzip" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return &NotFlowLogError{fmt.Sprintf("broken gzip: %v", err)}
		}
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)

	fields := l.det.Fields
	startIdx := slices.IndexFunc(fields, func(f Field) bool { return f.Name == "start" })
	headerToks, _ := l.headerOf(l.det.Header)
	delimited := l.det.Shape == ShapeCSVHeader
	var rejects []Reject
	var batch [][]driver.Value
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		cols, _ := insertColumns(fields, nil)
		err := l.withAppender(ctx, "flow_records", append(cols, "file_id"), func(a *duckdb.Appender) error {
			for _, row := range batch {
				if err := a.AppendRow(row...); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	reject := func(n int64, raw string, err error) {
		rejects = append(rejects, Reject{Line: n, Raw: raw, Reason: err.Error()})
	}

	// record parses one line (or one part of a line split at a lone
	// carriage return) of physical line n.
	record := func(n int64, s string) error {
		if delimited {
			s = strings.Trim(s, " \r\n") // a tab may end a line before an empty cell
		} else {
			s = strings.TrimSpace(s)
		}
		if s == "" {
			return nil
		}
		raw := s
		if p := textProblem(s); p != "" {
			reject(n, raw, errors.New(p))
			return nil
		}
		if strings.HasPrefix(s, "{") && !delimited {
			msg, err := unwrapMessage(s)
			if err != nil {
				reject(n, raw, err)
				return nil
			}
			if p := textProblem(msg); p != "" {
				reject(n, raw, fmt.Errorf("message: %s", p))
				return nil
			}
			s = msg
		}
		if names, ok := l.headerOf(s); ok {
			if slices.Equal(names, headerToks) {
				return nil
			}
			resolve := resolveFields
			if delimited {
				resolve = resolveDelimitedFields
			}
			fs, err := resolve(names, l.in.opts.Lenient)
			if err != nil {
				reject(n, raw, fmt.Errorf("header: %w", err))
				return nil
			}
			if err := flush(); err != nil {
				return err
			}
			fields, headerToks = fs, names
			startIdx = slices.IndexFunc(fields, func(f Field) bool { return f.Name == "start" })
			return nil
		}
		if l.det.Shape == ShapeExport {
			_, rest, ok := splitExportTimestamp(s)
			if !ok {
				reject(n, raw, errors.New("expected a CloudWatch export timestamp before the record"))
				return nil
			}
			s = rest
		}
		vals, err := l.parse(fields, s)
		if err != nil {
			reject(n, raw, err)
			return nil
		}
		if l.collect(&batch, fields, vals, startIdx) {
			return flush()
		}
		return nil
	}

	var lineNo int64
	var buf []byte
	for {
		b, long, rerr := readLine(br, buf)
		buf = b
		// A gzip stream that ends early or breaks: what came before it lands.
		broken := rerr != nil && rerr != io.EOF && l.det.Compression == "gzip" && !isFileError(rerr)
		if rerr != nil && rerr != io.EOF && !broken {
			return fmt.Errorf("ingest: read %s: %w", l.path, rerr)
		}
		if len(b) == 0 && rerr != nil {
			if broken {
				reject(lineNo+1, "", errors.New(reasonGzipEnd))
			}
			break
		}
		lineNo++
		if lineNo%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case broken:
			reject(lineNo, string(b), errors.New(reasonGzipEnd))
		case long:
			reject(lineNo, string(b), errors.New(reasonLongLine))
		case delimited:
			// a carriage return inside a quoted value is the value's
			if err := record(lineNo, string(bytes.TrimPrefix(b, bom))); err != nil {
				return err
			}
		default:
			line := cleanLine(b)
			// A lone carriage return ends a record too (old Mac line ends,
			// progress output): each part is judged on its own.
			for part := range strings.SplitSeq(line, "\r") {
				if err := record(lineNo, part); err != nil {
					return err
				}
			}
		}
		if len(rejects) >= rejectBatch {
			if err := l.storeRejects(ctx, rejects); err != nil {
				return err
			}
			rejects = rejects[:0]
		}
		if rerr != nil {
			break
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return l.storeRejects(ctx, rejects)
}

// isFileError reports whether err comes from reading the file itself, not
// from the data in it.
func isFileError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// ipv4Octet matches one octet the way netip does: 0-255, no leading zeros.
const ipv4Octet = `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`

// indexAddresses records every new address of the file with its numeric
// form: IPv4 in SQL (the bulk), the rest (IPv6) in Go with net/netip. An
// address that is not an IP sends the fast path to the line parser, which
// rejects its line with a reason.
func (l *load) indexAddresses(ctx context.Context) error {
	steps := []string{
		`DROP TABLE IF EXISTS temp.new_addresses`,
		`CREATE TEMP TABLE new_addresses AS SELECT DISTINCT a FROM (
			SELECT srcaddr AS a FROM flow_records WHERE file_id = $1
			UNION ALL SELECT dstaddr FROM flow_records WHERE file_id = $1
			UNION ALL SELECT pkt_srcaddr FROM flow_records WHERE file_id = $1
			UNION ALL SELECT pkt_dstaddr FROM flow_records WHERE file_id = $1
		) WHERE a IS NOT NULL AND a NOT IN (SELECT addr FROM addresses)`,
		`INSERT INTO addresses (addr, family, num)
		SELECT a, 4, 281470681743360::UHUGEINT
			+ (split_part(a, '.', 1)::UHUGEINT << 24) + (split_part(a, '.', 2)::UHUGEINT << 16)
			+ (split_part(a, '.', 3)::UHUGEINT << 8) + split_part(a, '.', 4)::UHUGEINT
		FROM new_addresses WHERE regexp_full_match(a, '` + ipv4Octet + `(\.` + ipv4Octet + `){3}')`,
	}
	for i, q := range steps {
		var args []any
		if i == 1 {
			args = append(args, l.fileID)
		}
		if _, err := l.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("ingest: addresses: %w", err)
		}
	}
	defer l.exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.new_addresses`) //nolint:errcheck // temp

	rows, err := l.conn.QueryContext(ctx, `SELECT a FROM new_addresses WHERE a NOT IN (SELECT addr FROM addresses)`)
	if err != nil {
		return fmt.Errorf("ingest: addresses: %w", err)
	}
	var values []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: addresses: %w", err)
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			rows.Close()
			if l.det.Shape == ShapeParquet || l.det.Shape == ShapeJSONRecords || l.det.Shape == ShapeOCSF {
				return fmt.Errorf("ingest: address %q is not an IP", s) // columnar checks addresses before this
			}
			return errFallback
		}
		a = a.Unmap()
		values = append(values, fmt.Sprintf("(%s, %d, %s::UHUGEINT)", store.QuoteString(s), store.Family(a), store.AddrNum(a)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingest: addresses: %w", err)
	}
	for len(values) > 0 {
		n := min(len(values), 1000)
		if _, err := l.exec(ctx, `INSERT INTO addresses (addr, family, num) VALUES `+strings.Join(values[:n], ", ")); err != nil {
			return fmt.Errorf("ingest: addresses: %w", err)
		}
		values = values[n:]
	}
	return nil
}

// finishManifest counts what landed and completes the file's manifest row.
func (l *load) finishManifest(ctx context.Context) error {
	var first, last sql.NullTime
	err := l.conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (log_status = 'NODATA'), count(*) FILTER (log_status = 'SKIPDATA'),
			min(start), max("end") FROM flow_records WHERE file_id = ?`, l.fileID).
		Scan(&l.res.Records, &l.res.NoData, &l.res.SkipData, &first, &last)
	if err != nil {
		return fmt.Errorf("ingest: count: %w", err)
	}
	if first.Valid {
		t := first.Time.UTC()
		l.res.First = &t
	}
	if last.Valid {
		t := last.Time.UTC()
		l.res.Last = &t
	}
	if l.res.Fields == nil {
		l.res.Fields = FieldNames(l.det.Fields)
	}
	_, err = l.exec(ctx, `UPDATE ingest_files SET records = ?, rejected = ?, outside_window = ?, nodata = ?, skipdata = ?,
			first_start = ?, last_end = ?, fields = ?::VARCHAR[], load_ms = ? WHERE id = ?`,
		l.res.Records, l.res.Rejected, l.res.OutsideWindow, l.res.NoData, l.res.SkipData,
		utcPtr(l.res.First), utcPtr(l.res.Last), listLiteral(l.res.Fields), time.Since(l.begun).Milliseconds(), l.fileID)
	if err != nil {
		return fmt.Errorf("ingest: manifest: %w", err)
	}
	return nil
}

// listLiteral renders names as a DuckDB list literal for a ?::VARCHAR[] parameter.
func listLiteral(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = store.QuoteString(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// rowBatch is how many parsed records are appended at a time.
const rowBatch = 8192

// collect adds a parsed record to batch, unless its start lies outside the
// window (then it is counted), and reports whether the batch is full.
func (l *load) collect(batch *[][]driver.Value, fields []Field, vals []any, startIdx int) bool {
	var start any
	if startIdx >= 0 {
		start = vals[startIdx]
	}
	if !l.inWindow(start) {
		l.res.OutsideWindow++
		return false
	}
	*batch = append(*batch, appendRow(fields, vals, l.fileID))
	return len(*batch) >= rowBatch
}
