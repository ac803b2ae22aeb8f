package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Severity is how much a finding matters.
type Severity string

// Severities, least first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the severities, most severe first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

// Rank orders severities: critical 4 … info 0 (-1 for none).
func (s Severity) Rank() int {
	i := slices.Index(Severities, s)
	if i < 0 {
		return -1
	}
	return len(Severities) - 1 - i
}

// ParseSeverity reads a severity, in any case.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.Rank() < 0 {
		return "", &RecordError{Field: "severity", Value: s, Reason: "is not one of info, low, medium, high, critical"}
	}
	return v, nil
}

// Status is where a finding stands.
type Status string

const (
	StatusOpen      Status = "open"
	StatusConfirmed Status = "confirmed"
	StatusDismissed Status = "dismissed"
)

// Statuses lists the statuses.
var Statuses = []Status{StatusOpen, StatusConfirmed, StatusDismissed}

// ParseStatus reads a status, in any case.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Statuses, v) {
		return "", &RecordError{Field: "status", Value: s, Reason: "is not one of open, confirmed, dismissed"}
	}
	return v, nil
}

// Sources of findings.
const (
	FromAnalyst   = "analyst"
	FromDetection = "detection"
)

// Subjects are what a finding is about.
type Subjects struct {
	Addresses  []string `json:"addresses"`
	Ports      []int    `json:"ports"`
	Interfaces []string `json:"interfaces"`
	Instances  []string `json:"instances"`
}

// Evidence is what a finding rests on: rows of a stored analysis run (Rows
// are 1-based row numbers of its result; none: the whole result), or a
// flows filter that reproduces the records.
type Evidence struct {
	RunID    string       `json:"run_id,omitempty"`
	Analysis string       `json:"analysis,omitempty"`
	Version  int          `json:"version,omitempty"`
	SHA256   string       `json:"sha256,omitempty"`
	Rows     []int        `json:"rows"`
	Filter   *FlowsFilter `json:"filter,omitempty"`
	AddedAt  time.Time    `json:"added_at"`
	AddedBy  string       `json:"added_by"`
}

// Finding is one conclusion of the investigation.
type Finding struct {
	ID               string   `json:"id"`
	Title            string   `json:"title"`
	Severity         Severity `json:"severity"`
	Status           Status   `json:"status"`
	Reason           string   `json:"reason,omitempty"`
	Source           string   `json:"source"`
	Detection        string   `json:"detection,omitempty"`
	DetectionVersion int      `json:"detection_version,omitempty"`
	DetectionKey     string   `json:"detection_key,omitempty"`
	// DetectionWeight is how much evidence a detection's finding rests on
	// (its weight column: flows, attempts); triage reopens a dismissed
	// finding only when it grows.
	DetectionWeight int64      `json:"detection_weight,omitempty"`
	MITRE           []string   `json:"mitre"`
	Subjects        Subjects   `json:"subjects"`
	FirstSeen       *time.Time `json:"first_seen"`
	LastSeen        *time.Time `json:"last_seen"`
	Evidence        []Evidence `json:"evidence"`
	Notes           []Note     `json:"notes"`
	Tags            []string   `json:"tags"`
	CreatedAt       time.Time  `json:"created_at"`
	CreatedBy       string     `json:"created_by"`
	UpdatedAt       time.Time  `json:"updated_at"`
	UpdatedBy       string     `json:"updated_by"`
}

