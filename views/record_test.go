package views

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/store"
)

// hx are the headers of an htmx request from the workbench's own page.
var hx = map[string]string{"HX-Request": "true", "Origin": "http://localhost"}

// newRecordServer is the workbench over the browser test's case (a focus,
// a VPC, an SSH attacker), signing changes as "ana".
func newRecordServer(t *testing.T, o Options) (*echo.Echo, string) {
	t.Helper()
	dir := newBrowserCase(t, browserFlowLines())
	o.CasesDir, o.Program, o.Analyst = dir, "test", "ana"
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) }
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e, filepath.Join(dir, "demo"+store.Ext)
}

// formValues are the values a form would post: its inputs, selects and
// textareas.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok {
			return
		}
		switch goquery.NodeName(s) {
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			val, _ := opt.Attr("value")
			v.Add(name, val)
		case "textarea":
			v.Add(name, s.Text())
		default:
			val, _ := s.Attr("value")
			v.Add(name, val)
		}
	})
	return v
}

// submit posts a form of the response as htmx would, with changes to its
// values.
func submit(t *testing.T, e *echo.Echo, form *goquery.Selection, set map[string]string) response {
	t.Helper()
	if form.Length() != 1 {
		t.Fatalf("%d forms to submit", form.Length())
	}
	v := formValues(form)
	for k, val := range set {
		v.Set(k, val)
	}
	action, _ := form.Attr("hx-post")
	return post(t, e, action, v, hx)
}

// openCase opens the case file read-only for a test to look at.
func openCase(t *testing.T, path string) *store.Case {
	t.Helper()
	c, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func starredOf(r response, sel string) string {
	v, _ := r.doc.Find(sel).First().Attr("data-starred")
	return v
}

func TestRecordStar(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	const pivot = "/cases/demo/ip/" + browserAttacker
	r := get(t, e, pivot)
	if r.code != http.StatusOK || starredOf(r, `[data-testid="record"] [data-testid="star"]`) != "false" {
		t.Fatalf("pivot: %d, starred %q\n%s", r.code, starredOf(r, `[data-testid="star"]`), r.body)
	}
	star := r.doc.Find(`[data-testid="record"] [data-testid="star"] form`)
	r = submit(t, e, star, nil)
	if r.code != http.StatusOK || strings.Contains(r.body, "<html") || starredOf(r, `[data-testid="star"]`) != "true" {
		t.Fatalf("star: %d\n%s", r.code, r.body)
	}
	if p, _ := r.doc.Find(`button[data-testid="star-button"]`).Attr("aria-pressed"); p != "true" {
		t.Errorf("aria-pressed %q", p)
	}
	if v := r.hdr.Get("Vary"); v != "HX-Request" {
		t.Errorf("Vary %q", v)
	}
	// It persists: the page and the case say so, signed by the analyst.
	if got := starredOf(get(t, e, pivot), `[data-testid="record"] [data-testid="star"]`); got != "true" {
		t.Errorf("pivot after the star: starred %q", got)
	}
	c := openCase(t, path)
	stars, err := c.Starred(context.Background(), store.OnAddress)
	if err != nil || len(stars) != 1 || stars[0].Target.ID != browserAttacker || stars[0].CreatedBy != "ana" {
		t.Fatalf("stars %+v %v", stars, err)
	}
	c.Close()
	// The address is marked where a table shows it.
	if r := get(t, e, "/cases/demo/analyses/ssh-inbound"); r.doc.Find(`[data-testid="addr-starred"]`).Length() != 1 {
		t.Errorf("ssh-inbound: %d starred marks", r.doc.Find(`[data-testid="addr-starred"]`).Length())
	}
	// Toggle back off.
	r = submit(t, e, r.doc.Find(`[data-testid="star"] form`), nil)
	if starredOf(r, `[data-testid="star"]`) != "false" {
		t.Fatalf("unstar:\n%s", r.body)
	}

	t.Run("a result row", func(t *testing.T) {
		r := get(t, e, "/cases/demo/analyses/ssh-inbound")
		run := text(r, `[data-testid="run-id"]`)
		row := r.doc.Find(`tr[data-row="1"]`)
		if row.Length() != 1 || starredOf(r, `tr[data-row="1"] [data-testid="star"]`) != "false" {
			t.Fatalf("no row 1 star:\n%s", r.body)
		}
		if r := submit(t, e, row.Find(`[data-testid="star"] form`), nil); starredOf(r, `[data-testid="star"]`) != "true" {
			t.Fatalf("star row: %d\n%s", r.code, r.body)
		}
		r = get(t, e, "/cases/demo/analyses/ssh-inbound")
		if starredOf(r, `tr[data-row="1"] [data-testid="star"]`) != "true" || starredOf(r, `tr[data-row="2"] [data-testid="star"]`) != "false" {
			t.Errorf("after: row 1 %q, row 2 %q", starredOf(r, `tr[data-row="1"] [data-testid="star"]`), starredOf(r, `tr[data-row="2"] [data-testid="star"]`))
		}
		// Sorted, the row keeps its number in the stored run and its star.
		r = get(t, e, "/cases/demo/analyses/ssh-inbound?sort=src_ip&dir=desc")
		if starredOf(r, `tr[data-row="1"] [data-testid="star"]`) != "true" {
			t.Errorf("sorted: row 1 lost its star")
		}
		c := openCase(t, path)
		stars, _ := c.Starred(context.Background(), store.OnRow)
		if len(stars) != 1 || stars[0].Target != store.RowTarget(run, 1) {
			t.Errorf("row stars %+v, want %s#1", stars, run)
		}
	})

	t.Run("without htmx, back to the page", func(t *testing.T) {
		v := url.Values{"on": {"address"}, "addr": {"203.0.113.9"}, "star": {"on"}, "next": {pivot}}
		r := post(t, e, "/cases/demo/record/star", v, nil)
		if r.code != http.StatusSeeOther || r.hdr.Get("Location") != pivot {
			t.Errorf("%d %q", r.code, r.hdr.Get("Location"))
		}
		v.Set("next", "https://evil.example/")
		if r := post(t, e, "/cases/demo/record/star", v, nil); r.hdr.Get("Location") != "/cases/demo" {
			t.Errorf("a foreign next: %q", r.hdr.Get("Location"))
		}
	})

	t.Run("cross-origin refused", func(t *testing.T) {
		v := url.Values{"on": {"address"}, "addr": {"203.0.113.50"}, "star": {"on"}}
		for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
			if r := post(t, e, "/cases/demo/record/star", v, h); r.code != http.StatusForbidden {
				t.Errorf("%v: %d", h, r.code)
			}
		}
		c := openCase(t, path)
		if stars, _ := c.Starred(context.Background(), store.OnAddress); slices.ContainsFunc(stars, func(s store.Tagged) bool { return s.Target.ID == "203.0.113.50" }) {
			t.Error("a cross-origin star landed")
		}
	})
}

