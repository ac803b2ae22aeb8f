package cidrs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDefaultHome(t *testing.T) {
	t.Setenv("INVESTIGATOR_HOME", "/x/inv")
	t.Setenv("XDG_DATA_HOME", "/x/data")
	t.Setenv("HOME", "/x/home")
	for _, tc := range []struct {
		unset []string
		want  string
	}{
		{nil, "/x/inv"},
		{[]string{"INVESTIGATOR_HOME"}, "/x/data/investigator"},
		{[]string{"INVESTIGATOR_HOME", "XDG_DATA_HOME"}, "/x/home/.local/share/investigator"},
	} {
		for _, u := range tc.unset {
			t.Setenv(u, "")
		}
		h, err := DefaultHome()
		if err != nil || h.Dir != tc.want {
			t.Errorf("unset %v: %q %v, want %q", tc.unset, h.Dir, err, tc.want)
		}
	}
}

func TestImportFile(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"ip-ranges.json": awsJSON,
		"older.json":     strings.Replace(awsJSON, "2024-01-02-03-04-05", "2023-06-01-00-00-00", 1),
	})
	res, err := h.Import(filepath.Join(src, "ip-ranges.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != StatusNew || res[0].Provider != "aws" || res[0].Info.Prefixes != 6 || res[0].Info.IPv4 != 4 || res[0].Info.IPv6 != 2 {
		t.Fatalf("first import: %+v", res)
	}
	first := res[0].Info
	raw, err := os.ReadFile(filepath.Join(h.Dir, "cidrs", first.File))
	if err != nil || string(raw) != awsJSON {
		t.Fatalf("the raw file is not kept as given: %v", err)
	}
	if first.Source != "ip-ranges.json" || first.Format != FormatAWS || first.Date.IsZero() || first.FetchedAt.IsZero() || first.Version != "1700000000" {
		t.Fatalf("info %+v", first)
	}

	res, err = h.Import(filepath.Join(src, "ip-ranges.json"), "")
	if err != nil || len(res) != 1 || res[0].Status != StatusUnchanged || res[0].Info.SHA256 != first.SHA256 || !res[0].Info.FetchedAt.Equal(first.FetchedAt) {
		t.Fatalf("second import of the same bytes: %+v %v", res, err)
	}

	res, err = h.Import(filepath.Join(src, "older.json"), "")
	if err != nil || len(res) != 1 || res[0].Status != StatusReplaced || res[0].Previous == nil || res[0].Previous.SHA256 != first.SHA256 {
		t.Fatalf("import of another file: %+v %v", res, err)
	}
	if len(res[0].Notes) != 1 || !strings.Contains(res[0].Notes[0], "older than the snapshot it replaces (2024-01-02)") {
		t.Fatalf("notes %q", res[0].Notes)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "cidrs", first.File)); !os.IsNotExist(err) {
		t.Fatalf("the replaced raw file is still there: %v", err)
	}
	list, err := h.List()
	if err != nil || len(list) != 1 || list[0].SHA256 != res[0].Info.SHA256 || list[0].Source != "older.json" {
		t.Fatalf("list %+v %v", list, err)
	}
	entries, _ := os.ReadDir(filepath.Join(h.Dir, "cidrs"))
	if len(entries) != 2 {
		t.Fatalf("files in the home: %v", entries)
	}

	// A file that is not a range file, given alone, is the error.
	writeFiles(t, src, map[string]string{"notes.txt": "hello\nworld\n"})
	res, err = h.Import(filepath.Join(src, "notes.txt"), "custom")
	if err == nil || len(res) != 1 || res[0].Status != StatusFailed || !strings.Contains(err.Error(), "notes.txt: not a range file") {
		t.Fatalf("import of prose: %+v %v", res, err)
	}
	if _, err := h.Import(filepath.Join(src, "missing.json"), ""); err == nil {
		t.Fatal("import of a missing file succeeded")
	}
	if _, err := h.Import(filepath.Join(src, "ip-ranges.json"), "Bad Name"); err == nil {
		t.Fatal("import with a bad provider name succeeded")
	}
}

