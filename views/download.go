package views

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
)

// resultCSV downloads the result the analysis page shows for the same
// parameters (the stored one; a run only when there is none) as CSV.
func (s *server) resultCSV(c echo.Context) error {
	acc, a, _, res, err := s.analysisResult(c)
	defer acc.close()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := queries.WriteCSV(&buf, res.Columns, res.Rows); err != nil {
		return err
	}
	attachment(c, c.Param("case"), a.Name, res.RunID, "csv")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// resultJSON downloads the same result as JSON, in the shape the command
// line writes.
func (s *server) resultJSON(c echo.Context) error {
	acc, a, _, res, err := s.analysisResult(c)
	defer acc.close()
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	attachment(c, c.Param("case"), a.Name, res.RunID, "json")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// attachment names the download CASE-ANALYSIS-RUNID.EXT, in a file name
// safe on every system and in the header's quotes (safeFileName).
func attachment(c echo.Context, caseName, analysis, runID, ext string) {
	name := safeFileName(caseName+"-"+analysis+"-"+runID) + "." + ext
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

// safeFileName keeps ASCII letters, digits, '.', '_' and '-' and turns
// anything else into '_'; no leading dot, at most 200 bytes, never empty.
// Case and analysis names are such names already: this is the last word.
func safeFileName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '.', ch == '_', ch == '-':
		default:
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if len(out) > 200 {
		out = out[:200]
	}
	if out == "" {
		out = "result"
	}
	return out
}
