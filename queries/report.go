package queries

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/investigator/investigator/store"
)

// Report is everything the case's report says, read from the record and
// the stored runs only, so that every sentence traces to rows and SQL in
// the file. Its JSON is the shape `report --format json` prints.
type Report struct {
	Case        ReportCase       `json:"case"`
	Coverage    ReportCoverage   `json:"coverage"`
	Sources     []ReportSource   `json:"sources"`
	Enrichment  []ReportSnapshot `json:"enrichment"`
	Findings    []ReportFinding  `json:"findings"`
	Timeline    []Event          `json:"timeline"`
	TimelineGap string           `json:"timeline_gap"` // the shortest coverage gap on the timeline
	Runs        []ReportRun      `json:"runs"`
	GeneratedAt time.Time        `json:"generated_at"`
	ToolVersion string           `json:"tool_version"`
}

// ReportCase is what the case is about, and what it holds.
type ReportCase struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Focus       []string     `json:"focus"`
	Instances   []string     `json:"instances"`
	VPCCIDRs    []string     `json:"vpc_cidrs"`
	TimeRange   ReportWindow `json:"time_range"`
	Records     int64        `json:"records"`
	Accepted    int64        `json:"accepted"`
	Rejected    int64        `json:"rejected"`
	Bytes       int64        `json:"bytes"`
	Notes       []store.Note `json:"notes"`
}

// ReportWindow is a time range; nil ends when the case holds no records.
type ReportWindow struct {
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
}

// ReportCoverage is what the case did not see: silences longer than Gap.
type ReportCoverage struct {
	Gap        string `json:"gap"`
	Gaps       int64  `json:"gaps"`
	LongestGap string `json:"longest_gap"`
	Known      bool   `json:"known"`
	NoData     int64  `json:"nodata"`
	SkipData   int64  `json:"skipdata"`
}

// ReportSource is one ingested file, object or slice: the chain of custody.
type ReportSource struct {
	Source     string    `json:"source"`
	SHA256     string    `json:"sha256"`
	Bytes      int64     `json:"bytes"`
	Shape      string    `json:"shape"`
	Records    int64     `json:"records"`
	Rejected   int64     `json:"rejected"`
	IngestedAt time.Time `json:"ingested_at"`
}

// ReportSnapshot is one enrichment snapshot in the case.
type ReportSnapshot struct {
	Kind     string     `json:"kind"` // ranges, asn
	Name     string     `json:"name"` // the provider
	Source   string     `json:"source"`
	SHA256   string     `json:"sha256"`
	Date     *time.Time `json:"date"`
	LoadedAt time.Time  `json:"loaded_at"`
	Entries  int64      `json:"entries"`
}

// ReportFinding is a finding with the rows of its evidence.
type ReportFinding struct {
	store.Finding
	Tables []EvidenceTable `json:"evidence_tables"`
}

// EvidenceTable is the part of a stored run a finding rests on: its chosen
// rows (all of them, up to MaxEvidenceRows, when none were chosen).
type EvidenceTable struct {
	RunID     string   `json:"run_id"`
	Analysis  string   `json:"analysis"`
	Version   int      `json:"version"`
	SHA256    string   `json:"sha256"`
	Columns   []string `json:"columns"`
	RowNums   []int    `json:"row_numbers"`
	Rows      [][]any  `json:"rows"`
	TotalRows int      `json:"total_rows"`
}

// MaxEvidenceRows bounds the rows a report shows of a whole result.
const MaxEvidenceRows = 50

// ReportRun is a stored run the report relies on.
type ReportRun struct {
	RunID    string          `json:"run_id"`
	Analysis string          `json:"analysis"`
	Version  int             `json:"version"`
	SHA256   string          `json:"sha256"`
	Params   json.RawMessage `json:"params"`
	RanAt    time.Time       `json:"ran_at"`
	Rows     int             `json:"rows"`
}

// ReportOptions choose what the report holds.
type ReportOptions struct {
	// Dismissed includes the dismissed findings (in their own section).
	Dismissed bool
	// Gap is the shortest coverage gap the timeline shows (default
	// TimelineGap).
	Gap         string
	ToolVersion string
	Now         time.Time
}

