package format

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Count(0), "0"}, {Count(999), "999"}, {Count(1000), "1,000"}, {Count(-1234567), "-1,234,567"},
		{Bytes(512), "512 B"}, {Bytes(1536), "1.5 KiB"}, {Bytes(3 << 30), "3.0 GiB"},
		{Cell("dstport", int64(3389)), "3389"}, {Cell("flows", int64(3389)), "3,389"}, {Cell("x", nil), "-"},
		{Cell("share", 0.25), "0.25"}, {Cell("t", time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("x", 3600))), "2026-11-20 07:00:00"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestNouns(t *testing.T) {
	for _, c := range []struct {
		n          int64
		noun, want string
	}{
		{1, "file", "1 file"}, {0, "file", "0 files"}, {2000, "file", "2,000 files"},
		{3, "address", "3 addresses"}, {1, "address", "1 address"}, {2, "query", "2 queries"},
		{2, "day", "2 days"}, {2, "match", "2 matches"}, {2, "box", "2 boxes"}, {2, "rejected line", "2 rejected lines"},
	} {
		if got := Nouns(c.n, c.noun); got != c.want {
			t.Errorf("Nouns(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
	for n, want := range map[int64]string{0: "are", 1: "is", 2: "are"} {
		if got := Be(n); got != want {
			t.Errorf("Be(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFlowFieldNames(t *testing.T) {
	for _, tt := range []struct {
		col  string
		v    int64
		want string
	}{
		{"tcp_flags", 2, "SYN (2)"}, {"tcp_flags", 18, "SYN-ACK (18)"}, {"tcp_flags", 19, "SYN-ACK-FIN (19)"}, {"tcp_flags", 4, "RST (4)"},
		{"tcp_flags", 0, "none (0)"}, {"tcp_flags", 256, "256"}, {"traffic_path", 8, "internet gateway (8)"}, {"traffic_path", 1, "same VPC (1)"},
		{"traffic_path", 9, "9"}, {"bytes", 1234, "1,234"},
	} {
		if got := Cell(tt.col, tt.v); got != tt.want {
			t.Errorf("Cell(%s, %d) = %q, want %q", tt.col, tt.v, got, tt.want)
		}
	}
}

func TestHuman(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("x", 3600))
	for _, tt := range []struct {
		col          string
		v            any
		shown, exact string
	}{
		{"bytes", int64(840), "840 B", ""},
		{"bytes", int64(1_992_294), "1.9 MiB", "1,992,294 bytes"},
		{"sent", int64(3 << 30), "3.0 GiB", "3,221,225,472 bytes"},
		{"session_bytes", int64(2048), "2.0 KiB", "2,048 bytes"},
		{"bytes_out", int64(1), "1 B", ""},
		{"bytes_per_s", int64(5 << 20), "5.0 MiB/s", "5,242,880 bytes/s"},
		{"peak_attempts_per_day", int64(1200), "1,200/day", ""},
		{"peak_ports_per_hour", int64(7), "7/h", ""},
		{"flows", int64(3389), "3,389", ""},
		{"dstport", int64(3389), "3389", ""},
		{"packets_sent", int64(5000), "5,000", ""}, // a count of packets, not of bytes
		{"hours", 37.533333333, "37.53", "37.533333333"},
		{"share", 0.25, "0.25", ""},
		{"score", 0.000123456, "0.000123", "0.000123456"},
		{"ratio", 12.0, "12", ""},
		{"first_seen", at, "2026-11-20 07:00:00 UTC", ""},
		{"x", nil, "-", ""},
		{"org", "<b>x</b>", "<b>x</b>", ""},
	} {
		shown, exact := Human(tt.col, tt.v)
		if shown != tt.shown || exact != tt.exact {
			t.Errorf("Human(%s, %v) = %q, %q; want %q, %q", tt.col, tt.v, shown, exact, tt.shown, tt.exact)
		}
	}
	if got := StampUTC(nil); got != "-" {
		t.Errorf("StampUTC(nil) = %q", got)
	}
	if got := StampUTC(&at); got != "2026-11-20 07:00:00 UTC" {
		t.Errorf("StampUTC = %q", got)
	}
}