var (
	findingIDRE   = regexp.MustCompile(`^(?i:f-)?([0-9]{1,9})$`)
	mitreRE       = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	interfaceIDRE = regexp.MustCompile(`^eni-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// ParseMITRE reads a MITRE ATT&CK technique id: T1110, t1071.001.
func ParseMITRE(s string) (string, error) {
	m := strings.ToUpper(strings.TrimSpace(s))
	if !mitreRE.MatchString(m) {
		return "", &RecordError{Field: "MITRE ATT&CK id", Value: m, Reason: "is not a technique id like T1110 or T1071.001"}
	}
	return m, nil
}

// ParseFindingID reads a finding id: F-12, f-12 or 12.
func ParseFindingID(s string) (string, error) {
	m := findingIDRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", &RecordError{Field: "finding", Value: s, Reason: "is not a finding id like F-12"}
	}
	n, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("F-%d", n), nil
}

// maxTitle is the longest finding title, in characters.
const maxTitle = 300

func checkTitle(s string) (string, error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return "", &RecordError{Field: "title", Reason: "is empty: a finding needs a title that says what was found"}
	case !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl):
		return "", &RecordError{Field: "title", Value: t, Reason: "holds control characters or invalid UTF-8: a title is one line of text"}
	case utf8.RuneCountInString(t) > maxTitle:
		return "", &RecordError{Field: "title", Value: t[:40] + "…", Reason: fmt.Sprintf("is longer than %d characters: put the detail in a note", maxTitle)}
	}
	return t, nil
}

// normalize checks f and puts its values in their canonical forms: what
// AddFinding stores.
func (f *Finding) normalize() error {
	var err error
	if f.Title, err = checkTitle(f.Title); err != nil {
		return err
	}
	if f.Severity == "" {
		f.Severity = SeverityMedium
	}
	if f.Severity, err = ParseSeverity(string(f.Severity)); err != nil {
		return err
	}
	if f.Status == "" {
		f.Status = StatusOpen
	}
	if f.Status, err = ParseStatus(string(f.Status)); err != nil {
		return err
	}
	f.Reason = strings.TrimSpace(f.Reason)
	if f.Status == StatusDismissed && f.Reason == "" {
		return &RecordError{Field: "status", Value: string(StatusDismissed), Reason: "needs a reason: say why the finding is dismissed"}
	}
	switch f.Source {
	case "":
		f.Source = FromAnalyst
	case FromAnalyst, FromDetection:
	default:
		return &RecordError{Field: "source", Value: f.Source, Reason: "is not analyst or detection"}
	}
	if f.Source == FromDetection && f.Detection == "" {
		return &RecordError{Field: "detection", Reason: "is missing: a finding from a detection names it"}
	}
	var mitre []string
	for _, m := range f.MITRE {
		id, err := ParseMITRE(m)
		if err != nil {
			return err
		}
		mitre = append(mitre, id)
	}
	f.MITRE = compact(mitre)
	if f.Subjects, err = f.Subjects.normalize(); err != nil {
		return err
	}
	f.FirstSeen, f.LastSeen = utcPtr(f.FirstSeen), utcPtr(f.LastSeen)
	return checkWindow(f.FirstSeen, f.LastSeen)
}

func (s Subjects) normalize() (Subjects, error) {
	var out Subjects
	for _, a := range s.Addresses {
		t, err := AddressTarget(a)
		if err != nil {
			return out, err
		}
		out.Addresses = append(out.Addresses, t.ID)
	}
	if err := checkPorts(s.Ports); err != nil {
		return out, err
	}
	out.Ports = compact(s.Ports)
	for _, e := range s.Interfaces {
		e = strings.ToLower(strings.TrimSpace(e))
		if !interfaceIDRE.MatchString(e) {
			return out, &RecordError{Field: "interface", Value: e, Reason: "is not a network interface id like eni-0123456789abcdef0"}
		}
		out.Interfaces = append(out.Interfaces, e)
	}
	for _, i := range s.Instances {
		id, err := ParseInstanceID(i)
		if err != nil {
			return out, &RecordError{Field: "instance", Value: i, Reason: "is not an EC2 instance id like i-0123456789abcdef0"}
		}
		out.Instances = append(out.Instances, id)
	}
	out.Addresses, out.Interfaces, out.Instances = compact(out.Addresses), compact(out.Interfaces), compact(out.Instances)
	return out, nil
}

// compact removes repeated values, keeping the first of each: never nil.
func compact[T comparable](xs []T) []T {
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// AddFinding records a new finding with its evidence (run references are
// checked against the stored runs) and, when note is not empty, a first
// note on it, and returns its id.
func (c *Case) AddFinding(ctx context.Context, by string, f Finding, note string) (string, error) {
	if err := f.normalize(); err != nil {
		return "", err
	}
	if note != "" {
		if _, err := checkNote(note); err != nil {
			return "", err
		}
	}
	var id string
	err := c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		var changes []change
		var err error
		id, changes, err = addFinding(ctx, conn, f, note, by, now)
		return changes, err
	})
	return id, err
}

// addFinding inserts a normalized finding with its evidence and first note.
func addFinding(ctx context.Context, conn *sql.Conn, f Finding, note, by string, now time.Time) (string, []change, error) {
	var num int
	if err := conn.QueryRowContext(ctx, `SELECT nextval('finding_num_seq')`).Scan(&num); err != nil {
		return "", nil, fmt.Errorf("store: finding: %w", err)
	}
	id := fmt.Sprintf("F-%d", num)
	f.ID, f.CreatedAt, f.CreatedBy, f.UpdatedAt, f.UpdatedBy = id, now, by, now, by
	if _, err := conn.ExecContext(ctx, `INSERT INTO findings (id, num, title, severity, status, reason, source, detection, detection_version, detection_key, detection_weight,
			mitre, addresses, ports, interfaces, instances, first_seen, last_seen, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON::VARCHAR[], ?::JSON::VARCHAR[], ?::JSON::INTEGER[], ?::JSON::VARCHAR[], ?::JSON::VARCHAR[], ?, ?, ?, ?, ?, ?)`,
		id, num, f.Title, string(f.Severity), string(f.Status), Nullable(f.Reason), f.Source, Nullable(f.Detection), nullableInt(f.DetectionVersion), Nullable(f.DetectionKey),
		nullableInt(int(f.DetectionWeight)),
		listJSON(f.MITRE), listJSON(f.Subjects.Addresses), listJSON(f.Subjects.Ports), listJSON(f.Subjects.Interfaces), listJSON(f.Subjects.Instances),
		f.FirstSeen, f.LastSeen, now, by, now, by); err != nil {
		return "", nil, fmt.Errorf("store: finding: %w", err)
	}
	changes := []change{{action: "finding.add", entity: id, new: jsonText(findingLog(f))}}
	for i := range f.Evidence {
		ch, err := addEvidence(ctx, conn, id, i+1, &f.Evidence[i], by, now)
		if err != nil {
			return "", nil, err
		}
		changes = append(changes, ch)
	}
	if note != "" {
		ch, err := addNote(ctx, conn, Target{Kind: OnFinding, ID: id}, note, by, now)
		if err != nil {
			return "", nil, err
		}
		changes = append(changes, ch)
	}
	return id, changes, nil
}

// findingLog is what the case log keeps of a new finding: its values,
// without the evidence and notes that have log rows of their own.
func findingLog(f Finding) Finding {
	f.Evidence, f.Notes, f.Tags = nil, nil, nil
	return f
}

func nullableInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// AddEvidence adds evidence to a finding.
func (c *Case) AddEvidence(ctx context.Context, by, id string, e Evidence) error {
	id, err := ParseFindingID(id)
	if err != nil {
		return err
	}
	return c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		if err := findingExists(ctx, conn, id); err != nil {
			return nil, err
		}
		var seq int
		if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM finding_evidence WHERE finding_id = ?`, id).Scan(&seq); err != nil {
			return nil, fmt.Errorf("store: evidence: %w", err)
		}
		ch, err := addEvidence(ctx, conn, id, seq+1, &e, by, now)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, `UPDATE findings SET updated_at = ?, updated_by = ? WHERE id = ?`, now, by, id); err != nil {
			return nil, fmt.Errorf("store: evidence: %w", err)
		}
		return []change{ch}, nil
	})
}

