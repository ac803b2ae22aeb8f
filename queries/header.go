package queries

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Analysis is one versioned SQL analysis.
type Analysis struct {
	Name        string  `json:"name"`
	Version     int     `json:"version"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Params      []Param `json:"params"`
	// Body is the SQL after the header; SHA256 is its hash, recorded with
	// every result so a finding can be traced to the exact SQL.
	Body   string `json:"-"`
	SHA256 string `json:"sha256"`
	// Detection says what a row means as a finding; nil for an analysis
	// that is not a detection.
	Detection *Detection `json:"detection,omitempty"`
}

// Param is a declared parameter: `-- param: NAME TYPE [= DEFAULT] [choice|choice]`.
type Param struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // INTEGER, VARCHAR, TIMESTAMP, INTERVAL, DOUBLE, BOOLEAN
	Default  string   `json:"default,omitempty"`
	Required bool     `json:"required"` // no default given
	Choices  []string `json:"choices,omitempty"`
}

// Param returns the declared parameter called name.
func (a Analysis) Param(name string) (Param, bool) {
	i := slices.IndexFunc(a.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return a.Params[i], true
}

var (
	headerLine = regexp.MustCompile(`^--\s*([a-z]+):\s*(.*?)\s*$`)
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	paramRE    = regexp.MustCompile(`^([a-z][a-z0-9_]*)\s+([A-Z]+)(?:\s*=\s*(null|-?\d+(?:\.\d+)?|true|false|'[^']*'))?(?:\s*\[([a-z0-9_|-]+)\])?$`)
	paramTypes = []string{"INTEGER", "VARCHAR", "TIMESTAMP", "INTERVAL", "DOUBLE", "BOOLEAN"}
)

// ParseAnalysis reads one analysis file. The header is the leading block of
// `-- key: value` lines; unknown keys, repeated keys (param aside), and a
// missing name or version are errors, as is a name that is not the file stem.
func ParseAnalysis(stem, text string) (Analysis, error) {
	var a Analysis
	fail := func(line int, format string, args ...any) (Analysis, error) {
		return Analysis{}, fmt.Errorf("queries: %s.sql line %d: %s", stem, line, fmt.Sprintf(format, args...))
	}
	lines := strings.Split(text, "\n")
	seen := map[string]bool{}
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" && len(seen) == 0 {
			continue
		}
		m := headerLine.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "--") && !strings.Contains(line, ":") {
				continue // a plain comment inside the header
			}
			break
		}
		key, val := m[1], m[2]
		if key != "param" && seen[key] {
			return fail(i+1, "duplicate %q", key)
		}
		seen[key] = true
		switch key {
		case "name":
			if !nameRE.MatchString(val) {
				return fail(i+1, "name %q: use lower-case letters, digits and '-'", val)
			}
			a.Name = val
		case "version":
			v, err := strconv.Atoi(val)
			if err != nil || v < 1 {
				return fail(i+1, "version %q: want a positive integer", val)
			}
			a.Version = v
		case "title":
			a.Title = val
		case "description":
			a.Description = val
		case "finding", "severity", "mitre", "subjects", "window", "weight":
			if a.Detection == nil {
				a.Detection = &Detection{}
			}
			if err := a.Detection.set(key, val); err != nil {
				return fail(i+1, "%v", err)
			}
		case "param":
			p, err := parseParam(val)
			if err != nil {
				return fail(i+1, "%v", err)
			}
			if _, dup := a.Param(p.Name); dup {
				return fail(i+1, "parameter %q declared twice", p.Name)
			}
			a.Params = append(a.Params, p)
		default:
			return fail(i+1, "unknown header key %q (want name, version, title, description, param; and for a detection finding, severity, mitre, subjects, window, weight)", key)
		}
	}
	switch {
	case a.Name == "":
		return fail(1, "missing -- name:")
	case a.Version == 0:
		return fail(1, "missing -- version:")
	case a.Name != stem:
		return fail(1, "name %q differs from the file name %s.sql", a.Name, stem)
	case a.Title == "":
		a.Title = a.Name
	}
	a.Body = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if a.Body == "" {
		return fail(i+1, "no SQL after the header")
	}
	if a.Detection != nil {
		if err := a.Detection.check(); err != nil {
			return fail(1, "%v", err)
		}
	}
	sum := sha256.Sum256([]byte(a.Body))
	a.SHA256 = hex.EncodeToString(sum[:])
	return a, nil
}

func parseParam(s string) (Param, error) {
	m := paramRE.FindStringSubmatch(s)
	if m == nil {
		return Param{}, fmt.Errorf("param %q: want NAME TYPE [= DEFAULT] [choice|choice]", s)
	}
	p := Param{Name: m[1], Type: m[2], Default: m[3], Required: m[3] == ""}
	if !slices.Contains(paramTypes, p.Type) {
		return Param{}, fmt.Errorf("param %s: type %s is not one of %s", p.Name, p.Type, strings.Join(paramTypes, ", "))
	}
	if m[4] != "" {
		p.Choices = strings.Split(m[4], "|")
		if d := strings.Trim(p.Default, "'"); p.Default != "" && !slices.Contains(p.Choices, d) {
			return Param{}, fmt.Errorf("param %s: default %s is not one of its choices", p.Name, p.Default)
		}
	}
	return p, nil
}

// usedParams lists the $name references in sql, outside string literals and comments.
func usedParams(sql string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'':
			for i++; i < len(sql) && sql[i] != '\''; i++ {
			}
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for ; i < len(sql) && sql[i] != '\n'; i++ {
			}
		case c == '$':
			j := i + 1
			for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= '0' && sql[j] <= '9') {
				j++
			}
			if name := sql[i+1 : j]; name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
			i = j - 1
		}
	}
	return out
}
