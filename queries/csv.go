package queries

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// WriteCSV writes a header row of column names and the rows: times in
// RFC 3339 (UTC), NULL as an empty field. The command line and the workbench
// both download results this way.
func WriteCSV(w io.Writer, columns []Column, rows [][]any) error {
	cw := csv.NewWriter(w)
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	if err := cw.Write(names); err != nil {
		return err
	}
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case nil:
			case time.Time:
				rec[i] = v.UTC().Format(time.RFC3339)
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
