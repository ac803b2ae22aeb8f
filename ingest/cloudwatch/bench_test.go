package cloudwatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// BenchmarkPull1M pulls 1,000,000 events through a fake that answers each
// request after 50 ms and enforces 5 requests per second (a token bucket
// with a one-second burst, as AWS quotas are) in full pages of 10,000: the
// quota's ceiling is 5 × 10,000 = 50,000 events/s. It reports events/s and
// the share of that ceiling, at the default rate (the full quota, 5 requests/s)
// and at 4.5 requests/s, which leaves headroom for other clients.
//
//	go test -run '^$' -bench Pull1M ./ingest/cwlogs/
func BenchmarkPull1M(b *testing.B) {
	const (
		events  = 1_000_000
		hours   = 10
		quota   = 5.0
		page    = 10_000
		latency = 50 * time.Millisecond
	)
	// 100,000 events in each hour: ten slices of ten full pages.
	g := newFlowGen(3, 8)
	var evs []fakeEvent
	for h := range hours {
		from := t0.Add(time.Duration(h) * time.Hour).UnixMilli()
		evs = append(evs, g.events(from, from+time.Hour.Milliseconds(), events/hours)...)
	}
	for _, r := range []float64{DefaultRate, 4.5} {
		b.Run(fmt.Sprintf("rate=%g", r), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFake(map[string][]fakeEvent{group: evs})
				f.pageSize, f.latency, f.limiter = page, latency, rate.NewLimiter(quota, int(quota))
				api := f.serve(b)
				c := newCase(b)
				o := Options{LogGroup: group, Start: t0, End: t0.Add(hours*time.Hour - time.Second), Rate: r}
				b.StartTimer()
				began := time.Now()
				sum, err := pull(b, context.Background(), c, api, o)
				took := time.Since(began)
				if err != nil {
					b.Fatal(err)
				}
				if sum.Events != events {
					b.Fatalf("%d events, want %d", sum.Events, events)
				}
				eps := float64(sum.Events) / took.Seconds()
				b.ReportMetric(eps, "events/s")
				b.ReportMetric(100*eps/(quota*page), "%ceiling")
				b.ReportMetric(float64(sum.Requests), "requests")
				b.ReportMetric(float64(sum.Throttled), "throttled")
				b.Logf("%s in %s: %.0f events/s, %.1f%% of the quota's ceiling", sum, took.Round(time.Millisecond), eps, 100*eps/(quota*page))
			}
		})
	}
}
