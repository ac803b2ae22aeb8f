package intel

import (
	"math/big"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

// fuzzParse checks what Parse makes of data, then what one format's reader
// makes of it when it is handed the bytes whatever they look like: Parse
// either refuses with the package's prefix or gives a snapshot that keeps
// the invariants, and no reader panics or keeps an entry that is not
// canonical.
func fuzzParse(t *testing.T, data []byte, name string, read func(*parser, []byte) error) {
	s, err := Parse("fuzz.txt", data, name)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "intel: ") {
			t.Fatalf("error without the package's prefix: %v", err)
		}
	} else {
		if name != "" && s.Name != name {
			t.Fatalf("name %q given, snapshot says %q", name, s.Name)
		}
		checkInvariants(t, s)
	}
	p := &parser{}
	if err := read(p, data); err != nil {
		return
	}
	for _, e := range p.entries {
		if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() || e.Prefix.Addr().Is4In6() || e.Line < 1 {
			t.Fatalf("entry %+v", e)
		}
	}
	if p.s.Skipped < len(p.s.SkippedLines) || len(p.s.SkippedLines) > reportSkipped {
		t.Fatalf("skipped %d, described %d", p.s.Skipped, len(p.s.SkippedLines))
	}
}

func seeds(f *testing.F, ss ...string) {
	for _, s := range ss {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "given")
	}
}

func FuzzParseList(f *testing.F) {
	seeds(f, plainList, spamhausDROP, spamhausEDROP, "", "#\n", ";\n", "192.0.2.1", "192.0.2.1 - 192.0.2.9 ; x",
		"192.0.2.1-", "-192.0.2.1", "::ffff:0.0.0.0/96", "1.2.3.4/0 # all", "; Spamhaus DROP List 1999/99/99\n1.0.0.0/8\n",
		"# Last-Modified: Wed, 01 May 2024 11:29:06 GMT\n1.1.1.1\n", "\xef\xbb\xbf\r\n1.1.1.1\r\n")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, (*parser).text)
	})
}

func FuzzParseTor(f *testing.F) {
	seeds(f, torExits, "ExitNode\n", "ExitNode A B\nExitAddress\n", "ExitAddress 1.1.1.1 x y\n", "@type tordnsel 1.0\nExitNode A\nExitAddress ::1 2026-01-01 00:00:00\n",
		"ExitNode A\nLastStatus 2026-13-01 99:99:99\nExitAddress 1.1.1.1 2026-01-01 00:00:00\n")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, (*parser).tor)
	})
}

func FuzzParseSpamhausJSON(f *testing.F) {
	seeds(f, spamhausJSON, spamhausJSONv6, `{"cidr":""}`, `{"cidr":5}`, `{"sblid":"x"}`, `{"type":"metadata","timestamp":-99999999999,"copyright":""}`,
		`{"cidr":"1.1.1.1/32","rir":"x"}`+"\n{", `{"type":"metadata","timestamp":"x","copyright":"c"}`)
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, (*parser).spamhausJSON)
	})
}

func FuzzParseMISPCSV(f *testing.F) {
	seeds(f, mispCSV, "uuid,event_id,category,type,value\n", "uuid,event_id,category,type,value\n,,,ip-dst\n",
		"uuid,event_id,category,type,value,date\nx,1,c,ip-dst|port,[2001:db8::1]|443,20240501\n",
		"uuid,event_id,category,type,value\nx,1,c,domain|ip,a.example|192.0.2.1\n\"unterminated,1,c,ip-dst,1.1.1.1\n")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, func(p *parser, d []byte) error {
			h, ok := csvHeader(d)
			if !ok || !h.misp {
				return nil
			}
			return p.csv(d, h)
		})
	})
}

func FuzzParseCSV(f *testing.F) {
	seeds(f, feodoCSV, semicolonCSV, "ip\n1.1.1.1\n", "ip,comment\n1.1.1.1\n,\n", "a\tip\n1\t::1\n", "IP Address\n\"1.1.1.1\"\n",
		"value,dst_port\n1.1.1.1,80\n1.1.1.1\n", "ip\n\"\n1.1.1.1\n")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, func(p *parser, d []byte) error {
			h, ok := csvHeader(d)
			if !ok || h.misp {
				return nil
			}
			return p.csv(d, h)
		})
	})
}

func FuzzParseMISPJSON(f *testing.F) {
	seeds(f, mispJSON, `{"Event":{}}`, `{"response":[{"Event":{"id":"1","Attribute":[{"type":"ip-dst","value":"1.1.1.1"}]}}]}`,
		`[{"Event":{"Object":[{"Attribute":[{"type":"ip-src","value":"::1"}],"name":"x"}]}}]`,
		`{"Event":{"Attribute":{"type":"ip-dst","value":"1.1.1.1"}}}`, `{"Event":{"date":7,"id":{"a":1},"Attribute":[null,1,"x"]}}`,
		`{"response":{"Event":{"Attribute":[{"type":"ip-dst|port","value":"1.1.1.1|"}]}}}`)
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, (*parser).jsonDocument)
	})
}

func FuzzParseSTIX(f *testing.F) {
	seeds(f, stixBundle, `{"type":"bundle","objects":[]}`, `{"objects":[{"type":"indicator","pattern":"[ipv4-addr:value = '1.1.1.1']"}]}`,
		`{"objects":[{"type":"indicator","pattern":5}]}`, `{"objects":[{"type":"ipv6-addr","value":"::1"},{"type":"indicator","pattern_type":"sigma"}]}`,
		`{"type":"bundle","objects":[{"type":"indicator","created":"x","pattern":"[ipv4-addr:value IN ()]"}]} trailing`)
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fuzzParse(t, data, name, (*parser).jsonDocument)
	})
}

func FuzzSTIXPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '1.1.1.1']", "[ipv4-addr:value IN ('1.1.1.1', '2.2.2.2')]", "[ipv6-addr:value ISSUBSET '::/0']",
		"[ipv4-addr:value = '", "[ipv4-addr:value IN (", "[ipv4-addr:value = '\\", "[ipv4-addr:value NOT != 'x']",
		"[network-traffic:dst_ref.value = '1.1.1.1' AND network-traffic:dst_port = 1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		values, problems, _ := stixAddresses(pattern)
		if n := strings.Count(strings.ToLower(pattern), ":value") + strings.Count(strings.ToLower(pattern), "_ref.value"); len(problems) > n {
			t.Fatalf("%d problems from %d comparisons", len(problems), n)
		}
		for _, v := range values {
			if len(v) > len(pattern) {
				t.Fatalf("value %q longer than the pattern", v)
			}
		}
	})
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"1.1.1.1", "1.1.1.0/24", "::ffff:1.1.1.1/128", "1.1.1.1-1.1.1.9", "::-::1", "1.1.1.1 - 2.2.2.2", "::ffff:1.1.1.1-1.1.1.2", "a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseValue(s)
		if err != nil {
			return
		}
		if len(ps) == 0 || len(ps) > 254 {
			t.Fatalf("%q: %d prefixes", s, len(ps))
		}
		for i, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("%q: prefix %v", s, p)
			}
			if i > 0 {
				// Adjacent: each starts right after the one before ends.
				_, prevLast := store.PrefixNums(ps[i-1])
				first, _ := store.PrefixNums(p)
				if new(big.Int).Add(prevLast, big.NewInt(1)).Cmp(first) != 0 {
					t.Fatalf("%q: %v does not follow %v", s, p, ps[i-1])
				}
			}
		}
	})
}
