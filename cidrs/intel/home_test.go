package intel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestImportListSelect(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	if list, err := h.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty home: %v %v", list, err)
	}
	if _, err := h.Select(nil); err == nil || !strings.Contains(err.Error(), "no threat-intel lists in") {
		t.Fatalf("select from an empty home: %v", err)
	}
	dir := writeFiles(t, map[string]string{
		"exit-addresses":      torExits,
		"drop.txt":            spamhausDROP,
		"feeds/drop_v6.json":  spamhausJSONv6,
		"feeds/bundle.json":   stixBundle,
		"notes.md":            "fetched on the jump host\n",
		".hidden/x.txt":       "192.0.2.1\n",
		"zz-copy-of-drop.txt": spamhausDROP,
	})
	res, err := h.Import([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ImportResult{}
	for _, r := range res {
		got[filepath.Base(r.Path)] = r
	}
	if len(res) != 6 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	for file, want := range map[string]string{"exit-addresses": "tor-exits", "drop.txt": "spamhaus-drop", "drop_v6.json": "spamhaus-drop-v6", "bundle.json": "bundle"} {
		if r := got[file]; r.Status != StatusNew || r.Name != want || r.Err != nil {
			t.Errorf("%s: %s %s %v", file, r.Status, r.Name, r.Err)
		}
	}
	if r := got["notes.md"]; r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "notes.md: plain list of addresses: no address or network in it") {
		t.Errorf("notes.md: %s %v", r.Status, r.Err)
	}
	if r := got["zz-copy-of-drop.txt"]; r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "is also list spamhaus-drop in this import") {
		t.Errorf("the second DROP: %s %v", r.Status, r.Err)
	}
	if r := got["exit-addresses"]; len(r.Notes) != 3 || !strings.Contains(r.Notes[0], "2 lines skipped") {
		t.Errorf("tor notes %q", r.Notes)
	}
	if r := got["bundle.json"]; !strings.Contains(strings.Join(r.Notes, "\n"), "2 records about other things than addresses passed over (domain-name 1, revoked indicator 1)") {
		t.Errorf("stix notes %q", r.Notes)
	}

	list, err := h.List()
	if err != nil || len(list) != 4 {
		t.Fatalf("list: %v %v", list, err)
	}
	tor := list[3]
	if tor.Name != "tor-exits" || tor.Format != FormatTor || tor.IPv4 != 2 || tor.IPv6 != 1 || tor.Entries != 3 || tor.Skipped != 2 ||
		tor.Date.Format("2006-01-02 15:04:05") != "2026-11-20 08:11:35" || tor.FetchedAt.IsZero() || len(tor.SHA256) != 64 {
		t.Errorf("tor info %+v", tor)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "intel", tor.File)); err != nil || !strings.HasPrefix(tor.File, "tor-exits-") || !strings.HasSuffix(tor.File, ".txt") {
		t.Errorf("raw file %s: %v", tor.File, err)
	}

	// The same bytes again change nothing; a named import of one file.
	res, err = h.Import([]string{filepath.Join(dir, "exit-addresses")}, "")
	if err != nil || res[0].Status != StatusUnchanged {
		t.Fatalf("again: %+v %v", res, err)
	}
	res, err = h.Import([]string{filepath.Join(dir, "drop.txt")}, "our-drop")
	if err != nil || res[0].Status != StatusNew || res[0].Name != "our-drop" {
		t.Fatalf("named: %+v %v", res, err)
	}
	if _, err := h.Import([]string{dir}, "x"); err == nil || !strings.Contains(err.Error(), "--name names one list") {
		t.Fatalf("--name with a folder: %v", err)
	}
	if _, err := h.Import([]string{filepath.Join(dir, "notes.md")}, ""); err == nil {
		t.Fatal("a single bad file is the import's error")
	}
	if _, err := h.Import([]string{filepath.Join(dir, "missing")}, ""); err == nil || !strings.Contains(err.Error(), "missing: no such file") {
		t.Fatalf("missing: %v", err)
	}

	// A newer version replaces the list; an older one says so.
	newer := strings.Replace(torExits, "2026-11-20 08:11:35", "2026-11-21 08:11:35", 1)
	older := strings.Replace(strings.ReplaceAll(torExits, "2026-11-20", "2026-11-01"), "162.247.74.201", "162.247.74.202", 1)
	d2 := writeFiles(t, map[string]string{"newer": newer, "older": older})
	res, err = h.Import([]string{filepath.Join(d2, "newer")}, "tor-exits")
	if err != nil || res[0].Status != StatusReplaced || res[0].Previous == nil || res[0].Previous.SHA256 != tor.SHA256 {
		t.Fatalf("newer: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "intel", tor.File)); !os.IsNotExist(err) {
		t.Errorf("the replaced raw file is still there: %v", err)
	}
	res, err = h.Import([]string{filepath.Join(d2, "older")}, "tor-exits")
	if err != nil || res[0].Status != StatusReplaced || !strings.Contains(strings.Join(res[0].Notes, "\n"), "older than the snapshot it replaces (2026-11-21)") {
		t.Fatalf("older: %+v %v", res, err)
	}

	sel, err := h.Select([]string{"tor-exits", "bundle", "tor-exits"})
	if err != nil || len(sel) != 2 || sel[0].Name != "tor-exits" {
		t.Fatalf("select: %v %v", sel, err)
	}
	if _, err := h.Select([]string{"nope"}); err == nil || !strings.Contains(err.Error(), "nope: no such list") || !strings.Contains(err.Error(), "bundle, our-drop, spamhaus-drop") {
		t.Fatalf("select unknown: %v", err)
	}

	// A stored file that changed is found out when read.
	in := sel[0]
	if err := os.WriteFile(filepath.Join(h.Dir, "intel", in.File), []byte("192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Snapshot(in); err == nil || !strings.Contains(err.Error(), "has changed since it was stored") {
		t.Fatalf("damaged: %v", err)
	}
}
