package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/investigator/investigator/views"
)

// webBench serves the workbench over the analyses bench's case and measures
// the p95 latency of the case overview, a stored analysis page and the
// address pivot, each with 8 concurrent clients making 50 requests in all.
func webBench(dir string, n int, peer string) (map[string]any, error) {
	e, err := views.New(views.Options{CasesDir: filepath.Join(dir, "cases"), Program: "bench"})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	name := fmt.Sprintf("analyses-%d", n)
	pages := []struct{ label, path string }{
		{"case overview", "/cases/" + name},
		{"stored analysis page", "/cases/" + name + "/analyses/ssh-inbound"},
		{"address pivot", "/cases/" + name + "/ip/" + peer},
	}
	out := map[string]any{}
	fmt.Printf("\n%-22s %10s %10s %10s (8 clients, 50 requests)\n", "page", "p50", "p95", "max")
	for _, p := range pages {
		// One request first: the stored result and derived tables exist.
		if err := get(srv.URL + p.path); err != nil {
			return nil, fmt.Errorf("%s: %w", p.label, err)
		}
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
					err := get(srv.URL + p.path)
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
		fmt.Printf("%-22s %10s %10s %10s\n", p.label, p50.Round(time.Millisecond), p95.Round(time.Millisecond), mx.Round(time.Millisecond))
		out[p.label] = map[string]float64{"p50_ms": float64(p50.Microseconds()) / 1000, "p95_ms": float64(p95.Microseconds()) / 1000}
	}
	return out, nil
}

func get(url string) error {
	resp, err := http.Get(url)
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
