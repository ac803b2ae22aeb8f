package athena

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

// Plan is what a pull will do, known before its query runs: what a dry run
// shows.
type Plan struct {
	Query   string   `json:"query"`   // the SQL sent to Athena
	Key     string   `json:"key"`     // the pull's dedup key in the case: QueryKey(Query)
	Columns []string `json:"columns"` // the flow-log columns selected
	// Shape is how the table holds the records: empty for a table whose
	// columns are AWS's field names; ingest.ShapeOCSF for an Amazon
	// Security Lake table of OCSF Network Activity records, whose paths
	// the query selects as the AWS field names.
	Shape ingest.Shape `json:"shape,omitempty"`
	// Kind says in words what the table is.
	Kind string `json:"kind"`
	// Partitions are the table's partition keys, when the catalog said.
	Partitions []string `json:"partitions,omitempty"`
	// PartitionFilter is the condition on the table's partitions the query
	// applies: the one given and, on a Security Lake table, the eventday
	// range that covers the window.
	PartitionFilter string `json:"partition_filter,omitempty"`
	// SuggestedPartitionFilter covers the window on the table's date
	// partition, when the table is partitioned by date and no filter was
	// given; it is only a suggestion, the query does not use it.
	SuggestedPartitionFilter string   `json:"suggested_partition_filter,omitempty"`
	Warnings                 []string `json:"warnings,omitempty"`
}

// deliveryLag is how long after a record's start it may still arrive in
// the bucket (the aggregation interval plus AWS's delivery delay, with room
// to spare): a date partition named after the delivery time may hold records
// that started this much earlier.
const deliveryLag = time.Hour

// tableInfo is what the catalog says about the table.
type tableInfo struct {
	columns    []types.Column // data columns
	partitions []types.Column
	params     map[string]string
}

func (t *tableInfo) hasColumn(name string) bool {
	return slices.ContainsFunc(t.columns, func(c types.Column) bool { return strings.EqualFold(aws.ToString(c.Name), name) })
}

func columnNamesOf(cs []types.Column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strings.ToLower(aws.ToString(c.Name))
	}
	return out
}

// Prepare validates o, learns the table's columns when o.Columns is empty
// (from the catalog when the API offers GetTableMetadata, otherwise from a
// "SELECT * … LIMIT 0" query) and builds the query. An unknown table is
// ErrTableNotFound. A table of OCSF records (a class_uid column) is taken
// for Amazon Security Lake's VPC flow table: its src_endpoint and
// dst_endpoint structs are required, and the query maps its OCSF paths onto
// the AWS field names (see buildOCSFQuery).
func Prepare(ctx context.Context, api API, o Options) (Plan, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return Plan{}, err
	}
	if _, err := normalizeFocus(o.Focus); err != nil {
		return Plan{}, err
	}
	var info *tableInfo
	var metaErr error
	if m, ok := api.(MetadataAPI); ok {
		info, metaErr = tableMetadata(ctx, m, o)
		if metaErr != nil && (errors.Is(metaErr, ErrTableNotFound) || ctx.Err() != nil) {
			return Plan{}, metaErr
		}
	}
	var discovered []string
	if info == nil && len(o.Columns) == 0 {
		var err error
		if discovered, err = discoverByQuery(ctx, api, o); err != nil {
			return Plan{}, err
		}
	}

	lake, err := detectOCSF(o.Table, info, discovered)
	if err != nil {
		return Plan{}, err
	}
	var plan Plan
	if lake != nil {
		plan, err = prepareOCSF(o, info, lake)
	} else {
		plan, err = prepareFlowTable(o, info, discovered)
	}
	if err != nil {
		return Plan{}, err
	}
	if len(o.Focus) == 0 {
		plan.Warnings = append(plan.Warnings, "no focus addresses: every record of the window is pulled")
	}
	if now := o.Now(); o.End.After(now.Add(-deliveryLag)) {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the window ends less than %s ago: records AWS has not delivered yet are not in the table, and the same pull run again is recognised as done and skipped", deliveryLag))
	}
	return plan, nil
}

