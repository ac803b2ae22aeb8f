package ec2

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

// dump reads a table as lines, for comparing a case's contents.
func dump(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v == nil {
				parts = append(parts, "NULL")
				continue
			}
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	f := newWorld()
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := Discover(ctx, client(srv), []string{iWeb, iDB, iLonely})
	var nf *NoFlowLogsError
	if !errors.As(err, &nf) { // the lonely instance has none: record all the same
		t.Fatalf("err = %v", err)
	}

	c, err := store.Create(ctx, filepath.Join(t.TempDir(), "case.duckdb"), "case", "test", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The analyst named the db instance by hand before discovery: its row gets EC2's details.
	if _, err := c.AddInstances(ctx, []store.Instance{{ID: iDB, Source: "flag"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFocus(ctx, []store.FocusIP{{Addr: r.Focus[0].Addr, Kind: "given", Source: "flag"}}); err != nil {
		t.Fatal(err)
	}

	queries := map[string]string{
		"case_instances":  `SELECT instance_id, account_id, region, vpc_id, subnet_id, name, source, tags::VARCHAR FROM case_instances ORDER BY instance_id`,
		"case_interfaces": `SELECT interface_id, instance_id, subnet_id, vpc_id, description, source FROM case_interfaces ORDER BY interface_id`,
		"focus_ips":       `SELECT addr, family, num, kind, instance_id, interface_id, source FROM focus_ips ORDER BY family, num`,
		"vpc_cidrs":       `SELECT cidr, family, start_num, end_num, vpc_id, source FROM vpc_cidrs ORDER BY family, start_num`,
		"case_flow_logs": `SELECT flow_log_id, resource_id, destination_type, log_group, destination, log_format = '` + customFormat + `' AS custom,
			log_format = '` + DefaultLogFormat + `' AS dflt, file_format, hive_partitions, per_hour, max_aggregation, account_id, region, status, source
			FROM case_flow_logs ORDER BY flow_log_id`,
	}
	want := map[string][]string{
		"case_instances": {
			"i-0a1b2c3d4e5f60001 | 123456789012 | us-east-1 | vpc-0a1 | subnet-0a1 | web | ec2 | {\"Name\":\"web\",\"env\":\"prod\"}",
			"i-0a1b2c3d4e5f60002 | 123456789012 | us-east-1 | vpc-0a1 | subnet-0a2 | NULL | flag | {}",
			"i-0a1b2c3d4e5f60003 | 123456789012 | us-east-1 | vpc-0b2 | subnet-0b1 | lonely | ec2 | {\"Name\":\"lonely\"}",
		},
		"case_interfaces": {
			"eni-0aaa | i-0a1b2c3d4e5f60001 | subnet-0a1 | vpc-0a1 | Primary network interface | ec2",
			"eni-0bbb | i-0a1b2c3d4e5f60001 | subnet-0a2 | vpc-0a1 | web backend | ec2",
			"eni-0ccc | i-0a1b2c3d4e5f60002 | subnet-0a2 | vpc-0a1 | NULL | ec2",
			"eni-0ddd | i-0a1b2c3d4e5f60003 | subnet-0b1 | vpc-0b2 | NULL | ec2",
		},
		"focus_ips": {
			"3.5.6.7 | 4 | 281470732404231 | public | i-0a1b2c3d4e5f60001 | eni-0aaa | ec2",
			"10.0.1.10 | 4 | 281470849515786 | given | NULL | NULL | flag", // recorded before: kept as it was
			"10.0.1.11 | 4 | 281470849515787 | secondary | i-0a1b2c3d4e5f60001 | eni-0aaa | ec2",
			"10.1.2.20 | 4 | 281470849581588 | private | i-0a1b2c3d4e5f60001 | eni-0bbb | ec2",
			"10.1.2.21 | 4 | 281470849581589 | secondary | i-0a1b2c3d4e5f60001 | eni-0bbb | ec2",
			"10.1.2.30 | 4 | 281470849581598 | private | i-0a1b2c3d4e5f60002 | eni-0ccc | ec2",
			"18.204.1.1 | 4 | 281470997102849 | public | i-0a1b2c3d4e5f60003 | eni-0ddd | ec2",
			"54.210.167.204 | 4 | 281471601518540 | public | i-0a1b2c3d4e5f60001 | eni-0aaa | ec2",
			"172.31.5.5 | 4 | 281473569457413 | private | i-0a1b2c3d4e5f60003 | eni-0ddd | ec2",
			"2600:1f18:abc:de01::10 | 6 | 50511294499323593250578855007537332240 | ipv6 | i-0a1b2c3d4e5f60001 | eni-0aaa | ec2",
			"2600:1f18:abc:de01::11 | 6 | 50511294499323593250578855007537332241 | ipv6 | i-0a1b2c3d4e5f60001 | eni-0aaa | ec2",
			"2600:1f18:abc:de02::20 | 6 | 50511294499323593269025599081246883872 | ipv6 | i-0a1b2c3d4e5f60001 | eni-0bbb | ec2",
		},
		"vpc_cidrs": {
			"10.0.0.0/16 | 4 | 281470849515520 | 281470849581055 | vpc-0a1 | ec2",
			"10.1.0.0/16 | 4 | 281470849581056 | 281470849646591 | vpc-0a1 | ec2",
			"172.31.0.0/16 | 4 | 281473569456128 | 281473569521663 | vpc-0b2 | ec2",
			"2600:1f18:abc:de00::/56 | 6 | 50511294499323593232132110933827780608 | 50511294499323597954498593803472994303 | vpc-0a1 | ec2",
		},
		"case_flow_logs": {
			"fl-0eni | eni-0bbb | s3 | NULL | s3://flow-bucket/web | false | true | parquet | true | true | 600 | 123456789012 | us-east-1 | ACTIVE | ec2",
			"fl-0fh | subnet-0a2 | kinesis-data-firehose | NULL | arn:aws:firehose:us-east-1:123456789012:deliverystream/flows | false | false | NULL | NULL | NULL | 60 | 123456789012 | us-east-1 | ACTIVE | ec2",
			"fl-0sub | subnet-0a1 | cloud-watch-logs | vpc-flow-logs | arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs | true | false | NULL | NULL | NULL | 600 | 123456789012 | us-east-1 | ACTIVE | ec2",
			"fl-0vpc | vpc-0a1 | cloud-watch-logs | vpc-flow-logs | arn:aws:logs:us-east-1:123456789012:log-group:vpc-flow-logs | true | false | NULL | NULL | NULL | 60 | 123456789012 | us-east-1 | ACTIVE | ec2",
		},
	}
	count := func() map[string]int {
		n := map[string]int{}
		for _, table := range []string{"case_instances", "case_interfaces", "focus_ips", "vpc_cidrs", "case_flow_logs"} {
			var k int
			if err := c.DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&k); err != nil {
				t.Fatal(err)
			}
			n[table] = k
		}
		return n
	}
	added := func() string {
		var s string
		if err := c.DB.QueryRow(`SELECT string_agg(added_at::VARCHAR, ',' ORDER BY instance_id) FROM case_instances`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	for round := 1; round <= 2; round++ {
		t.Run(fmt.Sprintf("record %d", round), func(t *testing.T) {
			before := ""
			if round == 2 {
				before = added()
			}
			if err := Record(ctx, c, r); err != nil {
				t.Fatal(err)
			}
			for _, table := range slices.Sorted(maps.Keys(queries)) {
				t.Run(table, func(t *testing.T) {
					sameLines(t, dump(t, c.DB, queries[table]), want[table])
				})
			}
			if round == 2 && added() != before {
				t.Errorf("a second Record rewrote instances")
			}
		})
	}
	if n := count(); n["case_instances"] != 3 || n["case_interfaces"] != 4 || n["focus_ips"] != 12 || n["vpc_cidrs"] != 4 || n["case_flow_logs"] != 4 {
		t.Errorf("counts after two Records: %v", n)
	}
	info, err := c.Info(ctx)
	if err != nil || len(info.Focus) != 12 || len(info.VPCCIDRs) != 4 || len(info.Instances) != 3 {
		t.Errorf("case info: %d focus, %d blocks, %d instances, %v", len(info.Focus), len(info.VPCCIDRs), len(info.Instances), err)
	}
}
