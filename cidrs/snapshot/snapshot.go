// Package snapshot keeps snapshots in the home folder: files as they were
// imported or fetched, each described by a JSON sidecar.
//
// A Folder is one kind of snapshot in the home folder: <home>/cidrs holds one
// current snapshot per provider, <home>/asn the one current ASN snapshot. A
// snapshot has a key (the provider; "current"): its sidecar is KEY.meta.json
// and names the raw file beside it (NAME-SHA.EXT), whose sha256 it holds. A
// snapshot is replaced by writing the new raw file, then the sidecar that
// points at it, then removing the old raw file, so a crash leaves either the
// old snapshot or the new one. Reading a snapshot checks that its bytes are
// the ones its sidecar describes.
//
// The folder's errors speak for the package whose snapshots it keeps: they
// begin with Folder.Package ("cidrs: ...", "asn: ...") and say how to repair
// what they find damaged (Folder.Again).
package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/investigator/investigator/internal/fsutil"
)

// DefaultHome is the home folder: $INVESTIGATOR_HOME, else
// $XDG_DATA_HOME/investigator, else ~/.local/share/investigator. The error
// is the one of finding the user's home folder.
func DefaultHome() (string, error) {
	if d := os.Getenv("INVESTIGATOR_HOME"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "investigator"), nil
	}
	u, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(u, ".local", "share", "investigator"), nil
}

// Folder is a folder of snapshots with their sidecars.
type Folder struct {
	Dir string
	// Package is the package whose snapshots these are: every error begins
	// with it ("cidrs").
	Package string
	// Again is how an analyst replaces a damaged snapshot ("import the
	// provider's file again").
	Again string
}

// Raw names the raw file of a snapshot as its sidecar does: the file's name
// in the folder and the sha256 of its bytes.
type Raw struct{ File, SHA256 string }

const metaSuffix = ".meta.json"

// MetaPath is the sidecar of key.
func (f Folder) MetaPath(key string) string { return filepath.Join(f.Dir, key+metaSuffix) }

func (f Folder) errorf(format string, a ...any) error {
	return fmt.Errorf(f.Package+": "+format, a...)
}

// ReadMeta reads the sidecar of key into a new M; nil when there is none.
func ReadMeta[M any](f Folder, key string) (*M, error) {
	b, err := os.ReadFile(f.MetaPath(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, f.errorf("%w", err)
	}
	m := new(M)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, f.errorf("%s is damaged (%v): delete it and %s", f.MetaPath(key), err, f.Again)
	}
	return m, nil
}

// Keys are the keys of the sidecars in the folder, sorted; none when the
// folder does not exist.
func (f Folder) Keys() ([]string, error) {
	entries, err := os.ReadDir(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, f.errorf("%w", err)
	}
	var keys []string
	for _, e := range entries {
		if k, ok := strings.CutSuffix(e.Name(), metaSuffix); ok && k != "" {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// safeName is a name of a file in the folder itself.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name
}

// Intact tells whether r's file is in the folder with the bytes r names.
func (f Folder) Intact(r Raw) bool {
	if !safeName(r.File) {
		return false
	}
	file, err := os.Open(filepath.Join(f.Dir, r.File))
	if err != nil {
		return false
	}
	defer file.Close()
	sum, err := Hash(file)
	return err == nil && sum == r.SHA256
}

// Hash is the hex sha256 of what r reads.
func Hash(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hexSum(h), nil
}

// Read hands the raw file that key's sidecar names (r) to read as a stream,
// and checks that its bytes are the ones r names, even when read stops
// before the end. A file that is missing or has changed is the error; else
// read's error is. what names the snapshot in errors ("snapshot of aws").
func (f Folder) Read(key, what string, r Raw, read func(io.Reader) error) error {
	if !safeName(r.File) {
		return f.errorf("%s names no raw file: %s", f.MetaPath(key), f.Again)
	}
	file, err := os.Open(filepath.Join(f.Dir, r.File))
	if err != nil {
		return f.errorf("%s: %w (%s)", what, err, f.Again)
	}
	defer file.Close()
	h := sha256.New()
	tee := io.TeeReader(file, h)
	rerr := read(tee)
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return f.errorf("%s: %w", what, err)
	}
	if hexSum(h) != r.SHA256 {
		return f.errorf("%s: %s has changed since it was stored (sha256 differs): %s", what, r.File, f.Again)
	}
	return rerr
}

// ReadAll is Read of the whole file: its checked bytes.
func (f Folder) ReadAll(key, what string, r Raw) ([]byte, error) {
	var data []byte
	err := f.Read(key, what, r, func(rd io.Reader) (err error) {
		data, err = io.ReadAll(rd)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// Stage is a raw file being written into the folder: not a snapshot until
// Commit, and gone after Discard. It hashes what is written.
type Stage struct {
	f    Folder
	tmp  *os.File
	sum  hash.Hash
	done bool
}

// Stage starts a raw file in the folder, making the folder if need be. The
// caller writes it, then commits or discards it.
func (f Folder) Stage() (*Stage, error) {
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return nil, f.errorf("%w", err)
	}
	tmp, err := os.CreateTemp(f.Dir, ".tmp-*")
	if err != nil {
		return nil, f.errorf("%w", err)
	}
	return &Stage{f: f, tmp: tmp, sum: sha256.New()}, nil
}

// Write adds p to the file.
func (s *Stage) Write(p []byte) (int, error) {
	n, err := s.tmp.Write(p)
	s.sum.Write(p[:n])
	return n, err
}

// SHA256 is the hex sha256 of what was written so far.
func (s *Stage) SHA256() string { return hexSum(s.sum) }

// Discard removes the file, unless it was committed; it may be deferred.
func (s *Stage) Discard() {
	if s.done {
		return
	}
	s.done = true
	s.tmp.Close()
	os.Remove(s.tmp.Name())
}

// Commit makes the file key's current snapshot: the file becomes file in
// the folder, then key's sidecar is meta (as indented JSON), then the raw
// file of the snapshot it replaces (prev, its name; "" for none) is
// removed.
func (s *Stage) Commit(key, file string, meta any, prev string) error {
	if s.done {
		return s.f.errorf("%s: the staged file is gone", file)
	}
	if !safeName(file) {
		return s.f.errorf("%q is not a file name", file)
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		s.Discard()
		return s.f.errorf("%w", err)
	}
	err = s.tmp.Sync()
	if cerr := s.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.tmp.Name(), filepath.Join(s.f.Dir, file))
	}
	if err != nil {
		s.Discard()
		return s.f.errorf("write %s: %w", filepath.Join(s.f.Dir, file), err)
	}
	s.done = true
	if err := fsutil.WriteAtomic(s.f.MetaPath(key), append(b, '\n')); err != nil {
		return s.f.errorf("%w", err)
	}
	if prev != file && safeName(prev) {
		os.Remove(filepath.Join(s.f.Dir, prev))
	}
	return nil
}

// Put is Stage, Write and Commit of raw.
func (f Folder) Put(key, file string, raw []byte, meta any, prev string) error {
	s, err := f.Stage()
	if err != nil {
		return err
	}
	defer s.Discard()
	if _, err := s.Write(raw); err != nil {
		return f.errorf("write %s: %w", filepath.Join(f.Dir, file), err)
	}
	return s.Commit(key, file, meta, prev)
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
