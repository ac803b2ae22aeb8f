package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// View models: what the templ components get. No database handles.

// ErrorVM is the error page.
type ErrorVM struct {
	Status  int
	Title   string
	Message string
}

// CasesVM is the cases list.
type CasesVM struct {
	Dir   string
	Cases []CaseRow
}

// CaseRow is one case in the list; OK is false when it could not be read
// (Status says why, e.g. "in use").
type CaseRow struct {
	Name, Href  string
	OK          bool
	Status      string
	Records     int64
	First, Last *time.Time
	Size        int64
}

// OverviewVM is a case's overview.
type OverviewVM struct {
	Name     string
	Info     store.Info
	Summary  store.Summary
	Files    []store.File
	Analyses []AnalysisRow
}

// AnalysesVM lists the analyses for a case.
type AnalysesVM struct {
	Case     string
	Analyses []AnalysisRow
}

// AnalysisRow is one analysis in a list.
type AnalysisRow struct {
	Name, Title, Description, Href string
	Version                        int
}

// AnalysisVM is an analysis page: the params form and a result.
type AnalysisVM struct {
	Case     string
	Analysis queries.Analysis
	Href     string
	Values   map[string]string // the values the user gave
	Result   ResultVM
}

// ResultVM is a result as text cells.
type ResultVM struct {
	RunID    string
	Version  int
	RanAt    string
	Cached   bool
	Duration string
	Columns  []string
	Numeric  []bool
	Rows     [][]string
}

func resultVM(r *queries.Result) ResultVM {
	vm := ResultVM{RunID: r.RunID, Version: r.Version, RanAt: fmtTime(r.RanAt), Cached: r.Cached, Duration: r.Duration.Round(time.Millisecond).String()}
	// Columns empty in every row (org before any WHOIS, provider before any
	// ranges) are left out, as in the command line's tables.
	var keep []int
	for i, c := range r.Columns {
		for _, row := range r.Rows {
			if row[i] != nil && row[i] != "" {
				keep = append(keep, i)
				vm.Columns = append(vm.Columns, c.Name)
				break
			}
		}
	}
	if len(r.Rows) == 0 {
		for i, c := range r.Columns {
			keep = append(keep, i)
			vm.Columns = append(vm.Columns, c.Name)
		}
	}
	vm.Numeric = make([]bool, len(keep))
	for _, row := range r.Rows {
		out := make([]string, len(keep))
		for k, i := range keep {
			out[k] = cell(r.Columns[i].Name, row[i])
			switch row[i].(type) {
			case int64, float64:
				vm.Numeric[k] = true
			}
		}
		vm.Rows = append(vm.Rows, out)
	}
	return vm
}

const timeLayout = "2006-01-02 15:04:05"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}

func timeRange(first, last *time.Time) string {
	if first == nil || last == nil {
		return "-"
	}
	return fmtTime(*first) + " – " + fmtTime(*last) + " UTC"
}

// identifiers are integer columns shown without thousands separators.
var identifiers = map[string]bool{"port": true, "srcport": true, "dstport": true, "protocol": true, "asn": true, "version": true}

// cell renders one value of the named column (addresses are plain text).
func cell(column string, v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case int64:
		if identifiers[column] {
			return strconv.FormatInt(v, 10)
		}
		return count(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return fmtTime(v)
	default:
		return fmt.Sprint(v)
	}
}

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// size writes a byte count for people.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func itoa(n int) string { return strconv.Itoa(n) }

// placeholder shows a parameter's default in a form field: null means the
// whole case.
func placeholder(def string) string {
	if def == "null" {
		return "whole case"
	}
	return strings.Trim(def, "'")
}