// BuildReport reads the report of a case. It only reads.
func BuildReport(ctx context.Context, c *store.Case, o ReportOptions) (Report, error) {
	r := Report{GeneratedAt: o.Now.UTC(), ToolVersion: o.ToolVersion}
	info, err := c.Info(ctx)
	if err != nil {
		return r, err
	}
	sum, err := c.Summary(ctx)
	if err != nil {
		return r, err
	}
	r.Case = ReportCase{Name: info.Name, Description: info.Description, Focus: []string{}, Instances: []string{}, VPCCIDRs: []string{},
		TimeRange: ReportWindow{sum.First, sum.Last}, Records: sum.Records, Accepted: sum.Accepted, Rejected: sum.Rejected, Bytes: sum.Bytes}
	for _, f := range info.Focus {
		r.Case.Focus = append(r.Case.Focus, f.Addr.String())
	}
	for _, i := range info.Instances {
		r.Case.Instances = append(r.Case.Instances, i.ID)
	}
	for _, v := range info.VPCCIDRs {
		r.Case.VPCCIDRs = append(r.Case.VPCCIDRs, v.Prefix.String())
	}
	if r.Case.Notes, err = c.Notes(ctx, &store.Target{Kind: store.OnCase}); err != nil {
		return r, err
	}

	ov, err := Overview(ctx, c)
	if err != nil {
		return r, err
	}
	r.Coverage = ReportCoverage{Gap: ov.Gap.String(), Gaps: ov.Gaps, LongestGap: ov.LongestGap.String(), Known: ov.GapsKnown,
		NoData: sum.NoData, SkipData: sum.SkipData}

	files, err := c.Files(ctx)
	if err != nil {
		return r, err
	}
	r.Sources = make([]ReportSource, 0, len(files))
	for _, f := range files {
		r.Sources = append(r.Sources, ReportSource{Source: f.Source, SHA256: f.SHA256, Bytes: f.Size, Shape: f.Shape,
			Records: f.Records, Rejected: f.Rejected, IngestedAt: f.LoadedAt})
	}

	en, err := Enrichment(ctx, c)
	if err != nil {
		return r, err
	}
	r.Enrichment = []ReportSnapshot{}
	for _, s := range en.Ranges {
		r.Enrichment = append(r.Enrichment, ReportSnapshot{Kind: "ranges", Name: s.Provider, Source: s.Source, SHA256: s.SHA256, Date: s.Date, LoadedAt: s.LoadedAt, Entries: s.Count})
	}
	if s := en.ASN; s != nil {
		r.Enrichment = append(r.Enrichment, ReportSnapshot{Kind: "asn", Name: s.Provider, Source: s.Source, SHA256: s.SHA256, Date: s.Date, LoadedAt: s.LoadedAt, Entries: s.Count})
	}
	for _, s := range en.Intel {
		r.Enrichment = append(r.Enrichment, ReportSnapshot{Kind: "intel", Name: s.Provider, Source: s.Source, SHA256: s.SHA256, Date: s.Date, LoadedAt: s.LoadedAt, Entries: s.Count})
	}

	findings, err := c.Findings(ctx, store.FindingFilter{WithoutDismissed: !o.Dismissed})
	if err != nil {
		return r, err
	}
	// Confirmed first, then open, then dismissed; by severity within each,
	// then in the order they were made.
	statusRank := map[store.Status]int{store.StatusConfirmed: 0, store.StatusOpen: 1, store.StatusDismissed: 2}
	slices.SortStableFunc(findings, func(a, b store.Finding) int {
		return cmp.Or(cmp.Compare(statusRank[a.Status], statusRank[b.Status]), cmp.Compare(b.Severity.Rank(), a.Severity.Rank()))
	})
	runs := map[string]*Result{}
	r.Findings = make([]ReportFinding, 0, len(findings))
	r.Runs = []ReportRun{}
	for _, f := range findings {
		rf := ReportFinding{Finding: f, Tables: []EvidenceTable{}}
		for _, e := range f.Evidence {
			if e.RunID == "" {
				continue
			}
			run, ok := runs[e.RunID]
			if !ok {
				if run, err = StoredRun(ctx, c, e.RunID); err != nil {
					return r, err
				}
				runs[e.RunID] = run
				params, _ := json.Marshal(run.Params)
				r.Runs = append(r.Runs, ReportRun{RunID: run.RunID, Analysis: run.Analysis, Version: run.Version, SHA256: run.SHA256,
					Params: params, RanAt: run.RanAt, Rows: len(run.Rows)})
			}
			rf.Tables = append(rf.Tables, evidenceTable(run, e.Rows))
		}
		r.Findings = append(r.Findings, rf)
	}
	slices.SortFunc(r.Runs, func(a, b ReportRun) int { return cmp.Or(a.RanAt.Compare(b.RanAt), cmp.Compare(a.RunID, b.RunID)) })

	tl, err := Events(ctx, c, TimelineOptions{Dismissed: o.Dismissed, Gap: o.Gap})
	if err != nil {
		return r, err
	}
	r.Timeline, r.TimelineGap = tl.Events, tl.Gap
	return r, nil
}

func evidenceTable(run *Result, rows []int) EvidenceTable {
	t := EvidenceTable{RunID: run.RunID, Analysis: run.Analysis, Version: run.Version, SHA256: run.SHA256,
		Columns: run.ColumnNames(), RowNums: []int{}, Rows: [][]any{}, TotalRows: len(run.Rows)}
	if len(rows) == 0 {
		for i := 1; i <= min(len(run.Rows), MaxEvidenceRows); i++ {
			rows = append(rows, i)
		}
	}
	for _, n := range rows {
		if n >= 1 && n <= len(run.Rows) {
			t.RowNums = append(t.RowNums, n)
			t.Rows = append(t.Rows, run.Rows[n-1])
		}
	}
	return t
}
