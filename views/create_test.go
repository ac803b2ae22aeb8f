package views

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateCase(t *testing.T) {
	e := newServer(t)
	dir := casesDir(t, e)

	t.Run("form on the cases page", func(t *testing.T) {
		r := get(t, e, "/")
		form := r.doc.Find(`form[data-testid="create-form"]`)
		if action, _ := form.Attr("action"); action != "/cases" {
			t.Fatalf("form action %q:\n%s", action, r.body)
		}
		for _, n := range []string{"name", "addrs", "cidrs"} {
			if form.Find(`[name="`+n+`"]`).Length() != 1 {
				t.Errorf("no %s field", n)
			}
		}
	})

	t.Run("created and redirected", func(t *testing.T) {
		r := post(t, e, "/cases", url.Values{
			"name":  {"new-case_1"},
			"addrs": {"10.0.1.10, 10.0.1.11\n2001:db8::5"},
			"cidrs": {"10.0.0.7/16\n2001:db8::/32"},
		}, nil)
		if r.code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303:\n%s", r.code, r.body)
		}
		if loc := r.hdr.Get("Location"); loc != "/cases/new-case_1" {
			t.Fatalf("Location %q", loc)
		}
		o := get(t, e, "/cases/new-case_1")
		if o.code != http.StatusOK {
			t.Fatalf("overview status %d:\n%s", o.code, o.body)
		}
		if got := text(o, `[data-testid="case-name"]`); got != "new-case_1" {
			t.Errorf("name %q", got)
		}
		focus := o.doc.Find(`[data-testid="focus"] tbody tr`)
		if focus.Length() != 3 || !strings.Contains(focus.Text(), "2001:db8::5") || !strings.Contains(focus.Text(), "web") {
			t.Errorf("focus:\n%s", focus.Text())
		}
		cidrs := o.doc.Find(`[data-testid="vpc-cidrs"] tbody tr`)
		if cidrs.Length() != 2 || !strings.Contains(cidrs.Text(), "10.0.0.0/16") {
			t.Errorf("CIDRs (want masked):\n%s", cidrs.Text())
		}
		if o.doc.Find(`[data-testid="chart-timeline-empty"]`).Length() != 1 {
			t.Error("an empty case should say it has no flows to chart")
		}
		if get(t, e, "/").doc.Find(`[data-testid="case-row"][data-case="new-case_1"]`).Length() != 1 {
			t.Error("not in the cases list")
		}
	})

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"empty name", url.Values{"name": {" "}}, http.StatusBadRequest, "needs a name"},
		{"bad name", url.Values{"name": {"../evil"}}, http.StatusBadRequest, "not a valid case name"},
		{"markup name", url.Values{"name": {"<b>x</b>"}}, http.StatusBadRequest, "not a valid case name"},
		{"name with extension", url.Values{"name": {"x.duckdb"}}, http.StatusBadRequest, "not a valid case name"},
		{"bad address", url.Values{"name": {"bad-addr"}, "addrs": {"10.0.0.1\n10.0.0.999"}}, http.StatusBadRequest, `Not an IP address: "10.0.0.999"`},
		{"bad CIDR", url.Values{"name": {"bad-cidr"}, "cidrs": {"10.0.0.0/16, 10.0.0.0/33"}}, http.StatusBadRequest, `Not a CIDR block: "10.0.0.0/33"`},
		{"existing case", url.Values{"name": {"demo"}, "addrs": {"10.9.9.9"}}, http.StatusConflict, "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := caseFiles(t, dir)
			r := post(t, e, "/cases", tc.form, nil)
			if r.code != tc.status {
				t.Fatalf("status %d, want %d:\n%s", r.code, tc.status, r.body)
			}
			if msg := text(r, `[data-testid="error-message"]`); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
			if strings.Contains(r.body, "<b>x</b>") {
				t.Error("markup from the form is not escaped")
			}
			if after := caseFiles(t, dir); after != before {
				t.Errorf("files changed:\n%s\n->\n%s", before, after)
			}
		})
	}

	t.Run("existing case untouched", func(t *testing.T) {
		o := get(t, e, "/cases/demo")
		if strings.Contains(o.doc.Find(`[data-testid="focus"]`).Text(), "10.9.9.9") {
			t.Error("refused creation changed the existing case")
		}
	})

	t.Run("cross-site post refused", func(t *testing.T) {
		r := post(t, e, "/cases", url.Values{"name": {"csrf"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if r.code != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.code)
		}
		if _, err := os.Stat(filepath.Join(dir, "csrf.duckdb")); err == nil {
			t.Error("case created")
		}
	})
}

// caseFiles lists the cases folder with sizes.
func caseFiles(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name() + " " + info.ModTime().String() + "\n")
	}
	return b.String()
}