func TestRecordTags(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	const pivot = "/cases/demo/ip/" + browserAttacker
	form := func(r response) *goquery.Selection { return r.doc.Find(`[data-testid="tags"] form.tag-form`) }
	r := submit(t, e, form(get(t, e, pivot)), map[string]string{"tag": "Attacker c2"})
	if r.code != http.StatusOK {
		t.Fatalf("tag: %d\n%s", r.code, r.body)
	}
	var tags []string
	r.doc.Find(`[data-testid="tag"]`).Each(func(_ int, s *goquery.Selection) { tags = append(tags, s.AttrOr("data-tag", "")) })
	if strings.Join(tags, ",") != "attacker,c2" {
		t.Fatalf("tags %v\n%s", tags, r.body)
	}
	// Remove c2: its own small form.
	r = submit(t, e, r.doc.Find(`[data-testid="tag"][data-tag="c2"] form`), nil)
	if r.doc.Find(`[data-testid="tag"]`).Length() != 1 || r.doc.Find(`[data-testid="tag"][data-tag="attacker"]`).Length() != 1 {
		t.Fatalf("after removing c2:\n%s", r.body)
	}
	c := openCase(t, path)
	if got, _ := c.TagsOf(context.Background(), store.Target{Kind: store.OnAddress, ID: browserAttacker}); strings.Join(got, ",") != "attacker" {
		t.Errorf("the case has %v", got)
	}
	c.Close()
	// The tag shows by the address in the tables.
	if got := text(get(t, e, "/cases/demo/analyses/ssh-inbound"), `[data-testid="addr-tag"]`); got != "attacker" {
		t.Errorf("table mark %q", got)
	}

	// Not a tag: said in the widget's error slot; nothing else is swapped.
	r = submit(t, e, form(get(t, e, pivot)), map[string]string{"tag": "<b>bad</b>"})
	if r.code != http.StatusBadRequest || r.hdr.Get("HX-Retarget") != "#addr-198-51-100-7-tags-error" || r.hdr.Get("HX-Reswap") != "innerHTML" {
		t.Fatalf("bad tag: %d %q\n%s", r.code, r.hdr.Get("HX-Retarget"), r.body)
	}
	if msg := text(r, `[data-testid="record-error"]`); !strings.Contains(msg, `"<b>bad</b>" is not a tag`) || strings.Contains(r.body, "<b>bad") {
		t.Errorf("message %q:\n%s", msg, r.body)
	}
	if get(t, e, pivot).doc.Find("#addr-198-51-100-7-tags-error").Length() != 1 {
		t.Error("the page has no element the error is retargeted to")
	}
	// A result row takes no tags: the store says so.
	r = post(t, e, "/cases/demo/record/tags", url.Values{"on": {"row"}, "run": {"r-x"}, "row": {"1"}, "tag": {"x"}}, hx)
	if r.code != http.StatusBadRequest || !strings.Contains(r.body, "goes on an address or a finding") {
		t.Errorf("tag on a row: %d %s", r.code, r.body)
	}
}

