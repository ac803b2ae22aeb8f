package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

const testTorExits = `ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2023-11-14 17:55:12
LastStatus 2023-11-14 20:00:00
ExitAddress 203.0.113.9 2023-11-14 20:11:35
ExitNode 0091174DE56EADB1E0B5D3E0A9C8D1F7C1E69A4F
Published 2023-11-14 16:01:43
LastStatus 2023-11-14 19:00:00
ExitAddress 192.0.2.77 2023-11-14 19:20:04
ExitAddress 2001:db8:7::1 2023-11-14 19:21:04
`

const testDROP = `; Spamhaus DROP List 2023/11/14 - (c) 2023 The Spamhaus Project SLU
; Last-Modified: Tue, 14 Nov 2023 11:29:06 GMT
198.51.100.0/24 ; SBL000001
192.0.2.128/25 ; SBL000002
bogus ; SBL000003
`

func writeIntelFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"exit-addresses": testTorExits,
		"drop.txt":       testDROP,
		"notes.txt":      "lists fetched on the jump host\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestIntelImportListLoad(t *testing.T) {
	c := analyzedCase(t)
	r := c.mustRun("intel", "list")
	if !strings.Contains(r.stdout, "No threat-intel lists") || !strings.Contains(r.stdout, "intel import FILE") {
		t.Fatalf("empty list: %q", r.stdout)
	}
	if r := c.run("intel", "load", "web"); r.code != exitFail || !strings.Contains(r.stderr, "no threat-intel lists in") {
		t.Fatalf("load from an empty home: %d %q", r.code, r.stderr)
	}

	files := writeIntelFiles(t)
	r = c.run("intel", "import", files)
	if r.code != exitFail {
		t.Fatalf("import with a file that is not a list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "intel-import", c.normalize(r.stdout+r.stderr, files, c.home))
	r = c.mustRun("intel", "import", filepath.Join(files, "exit-addresses"))
	if !strings.HasPrefix(r.stdout, "unchanged  tor-exits") {
		t.Fatalf("second import: %q", r.stdout)
	}
	r = c.mustRun("intel", "list")
	golden(t, "intel-list", c.normalize(r.stdout, c.home))
	r = c.mustRun("intel", "list", "--format", "json")
	var infos []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil || len(infos) != 2 || infos[1]["name"] != "tor-exits" || infos[1]["ipv6"] != float64(1) ||
		infos[0]["date"] != "2023-11-14T11:29:06Z" || infos[0]["skipped"] != float64(1) {
		t.Fatalf("list --format json: %v\n%s", err, r.stdout)
	}

	if r := c.run("intel", "load", "web", "--name", "nope"); r.code != exitFail || !strings.Contains(r.stderr, "nope: no such list") {
		t.Fatalf("load an unknown list: %d %q", r.code, r.stderr)
	}
	r = c.mustRun("intel", "load", "web", "--name", "tor-exits")
	if !strings.Contains(r.stdout, "loaded     tor-exits         3 entries from exit-addresses (2023-11-14)") {
		t.Fatalf("load tor-exits:\n%s", r.stdout)
	}
	r = c.mustRun("intel", "load", "web")
	golden(t, "intel-load", c.normalize(r.stdout))
	// The load paid for the peers' new lists: the next analysis, triage or
	// page finds the derived tables up to date.
	if !strings.Contains(r.stderr, "Brought the case's address_info up to date") {
		t.Errorf("intel load does not say it rebuilt address_info: %q", r.stderr)
	}
	cs, err := store.Open(context.Background(), filepath.Join(c.cases, "web.duckdb"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	stale, err := queries.Stale(context.Background(), cs)
	cs.Close()
	if err != nil || stale {
		t.Errorf("after intel load the derived tables are stale (%v)", err)
	}
	if r := c.mustRun("intel", "load", "web"); !strings.Contains(r.stdout, "already holds the current snapshots of spamhaus-drop, tor-exits") {
		t.Fatalf("load again: %q", r.stdout)
	}

	// The peers on the lists: 198.51.100.7 (SSH in, rejected; its answer
	// accepted) in DROP's /24, 203.0.113.9 (accepted outbound) a Tor exit.
	r = c.mustRun("analyze", "web", "--analysis", "intel-match", "--format", "csv")
	for _, want := range []string{
		"list,peer_ip,entry,prefix,comment,severity,directions,flows,accepted,",
		"spamhaus-drop,198.51.100.7,198.51.100.0/24,198.51.100.0/24,SBL000001,high,\"inbound, outbound\",2,1,",
		"tor-exits,203.0.113.9,203.0.113.9,203.0.113.9/32,\"exit node 0011BD2485AD45D984EC4159C88FC066E5E3300E, seen 2023-11-14 20:11:35\",high,outbound,1,1,",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("intel-match lacks %s:\n%s", want, r.stdout)
		}
	}
	r = c.mustRun("sql", "web", "SELECT addr, array_to_string(intel, ',') AS lists FROM address_info WHERE len(intel) > 0 ORDER BY addr")
	if !strings.Contains(r.stdout, "198.51.100.7  spamhaus-drop") || !strings.Contains(r.stdout, "203.0.113.9   tor-exits") {
		t.Fatalf("address_info.intel:\n%s", r.stdout)
	}

	if r := c.run("intel", "import", files, "--name", "Bad Name"); r.code != exitUsage {
		t.Fatalf("bad name: exit %d %q", r.code, r.stderr)
	}
	if r := c.mustRun("intel", "--help"); !strings.Contains(r.stdout, "investigator intel load incident-42 --name tor-exits") {
		t.Fatalf("intel --help:\n%s", r.stdout)
	}
	if r := c.mustRun("intel", "import", "--help"); !strings.Contains(r.stdout, "ExitAddress lines)") || !strings.Contains(r.stdout, "never the file name") {
		t.Fatalf("intel import --help:\n%s", r.stdout)
	}
}

func TestIntelUpdate(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/exit-addresses", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, testTorExits) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newCLI(t)

	r := c.mustRun("intel", "update", "--source", "tor-exits="+srv.URL+"/exit-addresses")
	if !strings.HasPrefix(r.stdout, "new        tor-exits         "+srv.URL+"/exit-addresses: 3 entries (2 IPv4, 1 IPv6), Tor exit-addresses list, dated 2023-11-14") {
		t.Fatalf("update:\n%s", r.stdout)
	}
	r = c.mustRun("intel", "update", "--source", "tor-exits="+srv.URL+"/exit-addresses", "--format", "json")
	if !strings.Contains(r.stdout, `"status": "unchanged"`) {
		t.Fatalf("update again:\n%s", r.stdout)
	}
	r = c.run("intel", "update", "--source", "gone="+srv.URL+"/gone")
	if r.code != exitFail || !strings.Contains(r.stdout, "refused    gone") || !strings.Contains(r.stdout, "HTTP 404") || strings.Contains(r.stderr, "offline") {
		t.Fatalf("a feed that is gone: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Offline: nothing listens on the port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/exit-addresses"
	l.Close()
	r = c.run("intel", "update", "--source", "tor-exits="+closed)
	if r.code != exitFail || !strings.Contains(r.stdout, "cannot connect to 127.0.0.1") ||
		!strings.Contains(r.stderr, "this machine seems to be offline, so nothing can be fetched") || !strings.Contains(r.stderr, "investigator intel import FILE|DIR") {
		t.Fatalf("offline: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.run("intel", "update", "--name", "nope"); r.code != exitUsage || !strings.Contains(r.stderr, "the known feeds are spamhaus-drop, spamhaus-drop-v6, tor-exits") {
		t.Fatalf("unknown feed: %d %q", r.code, r.stderr)
	}
	if r := c.run("intel", "update", "--source", "x"); r.code != exitUsage {
		t.Fatalf("bad --source: %d", r.code)
	}
}
