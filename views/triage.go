package views

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// triage runs every detection on the case as a background job and records
// what they find as findings; the job page shows the detection running and
// what each did.
func (s *server) triage(c echo.Context) error {
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	n := len(s.reg.Detections())
	j, err := s.jobs.start(caseName, "triage", fmt.Sprintf("Triage: %d detections", n), func(ctx context.Context, j *job) error {
		cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
		if err != nil {
			return err
		}
		defer cs.Close()
		began := time.Now()
		res, err := queries.Triage(ctx, cs, s.reg, queries.TriageOptions{
			Analyst: s.o.Analyst, Program: s.o.Program,
			Progress: func(d string, done, total int) { j.progress(fmt.Sprintf("%s (%d of %d)", d, done+1, total)) },
		})
		for _, r := range res.Runs {
			j.log(fmt.Sprintf("%s v%d: %d rows: %d new, %d updated, %d reopened, %d unchanged (%s)",
				r.Detection, r.Version, r.Rows, r.New, r.Updated, r.Reopened, r.Unchanged, r.Took.Round(time.Millisecond)))
		}
		if err != nil {
			return err
		}
		open := 0
		for _, f := range res.Findings {
			if f.Status == store.StatusOpen {
				open++
			}
		}
		j.log(fmt.Sprintf("%d findings from detections, %d open, in %s", len(res.Findings), open, time.Since(began).Round(time.Millisecond)))
		j.progress("")
		return nil
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, jobHref(caseName, j.ID))
}
