// Command bench measures ingest end to end: it generates a large gzip flow
// log in the default format, ingests it with bin/investigator, loads the same
// file with a bare DuckDB read_csv, and reports records/s, the ratio of the two
// and the peak memory of each, measured in the same run. With -tree it times
// a delivery tree of small objects, from a local folder and from S3, against
// one file of the same records; with -analyses, the analyses.
//
//	go run ./bench -records 5000000 -bin bin/investigator
//	go run ./bench -tree -tree-objects 2000 -tree-records 500 -bin bin/investigator
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/internal/corpus"
)

func main() {
	records := flag.Int("records", 5_000_000, "records in the generated file")
	bin := flag.String("bin", "bin/investigator", "the investigator binary")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "investigator-bench"), "work folder (the generated file is kept for reuse)")
	out := flag.String("json", "", "also write the results as JSON to this file")
	bare := flag.String("bare", "", "internal: load this file with a bare read_csv into a fresh database and exit")
	analyses := flag.Bool("analyses", false, "time the analyses on a generated case instead of ingest")
	web := flag.Bool("web", false, "with -analyses: then time the workbench's pages on the same case; alone: only the pages, over the case an earlier -analyses run left")
	corpus := flag.String("corpus", corpus.Dir(), "the third-party corpus (provider ranges)")
	tree := flag.Bool("tree", false, "time a delivery tree of small objects (local and from S3) against one file of the same records instead")
	treeObjects := flag.Int("tree-objects", 2000, "with -tree: objects in the tree")
	treePer := flag.Int("tree-records", 500, "with -tree: records per object")
	treeRuns := flag.Int("tree-runs", 3, "with -tree: runs of each ingest (the median is reported)")
	flag.Parse()
	const peer = "45.61.210.36" // the demo's exfiltration peer, whose pivot and flows are timed
	var res any
	var err error
	switch {
	case *tree:
		res, err = treeBench(*treeObjects, *treePer, max(*treeRuns, 1), *bin, *dir)
	case *analyses:
		var r map[string]any
		if r, err = analysesBench(*records, *bin, *dir, *corpus); err == nil && *web {
			r["web"], err = webBench(*bin, *dir, *records, peer)
		}
		res = r
	case *web:
		// The pages alone, over the case an earlier -analyses run left.
		res, err = webBench(*bin, *dir, *records, peer)
	case *bare != "":
		err = bareLoad(*bare, flag.Arg(0))
	default:
		err = run(*records, *bin, *dir, *out) // writes its own JSON
	}
	if err == nil && res != nil && *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type measure struct {
	Name      string  `json:"name"`
	Seconds   float64 `json:"seconds"`
	RecordsPS float64 `json:"records_per_second"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// CPUSeconds is the user and system time of the process: on a busy
	// machine, a steadier measure of the work than the wall clock.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
}

func run(records int, bin, dir, out string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	log := filepath.Join(dir, fmt.Sprintf("flows-%d.log.gz", records))
	if _, err := os.Stat(log); err != nil {
		fmt.Printf("generating %d records into %s ...\n", records, log)
		if err := generate(log, records); err != nil {
			return err
		}
	}
	st, _ := os.Stat(log)
	fmt.Printf("input: %s (%.0f MB gzip, %d records, default format with header)\n\n", log, float64(st.Size())/1e6, records)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []measure
	for _, m := range []struct {
		name string
		args []string
		path string
	}{
		{"bare DuckDB read_csv", []string{self, "-bare", log}, filepath.Join(dir, "bare.duckdb")},
		{"investigator ingest", []string{bin, "--cases", dir, "ingest", "bench", log}, filepath.Join(dir, "bench.duckdb")},
	} {
		os.Remove(m.path)
		os.Remove(m.path + ".wal")
		args := m.args
		if m.name == "bare DuckDB read_csv" {
			args = append(args, m.path)
		}
		r, err := timeProcess(args)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		r.Name = m.name
		r.RecordsPS = float64(records) / r.Seconds
		results = append(results, r)
		os.Remove(m.path)
	}
	fmt.Printf("%-24s %10s %10s %14s %12s\n", "", "seconds", "CPU s", "records/s", "peak RSS")
	for _, r := range results {
		fmt.Printf("%-24s %10.2f %10.2f %14.0f %9.0f MB\n", r.Name, r.Seconds, r.CPUSeconds, r.RecordsPS, r.PeakRSSMB)
	}
	ratio := results[1].Seconds / results[0].Seconds
	fmt.Printf("\nratio ours/bare: %.2f (bar: <= 1.3); ours: %.0f records/s (bar: >= 500,000); peak RSS %.0f MB (bar: <= 2048)\n",
		ratio, results[1].RecordsPS, results[1].PeakRSSMB)
	if out != "" {
		b, _ := json.MarshalIndent(map[string]any{"records": records, "results": results, "ratio": ratio}, "", "  ")
		return os.WriteFile(out, b, 0o644)
	}
	return nil
}

func timeProcess(args []string) (measure, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return measure{}, err
	}
	m := measure{Seconds: time.Since(began).Seconds()}
	m.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.PeakRSSMB = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return m, nil
}

func open(path string) (*sql.DB, error) {
	return sql.Open("duckdb", path+"?autoinstall_known_extensions=false&autoload_known_extensions=false")
}

// bareLoad is the baseline: what an analyst would type into the duckdb shell.
func bareLoad(log, path string) error {
	db, err := open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(context.Background(), fmt.Sprintf(`CREATE TABLE flows AS SELECT * FROM read_csv('%s', delim = ' ', header = true)`, log))
	return err
}

// generate writes a default-format flow log with realistic variety: a few
// dozen interfaces, private and public peers, common and ephemeral ports,
// NODATA records, both actions.
func generate(path string, n int) error {
	db, err := open("")
	if err != nil {
		return err
	}
	defer db.Close()
	// Public peers come from a pool of about 200,000 addresses, as an
	// internet-facing VPC sees over a few days.
	if _, err := db.Exec(`CREATE MACRO peer(h) AS (h % 200003 % 200 + 20) || '.' || (h % 200003 // 200 % 250) || '.' ||
		(h % 200003 // 50000) || '.' || (h % 200003 % 251 + 1)`); err != nil {
		return err
	}
	_, err = db.Exec(fmt.Sprintf(`COPY (
		SELECT 2 AS "version", '123456789012' AS "account-id",
			'eni-' || lpad(to_hex(i %% 40), 17, '0') AS "interface-id",
			CASE WHEN i %% 97 = 0 THEN '-' WHEN i %% 2 = 0 THEN '10.0.' || (i %% 8) || '.' || (i %% 250 + 1) ELSE peer(i * 2654435761) END AS "srcaddr",
			CASE WHEN i %% 97 = 0 THEN '-' WHEN i %% 2 = 1 THEN '10.0.' || (i %% 8) || '.' || (i %% 250 + 1) ELSE peer(i * 40503) END AS "dstaddr",
			CASE WHEN i %% 97 = 0 THEN '-' ELSE CAST(1024 + (i * 37) %% 64000 AS VARCHAR) END AS "srcport",
			CASE WHEN i %% 97 = 0 THEN '-' ELSE CAST([443, 80, 22, 53, 3389, 5432, 8080, 123][1 + i %% 8] AS VARCHAR) END AS "dstport",
			CASE WHEN i %% 97 = 0 THEN '-' ELSE CAST([6, 6, 6, 17, 1][1 + i %% 5] AS VARCHAR) END AS "protocol",
			CASE WHEN i %% 97 = 0 THEN '-' ELSE CAST(1 + i %% 300 AS VARCHAR) END AS "packets",
			CASE WHEN i %% 97 = 0 THEN '-' ELSE CAST(40 + (i * 131) %% 1500000 AS VARCHAR) END AS "bytes",
			1700000000 + i // 20 AS "start", 1700000060 + i // 20 AS "end",
			CASE WHEN i %% 97 = 0 THEN '-' WHEN i %% 9 = 0 THEN 'REJECT' ELSE 'ACCEPT' END AS "action",
			CASE WHEN i %% 97 = 0 THEN 'NODATA' ELSE 'OK' END AS "log-status"
		FROM range(%d) t(i)
	) TO '%s' (FORMAT csv, DELIMITER ' ', HEADER true, QUOTE '', COMPRESSION gzip)`, n, path))
	return err
}
