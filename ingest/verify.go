package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/investigator/investigator/store"
)

// Verification is what re-hashing found for one manifest entry.
type Verification struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	// Status is match (a file with the recorded hash was found), mismatch
	// (the file at the source's path has another hash), missing (no file
	// was found) or unhashed (the entry records no hash).
	Status string `json:"status"`
	// Path is the file that was hashed.
	Path string `json:"path,omitempty"`
	// Found is the other hash, for a mismatch.
	Found string `json:"found,omitempty"`
}

// Verification statuses.
const (
	VerifyMatch    = "match"
	VerifyMismatch = "mismatch"
	VerifyMissing  = "missing"
	VerifyUnhashed = "unhashed"
)

// Verify re-hashes the sources of the case's manifest that it can find: a
// local source at its recorded path, and any source (S3 objects, files
// moved since) among the files under the folders given, by content. It
// reads only.
func Verify(ctx context.Context, c *store.Case, dirs []string) ([]Verification, error) {
	files, err := c.Files(ctx)
	if err != nil {
		return nil, err
	}
	byHash := map[string]string{}
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("ingest: verify: %w", err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !e.Type().IsRegular() {
				return nil
			}
			sum, err := hashFile(p)
			if err != nil {
				return err
			}
			if _, ok := byHash[sum]; !ok {
				byHash[sum] = p
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]Verification, 0, len(files))
	for _, f := range files {
		v := Verification{Source: f.Source, SHA256: f.SHA256, Status: VerifyMissing}
		switch {
		case f.SHA256 == "":
			v.Status = VerifyUnhashed
		case byHash[f.SHA256] != "":
			v.Status, v.Path = VerifyMatch, byHash[f.SHA256]
		case filepath.IsAbs(f.Source) && !strings.Contains(f.Source, "://"):
			sum, err := hashFile(f.Source)
			switch {
			case os.IsNotExist(err):
			case err != nil:
				return nil, err
			case sum == f.SHA256:
				v.Status, v.Path = VerifyMatch, f.Source
			default:
				v.Status, v.Path, v.Found = VerifyMismatch, f.Source, sum
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("ingest: verify: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
