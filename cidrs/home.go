package cidrs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/investigator/investigator/cidrs/asn"
	"github.com/investigator/investigator/cidrs/snapshot"
	"github.com/investigator/investigator/internal/format"
)

// Home is the folder where investigator keeps what it has fetched: the range
// snapshots live in Dir/cidrs, one current snapshot per provider, each as the
// raw file as fetched (PROVIDER-SHA.EXT) and a JSON sidecar describing it
// (PROVIDER.meta.json), kept as package snapshot keeps them. The ASN data
// lives beside them (ASN).
type Home struct{ Dir string }

// DefaultHome is $INVESTIGATOR_HOME, else $XDG_DATA_HOME/investigator, else
// ~/.local/share/investigator.
func DefaultHome() (Home, error) {
	d, err := snapshot.DefaultHome()
	if err != nil {
		return Home{}, fmt.Errorf("cidrs: no home folder (set INVESTIGATOR_HOME): %w", err)
	}
	return Home{Dir: d}, nil
}

// ASN is the home's ASN data: the same folder.
func (h Home) ASN() asn.Home { return asn.Home{Dir: h.Dir} }

// MaxFileSize is the largest range file read or downloaded (Azure's Service
// Tags file, the largest, is about 4 MB).
const MaxFileSize = 64 << 20

// folder is where the range snapshots are: one per provider, keyed by its name.
func (h Home) folder() snapshot.Folder {
	return snapshot.Folder{Dir: filepath.Join(h.Dir, "cidrs"), Package: "cidrs", Again: "import the provider's file again"}
}

// Info describes a stored snapshot: what List shows and the sidecar holds.
type Info struct {
	Provider  string    `json:"provider"`
	Format    string    `json:"format"`
	Source    string    `json:"source"`
	SHA256    string    `json:"sha256"`
	Bytes     int64     `json:"bytes"`
	Date      time.Time `json:"date,omitzero"` // the date the file carries
	Version   string    `json:"version,omitempty"`
	FetchedAt time.Time `json:"fetched_at"` // when it entered the home
	Prefixes  int       `json:"prefixes"`
	IPv4      int       `json:"ipv4"`
	IPv6      int       `json:"ipv6"`
	Skipped   int       `json:"skipped,omitempty"`
	// File is the raw file's name inside Dir/cidrs.
	File string `json:"file"`
}

// Status is what became of a file or provider in Import or Update.
type Status string

const (
	StatusNew       Status = "new"       // the home had no snapshot of this provider
	StatusReplaced  Status = "replaced"  // it replaced a different snapshot
	StatusUnchanged Status = "unchanged" // the same bytes were already current: nothing written
	StatusFailed    Status = "failed"    // refused or not fetched; Err says why
)

// ImportResult is one snapshot an import stored, or one file it could not.
type ImportResult struct {
	// Paths are the files: one, or several files of one provider merged
	// (Cloudflare's ips-v4 and ips-v6).
	Paths    []string
	Provider string
	Status   Status
	Info     Info  // the stored snapshot (not for StatusFailed)
	Previous *Info // the snapshot it replaced
	// Notes are things worth saying: skipped lines, an older date than the
	// snapshot it replaces, a family the replaced snapshot had and this lacks.
	Notes []string
	Err   error
}

// Import stores the range file at path, or every range file in the folder at
// path, as the current snapshot of its provider. provider names the provider
// of plain lists and geofeeds (see Parse). See ImportAll.
func (h Home) Import(path, provider string) ([]ImportResult, error) {
	return h.ImportAll([]string{path}, provider)
}

