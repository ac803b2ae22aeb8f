// Package queries holds the analyses: one versioned SQL file each, embedded in
// the binary, with a strict header (name, version, title, description, typed
// parameters). It binds parameters, keeps the case's address enrichment up to
// date, runs an analysis inside the case, and records every run with its
// result, so the same question on unchanged data is answered from the case.
package queries

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Registry is the set of analyses, by name.
type Registry struct {
	byName map[string]Analysis
	names  []string
}

// Load parses every embedded analysis. One bad file fails the load: the
// binary must not start with an analysis it cannot run.
func Load() (*Registry, error) {
	return load(files)
}

func load(fsys fs.FS) (*Registry, error) {
	entries, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	r := &Registry{byName: map[string]Analysis{}}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, e)
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		a, err := ParseAnalysis(strings.TrimSuffix(path.Base(e), ".sql"), string(b))
		if err != nil {
			return nil, err
		}
		if err := checkParams(a); err != nil {
			return nil, err
		}
		r.byName[a.Name] = a
		r.names = append(r.names, a.Name)
	}
	sort.Strings(r.names)
	return r, nil
}

// checkParams makes the declared parameters and the ones the SQL uses agree.
func checkParams(a Analysis) error {
	used := usedParams(a.Body)
	for _, u := range used {
		if _, ok := a.Param(u); !ok {
			return fmt.Errorf("queries: %s.sql uses $%s but does not declare it", a.Name, u)
		}
	}
	for _, p := range a.Params {
		found := false
		for _, u := range used {
			found = found || u == p.Name
		}
		if !found {
			return fmt.Errorf("queries: %s.sql declares %s but never uses $%s", a.Name, p.Name, p.Name)
		}
	}
	return nil
}

// Get returns the analysis called name.
func (r *Registry) Get(name string) (Analysis, bool) {
	a, ok := r.byName[name]
	return a, ok
}

// All returns every analysis, by name.
func (r *Registry) All() []Analysis {
	out := make([]Analysis, len(r.names))
	for i, n := range r.names {
		out[i] = r.byName[n]
	}
	return out
}

// Names lists the analyses' names.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }
