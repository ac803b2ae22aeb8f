package views

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/investigator/investigator/internal/format"
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
	Charts   ChartsVM
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
	Runs     []RunRow // the last runs of the analysis in the case, newest first
}

// RunRow is one recorded run of an analysis.
type RunRow struct {
	RunID, RanAt, Took, Params string
	Version                    int
	Rows                       int64
}

func runRow(r queries.RunInfo) RunRow {
	return RunRow{RunID: r.RunID, Version: r.Version, Rows: r.Rows, RanAt: format.Time(r.RanAt), Took: r.Took.String(), Params: r.Params}
}

// ResultVM is a result as text cells.
type ResultVM struct {
	RunID    string
	Version  int
	RanAt    string
	Cached   bool
	Duration string
	// CSVHref and JSONHref download this result (same parameters).
	CSVHref, JSONHref string
	TableVM
}

// TableVM is a table of text cells. Links parallels Rows: the pivot page of
// an address cell, empty for other cells.
type TableVM struct {
	Columns []string
	Numeric []bool
	Rows    [][]string
	Links   [][]string
}

// addressColumns are the columns whose values are addresses of the case.
var addressColumns = map[string]bool{"src_ip": true, "dst_ip": true, "peer_ip": true, "local_ip": true}

func resultVM(caseName string, r *queries.Result) ResultVM {
	return ResultVM{RunID: r.RunID, Version: r.Version, RanAt: format.Time(r.RanAt), Cached: r.Cached, Duration: r.Duration.Round(time.Millisecond).String(),
		TableVM: tableVM(caseName, r.Columns, r.Rows, true)}
}

// tableVM turns columns and rows into text cells; with dropEmpty, columns
// empty in every row (org before any WHOIS, provider before any ranges) are
// left out, as in the command line's tables.
func tableVM(caseName string, cols []queries.Column, rows [][]any, dropEmpty bool) TableVM {
	var vm TableVM
	var keep []int
	for i, c := range cols {
		if !dropEmpty || len(rows) == 0 {
			keep = append(keep, i)
			vm.Columns = append(vm.Columns, c.Name)
			continue
		}
		for _, row := range rows {
			if row[i] != nil && row[i] != "" {
				keep = append(keep, i)
				vm.Columns = append(vm.Columns, c.Name)
				break
			}
		}
	}
	vm.Numeric = make([]bool, len(keep))
	for _, row := range rows {
		out := make([]string, len(keep))
		links := make([]string, len(keep))
		for k, i := range keep {
			out[k] = format.Cell(cols[i].Name, row[i])
			switch row[i].(type) {
			case int64, float64:
				vm.Numeric[k] = true
			}
			if addressColumns[cols[i].Name] {
				links[k] = addrHref(caseName, out[k])
			}
		}
		vm.Rows = append(vm.Rows, out)
		vm.Links = append(vm.Links, links)
	}
	return vm
}

// addrHref is the pivot page of an address, or "" when s is not one.
func addrHref(caseName, s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return caseHref(caseName) + "/ip/" + url.PathEscape(a.String())
}

func timeRange(first, last *time.Time) string {
	if first == nil || last == nil {
		return "-"
	}
	return format.Time(*first) + " – " + format.Time(*last) + " UTC"
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

// PivotVM is the page of one address of a case.
type PivotVM struct {
	Case, Addr   string
	Stale        bool   // the derived tables need an analysis run first
	AnalysesHref string // where to run one
	Totals       PivotTotals
	Counterparts TableVM
	Ports        TableVM
	Info         *PivotInfo  // nil: not an address of the case
	Whois        *PivotWhois // nil: no stored WHOIS network holds it
}

// PivotTotals is an address's traffic as the peer of the focus.
type PivotTotals struct {
	Flows, Packets, Bytes, Accepted, Rejected int64
	First, Last                               *time.Time
}

// PivotInfo is an address's address_info row.
type PivotInfo struct {
	Scope, Provider, CloudService, CloudRegion, CloudPrefix, Org, ASN string
}

// PivotWhois is the smallest stored WHOIS network holding an address.
type PivotWhois struct {
	Network, Org, Netname, Country, ASN, Registry, Server, FetchedAt string
}

// orDash shows an empty value as a dash.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// SQLVM is the SQL console of a case: the statement and its result or error.
type SQLVM struct {
	Case, Href string
	Path       string // absolute path of the case file, for duckdb -readonly
	Query      string
	Ran        bool
	Error      string
	Result     TableVM
	Rows       int
	Truncated  bool
	Duration   string
}

// oobAttrs marks an element for an htmx out-of-band swap.
func oobAttrs(oob bool) templ.Attributes {
	if oob {
		return templ.Attributes{"hx-swap-oob": "true"}
	}
	return templ.Attributes{}
}

// FlowsVM is a page of a case's raw flow records with the filter that chose them.
type FlowsVM struct {
	Case, Href                               string
	Addr, Port, Protocol, Action, Start, End string
	Page, First, Count                       int
	PrevHref, NextHref                       string
	Result                                   TableVM
}
