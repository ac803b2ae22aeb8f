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
