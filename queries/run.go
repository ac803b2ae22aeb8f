package queries

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// Column is a result column: its name and DuckDB type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is one analysis run: what ran, on what, and the rows.
type Result struct {
	Analysis    string         `json:"analysis"`
	Version     int            `json:"version"`
	Title       string         `json:"-"`
	SHA256      string         `json:"sha256"`
	RunID       string         `json:"run_id"`
	Params      map[string]any `json:"params"`
	Columns     []Column       `json:"-"`
	Rows        [][]any        `json:"-"`
	Cached      bool           `json:"cached"`
	RanAt       time.Time      `json:"ran_at"`
	Duration    time.Duration  `json:"-"`
	DataVersion string         `json:"-"`
}

// ColumnNames lists the result's column names.
func (r *Result) ColumnNames() []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.Name
	}
	return out
}

// MarshalJSON writes the stable shape scripts rely on: {analysis, version,
// sha256, run_id, params, cached, ran_at, columns, rows}, rows as objects
// keyed by column name in column order.
func (r *Result) MarshalJSON() ([]byte, error) {
	type head Result
	h, err := json.Marshal((*head)(r))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(h[:len(h)-1])
	cols, _ := json.Marshal(r.ColumnNames())
	fmt.Fprintf(&b, `,"columns":%s,"rows":[`, cols)
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(r.Columns[j].Name)
			val, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// Options control a run.
type Options struct {
	Fresh   bool   // run even when a stored result for the same question exists
	Program string // recorded with the run
}

// Run answers an analysis on a case: from the case's stored runs when the
// same analysis, version and parameters already ran on the same data, else by
// running its SQL and recording the result. The case must be open for
// writing (the run is recorded, and the address enrichment may need a rebuild).
func Run(ctx context.Context, c *store.Case, a Analysis, params map[string]any, o Options) (*Result, error) {
	d, err := c.Derive(ctx)
	if err != nil {
		return nil, err
	}
	return runOn(ctx, c, c.DB, a, params, o, d.DataVersion)
}

// Job is one analysis to run, with its bound parameters.
type Job struct {
	Analysis Analysis
	Params   map[string]any
}

// RunAll answers the jobs as Run does, two at a time (one query leaves
// part of the machine idle in its single-threaded steps), the derived
// tables brought up to date once for all of them, and records the new runs
// in the jobs' order in one transaction (a commit costs more than
// recording a run). When a job fails, the others' runs are kept and the
// first failure is returned.
func RunAll(ctx context.Context, c *store.Case, jobs []Job, o Options) ([]*Result, error) {
	d, err := c.Derive(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Result, len(jobs))
	params := make([]string, len(jobs))
	errs := make([]error, len(jobs))
	busy := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, j := range jobs {
		busy <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-busy; wg.Done() }()
			out[i], params[i], errs[i] = answer(ctx, c, j.Analysis, j.Params, o, d.DataVersion)
		}()
	}
	wg.Wait()
	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	for i, r := range out {
		if errs[i] == nil && !r.Cached {
			if err := record(ctx, tx, r, params[i], o.Program); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("queries: record runs: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runOn is Run on derived tables that are up to date with the data
// version dv, a new run recorded into rec (the case, or a transaction).
func runOn(ctx context.Context, c *store.Case, rec execer, a Analysis, params map[string]any, o Options, dv string) (*Result, error) {
	r, pj, err := answer(ctx, c, a, params, o, dv)
	if err != nil || r.Cached {
		return r, err
	}
	if err := record(ctx, rec, r, pj, o.Program); err != nil {
		return nil, err
	}
	return r, nil
}

// answer is a stored result of the analysis on data version dv (unless
// fresh), or the analysis run and not yet recorded; with its parameters as
// recorded.
func answer(ctx context.Context, c *store.Case, a Analysis, params map[string]any, o Options, dv string) (*Result, string, error) {
	canon := canonical(params)
	pj, err := json.Marshal(canon)
	if err != nil {
		return nil, "", fmt.Errorf("queries: %w", err)
	}
	if !o.Fresh {
		r, err := cached(ctx, c, a, string(pj), dv)
		if err == nil {
			return r, string(pj), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, "", err
		}
	}
	began := time.Now()
	r := &Result{Analysis: a.Name, Version: a.Version, Title: a.Title, SHA256: a.SHA256, Params: canon, RanAt: began.UTC(), DataVersion: dv}
	r.Columns, r.Rows, err = Query(ctx, c.DB, a.Body, 0, namedArgs(params)...)
	if err != nil {
		return nil, "", fmt.Errorf("queries: %s: %w", a.Name, err)
	}
	r.Duration = time.Since(began)
	r.RunID = newRunID(began)
	return r, string(pj), nil
}

// Query runs one SQL statement and returns its columns and rows, with values
// normalized as in results. maxRows > 0 stops reading after that many rows;
// truncated reports whether more rows were left.
func Query(ctx context.Context, db *sql.DB, query string, maxRows int, args ...any) (cols []Column, rows [][]any, err error) {
	res, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer res.Close()
	types, err := res.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	for _, t := range types {
		cols = append(cols, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	rows = [][]any{}
	for res.Next() {
		if maxRows > 0 && len(rows) == maxRows {
			return cols, rows, ErrTruncated
		}
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := res.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v)
		}
		rows = append(rows, vals)
	}
	return cols, rows, res.Err()
}

// ErrTruncated is returned with the first rows of a result longer than asked for.
var ErrTruncated = errors.New("queries: more rows than the limit")

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return "r-" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// execer is where a run is recorded: the case, or a transaction of it.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func record(ctx context.Context, db execer, r *Result, params, program string) error {
	cols, err := json.Marshal(r.Columns)
	if err != nil {
		return fmt.Errorf("queries: record run: %w", err)
	}
	rows, err := json.Marshal(r.Rows)
	if err != nil {
		return fmt.Errorf("queries: record run: %w", err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO analysis_runs (run_id, analysis, version, sha256, params, data_version,
			started_at, finished_at, row_count, columns, rows, program)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RunID, r.Analysis, r.Version, r.SHA256, params, r.DataVersion, r.RanAt, r.RanAt.Add(r.Duration),
		len(r.Rows), string(cols), string(rows), program)
	if err != nil {
		return fmt.Errorf("queries: record run: %w", err)
	}
	return nil
}

// Stored returns the case's stored result of the same analysis, version and
// parameters on the data the case holds now, or nil when there is none. It
// only reads, so it works on a case opened read-only.
func Stored(ctx context.Context, c *store.Case, a Analysis, params map[string]any) (*Result, error) {
	d, err := c.DerivedState(ctx)
	if err != nil {
		return nil, err
	}
	dv := d.DataVersion
	pj, err := json.Marshal(canonical(params))
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	r, err := cached(ctx, c, a, string(pj), dv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// cached returns the newest stored result of the same question on the same data.
func cached(ctx context.Context, c *store.Case, a Analysis, params, dv string) (*Result, error) {
	id, _, err := latestRun(ctx, c, a, params, dv)
	if err != nil {
		return nil, err
	}
	r, err := loadRun(ctx, c, `run_id = ?`, id)
	if err != nil {
		return nil, err
	}
	r.Title, r.Cached = a.Title, true
	return r, nil
}

// latestRun finds the newest stored run of the same question on the same
// data, and its number of rows, without reading its rows (which cost
// milliseconds to read even for one run); sql.ErrNoRows when there is none.
func latestRun(ctx context.Context, c *store.Case, a Analysis, params, dv string) (runID string, rows int, err error) {
	err = c.DB.QueryRowContext(ctx, `SELECT run_id, row_count FROM analysis_runs
		WHERE analysis = ? AND version = ? AND sha256 = ? AND params::VARCHAR = ?::JSON::VARCHAR AND data_version = ?
		ORDER BY id DESC LIMIT 1`, a.Name, a.Version, a.SHA256, params, dv).Scan(&runID, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("queries: stored runs: %w", err)
	}
	return runID, rows, err
}

// StoredRun reads the stored run with this run id: the evidence a finding
// refers to. It only reads.
func StoredRun(ctx context.Context, c *store.Case, runID string) (*Result, error) {
	r, err := loadRun(ctx, c, "run_id = ?", runID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{What: "analysis run", ID: runID, Hint: "investigator runs CASE lists the stored runs"}
	}
	if err != nil {
		return nil, err
	}
	r.Cached = true
	return r, nil
}

// loadRun reads the newest stored run where cond holds; sql.ErrNoRows when
// there is none.
func loadRun(ctx context.Context, c *store.Case, cond string, args ...any) (*Result, error) {
	var r Result
	var cols, rows, pj string
	var finished time.Time
	err := c.DB.QueryRowContext(ctx, `SELECT run_id, analysis, version, sha256, data_version, started_at, finished_at, params::VARCHAR, columns::VARCHAR, rows::VARCHAR
		FROM analysis_runs WHERE `+cond+` ORDER BY id DESC LIMIT 1`, args...).
		Scan(&r.RunID, &r.Analysis, &r.Version, &r.SHA256, &r.DataVersion, &r.RanAt, &finished, &pj, &cols, &rows)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("queries: stored runs: %w", err)
	}
	r.RanAt = r.RanAt.UTC()
	r.Duration = finished.Sub(r.RanAt)
	if err := json.Unmarshal([]byte(pj), &r.Params); err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", r.RunID, err)
	}
	if err := json.Unmarshal([]byte(cols), &r.Columns); err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", r.RunID, err)
	}
	r.Rows, err = decodeRows(rows, r.Columns)
	if err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", r.RunID, err)
	}
	return &r, nil
}

// normalize maps driver values onto the few types results carry: int64,
// float64, string, bool, time.Time (UTC) and nil, so a fresh result and a
// stored one look the same.
func normalize(v any) any {
	switch v := v.(type) {
	case nil, int64, float64, string, bool:
		return v
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return int64(v)
	case float32:
		return float64(v)
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		return v.String()
	case time.Time:
		return v.UTC()
	case []byte:
		return string(v)
	case duckdb.Decimal:
		return v.Float64()
	case duckdb.Interval:
		return (time.Duration(v.Days)*24*time.Hour + time.Duration(v.Micros)*time.Microsecond).String()
	default:
		return fmt.Sprint(v)
	}
}

// decodeRows reads stored rows back into the types normalize produces.
func decodeRows(s string, cols []Column) ([][]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var raw [][]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	for _, row := range raw {
		for i, v := range row {
			if i >= len(cols) {
				break
			}
			switch v := v.(type) {
			case json.Number:
				if n, err := v.Int64(); err == nil && !isFloatType(cols[i].Type) {
					row[i] = n
				} else {
					row[i], _ = v.Float64()
				}
			case string:
				if strings.HasPrefix(cols[i].Type, "TIMESTAMP") {
					t, err := time.Parse(time.RFC3339Nano, v)
					if err != nil {
						return nil, err
					}
					row[i] = t.UTC()
				}
			}
		}
	}
	if raw == nil {
		raw = [][]any{}
	}
	return raw, nil
}

func isFloatType(t string) bool {
	return t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL")
}