func TestImportDirectory(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"aws/ip-ranges.json":          awsJSON,
		"cloudflare-v4-ip-ranges.txt": cloudflareV4,
		"cloudflare-v6-ip-ranges.txt": cloudflareV6,
		"google.csv":                  geofeedCSV, // a geofeed whose name does not say whose
		"README.md":                   "# Range files\n\nFetched by hand.\n",
		".DS_Store":                   "\x00\x00\x00\x01Bud1",
		"meta":                        githubJSON,
	})
	res, err := h.Import(src, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ImportResult{}
	for _, r := range res {
		got[filepath.Base(r.Paths[0])] = r
	}
	if len(res) != 5 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	for name, want := range map[string]Status{"ip-ranges.json": StatusNew, "cloudflare-v4-ip-ranges.txt": StatusNew, "meta": StatusNew, "google.csv": StatusFailed, "README.md": StatusFailed} {
		if got[name].Status != want {
			t.Errorf("%s: %s (%v), want %s", name, got[name].Status, got[name].Err, want)
		}
	}
	if err := got["google.csv"].Err; err == nil || !strings.Contains(err.Error(), "--provider") {
		t.Errorf("geofeed without provider: %v", err)
	}
	cf := got["cloudflare-v4-ip-ranges.txt"]
	if len(cf.Paths) != 2 || cf.Info.IPv4 != 3 || cf.Info.IPv6 != 2 || cf.Info.Source != "cloudflare-v4-ip-ranges.txt + cloudflare-v6-ip-ranges.txt" {
		t.Fatalf("cloudflare's two files are one snapshot: %+v", cf)
	}
	raw, _ := os.ReadFile(filepath.Join(h.Dir, "cidrs", cf.Info.File))
	if want := "# source: cloudflare-v4-ip-ranges.txt\n" + cloudflareV4 + "\n# source: cloudflare-v6-ip-ranges.txt\n" + cloudflareV6; string(raw) != want {
		t.Fatalf("merged file:\n%s\nwant:\n%s", raw, want)
	}

	// The geofeed with its provider named.
	res, err = h.Import(filepath.Join(src, "google.csv"), "digitalocean")
	if err != nil || res[0].Status != StatusNew || len(res[0].Notes) != 2 || !strings.Contains(res[0].Notes[1], `line 8: "not-a-prefix"`) {
		t.Fatalf("geofeed: %+v %v", res, err)
	}

	list, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	var provs []string
	for _, in := range list {
		provs = append(provs, in.Provider)
	}
	if want := []string{"aws", "cloudflare", "digitalocean", "github"}; !slices.Equal(provs, want) {
		t.Fatalf("providers %v, want %v", provs, want)
	}
	snaps, err := h.Snapshots()
	if err != nil || len(snaps) != 4 {
		t.Fatalf("snapshots: %d %v", len(snaps), err)
	}
	for i, s := range snaps {
		if s.SHA256 != list[i].SHA256 || len(s.Ranges) != list[i].Prefixes || s.FetchedAt.IsZero() {
			t.Errorf("snapshot %s does not match its sidecar", s.Provider)
		}
	}

	// Importing Cloudflare's IPv4 list alone replaces both and says so.
	res, err = h.Import(filepath.Join(src, "cloudflare-v4-ip-ranges.txt"), "")
	if err != nil || res[0].Status != StatusReplaced || len(res[0].Notes) != 1 || !strings.Contains(res[0].Notes[0], "had 2 IPv6 prefixes and this one has none") {
		t.Fatalf("v4 alone: %+v %v", res, err)
	}

	// Two AWS files in one import: the newer is taken.
	two := t.TempDir()
	writeFiles(t, two, map[string]string{"a.json": awsJSON, "b.json": strings.Replace(awsJSON, "2024-01-02", "2023-01-02", 1)})
	res, err = h.Import(two, "")
	if err != nil || len(res) != 2 {
		t.Fatalf("two AWS files: %+v %v", res, err)
	}
	for _, r := range res {
		switch filepath.Base(r.Paths[0]) {
		case "a.json":
			if r.Status != StatusUnchanged {
				t.Errorf("a.json: %s %v", r.Status, r.Err)
			}
		case "b.json":
			if r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "newer (a.json)") {
				t.Errorf("b.json: %s %v", r.Status, r.Err)
			}
		}
	}
}

func TestSnapshotsDetectTampering(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"ip-ranges.json": awsJSON})
	res, err := h.Import(filepath.Join(src, "ip-ranges.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Dir, "cidrs", res[0].Info.File), []byte(awsJSON+" "), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Snapshots(); err == nil || !strings.Contains(err.Error(), "has changed since it was stored") {
		t.Fatalf("tampered snapshot: %v", err)
	}
	// Importing the file again repairs it.
	if res, err := h.Import(filepath.Join(src, "ip-ranges.json"), ""); err != nil || res[0].Status == StatusFailed {
		t.Fatalf("re-import: %+v %v", res, err)
	}
}