// addEvidence inserts one piece of evidence, filling a run reference's
// analysis, version and hash from the stored run.
func addEvidence(ctx context.Context, conn *sql.Conn, id string, seq int, e *Evidence, by string, now time.Time) (change, error) {
	var filter any
	switch {
	case e.RunID != "" && e.Filter != nil:
		return change{}, &RecordError{Field: "evidence", Reason: "names both a run and a flows filter: give one per piece of evidence"}
	case e.RunID != "":
		var rows int
		err := conn.QueryRowContext(ctx, `SELECT analysis, version, sha256, row_count FROM analysis_runs WHERE run_id = ?`, e.RunID).
			Scan(&e.Analysis, &e.Version, &e.SHA256, &rows)
		if errors.Is(err, sql.ErrNoRows) {
			return change{}, &NotFoundError{What: "analysis run", ID: e.RunID, Hint: "investigator runs CASE lists the stored runs"}
		}
		if err != nil {
			return change{}, fmt.Errorf("store: evidence: %w", err)
		}
		for _, n := range e.Rows {
			if n < 1 || n > rows {
				return change{}, &RecordError{Field: "row", Value: strconv.Itoa(n), Reason: fmt.Sprintf("is not a row of run %s (%s), which has %d", e.RunID, e.Analysis, rows)}
			}
		}
		e.Rows = compact(e.Rows)
	case e.Filter != nil:
		if err := e.Filter.check(); err != nil {
			return change{}, err
		}
		cf := e.Filter.canonical()
		e.Filter = &cf
		b, _ := json.Marshal(cf)
		filter = string(b)
		e.Rows = []int{}
	default:
		return change{}, &RecordError{Field: "evidence", Reason: "names neither a run nor a flows filter"}
	}
	e.AddedAt, e.AddedBy = now, by
	if _, err := conn.ExecContext(ctx, `INSERT INTO finding_evidence (finding_id, seq, run_id, analysis, version, sha256, row_nums, filter, added_at, added_by)
		VALUES (?, ?, ?, ?, ?, ?, ?::JSON::INTEGER[], ?, ?, ?)`,
		id, seq, Nullable(e.RunID), Nullable(e.Analysis), nullableInt(e.Version), Nullable(e.SHA256), listJSON(e.Rows), filter, now, by); err != nil {
		return change{}, fmt.Errorf("store: evidence: %w", err)
	}
	return change{action: "evidence.add", entity: id, new: jsonText(e)}, nil
}

