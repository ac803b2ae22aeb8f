package store

import "testing"

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		name, got, want string
	}{
		{"ident", QuoteIdent("srcaddr"), `"srcaddr"`},
		{"ident with a quote", QuoteIdent(`a"b`), `"a""b"`},
		{"idents", QuoteIdents([]string{"a", `b"`}), `"a", "b"""`},
		{"no idents", QuoteIdents(nil), ``},
		{"string", QuoteString("it's"), `'it''s'`},
		{"empty string", QuoteString(""), `''`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

func TestNullable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{{"", nil}, {"x", "x"}, {" ", " "}} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Nullable(tc.in); got != tc.want {
				t.Errorf("Nullable(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}
