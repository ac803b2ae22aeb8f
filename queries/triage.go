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

// TriageOptions control a triage.
type TriageOptions struct {
	Analyst string // who the findings are recorded by (store.Analyst)
	Program string // recorded with the runs
	Fresh   bool   // run the detections again even when stored results exist
	// Progress, when set, is called before each detection runs.
	Progress func(detection string, done, total int)
}

// TriageRun is what one detection did.
type TriageRun struct {
	Detection string        `json:"detection"`
	Version   int           `json:"version"`
	RunID     string        `json:"run_id"`
	Cached    bool          `json:"cached"`
	Rows      int           `json:"rows"`
	New       int           `json:"new"`
	Updated   int           `json:"updated"`
	Reopened  int           `json:"reopened"`
	Unchanged int           `json:"unchanged"`
	Took      time.Duration `json:"took_ns"`
}

// TriageResult is what a triage did, and the findings its detections hold.
type TriageResult struct {
	Runs     []TriageRun     `json:"runs"`
	Findings []store.Finding `json:"findings"`
}

// triagedBefore reports whether the stored run of a detection on the data
// dv was triaged before, and what that triage run looks like now: every
// row unchanged.
func triagedBefore(ctx context.Context, c *store.Case, a Analysis, params map[string]any, dv string) (TriageRun, bool, error) {
	tr := TriageRun{Detection: a.Name, Version: a.Version, Cached: true}
	pj, err := json.Marshal(canonical(params))
	if err != nil {
		return tr, false, fmt.Errorf("queries: %w", err)
	}
	id, rows, err := latestRun(ctx, c, a, string(pj), dv)
	if errors.Is(err, sql.ErrNoRows) {
		return tr, false, nil
	}
	if err != nil {
		return tr, false, err
	}
	done, err := c.Triaged(ctx, id)
	tr.RunID, tr.Rows, tr.Unchanged = id, rows, rows
	return tr, done, err
}

// Detections lists the registry's detections, by name.
func (r *Registry) Detections() []Analysis {
	var out []Analysis
	for _, a := range r.All() {
		if a.Detection != nil {
			out = append(out, a)
		}
	}
	return out
}

// Triage runs every detection (answered from stored runs when the data is
// unchanged) and records each row of their results as a finding of source
// detection: the same detection and subjects update the same finding, so a
// second triage adds nothing; a dismissed finding stays dismissed unless
// its evidence grew. The case must be open for writing.
func Triage(ctx context.Context, c *store.Case, reg *Registry, o TriageOptions) (TriageResult, error) {
	var out TriageResult
	dets := reg.Detections()
	now := time.Now()
	// The derived tables once for every detection: triage changes no data.
	d, err := c.Derive(ctx)
	if err != nil {
		return out, err
	}
	dv := d.DataVersion
	for i, a := range dets {
		if o.Progress != nil {
			o.Progress(a.Name, i, len(dets))
		}
		began := time.Now()
		params, err := a.Bind(nil, now)
		if err != nil {
			return out, fmt.Errorf("queries: triage: %w", err)
		}
		// A stored run triaged before changes nothing: the usual second
		// triage on unchanged data, answered without reading its rows.
		if !o.Fresh {
			tr, done, err := triagedBefore(ctx, c, a, params, dv)
			if err != nil {
				return out, err
			}
			if done {
				tr.Took = time.Since(began)
				out.Runs = append(out.Runs, tr)
				continue
			}
		}
		r, err := runOn(ctx, c, c.DB, a, params, Options{Fresh: o.Fresh, Program: o.Program}, dv)
		if err != nil {
			return out, err
		}
		if err := a.Detection.CheckColumns(a.Name, r.Columns); err != nil {
			return out, err
		}
		tr := TriageRun{Detection: a.Name, Version: a.Version, RunID: r.RunID, Cached: r.Cached, Rows: len(r.Rows)}
		// Not triaged before: a new run, or a stored one triage has not
		// gone through.
		rows := make([]store.DetectionRow, len(r.Rows))
		for j := range r.Rows {
			if rows[j], err = a.Detection.Candidate(a, r, j); err != nil {
				return out, err
			}
		}
		outcomes, err := c.RecordDetections(ctx, o.Analyst, r.RunID, rows)
		if err != nil {
			return out, fmt.Errorf("queries: triage: %s: %w", a.Name, err)
		}
		for _, oc := range outcomes {
			switch oc.Outcome {
			case store.DetectionNew:
				tr.New++
			case store.DetectionUpdated:
				tr.Updated++
			case store.DetectionReopened:
				tr.Reopened++
			default:
				tr.Unchanged++
			}
		}
		tr.Took = time.Since(began)
		out.Runs = append(out.Runs, tr)
	}
	out.Findings, err = c.Findings(ctx, store.FindingFilter{Source: store.FromDetection})
	return out, err
}
