package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// webBench starts `investigator serve` over the analyses bench's case, as
// its own process, and measures from this one (the load generator) the
// latency of the case overview, a stored analysis page and the address
// pivot, each with 8 concurrent clients making 50 requests in all, after a
// first request (timed too: the page computed, not kept). A static file,
// measured the same way, is the baseline of the same run.
func webBench(bin, dir string, n int, peer string) (map[string]any, error) {
	cmd := exec.Command(bin, "--cases", filepath.Join(dir, "cases"), "serve", "--addr", "127.0.0.1:0", "--offline")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	// "investiGATOR workbench on http://127.0.0.1:PORT/ (cases in …)"
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	base := regexp.MustCompile(`http://[^/ ]+`).FindString(line)
	if base == "" {
		return nil, fmt.Errorf("serve printed no address: %q", line)
	}
	go io.Copy(io.Discard, stdout)

	name := fmt.Sprintf("analyses-%d", n)
	pages := []struct{ label, path string }{
		{"static file (baseline)", "/static/app.css"},
		{"case overview", "/cases/" + name},
		{"stored analysis page", "/cases/" + name + "/analyses/ssh-inbound"},
		{"sorted, page 2", "/cases/" + name + "/analyses/ssh-inbound?sort=bytes&dir=desc&page=2"},
		{"address pivot", "/cases/" + name + "/ip/" + peer},
		{"flows of the peer", "/cases/" + name + "/flows?addr=" + peer},
		{"connection graph", "/cases/" + name + "/graph"},
		{"graph, port 443, records", "/cases/" + name + "/graph?port=443&weight=records"},
		{"graph of a window", "/cases/" + name + "/graph?start=2026-11-21T00:00:00Z&end=2026-11-21T23:59:59Z"},
		{"cases list", "/"},
		{"findings", "/cases/" + name + "/findings"},
		{"timeline", "/cases/" + name + "/timeline"},
		{"report", "/cases/" + name + "/report"},
		{"SQL console", "/cases/" + name + "/sql"},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	out := map[string]any{}
	fmt.Printf("\n%-26s %10s %10s %10s %10s %12s (serve in its own process; 8 clients, 50 requests after the first)\n", "page", "first", "p50", "p95", "max", "p95/baseline")
	var baseline time.Duration
	for _, p := range pages {
		// One request first, timed on its own: it reads the case cold (the
		// analyses bench has just ingested more into it); then the stored
		// results and the page cache exist.
		began := time.Now()
		if err := get(client, base+p.path); err != nil {
			return nil, fmt.Errorf("%s: %w", p.label, err)
		}
		first := time.Since(began)
		var mu sync.Mutex
		var took []time.Duration
		var wg sync.WaitGroup
		jobs := make(chan struct{}, 50)
		for range 50 {
			jobs <- struct{}{}
		}
		close(jobs)
		var failed error
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					began := time.Now()
					err := get(client, base+p.path)
					d := time.Since(began)
					mu.Lock()
					took = append(took, d)
					if err != nil {
						failed = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if failed != nil {
			return nil, fmt.Errorf("%s: %w", p.label, failed)
		}
		slices.Sort(took)
		p50, p95, mx := took[len(took)/2], took[len(took)*95/100-1], took[len(took)-1]
		if baseline == 0 {
			baseline = max(p95, time.Microsecond)
		}
		ratio := float64(p95) / float64(baseline)
		fmt.Printf("%-26s %10s %10s %10s %10s %12.1f\n", p.label, first.Round(time.Millisecond), p50.Round(time.Microsecond*100), p95.Round(time.Microsecond*100), mx.Round(time.Microsecond*100), ratio)
		out[p.label] = map[string]float64{"first_ms": float64(first.Microseconds()) / 1000, "p50_ms": float64(p50.Microseconds()) / 1000,
			"p95_ms": float64(p95.Microseconds()) / 1000, "p95_vs_baseline": ratio}
	}
	fmt.Println("\nbars: 150 ms a page at p95; the connection graph of the case 300 ms")
	if rss, err := peakRSS(cmd.Process.Pid); err == nil {
		fmt.Printf("serve's peak RSS: %.0f MB\n", rss)
		out["serve_peak_rss_mb"] = rss
	}
	return out, nil
}

// peakRSS is a running process's peak resident memory in MB (VmHWM).
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
