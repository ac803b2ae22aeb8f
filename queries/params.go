package queries

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/internal/when"
)

// Bind turns the user's parameter values (as typed on a command line or in a
// form) into typed values for every declared parameter: given ones parsed,
// absent ones defaulted. An unknown parameter, a bad value or a missing
// required one is an error that names it.
func (a Analysis) Bind(given map[string]string, now time.Time) (map[string]any, error) {
	for name := range given {
		if _, ok := a.Param(name); !ok {
			return nil, fmt.Errorf("%s has no parameter %q (it takes %s)", a.Name, name, a.paramList())
		}
	}
	out := make(map[string]any, len(a.Params))
	for _, p := range a.Params {
		raw, ok := given[p.Name]
		if !ok {
			if p.Required {
				return nil, &MissingParamError{Analysis: a.Name, Param: p.Name}
			}
			v, err := p.literal()
			if err != nil {
				return nil, fmt.Errorf("%s: default of %s: %w", a.Name, p.Name, err)
			}
			out[p.Name] = v
			continue
		}
		v, err := p.parse(raw, now)
		if err != nil {
			return nil, fmt.Errorf("%s: --%s %q: %w", a.Name, p.Name, raw, err)
		}
		out[p.Name] = v
	}
	// A window that ends before it starts holds nothing: say so rather
	// than answer with no rows.
	if start, ok := out["start"].(time.Time); ok {
		if end, ok := out["end"].(time.Time); ok {
			if err := when.Order(start, end); err != nil {
				return nil, fmt.Errorf("%s: %w", a.Name, err)
			}
		}
	}
	return out, nil
}

// MissingParamError says a required parameter was not given.
type MissingParamError struct{ Analysis, Param string }

func (e *MissingParamError) Error() string {
	return fmt.Sprintf("%s needs --%s", e.Analysis, e.Param)
}

func (a Analysis) paramList() string {
	names := make([]string, len(a.Params))
	for i, p := range a.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// literal is the value of the parameter's default.
func (p Param) literal() (any, error) {
	d := p.Default
	if d == "null" {
		return nil, nil
	}
	return p.parse(strings.Trim(d, "'"), time.Now())
}

func (p Param) parse(s string, now time.Time) (any, error) {
	if len(p.Choices) > 0 && !slices.Contains(p.Choices, s) {
		return nil, fmt.Errorf("want one of %s", strings.Join(p.Choices, ", "))
	}
	switch p.Type {
	case "INTEGER":
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want a whole number")
		}
		return v, nil
	case "DOUBLE":
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number")
		}
		return v, nil
	case "BOOLEAN":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("want true or false")
		}
		return v, nil
	case "TIMESTAMP":
		return when.Parse(s, now)
	case "INTERVAL":
		return parseInterval(s)
	default:
		return s, nil
	}
}

var intervalRE = regexp.MustCompile(`^(\d+)\s*([smhdw])$`)

// parseInterval reads a span like 90s, 15m, 2h, 1d or 1w.
func parseInterval(s string) (duckdb.Interval, error) {
	m := intervalRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return duckdb.Interval{}, fmt.Errorf("want a span like 90s, 15m, 2h, 1d or 1w")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return duckdb.Interval{Micros: n * unit.Microseconds()}, nil
}

// canonical renders bound values for the record and the cache key: times in
// RFC 3339, spans as Go durations.
func canonical(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		switch v := v.(type) {
		case time.Time:
			out[k] = v.UTC().Format(time.RFC3339)
		case duckdb.Interval:
			out[k] = (time.Duration(v.Micros) * time.Microsecond).String()
		default:
			out[k] = v
		}
	}
	return out
}
