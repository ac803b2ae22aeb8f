package views

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// View models: what the templ components get. No database handles.

// ErrorVM is the error page. Case is the case of the page asked for, ""
// outside one.
type ErrorVM struct {
	Status  int
	Title   string
	Message string
	Case    string
}

// errorTitle is the error page's title: the error, and the case it is in.
func errorTitle(vm ErrorVM) string {
	if vm.Case == "" {
		return vm.Title
	}
	return vm.Title + " · " + vm.Case
}

// CasesVM is the cases list.
type CasesVM struct {
	Dir   string
	Cases []CaseRow
	AWS   bool // a case can be made from instance ids
}

// CaseRow is one case in the list; OK is false when it could not be read
// (Status says why, e.g. "in use").
type CaseRow struct {
	Name, Href  string
	Description string
	OK          bool
	Status      string
	Focus       []string // the focus addresses
	Records     int64
	First, Last *time.Time
	LastIngest  *time.Time
	Size        int64
}

// focusShown are up to three focus addresses, then how many more ("+2").
func focusShown(addrs []string) []string {
	if len(addrs) <= 3 {
		return addrs
	}
	return append(slices.Clip(addrs[:3]), "+"+strconv.Itoa(len(addrs)-3))
}

// OverviewVM is a case's overview.
type OverviewVM struct {
	Name     string
	Info     store.Info
	Summary  store.Summary
	Files    []store.File
	Analyses []AnalysisRow
	Charts   ChartsVM
	Enrich   EnrichVM
	// Peers: addresses of the case other than its focus. GapsText: the
	// silences between the records of an interface, as the coverage
	// analysis counts them; CoverageHref is the analysis that details them.
	Peers        int64
	GapsText     string
	CoverageHref string
	// Findings are the open and confirmed findings, most severe first, of
	// FindingsTotal in the case.
	Findings      []FindingRowVM
	FindingsTotal int
}

// gapsText shows the coverage gaps of a case.
func gapsText(o queries.OverviewCounts) string {
	switch {
	case !o.GapsKnown:
		return "not counted until the derived tables are rebuilt"
	case o.Gaps == 0:
		return "none over " + duration(o.Gap)
	}
	return format.Count(o.Gaps) + " over " + duration(o.Gap) + " (longest " + duration(o.LongestGap.Round(time.Minute)) + ")"
}

// shortSource is the end of a manifest entry's source, its file name (the
// whole source is the cell's title).
func shortSource(src string) string {
	if i := strings.LastIndexByte(src, '/'); i >= 0 && i < len(src)-1 {
		return "…/" + src[i+1:]
	}
	return src
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
	// ParamError says what is wrong with them; there is no Result then.
	ParamError string
	Result     ResultVM
	Runs       []RunRow // the last runs of the analysis in the case, newest first
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
	// The view: Total rows in the result, Matched by the filter, shown
	// from row First on page Page of Pages.
	Total, Matched, First, Page, Pages int
	Filter                             string
	PrevHref, NextHref                 string
	// FilterAction and Hidden make the filter form: the analysis page and
	// the parameters and sort (name, value) the filter keeps.
	FilterAction string
	Hidden       [][2]string
	TableVM
}

// wideTable is how many columns make a table wide: printed smaller.
const wideTable = 10

// TableVM is a table of text cells. Links parallels Rows: the pivot page of
// an address cell, empty for other cells.
type TableVM struct {
	Columns []string
	Numeric []bool
	Rows    [][]string
	Links   [][]string
	// Titles, when set, parallels Rows: the exact value of a cell shown
	// rounded (1.9 MiB: "1,992,294 bytes"), "" for the others.
	Titles [][]string
	// SortHrefs, when set, parallels Columns: the page sorted by that
	// column. Sorted names the column the rows are sorted by, Desc how.
	SortHrefs []string
	Sorted    string
	Desc      bool
	// RowNums, when set, parallels Rows: each row's number (from 1) in the
	// stored run it comes from; Record then holds its record controls.
	RowNums []int
	Record  []RowRecordVM
	// Marks are what the record says of the addresses the table shows
	// (starred, tagged, with notes), by the cell's text.
	Marks map[string]AddrMark
}

// titleAttrs are the attributes of cell i of row ri that give the exact
// value behind a rounded one: none when it is shown whole.
func (t TableVM) titleAttrs(ri, i int) templ.Attributes {
	if ri < len(t.Titles) && i < len(t.Titles[ri]) && t.Titles[ri][i] != "" {
		return templ.Attributes{"title": t.Titles[ri][i]}
	}
	return nil
}

