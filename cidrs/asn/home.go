package asn

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
	"time"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/fsutil"
)

// Home is the folder where investigator keeps what it has fetched (the same
// folder as cidrs.Home). The ASN data lives in Dir/asn: one current
// snapshot, kept as the raw file as imported (asn-SHA.EXT, compressed if it
// was) and a JSON sidecar describing it (current.meta.json). A snapshot is
// replaced by writing the new raw file, then the sidecar that points at it,
// then removing the old raw file, so a crash leaves either the old snapshot
// or the new one.
type Home struct{ Dir string }

// DefaultHome is cidrs.DefaultHome: $INVESTIGATOR_HOME, else
// $XDG_DATA_HOME/investigator, else ~/.local/share/investigator.
func DefaultHome() (Home, error) {
	h, err := cidrs.DefaultHome()
	return Home{Dir: h.Dir}, err
}

// MaxFileSize is the largest file imported. iptoasn's combined TSV is about
// 30 MB uncompressed, GeoLite2-ASN about 10 MB.
const MaxFileSize = 1 << 30

func (h Home) dir() string      { return filepath.Join(h.Dir, "asn") }
func (h Home) metaPath() string { return filepath.Join(h.dir(), "current.meta.json") }

// Info describes the stored snapshot: what the sidecar holds.
type Info struct {
	Format    string    `json:"format"`
	Database  string    `json:"database,omitempty"`  // a MaxMind DB's database_type
	Container string    `json:"container,omitempty"` // gzip, tar, tar.gz
	Source    string    `json:"source"`              // the imported file's name
	SHA256    string    `json:"sha256"`              // of the raw file
	Bytes     int64     `json:"bytes"`               // of the raw file
	Date      time.Time `json:"date,omitzero"`       // the build date the file carries
	FetchedAt time.Time `json:"fetched_at"`          // when it entered the home
	Ranges    int       `json:"ranges"`
	IPv4      int       `json:"ipv4"`
	IPv6      int       `json:"ipv6"`
	ASNs      int       `json:"asns"` // distinct AS numbers
	NotRouted int       `json:"not_routed,omitempty"`
	Skipped   int       `json:"skipped,omitempty"`
	// File is the raw file's name inside Dir/asn.
	File string `json:"file"`
}

// Status is what an import did.
type Status string

// What an import can do.
const (
	StatusNew       Status = "new"       // the home had no ASN snapshot
	StatusReplaced  Status = "replaced"  // it replaced a different snapshot
	StatusUnchanged Status = "unchanged" // the same bytes were already current: nothing written
)

// ImportResult is what Import stored.
type ImportResult struct {
	Path     string
	Status   Status
	Info     Info  // the current snapshot after the import
	Previous *Info // the snapshot it replaced (StatusReplaced), or the same one (StatusUnchanged)
	// Notes are things worth saying: skipped lines, unrouted rows, a build
	// date older than the replaced snapshot's, a family the replaced
	// snapshot had and this lacks.
	Notes []string
}

// Import stores the ASN file at path as the home's current snapshot,
// replacing any other. The file is read as a stream (hashed, copied into the
// home and parsed in one pass; a MaxMind DB is then held in memory whole).
// Importing the bytes that are already current writes nothing.
func (h Home) Import(path string) (ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	if st.IsDir() {
		return ImportResult{}, fmt.Errorf("asn: import: %s is a folder: give the ASN file itself", path)
	}
	if st.Size() > MaxFileSize {
		return ImportResult{}, fmt.Errorf("asn: import: %s: %d bytes is more than any ASN file (the limit is %d MB)", filepath.Base(path), st.Size(), MaxFileSize>>20)
	}
	prev, err := h.CurrentInfo()
	if err != nil {
		return ImportResult{}, err
	}
	// The same size as the current snapshot: perhaps the same bytes, which
	// hashing tells far faster than parsing.
	if prev != nil && prev.Bytes == st.Size() {
		sum, err := hashOf(f)
		if err != nil {
			return ImportResult{}, fmt.Errorf("asn: import: %w", err)
		}
		if sum == prev.SHA256 && h.intact(*prev) {
			return ImportResult{Path: path, Status: StatusUnchanged, Info: *prev, Previous: prev}, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return ImportResult{}, fmt.Errorf("asn: import: %w", err)
		}
	}

	if err := os.MkdirAll(h.dir(), 0o755); err != nil {
		return ImportResult{}, fmt.Errorf("asn: %w", err)
	}
	tmp, err := os.CreateTemp(h.dir(), ".tmp-*")
	if err != nil {
		return ImportResult{}, fmt.Errorf("asn: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	sum := sha256.New()
	tee := io.TeeReader(f, io.MultiWriter(tmp, sum))
	s, err := parseStream(filepath.Base(path), tee)
	if err != nil {
		return ImportResult{}, err
	}
	// The parser may stop before the end (past a tar's member, a gzip
	// stream's trailing bytes): the stored copy and the hash take it all.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	s.SHA256 = hexSum(sum)
	if prev != nil && prev.SHA256 == s.SHA256 && h.intact(*prev) {
		return ImportResult{Path: path, Status: StatusUnchanged, Info: *prev, Previous: prev}, nil
	}

	v4, v6 := s.Count()
	info := Info{
		Format: s.Format, Database: s.Database, Container: s.Container, Source: s.Source, SHA256: s.SHA256,
		Bytes: st.Size(), Date: s.Date, FetchedAt: time.Now().UTC().Truncate(time.Second),
		Ranges: len(s.Ranges), IPv4: v4, IPv6: v6, ASNs: s.ASNs(), NotRouted: s.NotRouted, Skipped: s.Skipped,
		File: "asn-" + s.SHA256[:12] + extension(s.Format, s.Container),
	}
	if err := tmp.Sync(); err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(h.dir(), info.File)); err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	keep = true
	meta, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return ImportResult{}, fmt.Errorf("asn: %w", err)
	}
	if err := writeAtomic(h.metaPath(), append(meta, '\n')); err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Path: path, Status: StatusNew, Info: info, Notes: notes(s, info, prev)}
	if prev != nil {
		res.Status, res.Previous = StatusReplaced, prev
		if prev.File != info.File && safeName(prev.File) {
			os.Remove(filepath.Join(h.dir(), prev.File))
		}
	}
	return res, nil
}