func TestRecordNotes(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	const pivot = "/cases/demo/ip/" + browserAttacker
	const note = "Tried **root** first.\n<script>alert(1)</script>\n\n- `ssh` from a VPS\n- <img src=x onerror=alert(2)>"
	r := submit(t, e, get(t, e, pivot).doc.Find(`[data-testid="record"] .note-form`), map[string]string{"text": note})
	if r.code != http.StatusOK {
		t.Fatalf("note: %d\n%s", r.code, r.body)
	}
	for _, page := range []response{r, get(t, e, pivot)} {
		body := page.doc.Find(`[data-testid="note-body"]`)
		if body.Length() != 1 {
			t.Fatalf("%d notes:\n%s", body.Length(), page.body)
		}
		html, _ := body.Html()
		if strings.Contains(page.body, "<script>alert(1)") || strings.Contains(page.body, "<img") || body.Find("script, img").Length() != 0 {
			t.Errorf("markup from a note reached the page:\n%s", html)
		}
		if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body.Text(), "<img src=x onerror=alert(2)>") {
			t.Errorf("the note's text is not shown escaped:\n%s", html)
		}
		if body.Find("strong").Text() != "root" || body.Find("li code").Text() != "ssh" || body.Find("li").Length() != 2 || body.Find("br").Length() != 1 {
			t.Errorf("the Markdown subset:\n%s", html)
		}
		if meta := text(page, `.note-meta`); !strings.Contains(meta, "ana") {
			t.Errorf("note meta %q", meta)
		}
	}
	c := openCase(t, path)
	a, _ := store.AddressTarget(browserAttacker)
	if notes, _ := c.Notes(context.Background(), &a); len(notes) != 1 || notes[0].Text != note || notes[0].CreatedBy != "ana" {
		t.Errorf("notes %+v", notes)
	}
	c.Close()
	// An empty note: said next to the form, which keeps its place.
	r = submit(t, e, get(t, e, pivot).doc.Find(`[data-testid="record"] .note-form`), map[string]string{"text": "  "})
	if r.code != http.StatusBadRequest || r.hdr.Get("HX-Retarget") != "#addr-198-51-100-7-notes-error" || text(r, `[data-testid="record-error"]`) != "note is empty" {
		t.Errorf("empty note: %d %q %q", r.code, r.hdr.Get("HX-Retarget"), r.body)
	}
	// Without htmx, an error is an error page with the reason, not a 500.
	if r := post(t, e, "/cases/demo/record/notes", url.Values{"on": {"finding"}, "finding": {"F-9"}, "text": {"x"}}, nil); r.code != http.StatusNotFound ||
		!strings.Contains(text(r, `[data-testid="error"]`), "the case has no finding F-9") {
		t.Errorf("note on a missing finding: %d\n%s", r.code, r.body)
	}
}