// mark is what the record says of the address in a cell.
func (t TableVM) mark(cell string) (AddrMark, bool) {
	m, ok := t.Marks[cell]
	return m, ok
}

// addressColumns are the columns whose values are addresses of the case:
// the analyses' and the flow records'.
var addressColumns = map[string]bool{
	"src_ip": true, "dst_ip": true, "peer_ip": true, "local_ip": true, "client": true, "server": true,
	"srcaddr": true, "dstaddr": true, "pkt_srcaddr": true, "pkt_dstaddr": true,
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
	return format.Time(*first) + " – " + format.TimeUTC(*last)
}

func itoa(n int) string { return strconv.Itoa(n) }

// usePicker reports whether a time field shows a date-time picker: when it
// is empty or holds a fixed time. A relative time (2h, now) stays text, as
// given.
func usePicker(v string) bool {
	_, fixed := when.Fixed(v)
	return v == "" || fixed
}

// pickerValue is a fixed time as a datetime-local field's value (UTC).
func pickerValue(v string) string {
	if t, fixed := when.Fixed(v); fixed {
		return t.UTC().Format("2006-01-02T15:04:05")
	}
	return ""
}

// paramHint is the note beside a parameter's name.
func paramHint(typ string) string {
	if typ == "TIMESTAMP" {
		return "UTC, empty: whole case"
	}
	return strings.ToLower(typ)
}

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
	Case, Addr string
	Stale      bool // the derived tables need rebuilding first
	// Per request: the page, where its buttons post, whether look-ups
	// are allowed, and what the last one did.
	Href, PrepareHref, LookupHref, FlowsHref string
	Offline                                  bool
	Lookup                                   string
	Totals                                   PivotTotals
	Timeline                                 TimelineVM
	Counterparts                             TableVM
	// Services are its conversations, one line each; Conversations counts
	// them all (Services shows the largest).
	Services      []ServiceLine
	Conversations int
	Info          *PivotInfo  // nil: not an address of the case
	Whois         *PivotWhois // nil: no stored WHOIS network holds it
	// Record is the address's record (per request).
	Record RecordVM
}

// ServiceLine is one conversation as a line: "client → server:22/tcp,
// 94 sessions, 280 records, 1.9 MiB". An address of the focus reads
// "focus" (its address in the link's title).
type ServiceLine struct {
	Client, Server           string // addresses
	ClientLabel, ServerLabel string
	ClientHref, ServerHref   string // their pivots
	Port                     string // ":22", "" without ports
	Protocol                 string // tcp, udp, icmp
	Service                  string // SSH, "" when unnamed
	// Tail is the rest of the line: ":22/tcp (SSH), 94 sessions, 280
	// records, 1.9 MiB".
	Tail       string
	Actions    string // ACCEPT, REJECT, ACCEPT+REJECT
	RejectOnly bool
	FlowsHref  string // the pair's records on the flows page
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

// SQLVM is the SQL console of a case: the statement and its result or
// error, the examples, the history and the schema.
type SQLVM struct {
	Case, Href string
	CSVHref    string // where a statement's result downloads as CSV
	Path       string // absolute path of the case file, for duckdb -readonly
	Query      string
	Examples   []queries.Example
	History    []HistoryEntry // newest first
	// Schema is the case's tables and views; SchemaError says why it is
	// missing (not looked up for htmx answers, which do not show it).
	Schema      []queries.TableSchema
	SchemaError string
	Ran         bool
	Error       string
	Result      TableVM
	Rows        int
	Truncated   bool
	Duration    string
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
	Case, Href                                     string
	Addr, Peer, Port, Protocol, Action, Start, End string
	// View is "conversations" when the records are shown paired into
	// conversations (Conversations; Total of them, Count shown; Stale
	// when the derived tables must be rebuilt first); ToggleHref switches.
	View, ToggleHref   string
	Conversations      bool
	Stale              bool
	Total              int
	Page, First, Count int
	PrevHref, NextHref string
	Totals             FlowTotals
	Result             TableVM
	// Record is the record of the filter (and the tags of its address).
	Record RecordVM
}

// FlowTotals sums the records a flows filter matches.
type FlowTotals struct {
	Records, Packets, Bytes, Accepted, Rejected int64
	First, Last                                 *time.Time
}

// tableKind names a kind of table as information_schema gives it.
func tableKind(kind string) string {
	switch kind {
	case "BASE TABLE":
		return "table"
	case "VIEW":
		return "view"
	}
	return strings.ToLower(kind)
}

// oneLine shows a statement on one line: its whitespace runs made one
// space, at most 120 characters.
func oneLine(q string) string {
	s := strings.Join(strings.Fields(q), " ")
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}
