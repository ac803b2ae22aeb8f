package views

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/cidrs/asn"
	"github.com/investigator/investigator/internal/whoisfake"
	"github.com/investigator/investigator/store"
	"github.com/investigator/investigator/whois"
)

// enrichLines: a public peer inside the fake's network, one in an AWS range,
// and a private one.
var enrichLines = []string{
	"2 123456789012 eni-0a1b2c3d4e5f60001 45.61.9.9 10.0.1.10 40000 22 6 3 180 1700000000 1700000060 REJECT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.10 52.216.8.8 50000 443 6 9 9000 1700000100 1700000160 ACCEPT OK",
	"2 123456789012 eni-0a1b2c3d4e5f60001 10.0.2.5 10.0.1.10 50001 22 6 2 120 1700000200 1700000260 ACCEPT OK",
}

func newEnrichServer(t *testing.T, o Options) *echo.Echo {
	t.Helper()
	return newEnrichServerIn(t, newBrowserCase(t, enrichLines), o)
}

func newEnrichServerIn(t *testing.T, dir string, o Options) *echo.Echo {
	t.Helper()
	o.CasesDir = dir
	o.Program = "test"
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// addFocusBehind adds a focus address to the demo case in dir from outside
// the workbench, as the CLI would.
func addFocusBehind(t *testing.T, dir, addr string) {
	t.Helper()
	ctx := context.Background()
	c, err := store.Open(ctx, filepath.Join(dir, "demo"+store.Ext), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: netip.MustParseAddr(addr), Source: "test"}}); err != nil {
		t.Fatal(err)
	}
}

func TestEnrichmentStatus(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(t.TempDir(), "ip-ranges.json")
	os.WriteFile(aws, []byte(`{"syncToken": "1700000000", "createDate": "2023-11-10-03-04-05",
		"prefixes": [{"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"}],
		"ipv6_prefixes": []}`), 0o644)
	if _, err := (cidrs.Home{Dir: home}).Import(aws, ""); err != nil {
		t.Fatal(err)
	}
	tsv := filepath.Join(t.TempDir(), "ip2asn-v4.tsv")
	os.WriteFile(tsv, []byte("45.61.0.0\t45.61.255.255\t64500\tUS\tEXAMPLE-AS\n52.216.0.0\t52.217.255.255\t16509\tUS\tAMAZON-02\n"), 0o644)
	if _, err := (asn.Home{Dir: home}).Import(tsv); err != nil {
		t.Fatal(err)
	}
	e := newEnrichServer(t, Options{Home: home})

	if got := text(get(t, e, "/"), `[data-testid="case-focus"]`); got != "10.0.1.10" {
		t.Errorf("cases list: focus %q", got)
	}
	r := get(t, e, "/cases/demo")
	if r.code != http.StatusOK || r.doc.Find(`[data-testid="no-ranges"]`).Length() != 1 {
		t.Fatalf("a case without ranges: %d\n%s", r.code, text(r, `[data-testid="enrichment"]`))
	}
	if got := text(r, `[data-testid="peers"] .value`); got != "3" {
		t.Errorf("peers %q: the focus is not one", got)
	}
	pending := text(r, `[data-testid="pending"]`)
	if !strings.Contains(pending, "aws of 2023-11-10") || !strings.Contains(pending, "ASN data of") {
		t.Errorf("pending: %q", pending)
	}

	r = post(t, e, "/cases/demo/enrich/ranges", nil, nil)
	if r.code != http.StatusSeeOther || r.hdr.Get("Location") != "/cases/demo#enrichment" {
		t.Fatalf("load ranges: %d %q\n%s", r.code, r.hdr.Get("Location"), r.body)
	}
	r = get(t, e, "/cases/demo")
	if got := r.doc.Find(`[data-testid="range-snapshot"]`).Length(); got != 2 {
		t.Errorf("%d snapshots shown, want aws and ASN:\n%s", got, text(r, `[data-testid="enrichment"]`))
	}
	if got := text(r, `[data-testid="range-snapshot"][data-provider="aws"] td:nth-child(3)`); got != "1" {
		t.Errorf("aws ranges %q", got)
	}
	if r.doc.Find(`[data-testid="ranges-current"]`).Length() != 1 || r.doc.Find(`[data-testid="stale-form"]`).Length() != 0 {
		t.Errorf("after loading: %s", text(r, `[data-testid="enrichment"]`))
	}
	// The derived tables were rebuilt with the ranges: the AWS peer is named.
	if got := text(r, `[data-testid="whois-coverage"]`); !strings.Contains(got, "0 of 2 public addresses") {
		t.Errorf("coverage: %q", got)
	}
	if r := get(t, e, "/cases/demo/ip/52.216.8.8"); !strings.Contains(text(r, `[data-testid="pivot-info"]`), "aws") {
		t.Errorf("pivot after loading ranges: %s", text(r, `[data-testid="pivot-info"]`))
	}

	// Without a home folder the page says how to get one; the button's
	// target refuses.
	e2 := newEnrichServer(t, Options{})
	if r := get(t, e2, "/cases/demo"); !strings.Contains(text(r, `[data-testid="enrichment"]`), "No home folder") {
		t.Errorf("no home: %s", text(r, `[data-testid="enrichment"]`))
	}
	if r := post(t, e2, "/cases/demo/enrich/ranges", nil, nil); r.code != http.StatusBadRequest {
		t.Errorf("load without a home: %d", r.code)
	}
}

