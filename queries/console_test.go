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

func TestSchema(t *testing.T) {
	c := handCase(t, true)
	schema, err := Schema(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := Tables(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// The same tables and views as Tables, each with its columns in order.
	if len(schema) != len(tables) {
		t.Fatalf("%d tables in the schema, %d listed", len(schema), len(tables))
	}
	byName := map[string]TableSchema{}
	for i, s := range schema {
		if s.TableInfo != tables[i] {
			t.Errorf("schema %d is %v, want %v", i, s.TableInfo, tables[i])
		}
		if len(s.Columns) == 0 {
			t.Errorf("%s has no columns", s.Name)
		}
		byName[s.Name] = s
	}
	flows := byName["flows"]
	if flows.Kind != "VIEW" || flows.About == "" {
		t.Errorf("flows: %+v", flows.TableInfo)
	}
	want := []SchemaColumn{{"version", "INTEGER"}, {"account_id", "VARCHAR"}, {"interface_id", "VARCHAR"}, {"srcaddr", "VARCHAR"}}
	if len(flows.Columns) < len(want) || !slices.Equal(flows.Columns[:len(want)], want) {
		t.Errorf("flows columns start %v, want %v", flows.Columns[:min(len(want), len(flows.Columns))], want)
	}
	for _, col := range flows.Columns {
		if col.Name == "start" && col.Type != "TIMESTAMP" || col.Name == "bytes" && col.Type != "BIGINT" {
			t.Errorf("flows.%s is %s", col.Name, col.Type)
		}
	}
	if byName["case_flows"].Kind != "BASE TABLE" {
		t.Errorf("case_flows: %+v", byName["case_flows"].TableInfo)
	}
	for name := range tableAbout {
		if _, ok := byName[name]; !ok {
			t.Errorf("tableAbout describes %q, which the case does not have", name)
		}
	}
}
