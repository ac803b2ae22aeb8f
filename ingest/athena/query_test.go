package athena

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

var (
	day0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	day3 = time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC)
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestBuildQueryShape(t *testing.T) {
	got, err := BuildQuery(Options{
		Table: "flowlogs.vpc_flow_logs", Start: day0, End: day3,
		Focus:           addrs("10.0.1.10", "2600:1f18:abc:de01::10"),
		Columns:         []string{"srcaddr", "dstaddr", "start", "end", "action", "pkt-srcaddr"},
		PartitionFilter: "day BETWEEN '2026/11/20' AND '2026/11/23'",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "srcaddr", "dstaddr", "start", "end", "action", "pkt_srcaddr"
FROM "flowlogs"."vpc_flow_logs"
WHERE "start" BETWEEN 1795132800 AND 1795391999
  AND ("srcaddr" IN ('10.0.1.10', '2600:1f18:abc:de01::10', '2600:1f18:0abc:de01:0000:0000:0000:0010')
    OR "dstaddr" IN ('10.0.1.10', '2600:1f18:abc:de01::10', '2600:1f18:0abc:de01:0000:0000:0000:0010')
    OR "pkt_srcaddr" IN ('10.0.1.10', '2600:1f18:abc:de01::10', '2600:1f18:0abc:de01:0000:0000:0000:0010'))
  AND (day BETWEEN '2026/11/20' AND '2026/11/23'
)`
	if got != want {
		t.Fatalf("query:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildQuery(t *testing.T) {
	base := func() Options {
		return Options{Table: "flowlogs.vpc_flow_logs", Start: day0, End: day3, Columns: []string{"srcaddr", "dstaddr", "start", "end"}}
	}
	tests := []struct {
		name    string
		edit    func(*Options)
		want    []string // substrings of the query
		notWant []string
		err     string // substring of the error
	}{
		{name: "window in Unix seconds", edit: func(o *Options) {},
			want: []string{`WHERE "start" BETWEEN 1795132800 AND 1795391999`}, notWant: []string{"IN (", "AND ("}},
		{name: "fractional bounds round inward", edit: func(o *Options) {
			o.Start, o.End = day0.Add(1500*time.Millisecond), day3.Add(900*time.Millisecond)
		}, want: []string{`BETWEEN 1795132802 AND 1795391999`}},
		{name: "a window in another zone is the same instant", edit: func(o *Options) {
			loc := time.FixedZone("X", -5*3600)
			o.Start, o.End = day0.In(loc), day3.In(loc)
		}, want: []string{`BETWEEN 1795132800 AND 1795391999`}},
		{name: "one-instant window", edit: func(o *Options) { o.End = o.Start }, want: []string{`BETWEEN 1795132800 AND 1795132800`}},
		{name: "IPv4 focus, sorted, deduplicated, unmapped", edit: func(o *Options) {
			o.Focus = addrs("10.0.1.11", "::ffff:10.0.1.10", "10.0.1.10")
		}, want: []string{`"srcaddr" IN ('10.0.1.10', '10.0.1.11')`, `OR "dstaddr" IN ('10.0.1.10', '10.0.1.11'))`}, notWant: []string{"ffff", "pkt_"}},
		{name: "IPv6 focus in both spellings, zone dropped", edit: func(o *Options) {
			o.Focus = []netip.Addr{netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("2001:db8::1")}
		}, want: []string{`IN ('2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', 'fe80::1', 'fe80:0000:0000:0000:0000:0000:0000:0001')`}, notWant: []string{"eth0"}},
		{name: "pkt addresses when selected", edit: func(o *Options) {
			o.Focus = addrs("10.0.1.10")
			o.Columns = append(o.Columns, "pkt_dstaddr", "pkt-srcaddr")
		}, want: []string{`OR "pkt_srcaddr" IN ('10.0.1.10')`, `OR "pkt_dstaddr" IN ('10.0.1.10'))`}},
		{name: "columns in AWS order, hyphen names", edit: func(o *Options) {
			o.Columns = []string{"log-status", "end", "srcaddr", "version", "end"}
		}, want: []string{`SELECT "version", "srcaddr", "end", "log_status"` + "\n"}},
		{name: "default columns", edit: func(o *Options) { o.Columns = nil },
			want: []string{`SELECT "version", "account_id", `, `"traffic_path"` + "\nFROM"}, notWant: []string{"tgw", "ecs"}},
		{name: "partition filter passed through", edit: func(o *Options) {
			o.PartitionFilter = "  \"date\" >= DATE '2026-11-20' -- from the runbook "
		}, want: []string{"\n  AND (\"date\" >= DATE '2026-11-20' -- from the runbook\n)"}},
		{name: "hyphenated names quoted, lower-cased", edit: func(o *Options) { o.Table = "My-Logs.VPC_Flow" },
			want: []string{`FROM "my-logs"."vpc_flow"`}},
		{name: "other catalog", edit: func(o *Options) { o.Catalog = "central" }, want: []string{`FROM "central"."flowlogs"."vpc_flow_logs"`}},
		{name: "default catalog not named", edit: func(o *Options) { o.Catalog = "AwsDataCatalog" }, want: []string{`FROM "flowlogs"."vpc_flow_logs"`}},

		{name: "table without database", edit: func(o *Options) { o.Table = "vpc_flow_logs" }, err: "DATABASE.TABLE"},
		{name: "three-part table", edit: func(o *Options) { o.Table = "a.b.c" }, err: "DATABASE.TABLE"},
		{name: "injection in table", edit: func(o *Options) { o.Table = "db.t; DROP TABLE x" }, err: "DATABASE.TABLE"},
		{name: "quote in table", edit: func(o *Options) { o.Table = `db."t"` }, err: "DATABASE.TABLE"},
		{name: "empty table part", edit: func(o *Options) { o.Table = "db." }, err: "DATABASE.TABLE"},
		{name: "no window", edit: func(o *Options) { o.Start = time.Time{} }, err: "window"},
		{name: "window backwards", edit: func(o *Options) { o.Start, o.End = o.End, o.Start }, err: "before it starts"},
		{name: "invalid address", edit: func(o *Options) { o.Focus = []netip.Addr{{}} }, err: "invalid"},
		{name: "unknown column", edit: func(o *Options) { o.Columns = []string{"srcaddr", "day"} }, err: `"day" is not a flow-log field`},
		{name: "two statements", edit: func(o *Options) { o.PartitionFilter = "day = '1'; DROP TABLE x" }, err: "';'"},
		{name: "output not in S3", edit: func(o *Options) { o.Output = "/tmp/results" }, err: "s3://"},
		{name: "catalog not a name", edit: func(o *Options) { o.Catalog = `x"y` }, err: "catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.edit(&o)
			q, err := BuildQuery(o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q\n%s", err, tt.err, q)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(q, w) {
					t.Errorf("query lacks %q:\n%s", w, q)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(q, w) {
					t.Errorf("query has %q:\n%s", w, q)
				}
			}
		})
	}
}

