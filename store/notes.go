package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Note is an analyst's Markdown text on the case, a finding, an address, a
// run, a result row or a flows filter.
type Note struct {
	ID        string    `json:"id"` // N-7
	Target    Target    `json:"target"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// maxNote is the longest note, in bytes.
const maxNote = 64 << 10

var noteIDRE = regexp.MustCompile(`^(?i:n-)?([0-9]{1,9})$`)

// ParseNoteID reads a note id: N-7, n-7 or 7.
func ParseNoteID(s string) (int64, error) {
	m := noteIDRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, &RecordError{Field: "note", Value: s, Reason: "is not a note id like N-7"}
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n, nil
}

func noteID(n int64) string { return fmt.Sprintf("N-%d", n) }

func checkNote(text string) (string, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return "", &RecordError{Field: "note", Reason: "is empty"}
	case !utf8.ValidString(t):
		return "", &RecordError{Field: "note", Reason: "is not valid UTF-8 text"}
	case len(t) > maxNote:
		return "", &RecordError{Field: "note", Reason: fmt.Sprintf("is %d bytes, more than the %d a note holds", len(t), maxNote)}
	}
	return t, nil
}

// checkTarget makes sure what a note, tag or star is on exists: the
// finding, the run, the run's row; an address is any address, a flows
// filter any valid filter.
func checkTarget(ctx context.Context, conn *sql.Conn, t Target) (Target, error) {
	switch t.Kind {
	case OnCase:
		return Target{Kind: OnCase}, nil
	case OnFinding:
		id, err := ParseFindingID(t.ID)
		if err != nil {
			return t, err
		}
		return Target{Kind: OnFinding, ID: id}, findingExists(ctx, conn, id)
	case OnAddress:
		return AddressTarget(t.ID)
	case OnRun, OnRow:
		runID, row := t.ID, 0
		if t.Kind == OnRow {
			r, n, ok := strings.Cut(t.ID, "#")
			v, err := strconv.Atoi(n)
			if !ok || err != nil || v < 1 {
				return t, &RecordError{Field: "row", Value: t.ID, Reason: "is not a result row like RUN_ID#3"}
			}
			runID, row = r, v
		}
		var rows int
		err := conn.QueryRowContext(ctx, `SELECT row_count FROM analysis_runs WHERE run_id = ?`, runID).Scan(&rows)
		if errors.Is(err, sql.ErrNoRows) {
			return t, &NotFoundError{What: "analysis run", ID: runID, Hint: "investigator runs CASE lists the stored runs"}
		}
		if err != nil {
			return t, fmt.Errorf("store: run: %w", err)
		}
		if row > rows {
			return t, &RecordError{Field: "row", Value: strconv.Itoa(row), Reason: fmt.Sprintf("is not a row of run %s, which has %d", runID, rows)}
		}
		return t, nil
	case OnFlows:
		return t, nil // made by FlowsTarget, which checks the filter
	}
	return t, &RecordError{Field: "target", Value: string(t.Kind), Reason: "is not one of case, finding, address, run, row, flows"}
}

// AddNote records a note and returns its id.
func (c *Case) AddNote(ctx context.Context, by string, t Target, text string) (string, error) {
	if _, err := checkNote(text); err != nil {
		return "", err
	}
	var id string
	err := c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		ch, err := addNote(ctx, conn, t, text, by, now)
		id = ch.entity
		return []change{ch}, err
	})
	return id, err
}

func addNote(ctx context.Context, conn *sql.Conn, t Target, text, by string, now time.Time) (change, error) {
	text, err := checkNote(text)
	if err != nil {
		return change{}, err
	}
	if t, err = checkTarget(ctx, conn, t); err != nil {
		return change{}, err
	}
	var n int64
	if err := conn.QueryRowContext(ctx, `INSERT INTO notes (target_kind, target, text, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, string(t.Kind), t.ID, text, now, by, now, by).Scan(&n); err != nil {
		return change{}, fmt.Errorf("store: note: %w", err)
	}
	if t.Kind == OnFinding {
		if _, err := conn.ExecContext(ctx, `UPDATE findings SET updated_at = ?, updated_by = ? WHERE id = ?`, now, by, t.ID); err != nil {
			return change{}, fmt.Errorf("store: note: %w", err)
		}
	}
	return change{action: "note.add", entity: noteID(n), field: t.String(), new: str(text)}, nil
}

// EditNote replaces a note's text; the log keeps the text before.
func (c *Case) EditNote(ctx context.Context, by, id, text string) error {
	n, err := ParseNoteID(id)
	if err != nil {
		return err
	}
	text, err = checkNote(text)
	if err != nil {
		return err
	}
	return c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		cur, err := liveNote(ctx, conn, n)
		if err != nil {
			return nil, err
		}
		if cur.Text == text {
			return nil, ErrNoChange
		}
		if _, err := conn.ExecContext(ctx, `UPDATE notes SET text = ?, updated_at = ?, updated_by = ? WHERE id = ?`, text, now, by, n); err != nil {
			return nil, fmt.Errorf("store: note: %w", err)
		}
		return []change{{action: "note.edit", entity: cur.ID, field: cur.Target.String(), old: str(cur.Text), new: str(text)}}, nil
	})
}

// RemoveNote removes a note from the record: it is marked removed, and the
// log keeps its text.
func (c *Case) RemoveNote(ctx context.Context, by, id string) error {
	n, err := ParseNoteID(id)
	if err != nil {
		return err
	}
	return c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		cur, err := liveNote(ctx, conn, n)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, `UPDATE notes SET removed_at = ?, removed_by = ? WHERE id = ?`, now, by, n); err != nil {
			return nil, fmt.Errorf("store: note: %w", err)
		}
		return []change{{action: "note.rm", entity: cur.ID, field: cur.Target.String(), old: str(cur.Text)}}, nil
	})
}

func liveNote(ctx context.Context, conn *sql.Conn, n int64) (Note, error) {
	notes, err := notesWhere(ctx, conn, "id = ?", n)
	if err != nil {
		return Note{}, err
	}
	if len(notes) == 0 {
		return Note{}, &NotFoundError{What: "note", ID: noteID(n), Hint: "investigator note list CASE lists them"}
	}
	return notes[0], nil
}

// Notes lists the notes (not removed) on t, or every note when t is nil,
// oldest first.
func (c *Case) Notes(ctx context.Context, t *Target) ([]Note, error) {
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if t == nil {
		return notesWhere(ctx, conn, "true")
	}
	if t.Kind == OnAddress || t.Kind == OnFinding {
		ct, err := checkTarget(ctx, conn, *t)
		if err != nil && !errors.Is(err, ErrNoRecord) {
			return nil, err
		}
		t = &ct
	}
	return notesWhere(ctx, conn, "target_kind = ? AND target = ?", string(t.Kind), t.ID)
}

func notesWhere(ctx context.Context, conn *sql.Conn, cond string, args ...any) ([]Note, error) {
	rows, err := conn.QueryContext(ctx, `SELECT id, target_kind, target, text, created_at, created_by, updated_at, updated_by
		FROM notes WHERE removed_at IS NULL AND (`+cond+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: notes: %w", err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var id int64
		if err := rows.Scan(&id, &n.Target.Kind, &n.Target.ID, &n.Text, &n.CreatedAt, &n.CreatedBy, &n.UpdatedAt, &n.UpdatedBy); err != nil {
			return nil, fmt.Errorf("store: notes: %w", err)
		}
		n.ID = noteID(id)
		n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}
