package queries

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

func TestTables(t *testing.T) {
	tables, err := Tables(context.Background(), emptyCase(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []TableInfo{{"flows", "VIEW"}, {"case_flows", "BASE TABLE"}, {"whois", "BASE TABLE"}, {"analysis_runs", "BASE TABLE"}} {
		if !slices.Contains(tables, want) {
			t.Errorf("no %v in %v", want, tables)
		}
	}
	if !slices.IsSortedFunc(tables, func(a, b TableInfo) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("not by name: %v", tables)
	}
}

// TestExamples: every example runs on a case.
func TestExamples(t *testing.T) {
	c := handCase(t, true)
	for _, e := range Examples() {
		t.Run(e.Name, func(t *testing.T) {
			if e.Title == "" || ExampleSQL(e.Name) != e.SQL {
				t.Errorf("%+v", e)
			}
			if _, _, err := Query(context.Background(), c.DB, e.SQL, 0); err != nil {
				t.Error(err)
			}
		})
	}
	if ExampleSQL("no such example") != "" {
		t.Error("an unknown example has SQL")
	}
}

func TestSandbox(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	c, err := store.Create(ctx, path, "s", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	r, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Sandbox(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM flows`,
	} {
		if _, _, err := Query(ctx, r.DB, q, 0); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		`SET enable_external_access = true`,
		`SELECT * FROM read_csv('` + path + `')`,
	} {
		if _, _, err := Query(ctx, r.DB, q, 0); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}
