package queries

import (
	"context"
	"fmt"
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

func TestScratchRunOverhead(t *testing.T) {
	p := os.Getenv("SCRATCH_CASE")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	c, err := store.Open(ctx, p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, _ := Load()
	var tq, tt time.Duration
	for _, a := range reg.All() {
		if a.Name == "port-specific" {
			continue
		}
		params, _ := a.Bind(nil, time.Now())
		t0 := time.Now()
		d, _ := c.Derive(ctx)
		t1 := time.Now()
		r, err := runOn(ctx, c, c.DB, a, params, Options{Fresh: true, Program: "x"}, d.DataVersion)
		if err != nil {
			t.Fatal(err)
		}
		all := time.Since(t0)
		tq += r.Duration
		tt += all
		t.Logf("%-22s derive %v query %v total %v rows %d", a.Name, t1.Sub(t0), r.Duration, all, len(r.Rows))
	}
	t.Logf("query %v total %v", tq, tt)
}

func TestScratchRecord(t *testing.T) {
	p := os.Getenv("SCRATCH_CASE")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	c, err := store.Open(ctx, p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, _ := Load()
	a, _ := reg.Get("coverage-gaps")
	params, _ := a.Bind(nil, time.Now())
	d, _ := c.Derive(ctx)
	r, _ := runOn(ctx, c, c.DB, a, params, Options{Fresh: true, Program: "x"}, d.DataVersion)
	tx, _ := c.DB.BeginTx(ctx, nil)
	t00 := time.Now()
	for i := 0; i < 5; i++ {
		r.RunID = newRunID(time.Now()) + fmt.Sprint(i) + "tx"
		if err := record(ctx, tx, r, "{}", "x"); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	t.Logf("5 in a tx %v", time.Since(t00))
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		r.RunID = newRunID(time.Now()) + fmt.Sprint(i)
		if err := record(ctx, c.DB, r, "{}", "x"); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		c.Derive(ctx)
		t.Logf("record %v derive %v", t1.Sub(t0), time.Since(t1))
	}
}