// ImportAll stores files and folders (walked recursively, dot files passed
// over). Files of one provider given together are merged into one snapshot
// when they are plain lists or geofeeds (Cloudflare publishes IPv4 and IPv6
// in two files); of several self-describing files of one provider the newest
// is taken and the others are reported as failed. A file that cannot be read
// as a range file is reported and the others go on; a single file given on
// its own that fails is also returned as the error.
func (h Home) ImportAll(paths []string, provider string) ([]ImportResult, error) {
	if provider != "" {
		if err := ValidProvider(provider); err != nil {
			return nil, err
		}
	}
	var files []string
	single := false
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is the subject: not "stat PATH: ..."
			}
			return nil, fileError(p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			single = len(paths) == 1
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if fp != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, fp)
			}
			return nil
		})
		if err != nil {
			return nil, fileError(p, err)
		}
		if len(found) == 0 {
			return nil, &Error{Subject: p, Msg: "the directory has no files"}
		}
		sort.Strings(found)
		files = append(files, found...)
	}

	var (
		results []ImportResult
		parts   = map[string][]part{}
		order   []string
	)
	for _, f := range files {
		data, err := readFile(f)
		if err == nil {
			var s Snapshot
			if s, err = Parse(filepath.Base(f), data, provider); err == nil {
				if _, ok := parts[s.Provider]; !ok {
					order = append(order, s.Provider)
				}
				parts[s.Provider] = append(parts[s.Provider], part{path: f, name: filepath.Base(f), data: data, snap: s})
				continue
			}
		}
		results = append(results, ImportResult{Paths: []string{f}, Status: StatusFailed, Err: err})
	}
	for _, prov := range order {
		ps := parts[prov]
		var paths []string
		for _, p := range ps {
			paths = append(paths, p.path)
		}
		pick, rest, err := combine(ps)
		if err != nil {
			results = append(results, ImportResult{Paths: paths, Provider: prov, Status: StatusFailed, Err: err})
			continue
		}
		for _, r := range rest {
			results = append(results, ImportResult{Paths: []string{r.path}, Provider: prov, Status: StatusFailed,
				Err: &Error{Subject: r.name, Msg: fmt.Sprintf("another %s file of this import is newer (%s)", prov, pick.name)}})
		}
		res := ImportResult{Paths: pick.paths, Provider: prov}
		for _, p := range ps {
			if p.snap.Skipped > 0 && slices.Contains(pick.paths, p.path) {
				res.Notes = append(res.Notes, fmt.Sprintf("%s: %s %s not prefixes, skipped", p.name, format.Nouns(int64(p.snap.Skipped), "line"), format.Be(int64(p.snap.Skipped))))
				for _, l := range p.snap.SkippedLines {
					res.Notes = append(res.Notes, "  "+p.name+" "+l)
				}
			}
		}
		st, info, prev, err := h.put(pick.snap, pick.data, time.Now())
		res.Status, res.Info, res.Previous, res.Err = st, info, prev, err
		if err == nil {
			res.Notes = append(res.Notes, compareNotes(info, prev)...)
		}
		results = append(results, res)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Paths[0] < results[j].Paths[0] })
	if single && len(results) == 1 && results[0].Err != nil {
		return results, results[0].Err
	}
	return results, nil
}

// compareNotes says what an analyst may want to know about a replacement.
func compareNotes(info Info, prev *Info) []string {
	if prev == nil || prev.SHA256 == info.SHA256 {
		return nil
	}
	var notes []string
	if !info.Date.IsZero() && !prev.Date.IsZero() && info.Date.Before(prev.Date) {
		notes = append(notes, fmt.Sprintf("this file is dated %s, older than the snapshot it replaces (%s)",
			info.Date.Format(time.DateOnly), prev.Date.Format(time.DateOnly)))
	}
	if prev.IPv4 > 0 && info.IPv4 == 0 {
		notes = append(notes, fmt.Sprintf("the snapshot it replaces had %d IPv4 prefixes and this one has none: import all of the provider's files together", prev.IPv4))
	}
	if prev.IPv6 > 0 && info.IPv6 == 0 {
		notes = append(notes, fmt.Sprintf("the snapshot it replaces had %d IPv6 prefixes and this one has none: import all of the provider's files together", prev.IPv6))
	}
	return notes
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cidrs: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cidrs: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, &Error{Subject: filepath.Base(path), Msg: fmt.Sprintf("%d bytes is more than any range file (the limit is %d MB)", st.Size(), MaxFileSize>>20)}
	}
	data := make([]byte, 0, st.Size())
	buf := bytes.NewBuffer(data)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("cidrs: %w", err)
	}
	return buf.Bytes(), nil
}

// part is one file of a provider's snapshot.
type part struct {
	path, name string
	data       []byte
	snap       Snapshot
}

// picked is what combine made of a provider's files.
type picked struct {
	paths []string
	name  string
	data  []byte
	snap  Snapshot
}