func TestMakeFindingFromRow(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	r := get(t, e, "/cases/demo/analyses/ssh-inbound")
	run := text(r, `[data-testid="run-id"]`)
	// The attacker's row: its record panel, as its button opens it.
	row := r.doc.Find(`[data-testid="result-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), browserAttacker)
	})
	n := row.AttrOr("data-row", "")
	href := row.Find(`[data-testid="row-record"]`).AttrOr("hx-get", "")
	if n == "" || href != "/cases/demo/runs/"+run+"/rows/"+n {
		t.Fatalf("row %q, panel %q", n, href)
	}
	req := httptest.NewRequest(http.MethodGet, href, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", "http://localhost/cases/demo/analyses/ssh-inbound?sort=flows")
	panel := do(t, e, req)
	if panel.code != http.StatusOK || strings.Contains(panel.body, "<html") || panel.doc.Find(`[data-testid="row-panel"]`).Length() != 1 {
		t.Fatalf("panel: %d\n%s", panel.code, panel.body)
	}
	form := panel.doc.Find(`[data-testid="finding-form"]`)
	v := formValues(form)
	for k, want := range map[string]string{"title": "SSH inbound: " + browserAttacker, "addresses": browserAttacker, "ports": "22",
		"first_seen": "2023-11-14T22:13:20", "last_seen": "2023-11-14T22:18:20", "ev": "run", "ev_run": run, "ev_rows": n,
		"next": "/cases/demo/analyses/ssh-inbound?sort=flows"} {
		if v.Get(k) != want {
			t.Errorf("form %s = %q, want %q", k, v.Get(k), want)
		}
	}
	if got := text(panel, `[data-testid="finding-evidence"]`); !strings.Contains(got, "row "+n+" of run "+run+" (ssh-inbound v") {
		t.Errorf("evidence %q", got)
	}
	// The row's address, with its star and tags.
	if panel.doc.Find(`[data-testid="row-address"][data-addr="`+browserAttacker+`"] [data-testid="tags"]`).Length() != 1 {
		t.Errorf("no address record in the panel")
	}

	r = submit(t, e, form, map[string]string{"severity": "high", "mitre": "T1110", "note": "from the row"})
	if r.code != http.StatusOK || text(r, `[data-testid="finding-made-link"]`) != "F-1" {
		t.Fatalf("make: %d\n%s", r.code, r.body)
	}
	if href, _ := r.doc.Find(`[data-testid="finding-made-link"]`).Attr("href"); href != "/cases/demo/findings#finding-F-1" {
		t.Errorf("link %q", href)
	}
	c := openCase(t, path)
	f, err := c.Finding(context.Background(), "F-1")
	if err != nil {
		t.Fatal(err)
	}
	rowN, _ := strconv.Atoi(n)
	if len(f.Evidence) != 1 || f.Evidence[0].RunID != run || !slices.Equal(f.Evidence[0].Rows, []int{rowN}) || f.Evidence[0].Analysis != "ssh-inbound" || f.Evidence[0].SHA256 == "" {
		t.Errorf("evidence %+v", f.Evidence)
	}
	if f.Severity != store.SeverityHigh || f.CreatedBy != "ana" || strings.Join(f.Subjects.Addresses, ",") != browserAttacker || !slices.Equal(f.Subjects.Ports, []int{22}) ||
		f.FirstSeen == nil || f.FirstSeen.Format(time.DateTime) != "2023-11-14 22:13:20" || len(f.Notes) != 1 || strings.Join(f.MITRE, ",") != "T1110" {
		t.Errorf("finding %+v", f)
	}
	c.Close()

	// The evidence links to the stored run with the row marked.
	fp := get(t, e, "/cases/demo/findings")
	ev := fp.doc.Find(`[data-testid="evidence-link"]`)
	if want := "/cases/demo/runs/" + run + "?rows=" + n + "#row-" + n; ev.AttrOr("href", "") != want {
		t.Fatalf("evidence link %q, want %q", ev.AttrOr("href", ""), want)
	}
	page, _, _ := strings.Cut(ev.AttrOr("href", ""), "#") // a browser keeps the fragment
	rp := get(t, e, page)
	if rp.code != http.StatusOK || rp.doc.Find(`tr.evidence#row-`+n).Length() != 1 || !strings.Contains(rp.doc.Find(`tr.evidence`).Text(), browserAttacker) {
		t.Errorf("run page: %d\n%s", rp.code, rp.body)
	}

	// A bad window or a row the run does not have: said by the form.
	for _, c := range []struct{ set map[string]string }{
		{map[string]string{"first_seen": "2023-11-15T00:00:00", "last_seen": "2023-11-14T00:00:00"}},
		{map[string]string{"ev_rows": "999"}},
		{map[string]string{"ports": "ssh"}},
		{map[string]string{"title": ""}},
	} {
		r := submit(t, e, form, c.set)
		if r.code != http.StatusBadRequest || r.hdr.Get("HX-Retarget") != "#p"+n+"-row-"+n+"-finding-error" || text(r, `[data-testid="record-error"]`) == "" {
			t.Errorf("%v: %d %q %s", c.set, r.code, r.hdr.Get("HX-Retarget"), r.body)
		}
	}
	if r := get(t, e, "/cases/demo/runs/"+run+"/rows/999"); r.code != http.StatusNotFound {
		t.Errorf("row 999: %d", r.code)
	}
	if r := get(t, e, "/cases/demo/runs/r-nope"); r.code != http.StatusNotFound || !strings.Contains(r.body, "the case has no analysis run r-nope") {
		t.Errorf("no such run: %d", r.code)
	}
}