func findingExists(ctx context.Context, conn *sql.Conn, id string) error {
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM findings WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("store: finding: %w", err)
	}
	if n == 0 {
		return &NotFoundError{What: "finding", ID: id, Hint: "investigator finding list CASE lists them"}
	}
	return nil
}

// FindingChange is what finding set changes; nil fields stay.
type FindingChange struct {
	Title    *string
	Severity *Severity
	Status   *Status
	// Reason is why the status changes; required for dismissed.
	Reason *string
}

// SetFinding changes a finding, one case-log row per field that changed
// (with its value before). Setting what a finding already has is no change.
func (c *Case) SetFinding(ctx context.Context, by, id string, ch FindingChange) error {
	id, err := ParseFindingID(id)
	if err != nil {
		return err
	}
	return c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		cur, err := c.finding(ctx, conn, id)
		if err != nil {
			return nil, err
		}
		var changes []change
		var sets []string
		var args []any
		set := func(field, old, nw string) {
			if old == nw {
				return
			}
			changes = append(changes, change{action: "finding.set", entity: id, field: field, old: str(old), new: str(nw)})
			sets = append(sets, field+" = ?")
			args = append(args, Nullable(nw))
		}
		if ch.Title != nil {
			t, err := checkTitle(*ch.Title)
			if err != nil {
				return nil, err
			}
			set("title", cur.Title, t)
		}
		if ch.Severity != nil {
			s, err := ParseSeverity(string(*ch.Severity))
			if err != nil {
				return nil, err
			}
			set("severity", string(cur.Severity), string(s))
		}
		reason := cur.Reason
		if ch.Reason != nil {
			reason = strings.TrimSpace(*ch.Reason)
		}
		if ch.Status != nil {
			s, err := ParseStatus(string(*ch.Status))
			if err != nil {
				return nil, err
			}
			if s == StatusDismissed && (ch.Reason == nil || reason == "") && cur.Status != StatusDismissed {
				return nil, &RecordError{Field: "status", Value: string(StatusDismissed), Reason: "needs a reason: say why the finding is dismissed"}
			}
			if s != cur.Status && ch.Reason == nil {
				reason = "" // the old status's reason does not carry over
			}
			set("status", string(cur.Status), string(s))
		} else if ch.Reason != nil && reason == "" && cur.Status == StatusDismissed {
			return nil, &RecordError{Field: "reason", Reason: "cannot be emptied while the finding is dismissed"}
		}
		set("reason", cur.Reason, reason)
		if len(changes) == 0 {
			return nil, ErrNoChange
		}
		sets = append(sets, "updated_at = ?", "updated_by = ?")
		args = append(args, now, by, id)
		if _, err := conn.ExecContext(ctx, "UPDATE findings SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...); err != nil {
			return nil, fmt.Errorf("store: finding: %w", err)
		}
		return changes, nil
	})
}

// FindingFilter chooses findings; zero fields match all.
type FindingFilter struct {
	Status   Status
	Severity Severity
	Tag      string
	// WithoutDismissed leaves dismissed findings out (when Status is "").
	WithoutDismissed bool
	// Source keeps the findings of one source (FromAnalyst, FromDetection).
	Source string
}