// notes says what an analyst may want to know about an import.
func notes(s Snapshot, info Info, prev *Info) []string {
	var out []string
	if s.Skipped > 0 {
		out = append(out, fmt.Sprintf("%s %s not ASN ranges, skipped", format.Nouns(int64(s.Skipped), "line"), format.Be(int64(s.Skipped))))
		for _, l := range s.SkippedLines {
			out = append(out, "  "+l)
		}
	}
	if s.NotRouted > 0 {
		what := format.Nouns(int64(s.NotRouted), "row") + " of AS 0 (not routed)"
		if s.Format == FormatMMDB {
			what = format.Nouns(int64(s.NotRouted), "network") + " without an AS number"
		}
		out = append(out, what+" passed over")
	}
	if prev == nil {
		return out
	}
	if !info.Date.IsZero() && !prev.Date.IsZero() && info.Date.Before(prev.Date) {
		out = append(out, fmt.Sprintf("this file was built %s, before the snapshot it replaces (%s)",
			info.Date.Format(time.DateOnly), prev.Date.Format(time.DateOnly)))
	}
	for _, f := range []struct {
		name       string
		prev, this int
	}{{"IPv4", prev.IPv4, info.IPv4}, {"IPv6", prev.IPv6, info.IPv6}} {
		if f.prev > 0 && f.this == 0 {
			out = append(out, fmt.Sprintf("the snapshot it replaces had %d %s ranges and this one has none: the home keeps one ASN file, so import one that holds both families (iptoasn's ip2asn-combined.tsv.gz)", f.prev, f.name))
		}
	}
	return out
}

func extension(format, container string) string {
	ext := ".tsv"
	if format == FormatMMDB {
		ext = ".mmdb"
	}
	switch container {
	case "gzip":
		return ext + ".gz"
	case "tar":
		return ".tar"
	case "tar.gz":
		return ".tar.gz"
	}
	return ext
}

func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name
}

func hashOf(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// intact tells whether the stored raw file is there with the bytes the
// sidecar names.
func (h Home) intact(in Info) bool {
	if !safeName(in.File) {
		return false
	}
	f, err := os.Open(filepath.Join(h.dir(), in.File))
	if err != nil {
		return false
	}
	defer f.Close()
	sum, err := hashOf(f)
	return err == nil && sum == in.SHA256
}

func writeAtomic(path string, data []byte) error {
	if err := fsutil.WriteAtomic(path, data); err != nil {
		return fmt.Errorf("asn: %w", err)
	}
	return nil
}

// CurrentInfo reads the sidecar of the current snapshot; nil when the home
// has none.
func (h Home) CurrentInfo() (*Info, error) {
	b, err := os.ReadFile(h.metaPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("asn: %w", err)
	}
	var in Info
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("asn: %s is damaged (%v): delete it and import the ASN file again", h.metaPath(), err)
	}
	return &in, nil
}

// Current parses the current snapshot, checking that the stored bytes are
// the ones imported. A home without one gives nil and no error.
func (h Home) Current() (*Snapshot, Info, error) {
	in, err := h.CurrentInfo()
	if err != nil || in == nil {
		return nil, Info{}, err
	}
	if !safeName(in.File) {
		return nil, Info{}, fmt.Errorf("asn: %s names no raw file: import the ASN file again", h.metaPath())
	}
	f, err := os.Open(filepath.Join(h.dir(), in.File))
	if err != nil {
		return nil, Info{}, fmt.Errorf("asn: the stored ASN snapshot: %w (import the ASN file again)", err)
	}
	defer f.Close()
	sum := sha256.New()
	tee := io.TeeReader(f, sum)
	s, perr := parseStream(in.Source, tee)
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, Info{}, fmt.Errorf("asn: the stored ASN snapshot: %w", err)
	}
	if got := hexSum(sum); got != in.SHA256 {
		return nil, Info{}, fmt.Errorf("asn: the stored ASN snapshot %s has changed since it was imported (sha256 differs): import the ASN file again", in.File)
	}
	if perr != nil {
		return nil, Info{}, perr
	}
	s.SHA256, s.FetchedAt = in.SHA256, in.FetchedAt
	return &s, *in, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
