package store

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Ext is the file extension of a case file.
const Ext = ".duckdb"

// DefaultDir is where cases live unless INVESTIGATOR_CASES or --cases says otherwise.
const DefaultDir = "cases"

// Dir returns the cases folder: flag value, else $INVESTIGATOR_CASES, else ./cases.
func Dir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("INVESTIGATOR_CASES"); env != "" {
		return env
	}
	return DefaultDir
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// ValidName reports whether name can be a case name: letters, digits, '.', '_'
// and '-', starting with a letter or digit, so it can never leave the cases folder.
func ValidName(name string) error {
	if !validName.MatchString(name) || strings.Contains(name, "..") {
		return &NameError{Name: name}
	}
	return nil
}

// NameError is a case name that cannot be one.
type NameError struct{ Name string }

func (e *NameError) Error() string { return "store: " + e.UserMessage() }

// UserMessage says what a case name may hold.
func (e *NameError) UserMessage() string {
	if e.Name == "" {
		return "empty case name: name the case (letters, digits, '.', '_' and '-')"
	}
	return fmt.Sprintf("%q is not a valid case name: use letters, digits, '.', '_' and '-', starting with a letter or digit", e.Name)
}

// Resolve turns a case argument into a file path. An argument ending in
// .duckdb is a path; anything else is a case name inside dir, and a name can
// never leave dir.
func Resolve(dir, arg string) (string, error) {
	if arg == "" {
		return "", &NameError{}
	}
	if strings.HasSuffix(arg, Ext) {
		return filepath.Clean(arg), nil
	}
	if err := ValidName(arg); err != nil {
		return "", err
	}
	return filepath.Join(dir, arg+Ext), nil
}

// List returns the paths of the case files in dir, sorted by name. A missing
// folder has no cases.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), Ext) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(paths)
	return paths, nil
}