// Finding reads one finding with its evidence, notes and tags.
func (c *Case) Finding(ctx context.Context, id string) (Finding, error) {
	id, err := ParseFindingID(id)
	if err != nil {
		return Finding{}, err
	}
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		return Finding{}, fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	return c.finding(ctx, conn, id)
}

func (c *Case) finding(ctx context.Context, conn *sql.Conn, id string) (Finding, error) {
	fs, err := findings(ctx, conn, "id = ?", id)
	if err != nil {
		return Finding{}, err
	}
	if len(fs) == 0 {
		return Finding{}, &NotFoundError{What: "finding", ID: id, Hint: "investigator finding list CASE lists them"}
	}
	return fs[0], nil
}

// Findings lists the findings the filter chooses, in the order they were
// made, each with its evidence, notes and tags.
func (c *Case) Findings(ctx context.Context, f FindingFilter) ([]Finding, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	} else if f.WithoutDismissed {
		where = append(where, "status <> 'dismissed'")
	}
	if f.Severity != "" {
		where = append(where, "severity = ?")
		args = append(args, string(f.Severity))
	}
	if f.Source != "" {
		where = append(where, "source = ?")
		args = append(args, f.Source)
	}
	if f.Tag != "" {
		where = append(where, "id IN (SELECT target FROM tags WHERE target_kind = 'finding' AND tag = ?)")
		args = append(args, normalizeTag(f.Tag))
	}
	if len(where) == 0 {
		where = []string{"true"}
	}
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	return findings(ctx, conn, strings.Join(where, " AND "), args...)
}

// findings reads the findings where cond holds, with their evidence,
// notes and tags.
func findings(ctx context.Context, conn *sql.Conn, cond string, args ...any) ([]Finding, error) {
	rows, err := conn.QueryContext(ctx, `SELECT id, title, severity, status, coalesce(reason, ''), source, coalesce(detection, ''), coalesce(detection_version, 0),
			coalesce(detection_key, ''), coalesce(detection_weight, 0), to_json(mitre)::VARCHAR, to_json(addresses)::VARCHAR, to_json(ports)::VARCHAR, to_json(interfaces)::VARCHAR,
			to_json(instances)::VARCHAR, first_seen, last_seen, created_at, created_by, updated_at, updated_by
		FROM findings WHERE `+cond+` ORDER BY num`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	defer rows.Close()
	out := []Finding{}
	index := map[string]int{}
	for rows.Next() {
		var f Finding
		var mitre, addrs, ports, enis, insts string
		var first, last sql.NullTime
		if err := rows.Scan(&f.ID, &f.Title, &f.Severity, &f.Status, &f.Reason, &f.Source, &f.Detection, &f.DetectionVersion, &f.DetectionKey,
			&f.DetectionWeight, &mitre, &addrs, &ports, &enis, &insts, &first, &last, &f.CreatedAt, &f.CreatedBy, &f.UpdatedAt, &f.UpdatedBy); err != nil {
			return nil, fmt.Errorf("store: findings: %w", err)
		}
		for _, l := range []struct {
			text string
			into any
		}{{mitre, &f.MITRE}, {addrs, &f.Subjects.Addresses}, {ports, &f.Subjects.Ports}, {enis, &f.Subjects.Interfaces}, {insts, &f.Subjects.Instances}} {
			if err := json.Unmarshal([]byte(l.text), l.into); err != nil {
				return nil, fmt.Errorf("store: findings: %s: %w", f.ID, err)
			}
		}
		f.FirstSeen, f.LastSeen = timePtr(first), timePtr(last)
		f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
		f.Evidence, f.Notes, f.Tags = []Evidence{}, []Note{}, []string{}
		index[f.ID] = len(out)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(out))
	for _, f := range out {
		ids = append(ids, f.ID)
	}
	idList := listJSON(ids)

	ev, err := conn.QueryContext(ctx, `SELECT finding_id, coalesce(run_id, ''), coalesce(analysis, ''), coalesce(version, 0), coalesce(sha256, ''),
			to_json(coalesce(row_nums, []))::VARCHAR, filter::VARCHAR, added_at, added_by
		FROM finding_evidence WHERE list_contains(?::JSON::VARCHAR[], finding_id) ORDER BY finding_id, seq`, idList)
	if err != nil {
		return nil, fmt.Errorf("store: evidence: %w", err)
	}
	defer ev.Close()
	for ev.Next() {
		var id, rowNums string
		var filter sql.NullString
		var e Evidence
		if err := ev.Scan(&id, &e.RunID, &e.Analysis, &e.Version, &e.SHA256, &rowNums, &filter, &e.AddedAt, &e.AddedBy); err != nil {
			return nil, fmt.Errorf("store: evidence: %w", err)
		}
		if err := json.Unmarshal([]byte(rowNums), &e.Rows); err != nil {
			return nil, fmt.Errorf("store: evidence: %w", err)
		}
		if filter.Valid {
			e.Filter = new(FlowsFilter)
			if err := json.Unmarshal([]byte(filter.String), e.Filter); err != nil {
				return nil, fmt.Errorf("store: evidence of %s: %w", id, err)
			}
		}
		e.AddedAt = e.AddedAt.UTC()
		f := &out[index[id]]
		f.Evidence = append(f.Evidence, e)
	}
	if err := ev.Err(); err != nil {
		return nil, fmt.Errorf("store: evidence: %w", err)
	}
	ev.Close()

	notes, err := notesWhere(ctx, conn, "target_kind = 'finding' AND list_contains(?::JSON::VARCHAR[], target)", idList)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		f := &out[index[n.Target.ID]]
		f.Notes = append(f.Notes, n)
	}
	tags, err := conn.QueryContext(ctx, `SELECT target, tag FROM tags WHERE target_kind = 'finding' AND list_contains(?::JSON::VARCHAR[], target) ORDER BY target, tag`, idList)
	if err != nil {
		return nil, fmt.Errorf("store: tags: %w", err)
	}
	defer tags.Close()
	for tags.Next() {
		var id, tag string
		if err := tags.Scan(&id, &tag); err != nil {
			return nil, fmt.Errorf("store: tags: %w", err)
		}
		f := &out[index[id]]
		f.Tags = append(f.Tags, tag)
	}
	return out, tags.Err()
}