func TestPivotLookUp(t *testing.T) {
	server, queries := whoisfake.Serve(t, whoisfake.Example)
	// The ingest built the derived tables; a focus address added since (by
	// the CLI, say) leaves them out of date: the page offers to rebuild them.
	dir := newBrowserCase(t, enrichLines)
	addFocusBehind(t, dir, "10.0.1.11")
	e := newEnrichServerIn(t, dir, Options{Whois: whoisOptionsFor(server)})
	const peer = "/cases/demo/ip/45.61.9.9"
	r := get(t, e, peer)
	next := r.doc.Find(`[data-testid="pivot-stale"] input[name="next"]`).AttrOr("value", "")
	if next != peer {
		t.Fatalf("stale page: next %q\n%s", next, r.body)
	}
	r = post(t, e, "/cases/demo/prepare", url.Values{"next": {next}}, nil)
	if r.code != http.StatusSeeOther || r.hdr.Get("Location") != peer {
		t.Fatalf("prepare: %d %q", r.code, r.hdr.Get("Location"))
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/x", "/cases/other/ip/1.2.3.4"} {
		if r := post(t, e, "/cases/demo/prepare", url.Values{"next": {evil}}, nil); r.hdr.Get("Location") != "/cases/demo" {
			t.Errorf("prepare next=%q goes to %q", evil, r.hdr.Get("Location"))
		}
	}

	r = get(t, e, peer)
	if r.doc.Find(`[data-testid="pivot-no-whois"]`).Length() != 1 || r.doc.Find(`[data-testid="lookup"]`).Length() != 1 {
		t.Fatalf("no look-up button:\n%s", text(r, `#pivot-whois-section`))
	}
	if action := r.doc.Find(`[data-testid="lookup-form"]`).AttrOr("action", ""); action != peer+"/whois" {
		t.Errorf("form posts to %q", action)
	}
	r = post(t, e, peer+"/whois", nil, nil)
	if r.code != http.StatusOK {
		t.Fatalf("look up: %d\n%s", r.code, r.body)
	}
	if got := text(r, `[data-testid="lookup-result"]`); got != "Looked up with 1 query." {
		t.Errorf("look-up says %q", got)
	}
	if got := text(r, `[data-testid="pivot-whois-org"]`); got != "Example Hosting" {
		t.Errorf("WHOIS org %q", got)
	}
	// The derived tables were rebuilt: the address's org is there too, and
	// a plain reload shows the stored answer without asking again.
	if got := text(get(t, e, peer), `[data-testid="pivot-info"]`); !strings.Contains(got, "Example Hosting") {
		t.Errorf("info after look-up: %s", got)
	}
	r = post(t, e, peer+"/whois", nil, nil)
	if got := text(r, `[data-testid="lookup-result"]`); !strings.Contains(got, "already holds") || queries.Load() != 1 {
		t.Errorf("second look-up: %q after %d queries", got, queries.Load())
	}

	// A private peer has no button; asking anyway sends nothing.
	if r := get(t, e, "/cases/demo/ip/10.0.2.5"); r.doc.Find(`[data-testid="lookup"]`).Length() != 0 {
		t.Error("a look-up button for a private address")
	}
	r = post(t, e, "/cases/demo/ip/10.0.2.5/whois", nil, nil)
	if got := text(r, `[data-testid="lookup-result"]`); !strings.Contains(got, "never sent") || queries.Load() != 1 {
		t.Errorf("private look-up: %q after %d queries", got, queries.Load())
	}
	if r := post(t, e, "/cases/demo/ip/nope/whois", nil, nil); r.code != http.StatusBadRequest {
		t.Errorf("bad address: %d", r.code)
	}
	// A cross-site form cannot start one.
	if r := post(t, e, peer+"/whois", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); r.code != http.StatusForbidden {
		t.Errorf("cross-site look-up: %d", r.code)
	}

	// --offline: no button, and the action refuses.
	off := newEnrichServer(t, Options{Whois: whoisOptionsFor(server), WhoisOffline: true})
	post(t, off, "/cases/demo/prepare", nil, nil)
	if r := get(t, off, peer); r.doc.Find(`[data-testid="lookup"]`).Length() != 0 || !strings.Contains(text(r, `#pivot-whois-section`), "--offline") {
		t.Errorf("offline pivot: %s", text(r, `#pivot-whois-section`))
	}
	if r := post(t, off, peer+"/whois", nil, nil); r.code != http.StatusForbidden || queries.Load() != 1 {
		t.Errorf("offline look-up: %d", r.code)
	}
}