// combine makes one snapshot of one provider's files: lists and geofeeds are
// merged; of self-describing files the newest wins.
func combine(ps []part) (picked, []part, error) {
	if len(ps) == 1 {
		return picked{paths: []string{ps[0].path}, name: ps[0].name, data: ps[0].data, snap: ps[0].snap}, nil, nil
	}
	mergeable := true
	for _, p := range ps {
		if f := p.snap.Format; f != FormatList && f != FormatGeofeed {
			mergeable = false
		}
	}
	if !mergeable {
		best := 0
		for i, p := range ps {
			if !p.snap.Date.Before(ps[best].snap.Date) {
				best = i
			}
		}
		var rest []part
		for i, p := range ps {
			if i != best {
				rest = append(rest, p)
			}
		}
		b := ps[best]
		return picked{paths: []string{b.path}, name: b.name, data: b.data, snap: b.snap}, rest, nil
	}
	var (
		names []string
		paths []string
		srcs  []source
	)
	for _, p := range ps {
		names = append(names, p.name)
		paths = append(paths, p.path)
		srcs = append(srcs, source{name: p.name, data: p.data})
	}
	data := merge(srcs)
	name := strings.Join(names, " + ")
	s, err := Parse(name, data, ps[0].snap.Provider)
	if err != nil {
		return picked{}, nil, err
	}
	return picked{paths: paths, name: name, data: data, snap: s}, nil, nil
}

type source struct {
	name string
	data []byte
}

// merge concatenates line-based files into one, each after a comment line
// naming where it came from; the result parses as the union of the parts.
func merge(srcs []source) []byte {
	var b bytes.Buffer
	for _, s := range srcs {
		fmt.Fprintf(&b, "# source: %s\n", s.name)
		d := bytes.TrimPrefix(s.data, []byte("\xef\xbb\xbf"))
		b.Write(d)
		if len(d) > 0 && d[len(d)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// current reads a provider's sidecar; nil when there is none.
func (h Home) current(provider string) (*Info, error) {
	return snapshot.ReadMeta[Info](h.folder(), provider)
}

// put stores a parsed snapshot and its raw bytes as its provider's current one.
func (h Home) put(s Snapshot, raw []byte, now time.Time) (Status, Info, *Info, error) {
	prev, err := h.current(s.Provider)
	if err != nil {
		return StatusFailed, Info{}, nil, err
	}
	f := h.folder()
	if prev != nil && prev.SHA256 == s.SHA256 && f.Intact(prev.raw()) {
		return StatusUnchanged, *prev, prev, nil
	}
	// Otherwise new bytes, or the stored file is missing or damaged: write it (again).
	v4, v6 := s.Count()
	info := Info{
		Provider: s.Provider, Format: s.Format, Source: s.Source, SHA256: s.SHA256, Bytes: int64(len(raw)),
		Date: s.Date, Version: s.Version, FetchedAt: now.UTC().Truncate(time.Second),
		Prefixes: len(s.Ranges), IPv4: v4, IPv6: v6, Skipped: s.Skipped,
		File: s.Provider + "-" + s.SHA256[:12] + extension(s.Format),
	}
	var old string
	if prev != nil {
		old = prev.File
	}
	if err := f.Put(s.Provider, info.File, raw, info, old); err != nil {
		return StatusFailed, Info{}, prev, err
	}
	if prev != nil {
		return StatusReplaced, info, prev, nil
	}
	return StatusNew, info, nil, nil
}

func (in Info) raw() snapshot.Raw { return snapshot.Raw{File: in.File, SHA256: in.SHA256} }

func extension(format string) string {
	switch format {
	case FormatGeofeed:
		return ".csv"
	case FormatList:
		return ".txt"
	}
	return ".json"
}

// List describes the current snapshots, sorted by provider. A home without
// any has none.
func (h Home) List() ([]Info, error) {
	keys, err := h.folder().Keys()
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, prov := range keys {
		if ValidProvider(prov) != nil {
			continue
		}
		in, err := h.current(prov)
		if err != nil {
			return nil, err
		}
		if in != nil {
			out = append(out, *in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// Snapshots parses every current snapshot.
func (h Home) Snapshots() ([]Snapshot, error) {
	infos, err := h.List()
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(infos))
	for _, in := range infos {
		s, err := h.snapshot(in)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// snapshot reads and parses one stored snapshot, checking its bytes.
func (h Home) snapshot(in Info) (Snapshot, error) {
	raw, err := h.folder().ReadAll(in.Provider, "snapshot of "+in.Provider, in.raw())
	if err != nil {
		return Snapshot{}, err
	}
	s, err := Parse(in.Source, raw, in.Provider)
	if err != nil {
		return Snapshot{}, err
	}
	s.FetchedAt = in.FetchedAt
	return s, nil
}