// Outcomes of RecordDetection.
const (
	DetectionNew       = "new"
	DetectionUpdated   = "updated"
	DetectionReopened  = "reopened"
	DetectionUnchanged = "unchanged"
)

// DetectionRow is what a detection found in one row of its result: the
// finding it means (Source detection, with its Detection and DetectionKey)
// and how much evidence the row is (its weight column).
type DetectionRow struct {
	Finding Finding
	Weight  int64
}

// DetectionOutcome is what RecordDetections did with one row: the finding
// and one of DetectionNew, DetectionUpdated, DetectionReopened,
// DetectionUnchanged.
type DetectionOutcome struct {
	ID, Outcome string
}

// RecordDetections records what detections found, in one transaction: a
// new finding per row, or the finding of the same detection and subjects
// (Detection, DetectionKey) brought up to date — its evidence, window, title
// and a severity only raised — with each change in the case log. A finding
// the analyst dismissed stays dismissed unless the row's weight (how much
// evidence it is) grew; a row whose run is in the finding's evidence
// already, or that comes from the same SQL and changes nothing, leaves it
// unchanged. runID, when not "", is the run the rows come from: it is
// marked triaged (see Triaged) in the same transaction.
func (c *Case) RecordDetections(ctx context.Context, by, runID string, rows []DetectionRow) ([]DetectionOutcome, error) {
	for i := range rows {
		f := &rows[i].Finding
		if f.Source != FromDetection || f.DetectionKey == "" {
			return nil, errors.New("store: a detection's finding needs its detection and key")
		}
		f.DetectionWeight = rows[i].Weight
		if err := f.normalize(); err != nil {
			return nil, err
		}
	}
	out := make([]DetectionOutcome, len(rows))
	err := c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		var all []change
		for i, r := range rows {
			id, outcome, changes, err := recordDetection(ctx, conn, r.Finding, r.Weight, by, now)
			if err != nil {
				return nil, err
			}
			out[i] = DetectionOutcome{ID: id, Outcome: outcome}
			all = append(all, changes...)
		}
		if runID != "" {
			if _, err := conn.ExecContext(ctx, `INSERT INTO triaged_runs (run_id, triaged_at, analyst) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, runID, now, by); err != nil {
				return nil, fmt.Errorf("store: triaged run: %w", err)
			}
		} else if len(all) == 0 {
			return nil, ErrNoChange
		}
		return all, nil
	})
	return out, err
}

// Triaged reports whether triage has recorded the rows of the run.
func (c *Case) Triaged(ctx context.Context, runID string) (bool, error) {
	var n int
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM triaged_runs WHERE run_id = ?`, runID).Scan(&n); err != nil {
		return false, fmt.Errorf("store: triaged run: %w", err)
	}
	return n > 0, nil
}

// recordDetection records one normalized row of a detection.
func recordDetection(ctx context.Context, conn *sql.Conn, f Finding, weight int64, by string, now time.Time) (id, outcome string, changes []change, err error) {
	var existing string
	err = conn.QueryRowContext(ctx, `SELECT id FROM findings WHERE detection = ? AND detection_key = ?`, f.Detection, f.DetectionKey).Scan(&existing)
	if errors.Is(err, sql.ErrNoRows) {
		id, changes, err := addFinding(ctx, conn, f, "", by, now)
		return id, DetectionNew, changes, err
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("store: finding: %w", err)
	}
	fs, err := findings(ctx, conn, "id = ?", existing)
	if err != nil {
		return "", "", nil, err
	}
	cur := fs[0]
	// Evidence from the same SQL already: a run again on the same data
	// (or on data that changed nothing of this finding) adds nothing.
	sameSQL := false
	for _, e := range cur.Evidence {
		for _, ne := range f.Evidence {
			if e.RunID == ne.RunID && slices.Equal(e.Rows, ne.Rows) {
				return existing, DetectionUnchanged, nil, nil // this run's rows are in already
			}
			sameSQL = sameSQL || e.Analysis == ne.Analysis && e.Version == ne.Version && e.SHA256 == ne.SHA256
		}
	}
	oldWeight := cur.DetectionWeight
	var sets []string
	var args []any
	set := func(field, old, nw string, value any) {
		if old == nw {
			return
		}
		changes = append(changes, change{action: "finding.set", entity: existing, field: field, old: str(old), new: str(nw)})
		sets = append(sets, field+" = ?")
		args = append(args, value)
	}
	set("title", cur.Title, f.Title, f.Title)
	if f.Severity.Rank() > cur.Severity.Rank() {
		set("severity", string(cur.Severity), string(f.Severity), string(f.Severity))
	}
	set("detection_version", strconv.Itoa(cur.DetectionVersion), strconv.Itoa(f.DetectionVersion), f.DetectionVersion)
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	if f.FirstSeen != nil && (cur.FirstSeen == nil || f.FirstSeen.Before(*cur.FirstSeen)) {
		set("first_seen", stamp(cur.FirstSeen), stamp(f.FirstSeen), *f.FirstSeen)
	}
	if f.LastSeen != nil && (cur.LastSeen == nil || f.LastSeen.After(*cur.LastSeen)) {
		set("last_seen", stamp(cur.LastSeen), stamp(f.LastSeen), *f.LastSeen)
	}
	outcome = DetectionUpdated
	if cur.Status == StatusDismissed && weight > oldWeight {
		set("status", string(cur.Status), string(StatusOpen), string(StatusOpen))
		reason := fmt.Sprintf("reopened by %s: its evidence grew from %d to %d", f.Detection, oldWeight, weight)
		set("reason", cur.Reason, reason, reason)
		outcome = DetectionReopened
	}
	if weight > oldWeight {
		sets, args = append(sets, "detection_weight = ?"), append(args, weight)
	}
	if len(changes) == 0 && weight <= oldWeight && sameSQL {
		return existing, DetectionUnchanged, nil, nil
	}
	seq := len(cur.Evidence)
	for i := range f.Evidence {
		seq++
		ch, err := addEvidence(ctx, conn, existing, seq, &f.Evidence[i], by, now)
		if err != nil {
			return "", "", nil, err
		}
		changes = append(changes, ch)
	}
	sets = append(sets, "updated_at = ?", "updated_by = ?")
	args = append(args, now, by, existing)
	if _, err := conn.ExecContext(ctx, "UPDATE findings SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...); err != nil {
		return "", "", nil, fmt.Errorf("store: finding: %w", err)
	}
	return existing, outcome, changes, nil
}