// TestQueryKeyIsStable: the same pull has the same key whatever the order of
// its addresses and columns; a different pull has another.
func TestQueryKeyIsStable(t *testing.T) {
	key := func(o Options) string {
		t.Helper()
		q, err := BuildQuery(o)
		if err != nil {
			t.Fatal(err)
		}
		return QueryKey(q)
	}
	a := Options{Table: "db.t", Start: day0, End: day3, Focus: addrs("10.0.0.1", "10.0.0.2"), Columns: []string{"srcaddr", "dstaddr", "start"}}
	b := a
	b.Focus = addrs("10.0.0.2", "10.0.0.1", "10.0.0.1")
	b.Columns = []string{"start", "dstaddr", "srcaddr"}
	b.Table = "DB.T"
	if key(a) != key(b) {
		t.Fatal("the same pull has two keys")
	}
	c := a
	c.End = day3.Add(time.Second)
	if key(a) == key(c) {
		t.Fatal("another window has the same key")
	}
	if !strings.HasPrefix(key(a), "athena:") || len(key(a)) != len("athena:")+64 {
		t.Fatalf("key %q", key(a))
	}
	if QueryKey("SELECT 1\n  FROM x") != QueryKey("SELECT 1 FROM x") {
		t.Fatal("white space changes the key")
	}
}

func TestSuggestPartitionFilter(t *testing.T) {
	col := func(name, typ string) types.Column {
		return types.Column{Name: aws.String(name), Type: aws.String(typ)}
	}
	tests := []struct {
		name   string
		info   tableInfo
		want   string
		start  time.Time
		finish time.Time
	}{
		{"date typed", tableInfo{partitions: []types.Column{col("date", "date")}}, `"date" BETWEEN DATE '2026-11-20' AND DATE '2026-11-23'`, day0, day3},
		{"projected day", tableInfo{partitions: []types.Column{col("accid", "string"), col("day", "string")}, params: map[string]string{
			"projection.day.type": "date", "projection.day.format": "yyyy/MM/dd"}}, `"day" BETWEEN '2026/11/20' AND '2026/11/23'`, day0, day3},
		{"projected hour", tableInfo{partitions: []types.Column{col("hour", "string")}, params: map[string]string{
			"projection.hour.type": "date", "projection.hour.format": "yyyy/MM/dd/HH"}}, `"hour" BETWEEN '2026/11/20/00' AND '2026/11/20/13'`, day0.Add(30 * time.Minute), day0.Add(12*time.Hour + 5*time.Minute)},
		{"little-endian format is not ordered", tableInfo{partitions: []types.Column{col("day", "string")}, params: map[string]string{
			"projection.day.type": "date", "projection.day.format": "dd-MM-yyyy"}}, "", day0, day3},
		{"hive year/month/day", tableInfo{partitions: []types.Column{col("year", "string"), col("month", "string"), col("day", "string")}}, "", day0, day3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggestPartitionFilter(&tt.info, tt.start, tt.finish); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
