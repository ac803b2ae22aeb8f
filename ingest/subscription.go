package ingest

import (
	"context"
	"database/sql/driver"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// streamENI is the network interface a flow log's log stream is named after:
// "eni-0a1b2c3d4e5f60001-all" (the suffix is the traffic type logged).
var streamENI = regexp.MustCompile(`^eni-[0-9a-f]+`)

// subscription loads CloudWatch Logs subscription payloads: each event's
// message is a record, parsed and checked as a header-less text line is. A
// bad message is a reject naming its object and event; a payload that cannot
// be read is a reject naming it and where it is (line and byte), and keeps
// the events before the break; reading resumes at the next payload. When the format has no interface-id, each
// record takes it from its log stream's name.
func (l *load) subscription(ctx context.Context) error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()

	fields := l.det.Fields
	rowFields := fields
	fromStream := !slices.ContainsFunc(fields, func(f Field) bool { return f.Name == "interface-id" })
	if fromStream {
		iface, _ := LookupField("interface-id")
		rowFields = append(slices.Clip(fields), iface)
	}
	startIdx := slices.IndexFunc(fields, func(f Field) bool { return f.Name == "start" })
	cols, _ := insertColumns(rowFields, nil)
	cols = append(cols, "file_id")

	var rejects []Reject
	var batch [][]driver.Value
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := l.withAppender(ctx, "flow_records", cols, func(a *duckdb.Appender) error {
			for _, row := range batch {
				if err := a.AppendRow(row...); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	reject := func(r Reject) error {
		rejects = append(rejects, r)
		if len(rejects) < rejectBatch {
			return nil
		}
		err := l.storeRejects(ctx, rejects)
		rejects = rejects[:0]
		return err
	}
	var eni string
	var eniOf string // the stream eni was taken from
	dec := newPayloadDecoder(payloadSink{
		event: func(n int64, obj string, h *payloadHeader, e *logEvent) error {
			if n%65536 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			msg := strings.TrimSpace(e.Message)
			vals, err := ParseRecord(fields, msg)
			if err != nil {
				return reject(Reject{Line: n, Raw: msg, Reason: fmt.Sprintf("%s, event %d%s: %v", obj, n, eventID(e), err)})
			}
			if fromStream {
				if eniOf != h.LogStream {
					eni, eniOf = streamENI.FindString(h.LogStream), h.LogStream
				}
				var v any
				if eni != "" {
					v = eni
				}
				vals = append(vals, v)
			}
			if l.collect(&batch, rowFields, vals, startIdx) {
				return flush()
			}
			return nil
		},
		broken: func(n int64, err error, raw []byte) error {
			return reject(Reject{Line: n, Reason: err.Error(), Raw: string(raw)})
		},
	})
	if err := dec.decode(f); err != nil {
		return err // the sink's own, already said
	}
	if err := flush(); err != nil {
		return err
	}
	if err := l.storeRejects(ctx, rejects); err != nil {
		return err
	}
	l.res.ControlMessages = dec.control
	l.res.LogGroups = slices.Sorted(maps.Keys(dec.groups))
	l.res.LogStreams = slices.Sorted(maps.Keys(dec.streams))
	if _, err := l.exec(ctx, `UPDATE ingest_files SET log_groups = ?::VARCHAR[], log_streams = ?::VARCHAR[], control_messages = ? WHERE id = ?`,
		listLiteral(l.res.LogGroups), listLiteral(l.res.LogStreams), dec.control, l.fileID); err != nil {
		return fmt.Errorf("ingest: manifest: %w", err)
	}
	return nil
}

func eventID(e *logEvent) string {
	if e.ID == "" {
		return ""
	}
	return " (id " + truncate(e.ID, 80) + ")"
}
