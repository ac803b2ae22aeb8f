package athena

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"

	"github.com/investigator/investigator/ingest/awsenv"
)

// ErrTableNotFound is wrapped by the error for a table (or database) the
// catalog does not have.
var ErrTableNotFound = errors.New("athena: table not found")

// QueryError is a query that ended FAILED or CANCELLED.
type QueryError struct {
	QueryID string
	Table   string
	State   types.QueryExecutionState
	Reason  string // Athena's StateChangeReason
	// Category is Athena's error category: 1 system, 2 user, 3 other; 0 when not given.
	Category int32
}

func (e *QueryError) Error() string {
	what := "failed"
	if e.State == types.QueryExecutionStateCancelled {
		what = "was cancelled"
	}
	msg := fmt.Sprintf("athena: query %s on %s %s", e.QueryID, e.Table, what)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if h := failureHint(e.Reason, e.Table); h != "" {
		msg += " (" + h + ")"
	}
	return msg
}

// Is makes a query that failed for want of its table ErrTableNotFound.
func (e *QueryError) Is(target error) bool {
	return target == ErrTableNotFound && tableMissing(e.Reason)
}

func tableMissing(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "table_not_found") || strings.Contains(r, "schema_not_found") ||
		strings.Contains(r, "entitynotfound") || strings.Contains(r, "table not found") ||
		strings.Contains(r, "database not found") ||
		(strings.Contains(r, "does not exist") && (strings.Contains(r, "table") || strings.Contains(r, "schema")))
}

// failureHint says what to do about a failed query, from Athena's reason.
func failureHint(reason, table string) string {
	r := strings.ToLower(reason)
	switch {
	case tableMissing(reason):
		return "check the database and table names of " + table + " and that the region is the table's"
	case strings.Contains(r, "column_not_found") || strings.Contains(r, "cannot be resolved"):
		return "the table lacks a column the query names: give the table's own flow-log columns"
	case strings.Contains(r, "output") && (strings.Contains(r, "denied") || strings.Contains(r, "unable to verify")):
		return "the credentials need s3:PutObject and s3:GetBucketLocation on the result location, which must exist in the same region"
	case strings.Contains(r, "permission denied on s3 path") || strings.Contains(r, "access denied") && strings.Contains(r, "s3"):
		return "the credentials need s3:GetObject and s3:ListBucket on the table's S3 location (and kms:Decrypt if it is encrypted)"
	case strings.Contains(r, "not authorized to perform"):
		if m := deniedAction.FindStringSubmatch(reason); m != nil {
			return "the credentials need " + m[1]
		}
	case strings.Contains(r, "type_mismatch") && strings.Contains(r, "between"):
		return "the query compares the table's start column (start_time in a Security Lake table) with a number: it must be a bigint, as in AWS's flow-log and Security Lake tables"
	case strings.Contains(r, "mismatched input") || strings.Contains(r, "syntax_error"):
		return "check the partition filter, which is passed to Athena as given"
	}
	return ""
}

var deniedAction = regexp.MustCompile(`perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// explain turns an API error into a plain message: a missing result
// location and a missing table are named, everything else goes through
// awsenv.Explain (access denied names the IAM action).
func explain(err error, o Options, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("athena: %s: %w", what, err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := strings.ToLower(ae.ErrorMessage())
		code := ae.ErrorCode()
		switch {
		case strings.Contains(msg, "no output location"):
			return fmt.Errorf("athena: no location for the query results: Athena writes every result to S3; give an output location (s3://bucket/prefix/) or a workgroup that has one: %w", err)
		case code == "EntityNotFoundException" || code == "MetadataException" && (strings.Contains(msg, "not found") || strings.Contains(msg, "entitynotfound")) ||
			code == "InvalidRequestException" && tableMissing(msg):
			return fmt.Errorf("%w: %s in catalog %s: check the database and table names and that the region is the table's: %w",
				ErrTableNotFound, o.Table, o.catalog(), err)
		}
	}
	explained := awsenv.Explain(err, o.Profile)
	var ee *awsenv.Error
	if errors.As(explained, &ee) && ee.Kind == "denied" && ae != nil {
		// Athena's own denials often name another service's action
		// (glue:GetTable, s3:GetObject): say which.
		if m := deniedAction.FindStringSubmatch(ae.ErrorMessage()); m != nil && !strings.Contains(ee.Msg, m[1]) {
			who := "the default credentials"
			if o.Profile != "" {
				who = "profile " + o.Profile
			}
			var oe *smithy.OperationError
			during := ""
			if errors.As(err, &oe) {
				during = fmt.Sprintf(" (Athena needs it to run %s)", oe.OperationName)
			}
			return &awsenv.Error{Kind: "denied", Err: err,
				Msg: fmt.Sprintf("aws: access denied to %s for %s: its IAM policy needs %s%s", m[1], who, m[1], during)}
		}
	}
	return explained
}

// execution is a finished query.
type execution struct {
	id      string
	scanned int64
}

// run starts a query and waits for it to succeed.
func run(ctx context.Context, api API, o Options, query string) (execution, error) {
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(query)}
	if o.Workgroup != "" {
		in.WorkGroup = aws.String(o.Workgroup)
	}
	if o.Output != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(o.Output)}
	}
	if o.Catalog != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{Catalog: aws.String(o.Catalog)}
	}
	out, err := api.StartQueryExecution(ctx, in)
	if err != nil {
		return execution{}, explain(err, o, "start the query")
	}
	ex := execution{id: aws.ToString(out.QueryExecutionId)}
	if ex.id == "" {
		return ex, errors.New("athena: StartQueryExecution returned no query id")
	}
	err = wait(ctx, api, o, &ex)
	return ex, err
}

// wait polls the query until it ends. A query still running when ctx ends
// is stopped when the API can.
func wait(ctx context.Context, api API, o Options, ex *execution) error {
	db, tbl, _ := splitTable(o.Table)
	state := types.QueryExecutionStateQueued
	began := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	abandon := func() error {
		stop(api, ex.id)
		return fmt.Errorf("athena: query %s still %s after %s, stopped: %w", ex.id, state, time.Since(began).Round(time.Millisecond), ctx.Err())
	}
	for {
		select {
		case <-ctx.Done():
			return abandon()
		case <-timer.C:
		}
		out, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(ex.id)})
		if err != nil {
			if ctx.Err() != nil {
				return abandon()
			}
			return explain(err, o, "query "+ex.id)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return fmt.Errorf("athena: query %s: GetQueryExecution returned no status", ex.id)
		}
		if qe.Statistics != nil {
			ex.scanned = aws.ToInt64(qe.Statistics.DataScannedInBytes)
		}
		state = qe.Status.State
		switch state {
		case types.QueryExecutionStateSucceeded:
			return nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			qerr := &QueryError{QueryID: ex.id, Table: db + "." + tbl, State: state, Reason: aws.ToString(qe.Status.StateChangeReason)}
			if ae := qe.Status.AthenaError; ae != nil {
				qerr.Category = aws.ToInt32(ae.ErrorCategory)
				if qerr.Reason == "" {
					qerr.Reason = aws.ToString(ae.ErrorMessage)
				}
			}
			return qerr
		}
		timer.Reset(o.Poll)
	}
}

// stop asks Athena to stop a query, best effort, when the API can.
func stop(api API, id string) {
	s, ok := api.(StopAPI)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}) //nolint:errcheck // best effort
}
