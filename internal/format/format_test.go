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
