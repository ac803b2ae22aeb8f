package asn

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/investigator/investigator/cidrs/snapshot"
	"github.com/investigator/investigator/internal/format"
)

// Home is the folder where investigator keeps what it has fetched, the same
// folder as cidrs.Home (cidrs.DefaultHome finds it; cidrs.Home.ASN is this).
// The ASN data lives in Dir/asn: one current snapshot, kept as the raw file
// as imported (asn-SHA.EXT, compressed if it was) and a JSON sidecar
// describing it (current.meta.json), as package snapshot keeps them.
type Home struct{ Dir string }

// MaxFileSize is the largest file imported. iptoasn's combined TSV is about
// 30 MB uncompressed, GeoLite2-ASN about 10 MB.
const MaxFileSize = 1 << 30

// currentKey is the key of the one ASN snapshot: its sidecar is current.meta.json.
const currentKey = "current"

func (h Home) folder() snapshot.Folder {
	return snapshot.Folder{Dir: filepath.Join(h.Dir, "asn"), Package: "asn", Again: "import the ASN file again"}
}

func (h Home) dir() string      { return h.folder().Dir }
func (h Home) metaPath() string { return h.folder().MetaPath(currentKey) }

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
	file, err := os.Open(path)
	if err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	defer file.Close()
	st, err := file.Stat()
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
	f := h.folder()
	// The same size as the current snapshot: perhaps the same bytes, which
	// hashing tells far faster than parsing.
	if prev != nil && prev.Bytes == st.Size() {
		sum, err := snapshot.Hash(file)
		if err != nil {
			return ImportResult{}, fmt.Errorf("asn: import: %w", err)
		}
		if sum == prev.SHA256 && f.Intact(prev.raw()) {
			return ImportResult{Path: path, Status: StatusUnchanged, Info: *prev, Previous: prev}, nil
		}
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return ImportResult{}, fmt.Errorf("asn: import: %w", err)
		}
	}

	stage, err := f.Stage()
	if err != nil {
		return ImportResult{}, err
	}
	defer stage.Discard()
	tee := io.TeeReader(file, stage)
	s, err := parseStream(filepath.Base(path), tee)
	if err != nil {
		return ImportResult{}, err
	}
	// The parser may stop before the end (past a tar's member, a gzip
	// stream's trailing bytes): the stored copy and the hash take it all.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return ImportResult{}, fmt.Errorf("asn: import: %w", err)
	}
	s.SHA256 = stage.SHA256()
	if prev != nil && prev.SHA256 == s.SHA256 && f.Intact(prev.raw()) {
		return ImportResult{Path: path, Status: StatusUnchanged, Info: *prev, Previous: prev}, nil
	}

	v4, v6 := s.Count()
	info := Info{
		Format: s.Format, Database: s.Database, Container: s.Container, Source: s.Source, SHA256: s.SHA256,
		Bytes: st.Size(), Date: s.Date, FetchedAt: time.Now().UTC().Truncate(time.Second),
		Ranges: len(s.Ranges), IPv4: v4, IPv6: v6, ASNs: s.ASNs(), NotRouted: s.NotRouted, Skipped: s.Skipped,
		File: "asn-" + s.SHA256[:12] + extension(s.Format, s.Container),
	}
	var old string
	if prev != nil {
		old = prev.File
	}
	if err := stage.Commit(currentKey, info.File, info, old); err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Path: path, Status: StatusNew, Info: info, Notes: notes(s, info, prev)}
	if prev != nil {
		res.Status, res.Previous = StatusReplaced, prev
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

func (in Info) raw() snapshot.Raw { return snapshot.Raw{File: in.File, SHA256: in.SHA256} }

// CurrentInfo reads the sidecar of the current snapshot; nil when the home
// has none.
func (h Home) CurrentInfo() (*Info, error) {
	return snapshot.ReadMeta[Info](h.folder(), currentKey)
}

// Current parses the current snapshot, checking that the stored bytes are
// the ones imported. A home without one gives nil and no error.
func (h Home) Current() (*Snapshot, Info, error) {
	in, err := h.CurrentInfo()
	if err != nil || in == nil {
		return nil, Info{}, err
	}
	var s Snapshot
	err = h.folder().Read(currentKey, "the stored ASN snapshot", in.raw(), func(r io.Reader) (err error) {
		s, err = parseStream(in.Source, r)
		return err
	})
	if err != nil {
		return nil, Info{}, err
	}
	s.SHA256, s.FetchedAt = in.SHA256, in.FetchedAt
	return &s, *in, nil
}
