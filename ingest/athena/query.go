package athena

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

// DefaultCatalog is Athena's name for the AWS Glue Data Catalog.
const DefaultCatalog = "AwsDataCatalog"

// identPart is one part of a table name: what Glue accepts for database and
// table names (Athena needs the hyphenated ones quoted, which we always do).
var identPart = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$`)

// splitTable validates "database.table" and returns its two parts, lower-cased
// (the Glue catalog keeps names in lower case).
func splitTable(table string) (db, tbl string, err error) {
	parts := strings.Split(table, ".")
	if len(parts) != 2 || !identPart.MatchString(parts[0]) || !identPart.MatchString(parts[1]) {
		return "", "", fmt.Errorf("athena: table %q is not DATABASE.TABLE (letters, digits, '_' and '-' in each part)", table)
	}
	return strings.ToLower(parts[0]), strings.ToLower(parts[1]), nil
}

// fieldOrder is the position of each flow-log column in AWS's field table,
// the canonical order of a select list.
var fieldOrder = func() map[string]int {
	m := map[string]int{}
	for i, f := range ingest.Fields() {
		m[f.Column()] = i
	}
	return m
}()

// DefaultColumns are the columns of the table AWS documents for flow logs
// in Athena (every field of versions 2 to 5): BuildQuery selects them when
// Options.Columns is empty. Pull and Prepare ask the table instead.
func DefaultColumns() []string {
	var out []string
	for _, f := range ingest.Fields() {
		if f.Version <= 5 {
			out = append(out, f.Column())
		}
	}
	return out
}

// normalizeColumns maps the given names (hyphen or underscore) to column
// names, in AWS's field order, without duplicates. Names that are not
// flow-log fields are an error.
func normalizeColumns(cols []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, c := range cols {
		f, ok := ingest.LookupField(strings.TrimSpace(c))
		if !ok {
			return nil, fmt.Errorf("athena: column %q is not a flow-log field", c)
		}
		if !seen[f.Column()] {
			seen[f.Column()] = true
			out = append(out, f.Column())
		}
	}
	slices.SortFunc(out, func(a, b string) int { return fieldOrder[a] - fieldOrder[b] })
	return out, nil
}

// normalizeFocus validates the addresses and returns them unmapped, without
// zones, sorted and without duplicates.
func normalizeFocus(focus []netip.Addr) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(focus))
	for _, a := range focus {
		if !a.IsValid() {
			return nil, errors.New("athena: invalid (zero) focus address")
		}
		out = append(out, a.Unmap().WithZone(""))
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

// addrLiterals are the spellings of the focus addresses the query matches:
// each address as RFC 5952 writes it ("2600:1f18::10") and, for IPv6, fully
// expanded as well ("2600:1f18:0000:…:0010"), since the table holds the
// text the flow log carried.
func addrLiterals(focus []netip.Addr) string {
	var lits []string
	for _, a := range focus {
		lits = append(lits, store.QuoteString(a.String()))
		if a.Is6() {
			lits = append(lits, store.QuoteString(a.StringExpanded()))
		}
	}
	return strings.Join(lits, ", ")
}

// windowBounds are the inclusive bounds on the integer start column that
// select exactly the records whose start lies in [start, end].
func windowBounds(start, end time.Time) (lo, hi int64) {
	lo = start.Unix()
	if start.Nanosecond() != 0 {
		lo++ // a whole second after a fractional start
	}
	return lo, end.Unix()
}

// check validates the options a query depends on.
func (o Options) check() error {
	if _, _, err := splitTable(o.Table); err != nil {
		return err
	}
	if o.Start.IsZero() || o.End.IsZero() {
		return errors.New("athena: a window (start and end) is required: without one Athena reads the whole table")
	}
	if o.End.Before(o.Start) {
		return fmt.Errorf("athena: the window ends (%s) before it starts (%s)", o.End.UTC().Format(time.RFC3339), o.Start.UTC().Format(time.RFC3339))
	}
	if strings.Contains(o.PartitionFilter, ";") {
		return errors.New("athena: the partition filter is one condition; it may not contain ';'")
	}
	if o.Output != "" && !strings.HasPrefix(o.Output, "s3://") {
		return fmt.Errorf("athena: the result location %q is not an s3:// URL", o.Output)
	}
	if o.Catalog != "" && !identPart.MatchString(o.Catalog) {
		return fmt.Errorf("athena: catalog %q is not a name", o.Catalog)
	}
	return nil
}

// BuildQuery returns the SQL Pull sends to Athena for o: the flow-log
// columns of o.Columns (DefaultColumns when empty) of the records whose start
// lies in the window and that touch one of the focus addresses, within the
// partitions o.PartitionFilter selects. Literal values are quoted and
// validated (addresses by netip, the table as DATABASE.TABLE); the same
// options give the same text, whatever the order of the columns and
// addresses, so the text's hash identifies the pull.
func BuildQuery(o Options) (string, error) {
	if err := o.check(); err != nil {
		return "", err
	}
	cols := o.Columns
	if len(cols) == 0 {
		cols = DefaultColumns()
	}
	cols, err := normalizeColumns(cols)
	if err != nil {
		return "", err
	}
	focus, err := normalizeFocus(o.Focus)
	if err != nil {
		return "", err
	}
	db, tbl, _ := splitTable(o.Table)

	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(store.QuoteIdent(c))
	}
	b.WriteString("\nFROM ")
	if o.Catalog != "" && !strings.EqualFold(o.Catalog, DefaultCatalog) {
		b.WriteString(store.QuoteIdent(strings.ToLower(o.Catalog)) + ".")
	}
	b.WriteString(store.QuoteIdent(db) + "." + store.QuoteIdent(tbl))
	lo, hi := windowBounds(o.Start, o.End)
	fmt.Fprintf(&b, "\nWHERE %s BETWEEN %d AND %d", store.QuoteIdent("start"), lo, hi)
	if len(focus) > 0 {
		lits := addrLiterals(focus)
		addrCols := []string{"srcaddr", "dstaddr"}
		for _, c := range []string{"pkt_srcaddr", "pkt_dstaddr"} {
			if slices.Contains(cols, c) {
				addrCols = append(addrCols, c)
			}
		}
		for i, c := range addrCols {
			if i == 0 {
				b.WriteString("\n  AND (")
			} else {
				b.WriteString("\n    OR ")
			}
			fmt.Fprintf(&b, "%s IN (%s)", store.QuoteIdent(c), lits)
		}
		b.WriteString(")")
	}
	if pf := strings.TrimSpace(o.PartitionFilter); pf != "" {
		// On a line of its own, so that a trailing -- comment cannot swallow
		// the closing parenthesis.
		b.WriteString("\n  AND (" + pf + "\n)")
	}
	return b.String(), nil
}

// QueryKey is the dedup key of a pull: "athena:" and the sha256 of the query
// text with its white space normalized.
func QueryKey(query string) string {
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(query), " ")))
	return "athena:" + hex.EncodeToString(sum[:])
}
