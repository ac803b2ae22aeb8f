package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// treeBench measures a delivery tree against one file of the same records,
// in the same run: objects objects of per records each, written as AWS
// delivers them to S3 (a header, gzip, day folders, the account_vpcflowlogs
// _region_fl-…_YYYYMMDDTHHmmZ_hash.log.gz names), ingested from the local
// folder, and pulled from S3 (gofakes3 in this process, over HTTP) by
// `investigator ingest --s3`; the same records in one file are the
// baseline. Each ingest goes into a new case; the three take turns, runs
// times.
func treeBench(objects, per, runs int, bin, dir string) (map[string]any, error) {
	records := objects * per
	single := filepath.Join(dir, fmt.Sprintf("flows-%d.log.gz", records))
	if _, err := os.Stat(single); err != nil {
		fmt.Printf("generating %d records into %s ...\n", records, single)
		if err := generate(single, records); err != nil {
			return nil, err
		}
	}
	treeDir := filepath.Join(dir, fmt.Sprintf("tree-%dx%d", objects, per))
	if _, err := os.Stat(treeDir); err != nil {
		fmt.Printf("splitting it into %d objects of %d records under %s ...\n", objects, per, treeDir)
		if err := splitTree(single, treeDir+".tmp", per); err != nil {
			return nil, err
		}
		if err := os.Rename(treeDir+".tmp", treeDir); err != nil {
			return nil, err
		}
	}
	keys, err := treeKeys(treeDir)
	if err != nil {
		return nil, err
	}
	if len(keys) != objects {
		return nil, fmt.Errorf("%s holds %d objects, want %d: remove it", treeDir, len(keys), objects)
	}

	// S3: the same objects under the same keys in gofakes3.
	backend := s3mem.New()
	const bucket = "bench-flow-logs"
	if err := backend.CreateBucket(bucket); err != nil {
		return nil, err
	}
	for _, k := range keys {
		data, err := os.ReadFile(filepath.Join(treeDir, filepath.FromSlash(k)))
		if err != nil {
			return nil, err
		}
		if _, err := backend.PutObject(bucket, k, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			return nil, err
		}
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(backend).Server())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	defer srv.Close()
	s3env := []string{"AWS_ENDPOINT_URL_S3=" + srv.URL, "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}

	casesDir := filepath.Join(dir, "tree-cases")
	os.RemoveAll(casesDir)
	defer os.RemoveAll(casesDir)
	runsOf := map[string][]measure{}
	var names []string
	for rep := range runs {
		for _, m := range []struct {
			name string
			args []string
			env  []string
		}{
			{"one file", []string{"ingest", "one", single}, nil},
			{"local tree", []string{"ingest", "tree", treeDir}, nil},
			{"S3 pull (gofakes3)", []string{"ingest", "pull", "--s3", "s3://" + bucket + "/", "--start", "2023-11-14T00:00:00Z", "--end", "2023-11-16T00:00:00Z"}, s3env},
		} {
			if rep == 0 {
				names = append(names, m.name)
			}
			os.RemoveAll(casesDir)
			args := append([]string{"--cases", casesDir}, m.args...)
			if os.Getenv("BENCH_DEBUG") != "" {
				args = append([]string{"--debug"}, args...)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), m.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			began := time.Now()
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("%s: %w\n%s", m.name, err, tail(out.String()))
			}
			r := measure{Name: m.name, Seconds: time.Since(began).Seconds()}
			// what it said, for a look afterwards
			os.WriteFile(filepath.Join(dir, "tree-"+m.args[1]+".log"), out.Bytes(), 0o644) //nolint:errcheck // a convenience
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				r.PeakRSSMB = float64(ru.Maxrss) / 1024
				r.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
			}
			if got := ingestedRecords(out.String()); got != int64(records) {
				return nil, fmt.Errorf("%s ingested %d records, want %d:\n%s", m.name, got, records, tail(out.String()))
			}
			r.RecordsPS = float64(records) / r.Seconds
			runsOf[m.name] = append(runsOf[m.name], r)
		}
	}
	// The median of the runs (they go in turn, so that a busy moment of the
	// machine falls on all three alike), the highest peak.
	var results []measure
	for _, name := range names {
		rs := runsOf[name]
		slices.SortFunc(rs, func(a, b measure) int { return cmp.Compare(a.Seconds, b.Seconds) })
		m := rs[len(rs)/2]
		for _, r := range rs {
			m.PeakRSSMB = max(m.PeakRSSMB, r.PeakRSSMB)
		}
		results = append(results, m)
	}
	fmt.Printf("\n%d objects × %d records against the same %d records in one file (median of %d runs):\n", objects, per, records, runs)
	fmt.Printf("%-24s %10s %14s %12s %12s\n", "", "seconds", "records/s", "CPU seconds", "peak RSS")
	for _, r := range results {
		fmt.Printf("%-24s %10.2f %14.0f %12.2f %9.0f MB\n", r.Name, r.Seconds, r.RecordsPS, r.CPUSeconds, r.PeakRSSMB)
	}
	treeRatio := results[1].RecordsPS / results[0].RecordsPS
	s3Ratio := results[2].RecordsPS / results[1].RecordsPS
	treeCPU := results[0].CPUSeconds / results[1].CPUSeconds
	fmt.Printf("\ntree / one file: %.2f (bar: >= 0.5); S3 pull / local tree: %.2f; records per CPU second, tree / one file: %.2f\n",
		treeRatio, s3Ratio, treeCPU)
	return map[string]any{"objects": objects, "records_per_object": per, "results": results,
		"tree_over_file": treeRatio, "s3_over_tree": s3Ratio, "tree_over_file_cpu": treeCPU}, nil
}

// splitTree writes the records of a generated file (a header, then records
// whose start only grows) as objects of per records each, named and
// folded as AWS's S3 delivery does, each stamped with its first record's
// start.
func splitTree(src, dir string, per int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return fmt.Errorf("%s is empty", src)
	}
	header := sc.Text()
	var batch []string
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		start, err := strconv.ParseInt(strings.Fields(batch[0])[10], 10, 64)
		if err != nil {
			return fmt.Errorf("object %d: start: %w", n, err)
		}
		t := time.Unix(start, 0).UTC()
		name := fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/%s/123456789012_vpcflowlogs_us-east-1_fl-0%016x_%s_%08x.log.gz",
			t.Format("2006/01/02"), n%40, t.Format("20060102T1504Z"), n)
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(header + "\n" + strings.Join(batch, "\n") + "\n"))
		zw.Close()
		n++
		batch = batch[:0]
		return os.WriteFile(p, b.Bytes(), 0o644)
	}
	for sc.Scan() {
		batch = append(batch, sc.Text())
		if len(batch) == per {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// treeKeys are the files under dir, slash-separated and relative.
func treeKeys(dir string) ([]string, error) {
	var keys []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		keys = append(keys, filepath.ToSlash(rel))
		return err
	})
	return keys, err
}

// ingestedRecords reads the records count off the ingest's summary line
// ("1000000 records from 2000 files into tree in 1.9s ...").
func ingestedRecords(out string) int64 {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == "records" && f[2] == "from" {
			n, _ := strconv.ParseInt(strings.ReplaceAll(f[0], ",", ""), 10, 64)
			return n
		}
	}
	return -1
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
