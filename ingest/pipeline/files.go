package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/investigator/investigator/ingest"
)

// Expand turns arguments into the files to load: a file is itself, a
// directory is every file under it (hidden ones aside) in name order, a glob
// its matches. Arguments that match nothing come back as refused results.
func Expand(args []string) (items []ingest.Item, missing []ingest.FileResult) {
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			items = append(items, ingest.Item{Path: p})
		}
	}
	miss := func(arg, why string) {
		err := errors.New(why)
		missing = append(missing, ingest.RefusedResult(arg, err))
	}
	for _, arg := range args {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				miss(arg, fmt.Sprintf("bad pattern: %v", err))
				continue
			}
			if len(m) == 0 {
				miss(arg, "no files match")
				continue
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				miss(m, "no such file or directory")
				continue
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			var under []string
			filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error { //nolint:errcheck // errors become results below
				if err != nil {
					miss(p, err.Error())
					return nil
				}
				if strings.HasPrefix(d.Name(), ".") && p != m {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					under = append(under, p)
				}
				return nil
			})
			if len(under) == 0 {
				miss(m, "the directory has no files")
			}
			sort.Strings(under)
			for _, p := range under {
				add(p)
			}
		}
	}
	return items, missing
}
