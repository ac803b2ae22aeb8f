// Package corpus finds the third-party sample corpus (real flow logs, provider
// range files, WHOIS answers) that conformance tests and benchmarks read when
// it is present: $INVESTIGATOR_CORPUS, else ../shared/corpus beside the
// repository. A relative path is relative to the repository root.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder, whether or not it exists.
func Dir() string {
	dir := os.Getenv("INVESTIGATOR_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "shared", "corpus")
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(root(), dir)
}

// Require returns the corpus subfolder sub, or skips the test when the
// corpus does not have it.
func Require(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join(Dir(), sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no third-party corpus at %s (set INVESTIGATOR_CORPUS): %v", dir, err)
	}
	return dir
}

// root is the repository root: the nearest folder upwards with a go.mod.
func root() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
