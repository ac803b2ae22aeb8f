package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// analysesBench times every analysis on a generated case of n records with
// the provider ranges of the corpus loaded: each analysis run fresh (median
// of three), all of them in a row, and a stored result.
func analysesBench(n int, bin, dir, corpus string) (map[string]any, error) {
	casesDir := filepath.Join(dir, "cases")
	name := fmt.Sprintf("analyses-%d", n)
	path := filepath.Join(casesDir, name+".duckdb")
	out := map[string]any{"records": n}
	if _, err := os.Stat(path); err != nil {
		fmt.Printf("building a %d-record demo case ...\n", n)
		m, err := timeProcess([]string{bin, "--cases", casesDir, "demo", "--records", fmt.Sprint(n), "--case", name})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		fmt.Printf("demo case (generate, ingest, derived tables, triage): %.1fs, %.1f CPU s, peak RSS %.0f MB\n", m.Seconds, m.CPUSeconds, m.PeakRSSMB)
		out["build"] = m
	}
	home := filepath.Join(dir, "home")
	os.RemoveAll(home)
	ranges := filepath.Join(corpus, "ranges")
	if _, err := os.Stat(ranges); err == nil {
		for _, f := range []string{"aws-ip-ranges.json", "google-cloud-ip-ranges.json", "microsoft-azure-ip-ranges.json", "oracle-cloud-ip-ranges.json"} {
			if err := runCmd(bin, "cidrs", "import", "--home", home, filepath.Join(ranges, f)); err != nil {
				return nil, err
			}
		}
		for _, f := range []string{"cloudflare-v4-ip-ranges.txt", "cloudflare-v6-ip-ranges.txt"} {
			if err := runCmd(bin, "cidrs", "import", "--home", home, "--provider", "cloudflare", filepath.Join(ranges, f)); err != nil {
				return nil, err
			}
		}
		began := time.Now()
		if err := runCmd(bin, "--cases", casesDir, "cidrs", "load", "--home", home, name); err != nil {
			return nil, err
		}
		out["load_ranges_seconds"] = time.Since(began).Seconds()
	} else {
		fmt.Printf("no corpus at %s: running without provider ranges\n", corpus)
	}

	// The first answers an analyst asks for after the ingest and the ranges
	// load (which bring the derived tables up to date), as a process of its
	// own: every analysis run afresh, its peak memory with it.
	first, err := timeProcess([]string{bin, "--cases", casesDir, "--home", home, "analyze", name, "--analysis", "all", "--fresh"})
	if err != nil {
		return nil, fmt.Errorf("analyze --analysis all: %w", err)
	}
	fmt.Printf("first analyze --analysis all: %.2fs, %.2f CPU s, peak RSS %.0f MB (bar at 10M records: <= 3 s)\n", first.Seconds, first.CPUSeconds, first.PeakRSSMB)
	out["first_all"] = first

	ctx := context.Background()
	c, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	defer func() { c.Close() }() // the case is closed and opened again around the second ingest
	var prefixes int64
	c.DB.QueryRow(`SELECT count(*) FROM cidr_ranges`).Scan(&prefixes)
	out["prefixes"] = prefixes
	c.DB.Exec(`DELETE FROM enrichment_state`) // time the enrichment from scratch
	began, cpu := time.Now(), cpuTime()
	if _, err := queries.Prepare(ctx, c); err != nil {
		return nil, err
	}
	out["enrich_seconds"], out["enrich_cpu_seconds"] = time.Since(began).Seconds(), cpuTime()-cpu

	reg, err := queries.Load()
	if err != nil {
		return nil, err
	}
	given := map[string]string{"port": "443"}
	run := func(a queries.Analysis, fresh bool) (time.Duration, error) {
		mine := map[string]string{}
		if _, ok := a.Param("port"); ok {
			mine = given
		}
		params, err := a.Bind(mine, time.Now())
		if err != nil {
			return 0, err
		}
		began := time.Now()
		_, err = queries.Run(ctx, c, a, params, queries.Options{Fresh: fresh, Program: "bench"})
		return time.Since(began), err
	}
	fmt.Printf("\n%d records, %d provider prefixes; enrichment of every address: %.2fs\n\n", n, prefixes, out["enrich_seconds"])
	// Three fresh runs of each (the median), one on a case beyond 10M
	// records, where each takes long enough to stand alone.
	runs := 3
	if n > 10_000_000 {
		runs = 1
	}
	fmt.Printf("%-20s %12s %12s\n", "analysis", "fresh", "stored")
	per := map[string][2]float64{}
	worst := 0.0
	for _, a := range reg.All() {
		var times []time.Duration
		for range runs {
			d, err := run(a, true)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", a.Name, err)
			}
			times = append(times, d)
		}
		slices.Sort(times)
		med := times[len(times)/2]
		stored, err := run(a, false)
		if err != nil {
			return nil, err
		}
		per[a.Name] = [2]float64{med.Seconds(), stored.Seconds()}
		worst = max(worst, med.Seconds())
		fmt.Printf("%-20s %11.3fs %10.1fms\n", a.Name, med.Seconds(), float64(stored.Microseconds())/1000)
	}
	began, cpu = time.Now(), cpuTime()
	for _, a := range reg.All() {
		if _, err := run(a, true); err != nil {
			return nil, err
		}
	}
	all, allCPU := time.Since(began).Seconds(), cpuTime()-cpu
	fmt.Printf("\nall %d analyses in a row: %.2fs, %.2f CPU s (bar: <= 5 s); slowest single analysis %.3fs (bar: <= 1 s)\n", len(reg.All()), all, allCPU, worst)
	out["analyses"], out["all_seconds"], out["all_cpu_seconds"], out["worst_seconds"] = per, all, allCPU, worst

	// Triage as an analyst meets it after an ingest (which keeps the
	// derived tables): every detection run and its rows recorded; then
	// again, answered from the stored runs.
	began, cpu = time.Now(), cpuTime()
	res, err := queries.Triage(ctx, c, reg, queries.TriageOptions{Analyst: "bench", Program: "bench", Fresh: true})
	if err != nil {
		return nil, err
	}
	fresh, freshCPU := time.Since(began).Seconds(), cpuTime()-cpu
	began = time.Now()
	if _, err := queries.Triage(ctx, c, reg, queries.TriageOptions{Analyst: "bench", Program: "bench"}); err != nil {
		return nil, err
	}
	stored := time.Since(began).Seconds()
	fmt.Printf("\n%-22s %10s %6s\n", "detection", "fresh", "rows")
	perDet := map[string]float64{}
	for _, r := range res.Runs {
		perDet[r.Detection] = r.Took.Seconds()
		fmt.Printf("%-22s %9.3fs %6d\n", r.Detection, r.Took.Seconds(), r.Rows)
	}
	fmt.Printf("\ntriage after an ingest: %.2fs, %.2f CPU s (bar: <= 3 s); from stored runs: %.0fms (bar: <= 100 ms); %d findings\n",
		fresh, freshCPU, stored*1000, len(res.Findings))
	out["triage_fresh_seconds"], out["triage_fresh_cpu_seconds"], out["triage_stored_seconds"], out["triage_detections"] = fresh, freshCPU, stored, perDet

	// An hour's worth of records more (the demo spreads its records over
	// three days), as a second ingest: what it costs with the derived
	// tables it extends, and the first overview after it. Into a copy of
	// the case, which a later run would find holding them already.
	c.Close()
	more := filepath.Join(dir, "more")
	os.RemoveAll(more)
	hour := max(n/72, 1000)
	if err := runCmd(bin, "demo", "--out", more, "--records", fmt.Sprint(hour), "--days", "1", "--seed", "100"); err != nil {
		return nil, err
	}
	copyName := name + "-more"
	copyPath := filepath.Join(casesDir, copyName+".duckdb")
	if err := copyFile(path, copyPath); err != nil {
		return nil, err
	}
	defer os.Remove(copyPath)
	began = time.Now()
	if err := runCmd(bin, "--cases", casesDir, "ingest", copyName, filepath.Join(more, "flowlogs")); err != nil {
		return nil, err
	}
	again := time.Since(began).Seconds()
	if c, err = store.Open(ctx, copyPath, store.Options{}); err != nil {
		return nil, err
	}
	defer c.Close()
	began = time.Now()
	stale, err := queries.Stale(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := queries.Overview(ctx, c); err != nil {
		return nil, err
	}
	overview := time.Since(began).Seconds()
	fmt.Printf("\ningest of %d more records: %.2fs, derived tables kept (stale after it: %v); first overview counts after it: %.0fms (bar: <= 500 ms)\n",
		hour, again, stale, overview*1000)
	out["more_records"], out["more_ingest_seconds"], out["overview_after_ingest_seconds"] = hour, again, overview
	return out, nil
}

// cpuTime is the user and system time this process has used so far, the
// engine's threads included.
func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func runCmd(bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// copyFile copies the file at from to to.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
