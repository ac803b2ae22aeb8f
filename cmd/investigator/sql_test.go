package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// TestPrintTables: the prompt's .tables lists the tables and views.
func TestPrintTables(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t"+store.Ext)
	c, err := store.Create(ctx, path, "t", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	a := &app{stdout: &out}
	if err := a.printTables(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAME", "KIND", "flows", "VIEW", "case_flows", "BASE TABLE", " rows in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}

// TestHelpExamples: the help texts show the example statements, which run.
func TestHelpExamples(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args    []string
		example string
	}{
		{[]string{"sql", "--help"}, "actions"},
		{[]string{"cidrs", "load", "--help"}, "ranges"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			sql := queries.ExampleSQL(tc.example)
			if sql == "" {
				t.Fatalf("no example %q", tc.example)
			}
			if r := c.mustRun(tc.args...); !strings.Contains(r.stdout, `"`+sql+`"`) {
				t.Errorf("no %q in:\n%s", sql, r.stdout)
			}
		})
	}
}