// prepareFlowTable plans the pull of a table whose columns are AWS's field
// names: o.Columns, or those of the table's columns that are flow-log fields.
func prepareFlowTable(o Options, info *tableInfo, discovered []string) (Plan, error) {
	plan := Plan{Kind: flowTableKind}
	switch {
	case len(o.Columns) > 0:
		cols, err := normalizeColumns(o.Columns)
		if err != nil {
			return Plan{}, err
		}
		if info != nil {
			for _, c := range cols {
				if !info.hasColumn(c) {
					return Plan{}, fmt.Errorf("athena: table %s has no column %s (its columns: %s)", o.Table, c, strings.Join(columnNamesOf(info.columns), ", "))
				}
			}
		}
		plan.Columns = cols
	case info != nil:
		var cols, others []string
		for _, name := range columnNamesOf(info.columns) {
			if _, ok := ingest.LookupField(name); ok {
				cols = append(cols, name)
			} else {
				others = append(others, name)
			}
		}
		if len(others) > 0 {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("columns of %s that are not flow-log fields are not pulled: %s", o.Table, strings.Join(others, ", ")))
		}
		plan.Columns = cols
	default:
		for _, name := range discovered {
			if _, ok := ingest.LookupField(name); ok {
				plan.Columns = append(plan.Columns, strings.ToLower(name))
			}
		}
	}
	if len(o.Columns) == 0 {
		var err error
		if plan.Columns, err = normalizeColumns(plan.Columns); err != nil {
			return Plan{}, err
		}
		if len(plan.Columns) == 0 {
			return Plan{}, fmt.Errorf("athena: table %s has no flow-log columns: is it a flow-log table?", o.Table)
		}
		need := []string{"start"}
		if len(o.Focus) > 0 {
			need = append(need, "srcaddr", "dstaddr")
		}
		for _, c := range need {
			if !slices.Contains(plan.Columns, c) {
				return Plan{}, fmt.Errorf("athena: table %s has no column %s, which the query needs (its flow-log columns: %s)", o.Table, c, strings.Join(plan.Columns, ", "))
			}
		}
	}

	q := o
	q.Columns = plan.Columns
	query, err := BuildQuery(q)
	if err != nil {
		return Plan{}, err
	}
	plan.Query, plan.Key = query, QueryKey(query)
	plan.PartitionFilter = strings.TrimSpace(o.PartitionFilter)
	partitionAdvice(&plan, info, o)
	return plan, nil
}

// prepareOCSF plans the pull of a Security Lake table.
func prepareOCSF(o Options, info *tableInfo, t *ocsfTable) (Plan, error) {
	query, cols, filter, err := buildOCSFQuery(o, t)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Query: query, Key: QueryKey(query), Columns: cols, Shape: ingest.ShapeOCSF, Kind: ocsfKind, PartitionFilter: filter}
	if t.assumed {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the catalog did not say the types of the columns of %s (they came from a LIMIT 0 query): the query assumes the struct fields of Security Lake's documented VPC flow schema", o.Table))
	}
	if t.eventday {
		if info != nil {
			plan.Partitions = columnNamesOf(info.partitions)
		}
		return plan, nil
	}
	partitionAdvice(&plan, info, o)
	return plan, nil
}

// partitionAdvice warns about a partitioned table read without a partition
// filter, with one that covers the window when it can write one.
func partitionAdvice(plan *Plan, info *tableInfo, o Options) {
	if info == nil || len(info.partitions) == 0 {
		return
	}
	plan.Partitions = columnNamesOf(info.partitions)
	if strings.TrimSpace(o.PartitionFilter) != "" {
		return
	}
	plan.SuggestedPartitionFilter = suggestPartitionFilter(info, o.Start, o.End)
	w := fmt.Sprintf("table %s is partitioned by %s, but no partition filter was given: Athena reads every partition (and bills for it)",
		o.Table, strings.Join(plan.Partitions, ", "))
	if plan.SuggestedPartitionFilter != "" {
		w += "; a filter covering the window: " + plan.SuggestedPartitionFilter
	}
	plan.Warnings = append(plan.Warnings, w)
}

