package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"strings"
	"time"
)

// The investigation record (findings, notes, tags, stars) and its case log:
// every write goes through record, which appends the log rows in the same
// transaction as the change, so nothing changes without the log saying so.

// RecordError is a value the record cannot take: a finding id, a severity,
// a port or a note that is not one. Its text is for people, the same on the
// command line and the workbench.
type RecordError struct {
	Field  string // what was given: "severity", "--port", "note"
	Value  string // as given
	Reason string // what is wrong, and what was expected
}

func (e *RecordError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %q %s", e.Field, e.Value, e.Reason)
}

// UserMessage is the error's text, which is written for people.
func (e *RecordError) UserMessage() string { return e.Error() }

// ErrNoRecord is wrapped by the errors for a finding, note or run the case
// does not hold.
var ErrNoRecord = errors.New("store: no such record")

// NotFoundError names what the case does not hold.
type NotFoundError struct {
	What, ID string // "finding", "F-9"
	Hint     string // what the case does hold, or how to list it
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("the case has no %s %s", e.What, e.ID)
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}
func (e *NotFoundError) Unwrap() error       { return ErrNoRecord }
func (e *NotFoundError) UserMessage() string { return e.Error() }

// Analyst is who makes a change: given (the --analyst flag), else
// $INVESTIGATOR_ANALYST, else the operating-system user.
func Analyst(given string) string {
	if s := strings.TrimSpace(given); s != "" {
		return s
	}
	if s := strings.TrimSpace(os.Getenv("INVESTIGATOR_ANALYST")); s != "" {
		return s
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// TargetKind is what a note, tag or star is on.
type TargetKind string

const (
	OnCase    TargetKind = "case"
	OnFinding TargetKind = "finding"
	OnAddress TargetKind = "address"
	OnRun     TargetKind = "run"
	OnRow     TargetKind = "row"   // a result row: RUN_ID#N
	OnFlows   TargetKind = "flows" // a flows filter: its canonical JSON
)

// Target is what a note, tag or star is on.
type Target struct {
	Kind TargetKind `json:"kind"`
	ID   string     `json:"id,omitempty"` // "" for the case
}

func (t Target) String() string {
	if t.Kind == OnCase {
		return "case"
	}
	return string(t.Kind) + ":" + t.ID
}

// AddressTarget is the target of an address, in its canonical form.
func AddressTarget(s string) (Target, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return Target{}, &RecordError{Field: "address", Value: s, Reason: "is not an IPv4 or IPv6 address"}
	}
	return Target{Kind: OnAddress, ID: a.Unmap().String()}, nil
}

// RowTarget is the target of row n (from 1) of a stored run.
func RowTarget(runID string, n int) Target {
	return Target{Kind: OnRow, ID: fmt.Sprintf("%s#%d", runID, n)}
}

// FlowsTarget is the target of a saved flows filter.
func FlowsTarget(f FlowsFilter) (Target, error) {
	if err := f.check(); err != nil {
		return Target{}, err
	}
	b, err := json.Marshal(f.canonical())
	if err != nil {
		return Target{}, fmt.Errorf("store: %w", err)
	}
	return Target{Kind: OnFlows, ID: string(b)}, nil
}

// FlowsFilter is a saved filter of the flows page: the records of these
// addresses (either end), ports (either end), protocol, action and window.
type FlowsFilter struct {
	Addresses []string   `json:"addresses,omitempty"`
	Ports     []int      `json:"ports,omitempty"`
	Protocol  *int       `json:"protocol,omitempty"`
	Action    string     `json:"action,omitempty"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
}

func (f FlowsFilter) check() error {
	for _, a := range f.Addresses {
		if _, err := AddressTarget(a); err != nil {
			return err
		}
	}
	if err := checkPorts(f.Ports); err != nil {
		return err
	}
	if f.Protocol != nil && (*f.Protocol < 0 || *f.Protocol > 255) {
		return &RecordError{Field: "protocol", Value: fmt.Sprint(*f.Protocol), Reason: "is not an IANA protocol number (0–255)"}
	}
	if f.Action != "" && f.Action != "ACCEPT" && f.Action != "REJECT" {
		return &RecordError{Field: "action", Value: f.Action, Reason: "is not ACCEPT or REJECT"}
	}
	return checkWindow(f.Start, f.End)
}

// canonical is the filter with its addresses canonical and times in UTC,
// so that one filter has one target.
func (f FlowsFilter) canonical() FlowsFilter {
	out := f
	out.Addresses = nil
	for _, a := range f.Addresses {
		t, _ := AddressTarget(a)
		out.Addresses = append(out.Addresses, t.ID)
	}
	out.Start, out.End = utcPtr(f.Start), utcPtr(f.End)
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func checkPorts(ports []int) error {
	for _, p := range ports {
		if p < 0 || p > 65535 {
			return &RecordError{Field: "port", Value: fmt.Sprint(p), Reason: "is not a port number (0–65535)"}
		}
	}
	return nil
}

func checkWindow(start, end *time.Time) error {
	if start != nil && end != nil && !start.Before(*end) {
		return &RecordError{Field: "window", Reason: fmt.Sprintf("starts (%s) at or after it ends (%s): the start must come first",
			start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))}
	}
	return nil
}

// LogEntry is one row of the case log.
type LogEntry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Analyst  string    `json:"analyst"`
	Action   string    `json:"action"`
	EntityID string    `json:"entity_id"`
	Field    string    `json:"field,omitempty"`
	Old      *string   `json:"old,omitempty"`
	New      *string   `json:"new,omitempty"`
}

// change is one case-log row to append with a write.
type change struct {
	action, entity, field string
	old, new              *string
}

func str(s string) *string { return &s }

// jsonText is v as JSON text, for the log.
func jsonText(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		return str(fmt.Sprint(v))
	}
	return str(string(b))
}

// record runs write in one transaction with the case-log rows it returns,
// all stamped with the same time and analyst. A write that changes nothing
// returns no rows and ErrNoChange.
func (c *Case) record(ctx context.Context, by string, write func(conn *sql.Conn, now time.Time) ([]change, error)) error {
	if strings.TrimSpace(by) == "" {
		return errors.New("store: a change needs its analyst")
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return c.InTx(ctx, func(conn *sql.Conn) error {
		changes, err := write(conn, now)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if _, err := conn.ExecContext(ctx, `INSERT INTO case_log (logged_at, analyst, action, entity_id, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				now, by, ch.action, ch.entity, Nullable(ch.field), ch.old, ch.new); err != nil {
				return fmt.Errorf("store: case log: %w", err)
			}
		}
		return nil
	})
}

// CaseLog lists the case log, oldest first; entity, when not "", keeps the
// rows of that entity (F-3, N-7).
func (c *Case) CaseLog(ctx context.Context, entity string) ([]LogEntry, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT seq, logged_at, analyst, action, entity_id, coalesce(field, ''), old, new
		FROM case_log WHERE ? = '' OR entity_id = ? ORDER BY seq`, entity, entity)
	if err != nil {
		return nil, fmt.Errorf("store: case log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var old, nw sql.NullString
		if err := rows.Scan(&e.Seq, &e.At, &e.Analyst, &e.Action, &e.EntityID, &e.Field, &old, &nw); err != nil {
			return nil, fmt.Errorf("store: case log: %w", err)
		}
		e.At = e.At.UTC()
		if old.Valid {
			e.Old = &old.String
		}
		if nw.Valid {
			e.New = &nw.String
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// listJSON is a list as JSON text, bound as a parameter and cast in SQL
// (?::JSON::VARCHAR[]): never NULL, an empty list for none.
func listJSON[T any](xs []T) string {
	if len(xs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(xs)
	return string(b)
}
