package asn

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseTSV feeds the TSV reader (through Parse, so detection too) lines
// near iptoasn's: whatever it keeps must be sorted, routed ranges of one
// family each, and whatever it refuses must say so with the package's prefix.
func FuzzParseTSV(f *testing.F) {
	for _, s := range []string{
		tsvV4, tsvV6, tsvCombined, tsvV6 + tsvV4,
		"", "\n", "#\n", "range_start\trange_end\n", "\xef\xbb\xbf" + tsvV4,
		"1.0.0.0\t1.0.0.255\t13335\n",
		"1.0.0.0\t1.0.0.255\tAS13335\tUS\tX\tY\tZ\n",
		"::ffff:1.0.0.0\t::ffff:1.0.0.255\t1\tUS\tMAPPED\n",
		"::ffff:1.0.0.0\t1.0.0.255\t1\tUS\tHALF MAPPED\n",
		"1.0.0.255\t1.0.0.0\t1\tUS\tBACKWARDS\n",
		"fe80::1%eth0\tfe80::2\t1\tUS\tZONE\n",
		"1.0.0.0\t1.0.0.255\t4294967295\tUS\tMAX\n",
		"1.0.0.0\t1.0.0.255\t4294967296\tUS\tOVER\n",
		"1.0.0.0\t1.0.0.255\t0\tNone\tNot routed\n",
		"1.0.0.0\t1.0.0.255\t5\tNone\tNot routed\n",
		"1.0.0.0\t1.0.0.255\t5\r\n2.0.0.0\t2.0.0.255\t6\r\n",
		"{}", "<html>", "network,autonomous_system_number\n",
		"1.0.0.0 1.0.0.255 5 US SPACES\n",
	} {
		f.Add([]byte(s))
	}
	f.Add(gz(f, []byte(tsvV4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.tsv", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "asn: fuzz.tsv: ") {
				t.Fatalf("error without the package's prefix: %v", err)
			}
			return
		}
		checkInvariants(t, s)
		if s.Format == FormatIPtoASN {
			if lines := bytes.Count(data, []byte("\n")) + 1; len(s.Ranges)+s.NotRouted+s.Skipped > lines && s.Container == "" {
				t.Fatalf("%d ranges, %d not routed, %d skipped from %d lines", len(s.Ranges), s.NotRouted, s.Skipped, lines)
			}
			if s.Skipped > len(s.Ranges)+s.NotRouted {
				t.Fatalf("kept a file that is mostly not ranges: %d skipped, %d rows", s.Skipped, len(s.Ranges)+s.NotRouted)
			}
		}
	})
}
