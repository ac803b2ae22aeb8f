package views

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

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

// attachment names the download CASE-ANALYSIS-RUNID.EXT.
func attachment(c echo.Context, caseName, analysis, runID, ext string) {
	name := caseName + "-" + analysis + "-" + runID + "." + ext
	c.Response().Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}
