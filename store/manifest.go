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
	// What some shapes tell of themselves (NULL, so empty, for the others):
	// the log groups and streams of subscription payloads and the control
	// messages skipped; the delimiter of a csv-header export; the OCSF
	// version of an ocsf file.
	LogGroups       []string `json:"log_groups,omitempty"`
	LogStreams      []string `json:"log_streams,omitempty"`
	ControlMessages *int64   `json:"control_messages,omitempty"`
	Delimiter       string   `json:"delimiter,omitempty"`
	OCSFVersion     string   `json:"ocsf_version,omitempty"`
}

// Files lists the manifest in the order the files were ingested.
func (c *Case) Files(ctx context.Context) ([]File, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT id, ingest_id, source, coalesce(sha256, ''), coalesce(size, 0), compression, shape,
			array_to_string(fields, ' '), records, rejected, outside_window, nodata, skipdata, first_start, last_end, loaded_at, coalesce(load_ms, 0),
			coalesce(array_to_string(log_groups, chr(10)), ''), coalesce(array_to_string(log_streams, chr(10)), ''), control_messages,
			coalesce(delimiter, ''), coalesce(ocsf_version, '')
		FROM ingest_files ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: manifest: %w", err)
	}
	defer rows.Close()
	files := []File{}
	for rows.Next() {
		var f File
		var fields, groups, streams string
		var first, last sql.NullTime
		var control sql.NullInt64
		if err := rows.Scan(&f.ID, &f.IngestID, &f.Source, &f.SHA256, &f.Size, &f.Compression, &f.Shape, &fields,
			&f.Records, &f.Rejected, &f.OutsideWindow, &f.NoData, &f.SkipData, &first, &last, &f.LoadedAt, &f.LoadMS,
			&groups, &streams, &control, &f.Delimiter, &f.OCSFVersion); err != nil {
			return nil, fmt.Errorf("store: manifest: %w", err)
		}
		f.Fields = strings.Fields(fields)
		f.LogGroups, f.LogStreams = lines(groups), lines(streams)
		if control.Valid {
			f.ControlMessages = &control.Int64
		}
		f.FirstStart, f.LastEnd = timePtr(first), timePtr(last)
		f.LoadedAt = f.LoadedAt.UTC()
		files = append(files, f)
	}
	return files, rows.Err()
}

// lines splits text joined by line ends; none for "".
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
