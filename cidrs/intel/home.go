package intel

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/investigator/investigator/cidrs/snapshot"
	"github.com/investigator/investigator/internal/format"
)

// Home is the folder where investigator keeps what it has fetched, the same
// folder as cidrs.Home. The lists live in Dir/intel: one current snapshot
// per list, each as the raw file as imported or fetched (NAME-SHA.EXT) and a
// JSON sidecar describing it (NAME.meta.json), as package snapshot keeps
// them.
type Home struct{ Dir string }

// MaxFileSize is the largest list file read or downloaded (a MISP export of
// a busy instance can be large; Tor's and Spamhaus's lists are well under a
// megabyte).
const MaxFileSize = 256 << 20

func (h Home) folder() snapshot.Folder {
	return snapshot.Folder{Dir: filepath.Join(h.Dir, "intel"), Package: "intel", Again: "import the list again"}
}

// Folder is where the lists are kept.
func (h Home) Folder() string { return h.folder().Dir }

// Info describes a stored snapshot: what List shows and the sidecar holds.
type Info struct {
	Name      string    `json:"name"`
	Format    string    `json:"format"`
	Source    string    `json:"source"`
	SHA256    string    `json:"sha256"`
	Bytes     int64     `json:"bytes"`
	Date      time.Time `json:"date,omitzero"` // the date the file carries
	FetchedAt time.Time `json:"fetched_at"`    // when it entered the home
	Entries   int       `json:"entries"`
	IPv4      int       `json:"ipv4"`
	IPv6      int       `json:"ipv6"`
	Skipped   int       `json:"skipped,omitempty"`
	Ignored   int       `json:"ignored,omitempty"`
	// File is the raw file's name inside Dir/intel.
	File string `json:"file"`
}

func (in Info) raw() snapshot.Raw { return snapshot.Raw{File: in.File, SHA256: in.SHA256} }

// Day is the snapshot's date, else when it entered the home, as a day.
func (in Info) Day() string {
	d := in.Date
	if d.IsZero() {
		d = in.FetchedAt
	}
	return d.UTC().Format(time.DateOnly)
}

// Status is what became of a file or list in Import or Update.
type Status string

// What an import or update can do.
const (
	StatusNew       Status = "new"       // the home had no snapshot of this list
	StatusReplaced  Status = "replaced"  // it replaced a different snapshot
	StatusUnchanged Status = "unchanged" // the same bytes were already current: nothing written
	StatusFailed    Status = "failed"    // refused or not fetched; Err says why
)

// ImportResult is one list an import stored, or one file it could not.
type ImportResult struct {
	Path     string
	Name     string
	Status   Status
	Info     Info  // the stored snapshot (not for StatusFailed)
	Previous *Info // the snapshot it replaced, or the same one (StatusUnchanged)
	// Notes are things worth saying: skipped lines, records passed over, an
	// older date than the snapshot it replaces.
	Notes []string
	Err   error
}

// Import stores each list file at paths (files, and folders searched
// recursively, dot files passed over) as the current snapshot of its list.
// name names the list of a single file (see Parse); given with several
// files it is an error. A file that cannot be read as a list is reported
// and the others go on; two files of the same list in one import are an
// error for the second. The error is for the whole import: a path that does
// not exist, a bad name, a single file given on its own that failed.
func (h Home) Import(paths []string, name string) ([]ImportResult, error) {
	if name != "" {
		if err := ValidName(name); err != nil {
			return nil, err
		}
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fileError(p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
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
	if name != "" && len(files) > 1 {
		return nil, &Error{Msg: fmt.Sprintf("--name names one list, but %d files were given: import them one by one, each with its name", len(files))}
	}
	var results []ImportResult
	seen := map[string]string{}
	now := time.Now()
	for _, f := range files {
		res := ImportResult{Path: f}
		data, err := readFile(f)
		var s Snapshot
		if err == nil {
			s, err = Parse(filepath.Base(f), data, name)
		}
		if err == nil {
			if other, dup := seen[s.Name]; dup {
				err = &Error{Subject: filepath.Base(f), Msg: fmt.Sprintf("%s is also list %s in this import: name one of them with --name", filepath.Base(other), s.Name)}
			}
		}
		if err != nil {
			res.Status, res.Err = StatusFailed, err
			results = append(results, res)
			continue
		}
		seen[s.Name] = f
		res.Name = s.Name
		res.Notes = parseNotes(s)
		res.Status, res.Info, res.Previous, res.Err = h.put(s, data, now)
		if res.Err == nil {
			res.Notes = append(res.Notes, compareNotes(res.Info, res.Previous)...)
		}
		results = append(results, res)
	}
	if len(paths) == 1 && len(files) == 1 && results[0].Err != nil {
		return results, results[0].Err
	}
	return results, nil
}

// parseNotes says what the parse of a list passed over.
func parseNotes(s Snapshot) []string {
	var notes []string
	if s.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("%s skipped", format.Nouns(int64(s.Skipped), "line")))
		for _, l := range s.SkippedLines {
			notes = append(notes, "  "+l)
		}
		if s.Skipped > len(s.Entries) {
			notes = append(notes, "  most lines are not addresses: is this the list you meant?")
		}
	}
	if s.Ignored > 0 {
		notes = append(notes, fmt.Sprintf("%s about other things than addresses passed over (%s)", format.Nouns(int64(s.Ignored), "record"), s.KindsText()))
	}
	return notes
}

