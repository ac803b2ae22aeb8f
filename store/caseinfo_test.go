package store

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSetDescription(t *testing.T) {
	ctx := context.Background()
	c, err := Create(ctx, filepath.Join(t.TempDir(), "d.duckdb"), "d", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct{ name, text, want string }{
		{"set", "Web server under attack", "Web server under attack"},
		{"replaced", "Another <b>description</b>; with 'quotes'", "Another <b>description</b>; with 'quotes'"},
		{"cleared", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.SetDescription(ctx, tc.text); err != nil {
				t.Fatal(err)
			}
			info, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.Description != tc.want {
				t.Errorf("description %q, want %q", info.Description, tc.want)
			}
		})
	}
}
