// Package report renders a case's report (queries.Report) as a
// self-contained HTML file, as Markdown, or as JSON. The same report gives
// the same bytes: every list comes ordered from the read model, every time
// is written in UTC, and nothing is read from the clock here.
package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// Write renders r in the format (html, md or json) to w.
func Write(w io.Writer, r queries.Report, format string) error {
	var b bytes.Buffer
	var err error
	switch format {
	case "html":
		err = page.Execute(&b, view(r))
	case "md", "markdown":
		err = markdown(&b, view(r))
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	default:
		return fmt.Errorf("report: format %q is not one of html, md, json", format)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// model is the report arranged for reading: findings by section.
type model struct {
	queries.Report
	Sections []section
	Title    string
}

type section struct {
	Title    string
	Findings []queries.ReportFinding
}

func view(r queries.Report) model {
	m := model{Report: r, Title: "Investigation report: " + r.Case.Name}
	for _, s := range []struct {
		status store.Status
		title  string
	}{{store.StatusConfirmed, "Confirmed findings"}, {store.StatusOpen, "Open findings"}, {store.StatusDismissed, "Dismissed findings"}} {
		sec := section{Title: s.title}
		for _, f := range r.Findings {
			if f.Status == s.status {
				sec.Findings = append(sec.Findings, f)
			}
		}
		if len(sec.Findings) > 0 || s.status != store.StatusDismissed {
			m.Sections = append(m.Sections, sec)
		}
	}
	return m
}

// stamp is a time as the report writes it.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func stampPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return stamp(*t)
}

// cell is a result value as the report writes it.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return stamp(v)
	case float64:
		return fmt.Sprintf("%.4g", v)
	default:
		return fmt.Sprint(v)
	}
}

func window(a, b *time.Time) string {
	if a == nil && b == nil {
		return "—"
	}
	return stampPtr(a) + " – " + stampPtr(b)
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// filterText says what a saved flows filter chooses.
func filterText(f *store.FlowsFilter) string {
	var parts []string
	if len(f.Addresses) > 0 {
		parts = append(parts, "addresses "+strings.Join(f.Addresses, ", "))
	}
	if len(f.Ports) > 0 {
		parts = append(parts, "ports "+ints(f.Ports))
	}
	if f.Protocol != nil {
		parts = append(parts, fmt.Sprintf("protocol %d", *f.Protocol))
	}
	if f.Action != "" {
		parts = append(parts, "action "+f.Action)
	}
	if f.Start != nil || f.End != nil {
		parts = append(parts, "window "+window(f.Start, f.End))
	}
	if len(parts) == 0 {
		return "all records"
	}
	return strings.Join(parts, "; ")
}

var funcs = template.FuncMap{
	"stamp":    stamp,
	"stampPtr": stampPtr,
	"window":   window,
	"cell":     cell,
	"ints":     ints,
	"filter":   filterText,
	"count":    format.Count,
	"bytes":    format.Bytes,
	"join":     strings.Join,
}

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(funcs).Parse(pageText))
