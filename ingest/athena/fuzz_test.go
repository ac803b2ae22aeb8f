package athena

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

var fromClause = regexp.MustCompile(`\nFROM "[a-z0-9_][a-z0-9_-]*"\."[a-z0-9_][a-z0-9_-]*"\nWHERE `)

// ocsfFrom is the FROM and the start of the WHERE of a Security Lake query.
var ocsfFrom = regexp.MustCompile(`\nFROM "[a-z0-9_][a-z0-9_-]*"\."[a-z0-9_][a-z0-9_-]*"\nWHERE "start_time" BETWEEN \d+ AND \d+\n  AND "class_uid" = 4001\n`)

// FuzzBuildQuery: whatever the table name and addresses, a query either is
// refused or names exactly one quoted table and quotes every address; the
// query of a Security Lake table (columns as a LIMIT 0 query names them)
// too, with its window on start_time and class_uid 4001.
func FuzzBuildQuery(f *testing.F) {
	f.Add("flowlogs.vpc_flow_logs", "10.0.1.10", "2600:1f18::10")
	f.Add(`db."t"; DROP`, "::ffff:1.2.3.4", "fe80::1%eth0")
	f.Add("a.b.c", "x", "")
	f.Add(lakeDB+"."+lakeTable, "10.0.1.10", "2600:1f18:abc:de01::10")
	f.Add(lakeDB+".amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0", "10.0.1.10", "")
	var lakeNames []string
	for _, c := range append(append([]struct{ name, typ string }{}, lakeColumns...), lakePartitions...) {
		lakeNames = append(lakeNames, c.name)
	}
	f.Fuzz(func(t *testing.T, table, a1, a2 string) {
		var focus []netip.Addr
		for _, s := range []string{a1, a2} {
			if a, err := netip.ParseAddr(s); err == nil {
				focus = append(focus, a)
			}
		}
		check := func(q string, from *regexp.Regexp) {
			t.Helper()
			if !from.MatchString(q) || strings.Count(q, "\nFROM ") != 1 || strings.ContainsAny(q, ";`") {
				t.Fatalf("table %q gives:\n%s", table, q)
			}
			for _, a := range focus {
				if !strings.Contains(q, "'"+a.Unmap().WithZone("").String()+"'") {
					t.Fatalf("address %s not quoted in:\n%s", a, q)
				}
			}
		}
		o := Options{Table: table, Start: day0, End: day3, Focus: focus, Columns: []string{"srcaddr", "dstaddr", "start"}}
		if q, err := BuildQuery(o); err == nil {
			check(q, fromClause)
		}
		o.Columns = nil
		if _, _, err := splitTable(table); err != nil {
			return
		}
		lake, err := detectOCSF(table, nil, lakeNames)
		if err != nil {
			return
		}
		if lake == nil {
			t.Fatalf("table %q with Security Lake's columns is no OCSF table", table)
		}
		if q, _, _, err := buildOCSFQuery(o, lake); err == nil {
			check(q, ocsfFrom)
		}
	})
}

// FuzzWriteRow: a row either becomes one line of exactly one token per
// column, or is refused with a reason.
func FuzzWriteRow(f *testing.F) {
	f.Add("10.0.1.10", "", "a b")
	f.Add("-", "x\ny", "\u00a0")
	f.Fuzz(func(t *testing.T, v1, v2, v3 string) {
		names := []string{"srcaddr", "dstaddr", "vpc_id"}
		r := types.Row{Data: []types.Datum{{VarCharValue: &v1}, {VarCharValue: &v2}, {VarCharValue: &v3}}}
		var b strings.Builder
		if reason := writeRow(&b, r, names); reason != "" {
			return
		}
		line := b.String()
		if strings.ContainsAny(line, "\n\r") || len(strings.Fields(line)) != 3 || strings.Count(line, " ") != 2 {
			t.Fatalf("%q %q %q gives line %q", v1, v2, v3, line)
		}
	})
}