// compareNotes says what an analyst may want to know about a replacement.
func compareNotes(info Info, prev *Info) []string {
	if prev == nil || prev.SHA256 == info.SHA256 {
		return nil
	}
	if !info.Date.IsZero() && !prev.Date.IsZero() && info.Date.Before(prev.Date) {
		return []string{fmt.Sprintf("this file is dated %s, older than the snapshot it replaces (%s)",
			info.Date.Format(time.DateOnly), prev.Date.Format(time.DateOnly))}
	}
	return nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("intel: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("intel: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, &Error{Subject: filepath.Base(path), Msg: fmt.Sprintf("%d bytes is more than any list file (the limit is %d MB)", st.Size(), MaxFileSize>>20)}
	}
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()))
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("intel: %w", err)
	}
	return buf.Bytes(), nil
}

// CurrentInfo reads a list's sidecar; nil when the home has no such list.
func (h Home) CurrentInfo(name string) (*Info, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	return snapshot.ReadMeta[Info](h.folder(), name)
}

// put stores a parsed snapshot and its raw bytes as its list's current one.
func (h Home) put(s Snapshot, raw []byte, now time.Time) (Status, Info, *Info, error) {
	prev, err := h.CurrentInfo(s.Name)
	if err != nil {
		return StatusFailed, Info{}, nil, err
	}
	f := h.folder()
	if prev != nil && prev.SHA256 == s.SHA256 && f.Intact(prev.raw()) {
		return StatusUnchanged, *prev, prev, nil
	}
	v4, v6 := s.Count()
	info := Info{
		Name: s.Name, Format: s.Format, Source: s.Source, SHA256: s.SHA256, Bytes: int64(len(raw)),
		Date: s.Date, FetchedAt: now.UTC().Truncate(time.Second),
		Entries: len(s.Entries), IPv4: v4, IPv6: v6, Skipped: s.Skipped, Ignored: s.Ignored,
		File: s.Name + "-" + s.SHA256[:12] + extension(s.Format),
	}
	var old string
	if prev != nil {
		old = prev.File
	}
	if err := f.Put(s.Name, info.File, raw, info, old); err != nil {
		return StatusFailed, Info{}, prev, err
	}
	if prev != nil {
		return StatusReplaced, info, prev, nil
	}
	return StatusNew, info, nil, nil
}

func extension(format string) string {
	switch format {
	case FormatMISPCSV, FormatCSV:
		return ".csv"
	case FormatMISPJSON, FormatSTIX, FormatSpamhausJSON:
		return ".json"
	}
	return ".txt"
}

// List describes the current snapshots, by name. A home without any has
// none.
func (h Home) List() ([]Info, error) {
	keys, err := h.folder().Keys()
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, k := range keys {
		if ValidName(k) != nil {
			continue
		}
		in, err := h.CurrentInfo(k)
		if err != nil {
			return nil, err
		}
		if in != nil {
			out = append(out, *in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Snapshot reads and parses one stored list, checking its bytes.
func (h Home) Snapshot(in Info) (Snapshot, error) {
	raw, err := h.folder().ReadAll(in.Name, "list "+in.Name, in.raw())
	if err != nil {
		return Snapshot{}, err
	}
	s, err := Parse(in.Source, raw, in.Name)
	if err != nil {
		return Snapshot{}, err
	}
	s.FetchedAt = in.FetchedAt
	return s, nil
}

// ErrNoLists is wrapped by Select's error when the home holds no list.
var ErrNoLists = errors.New("no threat-intel lists in the home folder")

// Select picks lists of the home by name; no names picks every list. A name
// the home does not hold is an error naming the ones it does.
func (h Home) Select(names []string) ([]Info, error) {
	all, err := h.List()
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, &Error{Msg: fmt.Sprintf("no threat-intel lists in %s: import one with investigator intel import FILE, or fetch the known feeds with investigator intel update", h.Folder()), Err: ErrNoLists}
	}
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]Info{}
	var known []string
	for _, in := range all {
		byName[in.Name] = in
		known = append(known, in.Name)
	}
	var out []Info
	done := map[string]bool{}
	for _, n := range names {
		in, ok := byName[n]
		if !ok {
			return nil, &Error{Subject: n, Msg: fmt.Sprintf("no such list in %s (it holds %s)", h.Folder(), strings.Join(known, ", "))}
		}
		if !done[n] {
			done[n] = true
			out = append(out, in)
		}
	}
	return out, nil
}
