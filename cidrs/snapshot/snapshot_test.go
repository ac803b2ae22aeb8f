package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type meta struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	File   string `json:"file"`
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func testFolder(t *testing.T) Folder {
	return Folder{Dir: filepath.Join(t.TempDir(), "kind"), Package: "kind", Again: "import it again"}
}

func TestDefaultHome(t *testing.T) {
	t.Setenv("INVESTIGATOR_HOME", "/x/inv")
	t.Setenv("XDG_DATA_HOME", "/x/data")
	t.Setenv("HOME", "/x/home")
	for _, tc := range []struct {
		name  string
		unset []string
		want  string
	}{
		{"INVESTIGATOR_HOME", nil, "/x/inv"},
		{"XDG_DATA_HOME", []string{"INVESTIGATOR_HOME"}, "/x/data/investigator"},
		{"HOME", []string{"INVESTIGATOR_HOME", "XDG_DATA_HOME"}, "/x/home/.local/share/investigator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, u := range tc.unset {
				t.Setenv(u, "")
			}
			if d, err := DefaultHome(); err != nil || d != tc.want {
				t.Errorf("%q %v, want %q", d, err, tc.want)
			}
		})
	}
}

func TestPutReplaceList(t *testing.T) {
	f := testFolder(t)
	if keys, err := f.Keys(); err != nil || keys != nil {
		t.Fatalf("a folder that does not exist: %q %v", keys, err)
	}
	if m, err := ReadMeta[meta](f, "aws"); m != nil || err != nil {
		t.Fatalf("no sidecar: %+v %v", m, err)
	}

	one, two := []byte("one\n"), []byte("two\n")
	m1 := meta{Source: "a.json", SHA256: sum(one), File: "aws-1.json"}
	if err := f.Put("aws", m1.File, one, m1, ""); err != nil {
		t.Fatal(err)
	}
	if got := files(t, f.Dir); !slices.Equal(got, []string{"aws-1.json", "aws.meta.json"}) {
		t.Fatalf("folder holds %q", got)
	}
	if m, err := ReadMeta[meta](f, "aws"); err != nil || *m != m1 {
		t.Fatalf("sidecar %+v %v", m, err)
	}
	if !f.Intact(Raw{m1.File, m1.SHA256}) {
		t.Fatal("the stored file is not intact")
	}

	m2 := meta{Source: "b.json", SHA256: sum(two), File: "aws-2.json"}
	if err := f.Put("aws", m2.File, two, m2, m1.File); err != nil {
		t.Fatal(err)
	}
	other := meta{Source: "c.txt", SHA256: sum(one), File: "cloudflare-1.txt"}
	if err := f.Put("cloudflare", other.File, one, other, ""); err != nil {
		t.Fatal(err)
	}
	if got := files(t, f.Dir); !slices.Equal(got, []string{"aws-2.json", "aws.meta.json", "cloudflare-1.txt", "cloudflare.meta.json"}) {
		t.Fatalf("after the replacement the folder holds %q", got)
	}
	if keys, err := f.Keys(); err != nil || !slices.Equal(keys, []string{"aws", "cloudflare"}) {
		t.Fatalf("keys %q %v", keys, err)
	}
	data, err := f.ReadAll("aws", "snapshot of aws", Raw{m2.File, m2.SHA256})
	if err != nil || string(data) != string(two) {
		t.Fatalf("read %q %v", data, err)
	}
}

func TestReadRefusesDamage(t *testing.T) {
	f := testFolder(t)
	raw := []byte("bytes as imported\n")
	m := meta{SHA256: sum(raw), File: "x-1.txt"}
	if err := f.Put("x", m.File, raw, m, ""); err != nil {
		t.Fatal(err)
	}
	good := Raw{m.File, m.SHA256}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T)
		raw    Raw
		want   string
	}{
		{"changed bytes", func(t *testing.T) { os.WriteFile(filepath.Join(f.Dir, m.File), []byte("other"), 0o644) }, good,
			"kind: snapshot x: x-1.txt has changed since it was stored (sha256 differs): import it again"},
		{"missing file", func(t *testing.T) { os.Remove(filepath.Join(f.Dir, m.File)) }, good, "kind: snapshot x: open "},
		{"no file named", nil, Raw{"", m.SHA256}, "kind: " + f.MetaPath("x") + " names no raw file: import it again"},
		{"a path, not a name", nil, Raw{"../x-1.txt", m.SHA256}, "names no raw file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.damage != nil {
				tc.damage(t)
			}
			_, err := f.ReadAll("x", "snapshot x", tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
			if f.Intact(tc.raw) {
				t.Error("intact")
			}
		})
	}

	// A damaged sidecar.
	if err := os.WriteFile(f.MetaPath("x"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMeta[meta](f, "x"); err == nil || !strings.HasPrefix(err.Error(), "kind: "+f.MetaPath("x")+" is damaged (") ||
		!strings.HasSuffix(err.Error(), "): delete it and import it again") {
		t.Fatalf("damaged sidecar: %v", err)
	}
}

// TestReadChecksWhatTheReaderLeft: the hash covers the whole file even when
// the reader stops early, and a changed file is the error before the
// reader's.
func TestReadChecksWhatTheReaderLeft(t *testing.T) {
	f := testFolder(t)
	raw := []byte("header\nand the rest\n")
	if err := f.Put("x", "x.txt", raw, meta{}, ""); err != nil {
		t.Fatal(err)
	}
	early := func(r io.Reader) error {
		_, err := r.Read(make([]byte, 3))
		return err
	}
	if err := f.Read("x", "x", Raw{"x.txt", sum(raw)}, early); err != nil {
		t.Fatalf("an early stop: %v", err)
	}
	errParse := errors.New("not a snapshot")
	fail := func(io.Reader) error { return errParse }
	if err := f.Read("x", "x", Raw{"x.txt", sum(raw)}, fail); !errors.Is(err, errParse) {
		t.Fatalf("the reader's error: %v", err)
	}
	if err := f.Read("x", "x", Raw{"x.txt", sum([]byte("other"))}, fail); err == nil || !strings.Contains(err.Error(), "has changed") {
		t.Fatalf("changed and unreadable: %v", err)
	}
}

func TestStage(t *testing.T) {
	f := testFolder(t)
	t.Run("discarded", func(t *testing.T) {
		s, err := f.Stage()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(s, "half")
		s.Discard()
		s.Discard()
		if got := files(t, f.Dir); len(got) != 0 {
			t.Fatalf("a discarded file stays: %q", got)
		}
		if err := s.Commit("x", "x.txt", meta{}, ""); err == nil {
			t.Fatal("a discarded file committed")
		}
	})
	t.Run("committed", func(t *testing.T) {
		s, err := f.Stage()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Discard()
		io.WriteString(s, "whole\n")
		if s.SHA256() != sum([]byte("whole\n")) {
			t.Fatal("the stage's hash is not of what was written")
		}
		if err := s.Commit("x", "x.txt", meta{File: "x.txt"}, ""); err != nil {
			t.Fatal(err)
		}
		s.Discard() // after Commit: nothing
		if got := files(t, f.Dir); !slices.Equal(got, []string{"x.meta.json", "x.txt"}) {
			t.Fatalf("folder holds %q", got)
		}
	})
	t.Run("not a file name", func(t *testing.T) {
		s, err := f.Stage()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Discard()
		if err := s.Commit("y", "../y.txt", meta{}, ""); err == nil {
			t.Fatal("committed outside the folder")
		}
	})
}