// whoisOptionsFor sends look-ups to the fake server, quickly.
func whoisOptionsFor(server string) whois.Options {
	return whois.Options{Server: server, Timeout: 5 * time.Second, Tries: 1}
}

// TestLookUpPeers runs the overview's WHOIS job: the public peers are looked
// up (one query for the network), the private one is not, and the
// coverage shows it.
func TestLookUpPeers(t *testing.T) {
	server, queries := whoisfake.Serve(t, whoisfake.Example)
	e := newEnrichServer(t, Options{Whois: whoisOptionsFor(server)})
	post(t, e, "/cases/demo/prepare", nil, nil)
	r := get(t, e, "/cases/demo")
	if r.doc.Find(`[data-testid="whois-form"]`).Length() != 1 {
		t.Fatalf("no WHOIS button:\n%s", text(r, `[data-testid="enrichment"]`))
	}
	for _, bad := range []string{"0", "x", "10001"} {
		if r := post(t, e, "/cases/demo/enrich/whois", url.Values{"max": {bad}}, nil); r.code != http.StatusBadRequest {
			t.Errorf("max=%s: %d", bad, r.code)
		}
	}
	r = post(t, e, "/cases/demo/enrich/whois", url.Values{"max": {"10"}}, nil)
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.hdr.Get("Location"), "/cases/demo/jobs/") {
		t.Fatalf("start: %d %q", r.code, r.hdr.Get("Location"))
	}
	r = waitJob(t, e, r.hdr.Get("Location"))
	if state := r.doc.Find(`[data-testid="job"]`).AttrOr("data-state", ""); state != jobDone {
		t.Fatalf("job %s: %s\n%s", state, text(r, `[data-testid="job-error"]`), text(r, `[data-testid="job-log"]`))
	}
	if log := text(r, `[data-testid="job-log"]`); !strings.Contains(log, "2 public peers to look up") || !strings.Contains(log, "2 queried") {
		t.Errorf("job log:\n%s", log)
	}
	if r.doc.Find(`[data-testid="job-enrichment"]`).Length() != 1 || r.doc.Find(`[data-testid="job-manifest"]`).Length() != 0 {
		t.Errorf("job links: %s", text(r, `[data-testid="job-links"]`))
	}
	// 45.61.9.9 is answered; 52.216.8.8 gets the same fake answer, outside
	// its network, so it stays uncovered.
	if queries.Load() != 2 {
		t.Errorf("%d queries", queries.Load())
	}
	r = get(t, e, "/cases/demo")
	if got := text(r, `[data-testid="whois-coverage"]`); !strings.Contains(got, "1 of 2 public addresses") {
		t.Errorf("coverage after the job: %q", got)
	}
	if r.doc.Find(`[data-testid="stale-form"]`).Length() != 0 {
		t.Error("the job left the derived tables stale")
	}
}
