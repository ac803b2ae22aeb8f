package views

import (
	"net/http"
	"strings"
	"testing"
)

func TestOverviewCharts(t *testing.T) {
	e, _ := newFocusServer(t)

	t.Run("stale: timeline only", func(t *testing.T) {
		r := get(t, e, "/cases/demo")
		if r.code != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.code, r.body)
		}
		svg := r.doc.Find(`svg[data-testid="chart-timeline"]`)
		if svg.Length() != 1 {
			t.Fatalf("no timeline:\n%s", r.body)
		}
		if role, _ := svg.Attr("role"); role != "img" {
			t.Errorf("role %q", role)
		}
		if label, _ := svg.Attr("aria-label"); label == "" {
			t.Error("no aria-label")
		}
		if r.doc.Find(`[data-testid="charts-stale"]`).Length() != 1 {
			t.Error("no stale note")
		}
		if r.doc.Find(`[data-testid="chart-peers"], [data-testid="chart-ports"]`).Length() != 0 {
			t.Error("peers or ports shown from stale tables")
		}
	})

	// An analysis run rebuilds case_flows.
	if a := get(t, e, "/cases/demo/analyses/traffic-summary"); a.code != http.StatusOK {
		t.Fatalf("analysis status %d:\n%s", a.code, a.body)
	}

	r := get(t, e, "/cases/demo")
	if r.code != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.code, r.body)
	}
	if r.doc.Find(`[data-testid="charts-stale"]`).Length() != 0 {
		t.Fatal("still stale")
	}

	t.Run("timeline", func(t *testing.T) {
		bars := r.doc.Find(`svg[data-testid="chart-timeline"] [data-testid="timeline-bar"]`)
		// Starts at +0 s (one ACCEPT, one REJECT) and +100 s (one ACCEPT).
		if bars.Length() != 2 {
			t.Fatalf("%d timeline bars, want 2:\n%s", bars.Length(), r.body)
		}
		first := bars.First()
		if first.Find("rect.accept").Length() != 1 || first.Find("rect.reject").Length() != 1 {
			t.Errorf("first bar not stacked: %s", first.Text())
		}
		if title := first.Find("title").Text(); !strings.Contains(title, "1 accepted, 1 rejected") {
			t.Errorf("title %q", title)
		}
		if got := text(r, `[data-testid="chart-timeline-max"]`); got != "2" {
			t.Errorf("y max %q", got)
		}
		if n := r.doc.Find(`svg[data-testid="chart-timeline"] .axis text`).Length(); n < 3+2 {
			t.Errorf("%d axis labels", n)
		}
	})

	t.Run("peers", func(t *testing.T) {
		svg := r.doc.Find(`svg[data-testid="chart-peers"]`)
		if n := svg.Find(`[data-testid="bar"]`).Length(); n != 2 {
			t.Fatalf("%d peer bars, want 2:\n%s", n, r.body)
		}
		link := svg.Find(`[data-testid="bar-link"]`).First()
		if href, _ := link.Attr("href"); href != "/cases/demo/ip/203.0.113.9" {
			t.Errorf("top peer link %q", href)
		}
		if title := svg.Find("title").First().Text(); title != "203.0.113.9: 2 flows" {
			t.Errorf("title %q", title)
		}
	})

	t.Run("ports", func(t *testing.T) {
		svg := r.doc.Find(`svg[data-testid="chart-ports"]`)
		if n := svg.Find(`[data-testid="bar"]`).Length(); n != 3 {
			t.Fatalf("%d port bars, want 3:\n%s", n, r.body)
		}
		if role, _ := svg.Attr("role"); role != "img" {
			t.Errorf("role %q", role)
		}
	})
}

func TestNiceBucket(t *testing.T) {
	for in, want := range map[int64]int64{0: 1, 1: 1, 3: 5, 61: 120, 4320: 7200, 86400: 86400, 90000: 172800} {
		if got := niceBucket(in); got != want {
			t.Errorf("niceBucket(%d) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"/tmp/x/AWSLogs/1/vpcflowlogs/a.log.gz": "…/a.log.gz", "s3://b/k/obj.gz#etag": "…/obj.gz#etag", "upload:a.log": "upload:a.log", "dir/": "dir/",
	} {
		if got := shortSource(in); got != want {
			t.Errorf("shortSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBarLabel(t *testing.T) {
	for in, want := range map[string]string{"10.0.2.15": "10.0.2.15", "2601:641:9646:7fc2:f21a:2611:60a1:7524": "2601:641…0a1:7524"} {
		if got := barLabel(in); got != want {
			t.Errorf("barLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
