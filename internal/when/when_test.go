package when

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "now", want: now},
		{in: "90s", want: now.Add(-90 * time.Second)},
		{in: "15m", want: now.Add(-15 * time.Minute)},
		{in: "1h", want: now.Add(-time.Hour)},
		{in: "3d", want: now.AddDate(0, 0, -3)},
		{in: "2w", want: now.AddDate(0, 0, -14)},
		{in: "2W", want: now.AddDate(0, 0, -14)},
		{in: "1M", want: now.AddDate(0, -1, 0)},
		{in: "1y", want: now.AddDate(-1, 0, 0)},
		{in: "1700000000", want: time.Unix(1700000000, 0).UTC()},
		{in: "2026-11-20T08:00:00Z", want: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T08:00:00+02:00", want: time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T08:00:00", want: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
		{in: "2026-11-20 08:00", want: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
		{in: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{in: "", bad: true},
		{in: "yesterday", bad: true},
		{in: "5x", bad: true},
		{in: "2026-13-01", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, now)
			if tt.bad {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("Parse(%q) = %v, %v; want %v UTC", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if _, _, err := Window("1h", "2h", now); err == nil {
		t.Fatal("start after end accepted")
	}
	if _, _, err := Window("1h", "1h", now); err == nil {
		t.Fatal("start equal to end accepted")
	}
	s, e, err := Window("", "now", now)
	if err != nil || s != nil || !e.Equal(now) {
		t.Fatalf("open start: %v %v %v", s, e, err)
	}
}

func TestFixed(t *testing.T) {
	for _, c := range []struct {
		in    string
		fixed bool
	}{
		{"2026-11-20T08:00:00Z", true}, {"2026-11-20", true}, {"1763625600", true}, {"2026-11-20T08:00", true},
		{"now", false}, {"2h", false}, {"-2h", false}, {"3d", false}, {"yesterday-ish", false}, {"", false},
	} {
		if _, got := Fixed(c.in); got != c.fixed {
			t.Errorf("Fixed(%q) = %v, want %v", c.in, got, c.fixed)
		}
	}
	if ts, _ := Fixed("2026-11-20T08:00"); !ts.Equal(time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("Fixed time = %v", ts)
	}
}
