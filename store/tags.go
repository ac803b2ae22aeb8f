package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// tagRE is a tag: a short label of letters, digits and . _ : - (lower-cased).
var tagRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._:-]{0,63}$`)

func normalizeTag(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkTags(tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, &RecordError{Field: "tag", Reason: "is missing: give at least one tag"}
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		n := normalizeTag(t)
		if !tagRE.MatchString(n) {
			return nil, &RecordError{Field: "tag", Value: t, Reason: "is not a tag: one word of letters, digits and . _ : - (up to 64), like attacker or c2"}
		}
		out = append(out, n)
	}
	return compact(out), nil
}

func taggable(t Target) error {
	if t.Kind != OnAddress && t.Kind != OnFinding {
		return &RecordError{Field: "tag", Reason: fmt.Sprintf("goes on an address or a finding, not on a %s", t.Kind)}
	}
	return nil
}

// Tag puts tags on an address or a finding and returns those it did not
// have yet.
func (c *Case) Tag(ctx context.Context, by string, t Target, tags ...string) ([]string, error) {
	return c.tags(ctx, by, t, tags, true)
}

// Untag takes tags off an address or a finding and returns those it had.
func (c *Case) Untag(ctx context.Context, by string, t Target, tags ...string) ([]string, error) {
	return c.tags(ctx, by, t, tags, false)
}

func (c *Case) tags(ctx context.Context, by string, t Target, tags []string, add bool) ([]string, error) {
	if err := taggable(t); err != nil {
		return nil, err
	}
	tags, err := checkTags(tags)
	if err != nil {
		return nil, err
	}
	var done []string
	err = c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		if t, err = checkTarget(ctx, conn, t); err != nil {
			return nil, err
		}
		var changes []change
		for _, tag := range tags {
			var res sql.Result
			var err error
			if add {
				res, err = conn.ExecContext(ctx, `INSERT INTO tags (target_kind, target, tag, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					string(t.Kind), t.ID, tag, now, by)
			} else {
				res, err = conn.ExecContext(ctx, `DELETE FROM tags WHERE target_kind = ? AND target = ? AND tag = ?`, string(t.Kind), t.ID, tag)
			}
			if err != nil {
				return nil, fmt.Errorf("store: tag: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			done = append(done, tag)
			ch := change{action: "tag.add", entity: t.String(), new: str(tag)}
			if !add {
				ch = change{action: "tag.rm", entity: t.String(), old: str(tag)}
			}
			changes = append(changes, ch)
		}
		if len(changes) == 0 {
			return nil, ErrNoChange
		}
		if t.Kind == OnFinding {
			if _, err := conn.ExecContext(ctx, `UPDATE findings SET updated_at = ?, updated_by = ? WHERE id = ?`, now, by, t.ID); err != nil {
				return nil, fmt.Errorf("store: tag: %w", err)
			}
		}
		return changes, nil
	})
	return done, err
}

// Tagged is a tag on a target.
type Tagged struct {
	Target    Target    `json:"target"`
	Tag       string    `json:"tag"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Tags lists the tags of kind (OnAddress, OnFinding; "" for both), by
// target then tag.
func (c *Case) Tags(ctx context.Context, kind TargetKind) ([]Tagged, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT target_kind, target, tag, created_at, created_by FROM tags
		WHERE ? = '' OR target_kind = ? ORDER BY target_kind, target, tag`, string(kind), string(kind))
	if err != nil {
		return nil, fmt.Errorf("store: tags: %w", err)
	}
	defer rows.Close()
	out := []Tagged{}
	for rows.Next() {
		var t Tagged
		if err := rows.Scan(&t.Target.Kind, &t.Target.ID, &t.Tag, &t.CreatedAt, &t.CreatedBy); err != nil {
			return nil, fmt.Errorf("store: tags: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// TagsOf lists the tags on one target.
func (c *Case) TagsOf(ctx context.Context, t Target) ([]string, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT tag FROM tags WHERE target_kind = ? AND target = ? ORDER BY tag`, string(t.Kind), t.ID)
	if err != nil {
		return nil, fmt.Errorf("store: tags: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("store: tags: %w", err)
		}
		out = append(out, tag)
	}
	return out, rows.Err()
}

// Star marks an address, a result row or a flows filter; it reports
// whether it was not starred before.
func (c *Case) Star(ctx context.Context, by string, t Target) (bool, error) {
	return c.star(ctx, by, t, true)
}

// Unstar takes the star off; it reports whether there was one.
func (c *Case) Unstar(ctx context.Context, by string, t Target) (bool, error) {
	return c.star(ctx, by, t, false)
}

func (c *Case) star(ctx context.Context, by string, t Target, on bool) (bool, error) {
	if t.Kind != OnAddress && t.Kind != OnRow && t.Kind != OnFlows {
		return false, &RecordError{Field: "star", Reason: fmt.Sprintf("goes on an address, a result row or a flows filter, not on a %s", t.Kind)}
	}
	changed := false
	err := c.record(ctx, by, func(conn *sql.Conn, now time.Time) ([]change, error) {
		var err error
		if t, err = checkTarget(ctx, conn, t); err != nil {
			return nil, err
		}
		var res sql.Result
		if on {
			res, err = conn.ExecContext(ctx, `INSERT INTO stars (target_kind, target, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				string(t.Kind), t.ID, now, by)
		} else {
			res, err = conn.ExecContext(ctx, `DELETE FROM stars WHERE target_kind = ? AND target = ?`, string(t.Kind), t.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("store: star: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, ErrNoChange
		}
		changed = true
		if on {
			return []change{{action: "star.add", entity: t.String()}}, nil
		}
		return []change{{action: "star.rm", entity: t.String()}}, nil
	})
	return changed, err
}

// Starred lists the starred targets of kind ("" for all), oldest first.
func (c *Case) Starred(ctx context.Context, kind TargetKind) ([]Tagged, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT target_kind, target, created_at, created_by FROM stars
		WHERE ? = '' OR target_kind = ? ORDER BY created_at, target`, string(kind), string(kind))
	if err != nil {
		return nil, fmt.Errorf("store: stars: %w", err)
	}
	defer rows.Close()
	out := []Tagged{}
	for rows.Next() {
		var t Tagged
		if err := rows.Scan(&t.Target.Kind, &t.Target.ID, &t.CreatedAt, &t.CreatedBy); err != nil {
			return nil, fmt.Errorf("store: stars: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}