func TestMakeFindingFromFlows(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	const target = "/cases/demo/flows?addr=" + browserAttacker + "&port=22&start=2023-11-14T22:00:00Z"
	r := get(t, e, target)
	if r.code != http.StatusOK {
		t.Fatalf("%d\n%s", r.code, r.body)
	}
	rec := r.doc.Find(`[data-testid="record"]`)
	// The filter's star, and the tags of its address.
	if s := submit(t, e, rec.Find(`[data-testid="star"] form`), nil); starredOf(s, `[data-testid="star"]`) != "true" {
		t.Fatalf("star the filter: %s", s.body)
	}
	if got := starredOf(get(t, e, target), `[data-testid="record"] [data-testid="star"]`); got != "true" {
		t.Errorf("filter star after: %q", got)
	}
	if got := text(r, `[data-testid="record"] [data-testid="tags"] .rec-label`); got != "Tags of "+browserAttacker {
		t.Errorf("tags label %q", got)
	}
	if s := submit(t, e, rec.Find(`form.tag-form`), map[string]string{"tag": "ssh"}); s.doc.Find(`[data-testid="tag"][data-tag="ssh"]`).Length() != 1 ||
		text(s, `.rec-label`) != "Tags of "+browserAttacker {
		t.Errorf("tag the address: %s", s.body)
	}
	form := rec.Find(`[data-testid="finding-form"]`)
	v := formValues(form)
	if v.Get("addresses") != browserAttacker || v.Get("ports") != "22" || v.Get("first_seen") != "2023-11-14T22:00:00" || v.Get("ev") != "flows" || v.Get("ev_start") != "2023-11-14T22:00:00Z" {
		t.Errorf("form %v", v)
	}
	if r := submit(t, e, form, map[string]string{"title": "SSH attempts"}); text(r, `[data-testid="finding-made-link"]`) != "F-1" {
		t.Fatalf("make: %d %s", r.code, r.body)
	}
	c := openCase(t, path)
	f, err := c.Finding(context.Background(), "F-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Evidence) != 1 || f.Evidence[0].Filter == nil || f.Evidence[0].RunID != "" {
		t.Fatalf("evidence %+v", f.Evidence)
	}
	ff := *f.Evidence[0].Filter
	if strings.Join(ff.Addresses, ",") != browserAttacker || !slices.Equal(ff.Ports, []int{22}) || ff.Start == nil || ff.Start.Format(time.RFC3339) != "2023-11-14T22:00:00Z" {
		t.Errorf("filter %+v", ff)
	}
	stars, _ := c.Starred(context.Background(), store.OnFlows)
	want, _ := store.FlowsTarget(store.FlowsFilter{Addresses: []string{browserAttacker}, Ports: []int{22}, Start: ff.Start})
	if len(stars) != 1 || stars[0].Target != want {
		t.Errorf("flows stars %+v, want %v", stars, want)
	}
	c.Close()
	// The evidence links back to the same records.
	link := get(t, e, "/cases/demo/findings").doc.Find(`[data-testid="evidence-link"]`).AttrOr("href", "")
	if r := get(t, e, link); r.code != http.StatusOK || text(r, `[data-testid="flow-records"] .value`) != "5" {
		t.Errorf("evidence %q: %d, %s records", link, r.code, text(r, `[data-testid="flow-records"] .value`))
	}
}

