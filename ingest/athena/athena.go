// Package athena pulls flow-log records out of an Athena table for a case:
// fleet-wide hunting where Athena does the filtering (the case's window and
// addresses) over the whole flow-log bucket, and only the matching records
// travel.
//
// A pull is one SELECT over the table (see BuildQuery). Its results are
// written to a temporary file in the flow-log text shape (a header of AWS
// field names, one record per line, '-' for NULL) and ingested as one item
// whose dedup key is the hash of the query text: the same pull (same table,
// window, addresses, columns and partition filter) is recognised in the case
// and skipped before any query is started.
//
// An Amazon Security Lake VPC flow table, whose columns are OCSF 1.x
// structs rather than AWS's field names, is recognised from its columns
// (class_uid, src_endpoint, dst_endpoint): its query selects the OCSF paths
// as the AWS field names (the mapping the ocsf file shape uses), filters the
// window on start_time in epoch milliseconds and the eventday partition, and
// the manifest records the pull's shape as ocsf with the records' OCSF
// version.
package athena

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/internal/format"
)

// API is the part of *athena.Client a pull needs.
type API interface {
	StartQueryExecution(ctx context.Context, params *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, params *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, params *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
}

// MetadataAPI is optional: when the API also has it (as *athena.Client
// does), the table's columns and partition keys are read from the catalog
// without running a query. Otherwise they are learned from a
// "SELECT * … LIMIT 0" query.
type MetadataAPI interface {
	GetTableMetadata(ctx context.Context, params *athena.GetTableMetadataInput, optFns ...func(*athena.Options)) (*athena.GetTableMetadataOutput, error)
}

// StopAPI is optional: when the API has it, a query still running when the
// context ends is stopped, so that it stops costing.
type StopAPI interface {
	StopQueryExecution(ctx context.Context, params *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// Options describe one pull.
type Options struct {
	Table     string // DATABASE.TABLE
	Catalog   string // the data catalog; default AwsDataCatalog
	Workgroup string // optional
	Output    string // s3://… location for the query results; optional when the workgroup has one
	// Start and End are the case window, both inclusive, on the records'
	// start (Unix seconds in the table; epoch milliseconds in start_time in
	// a Security Lake table). Both are required.
	Start, End time.Time
	// Focus are the case's addresses: records whose srcaddr, dstaddr,
	// pkt_srcaddr or pkt_dstaddr is one of them (src_endpoint.ip,
	// dst_endpoint.ip or the first intermediate_ips in a Security Lake
	// table). Empty: no address filter.
	Focus []netip.Addr
	// Columns are the table's flow-log columns to select (hyphen or
	// underscore names); of a Security Lake table, the fields to fill from
	// its OCSF paths. Empty: every flow-log column the table has (every
	// field its OCSF paths can fill).
	Columns []string
	// PartitionFilter is an extra SQL condition on the table's partitions
	// ("day BETWEEN '2026/11/20' AND '2026/11/22'"), passed through as given.
	PartitionFilter string
	// Poll is the interval between status checks of a running query (default 1s).
	Poll time.Duration
	// Profile names the AWS profile in use, for the hints in error messages.
	Profile string
	// Now is the clock for the warnings about recent windows (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// catalog is the data catalog the table lives in.
func (o Options) catalog() string {
	if o.Catalog == "" {
		return DefaultCatalog
	}
	return o.Catalog
}

// Summary is the outcome of a pull.
type Summary struct {
	QueryID string   `json:"query_id,omitempty"`
	Query   string   `json:"query"`
	Key     string   `json:"key"`
	Columns []string `json:"columns"`
	// Shape is the table's, as in Plan: ingest.ShapeOCSF for a Security
	// Lake table; OCSFVersion the OCSF versions its records named
	// (metadata.version), comma-separated.
	Shape       ingest.Shape `json:"shape,omitempty"`
	OCSFVersion string       `json:"ocsf_version,omitempty"`
	Skipped     bool         `json:"skipped"` // the same pull is in the case already (Result.DuplicateOf says from where): no query ran
	Rows        int64        `json:"rows"`    // result rows Athena returned
	Records     int64        `json:"records"` // records that landed in the case
	// Rejected counts the rows that did not become records because they
	// could not be read: rows Pull could not write as a flow-log line (a
	// value with white space in it; see Rejects) and the lines ingest
	// rejected (in the case's rejects table).
	Rejected int64             `json:"rejected"`
	Rejects  []ingest.Reject   `json:"rejects,omitempty"` // the first few rows Pull could not write (Line is the result row)
	Scanned  int64             `json:"scanned_bytes"`     // what Athena read (and bills for)
	Warnings []string          `json:"warnings,omitempty"`
	Result   ingest.FileResult `json:"result"`
	Duration time.Duration     `json:"duration_ns"`
}

// maxRejects is how many unwritable rows a Summary shows.
const maxRejects = 10

// Pull runs the query for o, waits for it, and ingests its results with in
// as one item: source "athena:DB.TABLE query ID", key QueryKey(query). When
// the case holds that key already, Pull returns at once with Skipped set and
// no query started. Begin the ingester with o's window, so that the case
// keeps exactly the records of the window (Athena's answer should hold no
// others; any that come are counted as outside the window).
func Pull(ctx context.Context, api API, in *ingest.Ingester, o Options) (sum Summary, err error) {
	began := time.Now()
	defer func() { sum.Duration = time.Since(began) }()
	o = o.withDefaults()
	plan, err := Prepare(ctx, api, o)
	if err != nil {
		return sum, err
	}
	db, tbl, _ := splitTable(o.Table)
	table := db + "." + tbl
	sum = Summary{Query: plan.Query, Key: plan.Key, Columns: plan.Columns, Shape: plan.Shape, Warnings: plan.Warnings}

	prior, seen, err := in.Seen(ctx, plan.Key)
	if err != nil {
		return sum, err
	}
	if seen {
		sum.Skipped = true
		sum.Result = ingest.FileResult{Path: "athena:" + table, Status: ingest.Duplicate, DuplicateOf: prior}
		return sum, nil
	}

	exec, err := run(ctx, api, o, plan.Query)
	sum.QueryID = exec.id
	sum.Scanned = exec.scanned
	if err != nil {
		return sum, err
	}

	tmp, err := fetch(ctx, api, o, exec.id, &sum)
	if tmp != "" {
		defer removeQuietly(tmp)
	}
	if err != nil {
		return sum, err
	}
	item := ingest.Item{Path: tmp, Source: "athena:" + table + " query " + exec.id, Key: plan.Key}
	if plan.Shape == ingest.ShapeOCSF {
		item.Shape, item.OCSFVersion = ingest.ShapeOCSF, sum.OCSFVersion
	}
	res := in.Item(ctx, item)
	sum.Result = res
	sum.Records = res.Records
	sum.Rejected += res.Rejected
	if res.Status == ingest.Refused || res.Status == ingest.Failed {
		return sum, fmt.Errorf("athena: results of query %s did not land: %w", exec.id, res.Err())
	}
	return sum, nil
}

// String is a one-line account of the pull, for logs and reports.
func (s Summary) String() string {
	if s.Skipped {
		return fmt.Sprintf("already in the case from %s: no query run", s.Result.DuplicateOf)
	}
	var b strings.Builder
	if s.Shape == ingest.ShapeOCSF {
		b.WriteString("Security Lake OCSF table")
		if s.OCSFVersion != "" {
			b.WriteString(" (OCSF " + s.OCSFVersion + ")")
		}
		b.WriteString(", ")
	}
	fmt.Fprintf(&b, "query %s: %d rows, %d records, %d rejected, %s scanned", s.QueryID, s.Rows, s.Records, s.Rejected, format.Bytes(s.Scanned))
	if s.Result.OutsideWindow > 0 {
		fmt.Fprintf(&b, ", %d outside the window", s.Result.OutsideWindow)
	}
	return b.String()
}