// tableMetadata reads the table's columns and partition keys from the catalog.
func tableMetadata(ctx context.Context, api MetadataAPI, o Options) (*tableInfo, error) {
	db, tbl, _ := splitTable(o.Table)
	in := &athena.GetTableMetadataInput{CatalogName: aws.String(o.catalog()), DatabaseName: aws.String(db), TableName: aws.String(tbl)}
	if o.Workgroup != "" {
		in.WorkGroup = aws.String(o.Workgroup)
	}
	out, err := api.GetTableMetadata(ctx, in)
	if err != nil {
		return nil, explain(err, o, "read the table's metadata")
	}
	if out.TableMetadata == nil {
		return nil, fmt.Errorf("athena: no metadata for table %s", o.Table)
	}
	return &tableInfo{columns: out.TableMetadata.Columns, partitions: out.TableMetadata.PartitionKeys, params: out.TableMetadata.Parameters}, nil
}

// discoverByQuery learns the table's column names from an empty query.
func discoverByQuery(ctx context.Context, api API, o Options) ([]string, error) {
	db, tbl, _ := splitTable(o.Table)
	from := store.QuoteIdent(db) + "." + store.QuoteIdent(tbl)
	if o.Catalog != "" && !strings.EqualFold(o.Catalog, DefaultCatalog) {
		from = store.QuoteIdent(strings.ToLower(o.Catalog)) + "." + from
	}
	exec, err := run(ctx, api, o, "SELECT * FROM "+from+" LIMIT 0")
	if err != nil {
		return nil, err
	}
	out, err := api.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(exec.id), MaxResults: aws.Int32(1)})
	if err != nil {
		return nil, explain(err, o, "read the table's columns")
	}
	names := resultColumns(out.ResultSet)
	if len(names) == 0 {
		return nil, fmt.Errorf("athena: query %s did not say the columns of %s", exec.id, o.Table)
	}
	return names, nil
}

// suggestPartitionFilter writes a condition on the table's date partition
// that covers the window: a DATE-typed key, or a string key that partition
// projection declares a date in a big-endian format (yyyy/MM/dd, yyyy-MM-dd,
// yyyy/MM/dd/HH). Flow logs are filed under their delivery time, so the
// range reaches deliveryLag past the window's end.
func suggestPartitionFilter(t *tableInfo, start, end time.Time) string {
	start, end = start.UTC(), end.Add(deliveryLag).UTC()
	for _, p := range t.partitions {
		name := strings.ToLower(aws.ToString(p.Name))
		typ := strings.ToLower(aws.ToString(p.Type))
		if typ == "date" {
			return fmt.Sprintf("%s BETWEEN DATE %s AND DATE %s", store.QuoteIdent(name), store.QuoteString(start.Format(time.DateOnly)), store.QuoteString(end.Format(time.DateOnly)))
		}
		if typ != "string" && !strings.HasPrefix(typ, "varchar") {
			continue
		}
		if !strings.EqualFold(t.params["projection."+name+".type"], "date") {
			continue
		}
		layout, ok := javaDateLayout(t.params["projection."+name+".format"])
		if !ok {
			continue
		}
		if strings.Contains(layout, "15") {
			start = start.Truncate(time.Hour)
		}
		return fmt.Sprintf("%s BETWEEN %s AND %s", store.QuoteIdent(name), store.QuoteString(start.Format(layout)), store.QuoteString(end.Format(layout)))
	}
	return ""
}

// javaDateLayout turns a big-endian Java date format (what partition
// projection uses) into a Go layout; other formats are not ordered as text.
func javaDateLayout(f string) (string, bool) {
	if !strings.HasPrefix(f, "yyyy") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		switch {
		case strings.HasPrefix(f[i:], "yyyy"):
			b.WriteString("2006")
			i += 4
		case strings.HasPrefix(f[i:], "MM"):
			b.WriteString("01")
			i += 2
		case strings.HasPrefix(f[i:], "dd"):
			b.WriteString("02")
			i += 2
		case strings.HasPrefix(f[i:], "HH"):
			b.WriteString("15")
			i += 2
		case strings.ContainsRune("/-_.: ", rune(f[i])):
			b.WriteByte(f[i])
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}
