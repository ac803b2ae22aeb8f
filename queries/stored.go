package queries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/investigator/investigator/store"
)

// StoredRun reads one recorded run by its id, as it was recorded: the
// analysis, version and SQL hash it ran, its parameters and rows (Title is
// left to the caller, who knows the registry). A run the case does not hold
// is a *store.NotFoundError.
func StoredRun(ctx context.Context, c *store.Case, runID string) (*Result, error) {
	r := Result{RunID: runID, Cached: true}
	var cols, rows, pj string
	var finished time.Time
	err := c.DB.QueryRowContext(ctx, `SELECT analysis, version, sha256, data_version, started_at, finished_at, params::VARCHAR, columns::VARCHAR, rows::VARCHAR
		FROM analysis_runs WHERE run_id = ?`, runID).
		Scan(&r.Analysis, &r.Version, &r.SHA256, &r.DataVersion, &r.RanAt, &finished, &pj, &cols, &rows)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &store.NotFoundError{What: "analysis run", ID: runID}
	}
	if err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", runID, err)
	}
	r.RanAt = r.RanAt.UTC()
	r.Duration = finished.Sub(r.RanAt)
	if err := json.Unmarshal([]byte(pj), &r.Params); err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", runID, err)
	}
	if err := json.Unmarshal([]byte(cols), &r.Columns); err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", runID, err)
	}
	if r.Rows, err = decodeRows(rows, r.Columns); err != nil {
		return nil, fmt.Errorf("queries: stored run %s: %w", runID, err)
	}
	return &r, nil
}
