package queries

import (
	"strings"
	"testing"
	"time"
)

func TestBindWindow(t *testing.T) {
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Get("ssh-inbound")
	if !ok {
		t.Fatal("no ssh-inbound")
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end string
		bad        bool
	}{
		{"start after end", "2026-11-22", "2026-11-21", true},
		{"relative start after end", "1h", "2h", true},
		{"same instant", "2026-11-21", "2026-11-21", true},
		{"in order", "2026-11-20", "2026-11-21", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Bind(map[string]string{"start": tc.start, "end": tc.end}, now)
			if tc.bad != (err != nil) {
				t.Fatalf("err = %v, want bad=%v", err, tc.bad)
			}
			if tc.bad && !strings.Contains(err.Error(), "must be before the end") {
				t.Errorf("message %q", err)
			}
		})
	}
}
