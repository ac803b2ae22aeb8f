package queries

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/store"
)

func TestScratchProfile(t *testing.T) {
	p := os.Getenv("SCRATCH_CASE")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	c, err := store.Open(ctx, p, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, _ := Load()
	only := os.Getenv("SCRATCH_ONLY")
	conn, _ := c.DB.Conn(ctx)
	defer conn.Close()
	for _, a := range reg.All() {
		if only != "" && !strings.Contains(","+only+",", ","+a.Name+",") {
			continue
		}
		mine := map[string]string{}
		if _, ok := a.Param("port"); ok {
			mine["port"] = "443"
		}
		params, _ := a.Bind(mine, time.Now())
		conn.ExecContext(ctx, "PRAGMA enable_profiling = 'json'")
		conn.ExecContext(ctx, "PRAGMA profiling_output = '/tmp/prof/"+a.Name+".json'")
		t0 := time.Now()
		rows, err := conn.QueryContext(ctx, a.Body, namedArgs(params)...)
		if err != nil {
			t.Fatal(a.Name, err)
		}
		for rows.Next() {
		}
		rows.Close()
		conn.ExecContext(ctx, "PRAGMA disable_profiling")
		t.Logf("%-22s %v", a.Name, time.Since(t0))
	}
}
