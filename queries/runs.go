package queries

import (
	"context"
	"fmt"
	"time"

	"github.com/investigator/investigator/store"
)

// RunInfo is one recorded run, without its rows.
type RunInfo struct {
	RunID    string        `json:"run_id"`
	Analysis string        `json:"analysis"`
	Version  int           `json:"version"`
	SHA256   string        `json:"sha256"`
	Params   string        `json:"params"`
	Rows     int64         `json:"rows"`
	RanAt    time.Time     `json:"ran_at"`
	Took     time.Duration `json:"took_ns"`
	Program  string        `json:"program"`
}

// Runs lists the case's recorded runs, newest first.
func Runs(ctx context.Context, c *store.Case) ([]RunInfo, error) {
	return runs(ctx, c, "", 0)
}

// RunHistory lists the last runs of one analysis, newest first; limit > 0
// keeps the newest limit.
func RunHistory(ctx context.Context, c *store.Case, analysis string, limit int) ([]RunInfo, error) {
	return runs(ctx, c, analysis, limit)
}

// runs lists the runs of analysis ("": of all), newest first, at most limit
// (0: all).
func runs(ctx context.Context, c *store.Case, analysis string, limit int) ([]RunInfo, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT run_id, analysis, version, sha256, params::VARCHAR, row_count, started_at, finished_at, program
		FROM analysis_runs WHERE ? = '' OR analysis = ? ORDER BY id DESC LIMIT ?`, analysis, analysis, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("queries: runs: %w", err)
	}
	defer rows.Close()
	out := []RunInfo{}
	for rows.Next() {
		var r RunInfo
		var finished time.Time
		if err := rows.Scan(&r.RunID, &r.Analysis, &r.Version, &r.SHA256, &r.Params, &r.Rows, &r.RanAt, &finished, &r.Program); err != nil {
			return nil, fmt.Errorf("queries: runs: %w", err)
		}
		r.RanAt = r.RanAt.UTC()
		r.Took = finished.Sub(r.RanAt).Round(time.Millisecond)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: runs: %w", err)
	}
	return out, nil
}
