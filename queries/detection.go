package queries

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// Detection is what a detection's header says a row of its result means as
// a finding:
//
//	-- finding: SSH brute force from {src_ip}: {attempts} attempts
//	-- severity: high                (or: column severity)
//	-- mitre: T1110, T1021.004
//	-- subjects: src_ip, dstport     (addresses, ports, eni-…, i-… by value)
//	-- window: first_seen last_seen  (the default when the result has them)
//	-- weight: flows                 (how much evidence a row is; the default)
//
// The subjects identify the finding: triage updates the finding of the
// same detection and subjects instead of making another.
type Detection struct {
	Title          string   `json:"title"` // a template of {column} references
	Severity       string   `json:"severity,omitempty"`
	SeverityColumn string   `json:"severity_column,omitempty"`
	MITRE          []string `json:"mitre"`
	Subjects       []string `json:"subjects"`
	Window         []string `json:"window,omitempty"` // first and last seen columns
	Weight         string   `json:"weight"`
}

var (
	templateRef = regexp.MustCompile(`\{([a-z_][a-z0-9_]*)\}`)
	columnRE    = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

func (d *Detection) set(key, val string) error {
	switch key {
	case "finding":
		if val == "" {
			return fmt.Errorf("finding: want a title template like %q", "Port scan from {src_ip}")
		}
		d.Title = val
	case "severity":
		if col, ok := strings.CutPrefix(val, "column "); ok {
			d.SeverityColumn = strings.TrimSpace(col)
			if !columnRE.MatchString(d.SeverityColumn) {
				return fmt.Errorf("severity: %q is not a column name", d.SeverityColumn)
			}
			return nil
		}
		s, err := store.ParseSeverity(val)
		if err != nil {
			return fmt.Errorf("severity: %q: want info, low, medium, high, critical or column NAME", val)
		}
		d.Severity = string(s)
	case "mitre":
		for _, m := range strings.Split(val, ",") {
			id, err := store.ParseMITRE(m)
			if err != nil {
				return fmt.Errorf("mitre: %w", err)
			}
			d.MITRE = append(d.MITRE, id)
		}
	case "subjects", "window":
		cols := strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
		for _, c := range cols {
			if !columnRE.MatchString(c) {
				return fmt.Errorf("%s: %q is not a column name", key, c)
			}
		}
		if key == "window" && len(cols) != 2 {
			return fmt.Errorf("window: want two columns, first and last seen")
		}
		if key == "subjects" {
			d.Subjects = cols
		} else {
			d.Window = cols
		}
	case "weight":
		if !columnRE.MatchString(val) {
			return fmt.Errorf("weight: %q is not a column name", val)
		}
		d.Weight = val
	}
	return nil
}

func (d *Detection) check() error {
	switch {
	case d.Title == "":
		return fmt.Errorf("a detection needs -- finding: (the title of its findings)")
	case d.Severity == "" && d.SeverityColumn == "":
		return fmt.Errorf("a detection needs -- severity:")
	case len(d.Subjects) == 0:
		return fmt.Errorf("a detection needs -- subjects: (the columns its findings are about)")
	}
	if d.Weight == "" {
		d.Weight = "flows"
	}
	return nil
}

// columns lists the result columns the detection reads.
func (d *Detection) columns() []string {
	cols := append([]string{}, d.Subjects...)
	cols = append(cols, d.Window...)
	cols = append(cols, d.Weight)
	if d.SeverityColumn != "" {
		cols = append(cols, d.SeverityColumn)
	}
	for _, m := range templateRef.FindAllStringSubmatch(d.Title, -1) {
		cols = append(cols, m[1])
	}
	return cols
}

// CheckColumns reports a column the detection reads that the result does
// not have.
func (d *Detection) CheckColumns(name string, cols []Column) error {
	for _, c := range d.columns() {
		if !slices.ContainsFunc(cols, func(rc Column) bool { return rc.Name == c }) {
			return fmt.Errorf("queries: detection %s reads column %q, which its result does not have", name, c)
		}
	}
	return nil
}

// maxTitle is the longest title a detection gives a finding, in
// characters: a longer one is cut (the row has the rest).
const maxTitle = 200

// Candidate turns row i of a detection's result into a finding: its title,
// severity, MITRE ids, subjects (typed by their values), window and the
// row as evidence. The key identifies it: the detection and its subjects.
func (d *Detection) Candidate(a Analysis, r *Result, i int) (store.DetectionRow, error) {
	row := r.Rows[i]
	col := func(name string) any {
		j := slices.IndexFunc(r.Columns, func(c Column) bool { return c.Name == name })
		if j < 0 {
			return nil
		}
		return row[j]
	}
	f := store.Finding{Source: store.FromDetection, Detection: a.Name, DetectionVersion: a.Version, MITRE: d.MITRE,
		Severity: store.Severity(d.Severity), Subjects: store.Subjects{}}
	if d.SeverityColumn != "" {
		s, err := store.ParseSeverity(fmt.Sprint(col(d.SeverityColumn)))
		if err != nil {
			return store.DetectionRow{}, fmt.Errorf("queries: %s row %d: %w", a.Name, i+1, err)
		}
		f.Severity = s
	}
	var key []string
	for _, s := range d.Subjects {
		v := col(s)
		key = append(key, s+"="+cellText(v))
		switch v := v.(type) {
		case int64:
			if v >= 0 && v <= 65535 {
				f.Subjects.Ports = append(f.Subjects.Ports, int(v))
			}
		case string:
			switch {
			case strings.HasPrefix(v, "eni-"):
				f.Subjects.Interfaces = append(f.Subjects.Interfaces, v)
			case strings.HasPrefix(v, "i-"):
				f.Subjects.Instances = append(f.Subjects.Instances, v)
			default:
				if ad, err := netip.ParseAddr(v); err == nil {
					f.Subjects.Addresses = append(f.Subjects.Addresses, ad.Unmap().String())
				}
			}
		}
	}
	f.DetectionKey = strings.Join(key, " ")
	window := d.Window
	if window == nil && slices.ContainsFunc(r.Columns, func(c Column) bool { return c.Name == "first_seen" }) &&
		slices.ContainsFunc(r.Columns, func(c Column) bool { return c.Name == "last_seen" }) {
		window = []string{"first_seen", "last_seen"}
	}
	if window != nil {
		if t, ok := col(window[0]).(time.Time); ok {
			f.FirstSeen = &t
		}
		if t, ok := col(window[1]).(time.Time); ok && (f.FirstSeen == nil || t.After(*f.FirstSeen)) {
			f.LastSeen = &t
		}
	}
	f.Title = templateRef.ReplaceAllStringFunc(d.Title, func(ref string) string {
		v := col(ref[1 : len(ref)-1])
		if n, ok := v.(int64); ok {
			return strconv.FormatInt(n, 10)
		}
		return cellText(v)
	})
	if r := []rune(f.Title); len(r) > maxTitle {
		f.Title = string(r[:maxTitle-1]) + "…"
	}
	var w int64
	switch v := col(d.Weight).(type) {
	case int64:
		w = v
	case float64:
		w = int64(v)
	}
	f.Evidence = []store.Evidence{{RunID: r.RunID, Analysis: r.Analysis, Version: r.Version, SHA256: r.SHA256, Rows: []int{i + 1}}}
	return store.DetectionRow{Finding: f, Weight: w}, nil
}
