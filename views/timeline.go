package views

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/report"
)

// The timeline and report pages: the investigation record read back.

// TimelinePageVM is the case's timeline: the traffic chart with the events
// marked on it, and the same events as a list.
type TimelinePageVM struct {
	Name      string
	Chart     TimelineVM
	Events    []EventRow
	Dismissed bool
	GapsKnown bool
	Gap       string
}

// EventRow is one event of the list.
type EventRow struct {
	At, Until, Kind, Ref, Title, Severity, Status, By string
	Href                                              string
}

// eventHref is where an event leads: its finding, the flows of its gap,
// its run.
func eventHref(name string, e queries.Event) string {
	switch e.Kind {
	case queries.EventFinding, queries.EventStatus:
		return findingHref(name, e.Ref)
	case queries.EventGap:
		q := url.Values{"start": {e.At.Format(time.RFC3339)}}
		if e.End != nil {
			q.Set("end", e.End.Format(time.RFC3339))
		}
		return caseHref(name) + "/flows?" + q.Encode()
	}
	return ""
}

func (s *server) timelinePage(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	path, err := s.casePath(name)
	if err != nil {
		return err
	}
	vm := TimelinePageVM{Name: name, Dismissed: c.QueryParam("dismissed") == "1", Gap: strings.TrimSpace(c.QueryParam("gap"))}
	// The chart reads every record: kept while the case file is unchanged
	// (a note or a status change changes it).
	v, err := s.cache.get(path, fmt.Sprintf("timeline %t %q", vm.Dismissed, vm.Gap), func() (any, error) {
		cs, err := s.openRead(ctx, name)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		tl, err := queries.Events(ctx, cs, queries.TimelineOptions{Dismissed: vm.Dismissed, Gap: vm.Gap})
		if err != nil {
			return nil, err
		}
		sum, err := cs.Brief(ctx) // the time range only
		if err != nil {
			return nil, err
		}
		if vm.Chart, err = timeline(ctx, cs, sum.First, sum.Last, queries.TimelineFilter{}); err != nil {
			return nil, err
		}
		vm.GapsKnown, vm.Gap = tl.GapsKnown, tl.Gap
		for _, e := range tl.Events {
			href := eventHref(name, e)
			switch e.Kind {
			case queries.EventFinding:
				vm.Chart.mark("finding", fmt.Sprintf("%s [%s] %s", e.Ref, e.Severity, e.Title), href, e.At, e.End)
			case queries.EventGap:
				vm.Chart.mark("gap", e.Title, href, e.At, e.End)
			case queries.EventNote:
				vm.Chart.mark("note", e.Ref+" "+e.Title, href, e.At, nil)
			}
			row := EventRow{At: stamp(e.At), Kind: e.Kind, Ref: e.Ref, Title: e.Title, Severity: e.Severity, Status: e.Status, By: e.By, Href: href}
			if e.End != nil {
				row.Until = stamp(*e.End)
			}
			vm.Events = append(vm.Events, row)
		}
		return vm, nil
	})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, timelinePage(v.(TimelinePageVM)), nil)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// ReportPageVM is the report as it will be exported, with its downloads.
type ReportPageVM struct {
	Name      string
	Dismissed bool
	// Query is "" or "?dismissed=1", for the frame and the downloads.
	Query string
}

// buildReport reads the case's report.
func (s *server) buildReport(c echo.Context) (queries.Report, error) {
	ctx := c.Request().Context()
	cs, err := s.openRead(ctx, c.Param("case"))
	if err != nil {
		return queries.Report{}, err
	}
	defer cs.Close()
	return queries.BuildReport(ctx, cs, queries.ReportOptions{
		Dismissed:   c.QueryParam("dismissed") == "1",
		ToolVersion: strings.TrimPrefix(s.o.Program, "investigator "),
		Now:         time.Now(),
	})
}

func (s *server) reportPage(c echo.Context) error {
	name := c.Param("case")
	if _, err := s.casePath(name); err != nil {
		return err
	}
	vm := ReportPageVM{Name: name, Dismissed: c.QueryParam("dismissed") == "1"}
	if vm.Dismissed {
		vm.Query = "?dismissed=1"
	}
	return render(c, http.StatusOK, reportPage(vm), nil)
}

// reportPolicy is the content security policy of the report shown in the
// report page's frame: its inline styles, nothing else, framed by the
// workbench alone.
const reportPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// reportFile sends the report: report.html, report.md or report.json as a
// download, or view, the HTML shown in the report page's frame.
func (s *server) reportFile(c echo.Context) error {
	file := c.Param("file")
	format, view := strings.TrimPrefix(file, "report."), file == "view"
	if view {
		format = "html"
	}
	types := map[string]string{"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "json": "application/json"}
	ctype, ok := types[format]
	if !ok || (!view && !strings.HasPrefix(file, "report.")) {
		return echo.NewHTTPError(http.StatusNotFound, "The report comes as report.html, report.md or report.json.")
	}
	r, err := s.buildReport(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.Write(&b, r, format); err != nil {
		return err
	}
	h := c.Response().Header()
	if view {
		h.Set("Content-Security-Policy", reportPolicy)
	} else {
		name := fmt.Sprintf("%s-report-%s.%s", c.Param("case"), r.GeneratedAt.Format("20060102T1504Z"), format)
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	return c.Blob(http.StatusOK, ctype, b.Bytes())
}