func TestFindingsPage(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	ctx := context.Background()
	w, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.Finding{
		{Title: "SSH brute force <from> " + browserAttacker, Severity: store.SeverityHigh, Subjects: store.Subjects{Addresses: []string{browserAttacker}}},
		{Title: "Telnet sweep", Severity: store.SeverityLow},
		{Title: "Backup traffic", Severity: store.SeverityInfo, Status: store.StatusDismissed, Reason: "the nightly backup"},
	} {
		if _, err := w.AddFinding(ctx, "bob", f, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Tag(ctx, "bob", store.Target{Kind: store.OnFinding, ID: "F-2"}, "scanner"); err != nil {
		t.Fatal(err)
	}
	w.Close()

	ids := func(r response) string {
		var out []string
		r.doc.Find(`[data-testid="finding"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-id", "")) })
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		query, want string
	}{
		{"", "F-1,F-2,F-3"},
		{"?status=open", "F-1,F-2"},
		{"?status=dismissed", "F-3"},
		{"?severity=high", "F-1"},
		{"?severity=HIGH&status=open", "F-1"},
		{"?tag=scanner", "F-2"},
		{"?tag=Scanner&severity=high", ""},
	} {
		r := get(t, e, "/cases/demo/findings"+c.query)
		if r.code != http.StatusOK || ids(r) != c.want {
			t.Errorf("%q: %d %q, want %q", c.query, r.code, ids(r), c.want)
		}
	}
	r := get(t, e, "/cases/demo/findings?status=maybe")
	if r.code != http.StatusBadRequest || !strings.Contains(text(r, `[data-testid="filter-error"]`), `status "maybe" is not one of open, confirmed, dismissed`) || ids(r) != "" {
		t.Errorf("bad status: %d\n%s", r.code, r.body)
	}
	r = get(t, e, "/cases/demo/findings")
	if r.doc.Find(`[data-testid="nav-findings"]`).AttrOr("href", "") != "/cases/demo/findings" {
		t.Error("no Findings in the case's navigation")
	}
	f1 := r.doc.Find(`[data-testid="finding"][data-id="F-1"]`)
	if got := f1.Find(`[data-testid="finding-title"]`).Text(); got != "SSH brute force <from> "+browserAttacker || strings.Contains(r.body, "<from>") {
		t.Errorf("title %q", got)
	}
	if href := f1.Find(`[data-testid="subject-addr"]`).AttrOr("href", ""); href != "/cases/demo/ip/"+browserAttacker {
		t.Errorf("subject link %q", href)
	}
	if got := text(r, `[data-testid="finding"][data-id="F-3"] [data-testid="finding-reason"]`); got != "Dismissed: the nightly backup" {
		t.Errorf("reason %q", got)
	}
	if r.doc.Find(`datalist#finding-tags option[value="scanner"]`).Length() != 1 {
		t.Error("the tag filter does not offer scanner")
	}
}

func TestFindingLifecycle(t *testing.T) {
	e, path := newRecordServer(t, Options{})
	ctx := context.Background()
	w, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddFinding(ctx, "bob", store.Finding{Title: "Port scan", Severity: store.SeverityMedium}, ""); err != nil {
		t.Fatal(err)
	}
	w.Close()
	card := func(r response) *goquery.Selection { return r.doc.Find(`[data-testid="finding"][data-id="F-1"]`) }
	status := func() store.Finding {
		c := openCase(t, path)
		defer c.Close()
		f, err := c.Finding(ctx, "F-1")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	// The overview's panel lists it.
	if r := get(t, e, "/cases/demo"); r.doc.Find(`[data-testid="panel-finding"][data-id="F-1"]`).Length() != 1 {
		t.Fatalf("overview panel:\n%s", text(r, `[data-testid="findings-panel"]`))
	}

	// Edit: the card comes back with the new title and severity.
	r := submit(t, e, card(get(t, e, "/cases/demo/findings")).Find(`[data-testid="edit-form"]`), map[string]string{"title": "Port scan from 198.18.0.0/24", "severity": "high"})
	if r.code != http.StatusOK || card(r).AttrOr("data-severity", "") != "high" || text(r, `[data-testid="finding-title"]`) != "Port scan from 198.18.0.0/24" {
		t.Fatalf("edit: %d\n%s", r.code, r.body)
	}
	if strings.Contains(r.body, "<html") {
		t.Error("edit: a full page for htmx")
	}

	// Dismiss without a reason: the error goes by the dismiss form; nothing changes.
	dismiss := card(r).Find(`details.dismiss form`)
	r = submit(t, e, dismiss, nil)
	if r.code != http.StatusBadRequest || r.hdr.Get("HX-Retarget") != "#finding-F-1-status-error" || !strings.Contains(text(r, `[data-testid="record-error"]`), "needs a reason") {
		t.Fatalf("dismiss without a reason: %d %q\n%s", r.code, r.hdr.Get("HX-Retarget"), r.body)
	}
	if strings.Contains(r.body, "--reason") {
		t.Errorf("a command-line flag in the workbench's message: %s", r.body)
	}
	if f := status(); f.Status != store.StatusOpen {
		t.Fatalf("status after a refused dismissal: %s", f.Status)
	}
	// With one, it is dismissed; reopened; confirmed.
	r = submit(t, e, dismiss, map[string]string{"reason": "a scheduled scan"})
	if card(r).AttrOr("data-status", "") != "dismissed" || text(r, `[data-testid="finding-reason"]`) != "Dismissed: a scheduled scan" {
		t.Fatalf("dismiss:\n%s", r.body)
	}
	if r := get(t, e, "/cases/demo"); r.doc.Find(`[data-testid="panel-finding"]`).Length() != 0 || r.doc.Find(`[data-testid="no-open-findings"]`).Length() != 1 {
		t.Errorf("a dismissed finding on the overview:\n%s", text(r, `[data-testid="findings-panel"]`))
	}
	r = submit(t, e, card(r).Find(`.status-form:has([data-testid="reopen"])`), nil)
	if card(r).AttrOr("data-status", "") != "open" {
		t.Fatalf("reopen:\n%s", r.body)
	}
	r = submit(t, e, card(r).Find(`.status-form:has([data-testid="confirm"])`), nil)
	if card(r).AttrOr("data-status", "") != "confirmed" {
		t.Fatalf("confirm:\n%s", r.body)
	}
	// A note and a tag on the finding.
	if n := submit(t, e, card(r).Find(`.note-form`), map[string]string{"text": "seen by **GuardDuty** too"}); n.doc.Find(`[data-testid="note-body"] strong`).Text() != "GuardDuty" {
		t.Errorf("note: %s", n.body)
	}
	if n := submit(t, e, card(r).Find(`form.tag-form`), map[string]string{"tag": "recon"}); n.doc.Find(`[data-testid="tag"][data-tag="recon"]`).Length() != 1 {
		t.Errorf("tag: %s", n.body)
	}
	f := status()
	if f.Status != store.StatusConfirmed || f.Title != "Port scan from 198.18.0.0/24" || f.Severity != store.SeverityHigh || f.UpdatedBy != "ana" ||
		len(f.Notes) != 1 || strings.Join(f.Tags, ",") != "recon" {
		t.Errorf("finding %+v", f)
	}
	c := openCase(t, path)
	log, _ := c.CaseLog(ctx, "F-1")
	var actions []string
	for _, l := range log {
		actions = append(actions, l.Analyst+" "+l.Action+" "+l.Field)
	}
	want := "bob finding.add ,ana finding.set title,ana finding.set severity,ana finding.set status,ana finding.set reason,ana finding.set status,ana finding.set reason,ana finding.set status"
	if strings.Join(actions, ",") != want {
		t.Errorf("case log\n%s\nwant\n%s", strings.Join(actions, ","), want)
	}
	c.Close()
	// The overview panel: severity, id, title, status, link.
	r = get(t, e, "/cases/demo")
	row := r.doc.Find(`[data-testid="panel-finding"][data-id="F-1"]`)
	if row.AttrOr("data-status", "") != "confirmed" || row.Find(`[data-testid="finding-severity"]`).Text() != "high" ||
		row.Find(`[data-testid="panel-finding-link"]`).AttrOr("href", "") != "/cases/demo/findings#finding-F-1" || !strings.Contains(row.Text(), "Port scan from") {
		t.Errorf("panel row: %s", row.Text())
	}
	if r.doc.Find(`[data-testid="findings-link"]`).AttrOr("href", "") != "/cases/demo/findings" {
		t.Error("no link to the findings page")
	}
	// No such finding: 404, said in the slot.
	if r := post(t, e, "/cases/demo/findings/F-9/status", url.Values{"status": {"confirmed"}}, hx); r.code != http.StatusNotFound || !strings.Contains(r.body, "no finding F-9") {
		t.Errorf("missing finding: %d %s", r.code, r.body)
	}
}

func TestOverviewNoFindings(t *testing.T) {
	e, _ := newRecordServer(t, Options{})
	r := get(t, e, "/cases/demo")
	panel := r.doc.Find(`[data-testid="findings-panel"]`)
	if panel.Length() != 1 || !strings.Contains(panel.Find(`[data-testid="no-findings"]`).Text(), "Make a finding from this") {
		t.Fatalf("empty state:\n%s", panel.Text())
	}
	// The panel opens the page, before the charts.
	if html, _ := r.doc.Find("main").Html(); strings.Index(html, "findings-panel") > strings.Index(html, `class="charts"`) && strings.Contains(html, `class="charts"`) {
		t.Error("the findings panel comes after the charts")
	}
	if r := get(t, e, "/cases/demo/findings"); r.doc.Find(`[data-testid="no-findings"]`).Length() != 1 {
		t.Errorf("findings page empty state:\n%s", r.body)
	}
}

func TestNoteBlocks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"one line", "p[one line]"},
		{"a\nb\n\nc", "p[a|b] p[c]"},
		{"**x** and `y`", "p[<strong>x</strong> and <code>y</code>]"},
		{"unclosed ** and ` and *", "p[unclosed ** and ` and *]"},
		{"- a\n- **b**\ntext", "ul[a;<strong>b</strong>] p[text]"},
		{"```\n<b>x</b>\n```", "pre[<b>x</b>]"},
		{"<script>", "p[<script>]"},
	} {
		var parts []string
		span := func(ss []noteSpan) string {
			var out string
			for _, s := range ss {
				if s.Kind == "" {
					out += s.Text
				} else {
					out += "<" + s.Kind + ">" + s.Text + "</" + s.Kind + ">"
				}
			}
			return out
		}
		for _, b := range noteBlocks(c.in) {
			switch {
			case b.IsPre:
				parts = append(parts, "pre["+b.Code+"]")
			case len(b.Items) > 0:
				var items []string
				for _, it := range b.Items {
					items = append(items, span(it))
				}
				parts = append(parts, "ul["+strings.Join(items, ";")+"]")
			default:
				var lines []string
				for _, l := range b.Lines {
					lines = append(lines, span(l))
				}
				parts = append(parts, "p["+strings.Join(lines, "|")+"]")
			}
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
}

// TestRunPage: a stored run's page shows its rows a page at a time, opening
// at the first evidence row's page with the evidence rows marked.
func TestRunPage(t *testing.T) {
	e, _ := newRecordServer(t, Options{})
	r := get(t, e, "/cases/demo/analyses/rejected")
	run := text(r, `[data-testid="run-id"]`)
	if text(r, `[data-testid="row-total"]`) != "121" {
		t.Fatalf("rejected: %s rows", text(r, `[data-testid="row-total"]`))
	}
	r = get(t, e, "/cases/demo/runs/"+run+"?rows=112,110")
	if r.code != http.StatusOK || text(r, `[data-testid="page"]`) != "2" || r.doc.Find(`tr.evidence`).Length() != 2 || r.doc.Find(`tr#row-110.evidence`).Length() != 1 {
		t.Fatalf("evidence page: %d, page %q, %d evidence rows", r.code, text(r, `[data-testid="page"]`), r.doc.Find(`tr.evidence`).Length())
	}
	prev := r.doc.Find(`[data-testid="prev-page"]`).AttrOr("href", "")
	if prev != "/cases/demo/runs/"+run+"?page=1&rows=112%2C110" {
		t.Errorf("previous %q", prev)
	}
	r = get(t, e, prev)
	if text(r, `[data-testid="page"]`) != "1" || r.doc.Find(`tr.evidence`).Length() != 0 || r.doc.Find(`[data-testid="result-row"]`).Length() != resultPageSize {
		t.Errorf("page 1: %q, %d rows", text(r, `[data-testid="page"]`), r.doc.Find(`[data-testid="result-row"]`).Length())
	}
	if r := get(t, e, "/cases/demo/runs/"+run+"?page=x"); r.code != http.StatusBadRequest {
		t.Errorf("page x: %d", r.code)
	}
}

// TestRecordBesideAReader: a note posted while another handle of this
// process reads the case waits for it to close, then lands.
func TestRecordBesideAReader(t *testing.T) {
	e, path := newRecordServer(t, Options{Wait: 20 * time.Second})
	ro := openCase(t, path)
	done := make(chan response, 1)
	go func() { done <- post(t, e, "/cases/demo/record/notes", notePost("203.0.113.9", "beside a reader"), hx) }()
	time.Sleep(300 * time.Millisecond)
	if _, err := ro.Notes(context.Background(), nil); err != nil { // it reads meanwhile
		t.Fatal(err)
	}
	ro.Close()
	if r := <-done; r.code != http.StatusOK || text(r, `[data-testid="note-body"]`) != "beside a reader" {
		t.Fatalf("%d\n%s", r.code, r.body)
	}
	if got := noteTexts(t, path, "203.0.113.9"); len(got) != 1 {
		t.Errorf("notes %q", got)
	}
}
