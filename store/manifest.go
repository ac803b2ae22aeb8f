package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// File is one manifest entry: a file, object or slice that was ingested.
type File struct {
	ID            int64      `json:"id"`
	IngestID      int64      `json:"ingest_id"`
	Source        string     `json:"source"`
	SHA256        string     `json:"sha256,omitempty"`
	Size          int64      `json:"size"`
	Compression   string     `json:"compression"`
	Shape         string     `json:"shape"`
	Fields        []string   `json:"fields"`
	Records       int64      `json:"records"`
	Rejected      int64      `json:"rejected"`
	OutsideWindow int64      `json:"outside_window"`
	NoData        int64      `json:"nodata"`
	SkipData      int64      `json:"skipdata"`
	FirstStart    *time.Time `json:"first_start,omitempty"`
	LastEnd       *time.Time `json:"last_end,omitempty"`
	LoadedAt      time.Time  `json:"loaded_at"`
	LoadMS        int64      `json:"load_ms"`
}

// Files lists the manifest in the order the files were ingested.
func (c *Case) Files(ctx context.Context) ([]File, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT id, ingest_id, source, coalesce(sha256, ''), coalesce(size, 0), compression, shape,
			array_to_string(fields, ' '), records, rejected, outside_window, nodata, skipdata, first_start, last_end, loaded_at, coalesce(load_ms, 0)
		FROM ingest_files ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: manifest: %w", err)
	}
	defer rows.Close()
	files := []File{}
	for rows.Next() {
		var f File
		var fields string
		var first, last sql.NullTime
		if err := rows.Scan(&f.ID, &f.IngestID, &f.Source, &f.SHA256, &f.Size, &f.Compression, &f.Shape, &fields,
			&f.Records, &f.Rejected, &f.OutsideWindow, &f.NoData, &f.SkipData, &first, &last, &f.LoadedAt, &f.LoadMS); err != nil {
			return nil, fmt.Errorf("store: manifest: %w", err)
		}
		f.Fields = strings.Fields(fields)
		f.FirstStart, f.LastEnd = timePtr(first), timePtr(last)
		f.LoadedAt = f.LoadedAt.UTC()
		files = append(files, f)
	}
	return files, rows.Err()
}
