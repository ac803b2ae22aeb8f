package views

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestHostCheck(t *testing.T) {
	type want struct {
		host string
		ok   bool
	}
	loopback := []want{
		{"localhost:8000", true},
		{"localhost", true},
		{"127.0.0.1", true},
		{"127.0.0.1:8000", true},
		{"[::1]:8000", true},
		{"[::1]", true},
		{"[0:0:0:0:0:0:0:1]:8000", true}, // the same address, written out
		{"LOCALHOST:8000", true},
		{"LocalHost.", true}, // the root's dot
		{"localhost:", true}, // an empty port
		{"evil.example", false},
		{"evil.example:8000", false},
		{"localhost.evil.example", false},        // a rebinding name
		{"127.0.0.1.rebind.example:8000", false}, // a rebinding name
		{"7f000001.rebind.example", false},
		{"127.0.0.2:8000", false},
		{"0.0.0.0:8000", false},
		{"10.1.2.3:8000", false},
		{"", false},                 // no Host
		{"::1", false},              // IPv6 needs brackets
		{"[::1", false},             // malformed
		{"[127.0.0.1]:8000", false}, // IPv4 in brackets
		{"localhost:80x", false},
		{"local host", false},
	}
	cases := []struct {
		name    string
		addr    string
		allowed []string
		hosts   []want
	}{
		{"default", "", nil, loopback},
		{"loopback bind", "127.0.0.1:8000", nil, loopback},
		{"loopback bind, allowed name", "127.0.0.1:8000", []string{"workbench.localhost"}, []want{
			{"workbench.localhost:8000", true},
			{"WORKBENCH.localhost", true},
			{"localhost:8000", true},
			{"other.localhost", false},
			{"evil.example", false},
		}},
		{"bound to a LAN address", "10.1.2.3:8000", []string{"Bastion.Example.Internal", "192.0.2.10"}, []want{
			{"10.1.2.3:8000", true},
			{"10.1.2.3", true},
			{"bastion.example.internal:8000", true},
			{"BASTION.example.internal", true},
			{"bastion.example.internal.:8443", true},
			{"192.0.2.10:8000", true},
			{"localhost:8000", true},
			{"127.0.0.1:8000", true},
			{"[::1]:8000", true},
			{"10.1.2.4:8000", false},
			{"example.internal", false},
			{"bastion.example.internal.evil.example", false},
			{"evil.example", false},
			{"", false},
		}},
		{"bound to an IPv6 address", "[2001:db8::5]:8000", nil, []want{
			{"[2001:db8::5]:8000", true},
			{"[2001:DB8:0::5]", true},
			{"[2001:db8::6]:8000", false},
			{"2001:db8::5", false},
			{"evil.example", false},
		}},
		{"bound to a name", "LOCALHOST:8000", nil, []want{
			{"localhost:8000", true},
			{"evil.example", false},
		}},
		{"every interface", "0.0.0.0:8000", []string{"bastion.example.internal"}, []want{
			{"192.0.2.10:8000", true}, // an address literal cannot be rebound
			{"[2001:db8::1]:8000", true},
			{"0.0.0.0:8000", true},
			{"bastion.example.internal", true},
			{"localhost", true},
			{"evil.example", false},
			{"192.0.2.10.rebind.example", false},
			{"", false},
		}},
		{"every interface, IPv6", "[::]:8000", nil, []want{
			{"[2001:db8::1]:8000", true},
			{"evil.example", false},
		}},
		{"every interface, no host", ":8000", nil, []want{
			{"192.0.2.10", true},
			{"evil.example", false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Options{CasesDir: t.TempDir(), Program: "test", Addr: tc.addr, AllowedHosts: tc.allowed})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tc.hosts {
				// A page and a static file: the check is before routing.
				for _, path := range []string{"/", "/static/app.css", "/no-such-page"} {
					t.Run(h.host+path, func(t *testing.T) {
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Host = h.host
						rec := httptest.NewRecorder()
						e.ServeHTTP(rec, req)
						refused := rec.Code == http.StatusMisdirectedRequest
						if refused == h.ok {
							t.Fatalf("Host %q: status %d, want it %s", h.host, rec.Code, map[bool]string{true: "answered", false: "refused"}[h.ok])
						}
						if refused {
							if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
								t.Errorf("refusal as %q", ct)
							}
							if body := rec.Body.String(); !strings.Contains(body, "DNS rebinding") && !strings.Contains(body, "names no host") {
								t.Errorf("refusal says %q", body)
							}
						}
						if rec.Header().Get("Content-Security-Policy") == "" {
							t.Errorf("no security headers: %v", rec.Header())
						}
					})
				}
			}
		})
	}

	t.Run("bad allowed host", func(t *testing.T) {
		for _, h := range []string{"", "http://x.example", "x.example:8000", "*.example", "a/b", "[10.0.0.1]", "a..b"} {
			if _, err := New(Options{CasesDir: t.TempDir(), AllowedHosts: []string{h}}); err == nil {
				t.Errorf("%q taken", h)
			}
		}
	})
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Bastion.Example.Internal": "bastion.example.internal",
		"bastion.example.":         "bastion.example",
		"10.1.2.3":                 "10.1.2.3",
		"[2001:DB8::5]":            "2001:db8::5",
		"2001:db8:0::5":            "2001:db8::5",
		"under_score-ok":           "under_score-ok",
	} {
		if got, err := NormalizeHost(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
}

// TestSecurityHeaders: every kind of answer carries the headers, and no
// page has inline script or style the policy would refuse.
func TestSecurityHeaders(t *testing.T) {
	e := newServer(t)
	const analysis = "/cases/demo/analyses/ssh-inbound"
	htmx := map[string]string{"HX-Request": "true", "HX-Target": "result"}
	reqs := []struct {
		name   string
		method string
		path   string
		form   url.Values
		hdr    map[string]string
		status int
	}{
		{"page", "GET", "/", nil, nil, 200},
		{"case page", "GET", "/cases/demo", nil, nil, 200},
		{"htmx fragment", "POST", analysis, url.Values{}, htmx, 200},
		{"htmx error fragment", "POST", analysis, url.Values{"limit": {"many"}}, htmx, 400},
		{"404 page", "GET", "/no-such-page", nil, nil, 404},
		{"404 case", "GET", "/cases/nope", nil, nil, 404},
		{"405", "DELETE", "/", nil, nil, 405},
		{"HEAD error", "HEAD", "/cases/nope", nil, nil, 405}, // echo routes no HEAD
		{"static file", "GET", "/static/htmx.min.js", nil, nil, 200},
		{"static css", "GET", "/static/app.css", nil, nil, 200},
		{"static 404", "GET", "/static/nope.js", nil, nil, 404},
		{"download csv", "GET", analysis + "/result.csv", nil, nil, 200},
		{"download json", "GET", analysis + "/result.json", nil, nil, 200},
		{"redirect", "POST", "/cases", url.Values{"name": {"fresh"}}, nil, 303},
		{"static redirect", "GET", "/static/index.html", nil, nil, 301},
		{"cross-origin refusal", "POST", "/cases", url.Values{"name": {"evil"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"host refusal", "GET", "/", nil, map[string]string{"Host": "evil.example"}, 421},
	}
	for _, r := range reqs {
		t.Run(r.name, func(t *testing.T) {
			var body *strings.Reader
			if r.form != nil {
				body = strings.NewReader(r.form.Encode())
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(r.method, r.path, body)
			if r.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range r.hdr {
				if k == "Host" {
					req.Host = v
				} else {
					req.Header.Set(k, v)
				}
			}
			res := do(t, e, req)
			if res.code != r.status {
				t.Fatalf("status %d, want %d:\n%s", res.code, r.status, res.body)
			}
			for k, want := range map[string]string{
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := res.hdr.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if strings.HasPrefix(res.hdr.Get("Content-Type"), "text/html") {
				noInlineCode(t, res.doc)
			}
		})
	}
}

// TestNoInlineCode: the pages hold nothing the content security policy
// refuses, so that it costs no feature.
func TestNoInlineCode(t *testing.T) {
	e := newServer(t)
	for _, path := range []string{"/", "/cases/demo", "/cases/demo/analyses", "/cases/demo/analyses/rejected",
		"/cases/demo/flows", "/cases/demo/ip/203.0.113.9", "/cases/demo/sql", "/cases/demo/ingest", "/cases/nope"} {
		t.Run(path, func(t *testing.T) {
			r := get(t, e, path)
			if r.code != http.StatusOK && r.code != http.StatusNotFound {
				t.Fatalf("status %d", r.code)
			}
			noInlineCode(t, r.doc)
		})
	}
}

// noInlineCode fails on inline scripts, event handler attributes, hx-on
// (htmx evaluates it), javascript: links, inline styles and <style>.
func noInlineCode(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		n := s.Get(0)
		if n.Data == "style" {
			t.Errorf("a <style> element")
		}
		if src, ok := s.Attr("src"); n.Data == "script" && (!ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "") {
			t.Errorf("an inline script: %s", s.Text())
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			switch {
			case k == "style":
				t.Errorf("<%s style=%q>", n.Data, a.Val)
			case strings.HasPrefix(k, "on"), strings.HasPrefix(k, "hx-on"), strings.HasPrefix(k, "data-hx-on"):
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"), strings.HasPrefix(strings.TrimSpace(a.Val), "js:"):
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
		}
	})
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"demo-ssh-inbound-r1":    "demo-ssh-inbound-r1",
		"a b/c\\d\"e;f\r\n":      "a_b_c_d_e_f__",
		"..hidden":               "hidden",
		"":                       "result",
		"café":                   "caf__",
		strings.Repeat("x", 300): strings.Repeat("x", 200),
	} {
		if got := safeFileName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
