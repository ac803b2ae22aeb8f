package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ocsfRecord is an OCSF 1.1 Network Activity record (class_uid 4001) as
// Amazon Security Lake writes one for a VPC flow log record of version 5,
// after OCSF's schema and AWS's Security Lake documentation. change edits it.
func ocsfRecord(change func(map[string]any)) map[string]any {
	r := map[string]any{
		"metadata": map[string]any{
			"product":  map[string]any{"version": "5", "name": "Amazon VPC", "vendor_name": "AWS", "feature": map[string]any{"name": "Flowlogs"}},
			"profiles": []string{"cloud", "security_control", "datetime"},
			"version":  "1.1.0",
		},
		"cloud": map[string]any{"account": map[string]any{"uid": "123456789012"}, "region": "us-east-1", "zone": "use1-az1", "provider": "AWS"},
		"src_endpoint": map[string]any{"port": 49152, "svc_name": "-", "ip": "10.0.1.5", "intermediate_ips": nil,
			"interface_uid": "eni-0a1b2c3d4e5f60718", "vpc_uid": "vpc-11112222", "instance_uid": "i-0123456789abcdef0", "subnet_uid": "subnet-aaaa1111"},
		"dst_endpoint": map[string]any{"port": 443, "svc_name": "-", "ip": "198.51.100.7", "intermediate_ips": nil,
			"interface_uid": nil, "vpc_uid": nil, "instance_uid": nil, "subnet_uid": nil},
		"connection_info": map[string]any{"protocol_num": 6, "tcp_flags": 19, "protocol_ver": "IPv4",
			"boundary_id": 4, "boundary": "Same VPC", "direction_id": 2, "direction": "Outbound"},
		"traffic":     map[string]any{"packets": 10, "bytes": 8400},
		"time":        1700000060000,
		"start_time":  1700000000000,
		"end_time":    1700000060000,
		"status_code": "OK",
		"severity_id": 1, "severity": "Informational",
		"class_uid": 4001, "class_name": "Network Activity", "category_uid": 4, "category_name": "Network Activity",
		"activity_id": 6, "activity_name": "Traffic", "type_uid": 400106, "type_name": "Network Activity: Traffic",
		"disposition": "Allowed", "disposition_id": 1, "action": "Allowed", "action_id": 1,
		"unmapped": map[string]any{"ecs-cluster-name": "prod", "sublocation_type": "-", "note": "x"},
	}
	if change != nil {
		change(r)
	}
	return r
}

func sub(r map[string]any, key string) map[string]any { return r[key].(map[string]any) }

// ocsfRecords are the records of the JSON fixtures, in order: an accepted
// outbound flow; a denied inbound one; a NODATA record (no addresses); a
// record with start_time_dt and end_time_dt strings in place of epoch ms and
// Blocked as its disposition; and one without src_endpoint.ip, a reject.
func ocsfRecords() []map[string]any {
	return []map[string]any{
		ocsfRecord(nil),
		ocsfRecord(func(r map[string]any) {
			sub(r, "src_endpoint")["ip"], sub(r, "src_endpoint")["port"] = "203.0.113.9", 50001
			sub(r, "dst_endpoint")["ip"] = "10.0.1.5"
			ci := sub(r, "connection_info")
			ci["direction"], ci["direction_id"], ci["boundary"], ci["boundary_id"], ci["tcp_flags"] = "Inbound", 1, "Internet Gateway", 11, 2
			r["action"], r["action_id"], r["disposition"], r["disposition_id"] = "Denied", 2, "Blocked", 2
		}),
		ocsfRecord(func(r map[string]any) {
			for _, e := range []string{"src_endpoint", "dst_endpoint"} {
				sub(r, e)["ip"], sub(r, e)["port"] = nil, nil
			}
			sub(r, "connection_info")["protocol_num"], sub(r, "connection_info")["tcp_flags"] = nil, nil
			sub(r, "traffic")["packets"], sub(r, "traffic")["bytes"] = nil, nil
			r["action"], r["action_id"], r["disposition"], r["disposition_id"] = nil, nil, nil, nil
			r["status_code"] = "NODATA"
		}),
		ocsfRecord(func(r map[string]any) {
			sub(r, "src_endpoint")["port"] = 50003
			delete(r, "start_time")
			delete(r, "end_time")
			r["start_time_dt"], r["end_time_dt"] = "2023-11-14T22:13:20.000Z", "2023-11-14T22:14:20.000Z"
			r["action"], r["action_id"], r["disposition"], r["disposition_id"] = nil, nil, "Blocked", 2
			sub(r, "unmapped")["pkt_srcaddr"] = "10.9.9.9"
		}),
		ocsfRecord(func(r map[string]any) {
			sub(r, "src_endpoint")["ip"], sub(r, "src_endpoint")["port"] = nil, 50004
		}),
	}
}

func jsonLines(t *testing.T, recs []map[string]any) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// ocsfParquet writes the records of ocsfRecords as Security Lake's Parquet
// with the engine itself: typed struct columns (INTEGER ports, BIGINT epoch
// milliseconds), unmapped as a MAP, gzip as the Parquet codec.
func ocsfParquet(t *testing.T, exec func(string) error, path string) {
	t.Helper()
	type rec struct {
		srcIP, dstIP                string
		srcPort                     string
		proto, flags                string
		dir                         string
		dirID, boundaryID           string
		boundary                    string
		packets, bytes              string
		start, end, startDT, endDT  string
		status, action, disposition string
		unmapped                    string
	}
	recs := []rec{
		{"'10.0.1.5'", "'198.51.100.7'", "49152", "6", "19", "'Outbound'", "2", "4", "'Same VPC'", "10", "8400", "1700000000000", "1700000060000", "NULL", "NULL", "'OK'", "'Allowed'", "'Allowed'", "MAP {'ecs-cluster-name': 'prod', 'note': 'x'}"},
		{"'203.0.113.9'", "'10.0.1.5'", "50001", "6", "2", "'Inbound'", "1", "11", "'Internet Gateway'", "10", "8400", "1700000000000", "1700000060000", "NULL", "NULL", "'OK'", "'Denied'", "'Blocked'", "MAP {'ecs-cluster-name': 'prod', 'note': 'x'}"},
		{"NULL", "NULL", "NULL", "NULL", "NULL", "'Outbound'", "2", "4", "'Same VPC'", "NULL", "NULL", "1700000000000", "1700000060000", "NULL", "NULL", "'NODATA'", "NULL", "NULL", "MAP {'ecs-cluster-name': 'prod', 'note': 'x'}"},
		{"'10.0.1.5'", "'198.51.100.7'", "50003", "6", "19", "'Outbound'", "2", "4", "'Same VPC'", "10", "8400", "NULL", "NULL", "'2023-11-14T22:13:20.000Z'", "'2023-11-14T22:14:20.000Z'", "'OK'", "NULL", "'Blocked'", "MAP {'ecs-cluster-name': 'prod', 'note': 'x', 'pkt_srcaddr': '10.9.9.9'}"},
		{"NULL", "'198.51.100.7'", "50004", "6", "19", "'Outbound'", "2", "4", "'Same VPC'", "10", "8400", "1700000000000", "1700000060000", "NULL", "NULL", "'OK'", "'Allowed'", "'Allowed'", "MAP {'ecs-cluster-name': 'prod', 'note': 'x'}"},
	}
	var sels []string
	for _, r := range recs {
		sels = append(sels, fmt.Sprintf(`SELECT
			{'product': {'version': '5', 'name': 'Amazon VPC', 'vendor_name': 'AWS'}, 'profiles': ['cloud', 'datetime'], 'version': '1.1.0'} AS metadata,
			{'account': {'uid': '123456789012'}, 'region': 'us-east-1', 'zone': 'use1-az1', 'provider': 'AWS'} AS cloud,
			{'port': %s::INTEGER, 'svc_name': '-', 'ip': %s::VARCHAR, 'intermediate_ips': NULL::VARCHAR[], 'interface_uid': 'eni-0a1b2c3d4e5f60718',
				'vpc_uid': 'vpc-11112222', 'instance_uid': 'i-0123456789abcdef0', 'subnet_uid': 'subnet-aaaa1111'} AS src_endpoint,
			{'port': (CASE WHEN %s::VARCHAR IS NULL THEN NULL ELSE 443 END)::INTEGER, 'svc_name': '-', 'ip': %s::VARCHAR, 'intermediate_ips': NULL::VARCHAR[], 'interface_uid': NULL::VARCHAR,
				'vpc_uid': NULL::VARCHAR, 'instance_uid': NULL::VARCHAR, 'subnet_uid': NULL::VARCHAR} AS dst_endpoint,
			{'protocol_num': %s::INTEGER, 'tcp_flags': %s::INTEGER, 'protocol_ver': 'IPv4', 'boundary_id': %s::INTEGER, 'boundary': %s,
				'direction_id': %s::INTEGER, 'direction': %s} AS connection_info,
			{'packets': %s::BIGINT, 'bytes': %s::BIGINT} AS traffic,
			1700000060000::BIGINT AS "time", %s::BIGINT AS start_time, %s::BIGINT AS end_time,
			%s::VARCHAR AS start_time_dt, %s::VARCHAR AS end_time_dt,
			%s AS status_code, 1::INTEGER AS severity_id, 4001::INTEGER AS class_uid, 4::INTEGER AS category_uid, 6::INTEGER AS activity_id,
			400106::BIGINT AS type_uid, %s::VARCHAR AS action, %s::VARCHAR AS disposition,
			%s::MAP(VARCHAR, VARCHAR) AS unmapped`,
			r.srcPort, r.srcIP, r.dstIP, r.dstIP, r.proto, r.flags, r.boundaryID, r.boundary, r.dirID, r.dir, r.packets, r.bytes,
			r.start, r.end, r.startDT, r.endDT, r.status, r.action, r.disposition, r.unmapped))
	}
	if err := exec(fmt.Sprintf(`COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION gzip)`, strings.Join(sels, " UNION ALL "), path)); err != nil {
		t.Fatal(err)
	}
}

func TestOCSF(t *testing.T) {
	dir := t.TempDir()
	lines := jsonLines(t, ocsfRecords())
	scratch := newCase(t)
	exec := func(q string) error { _, err := scratch.DB.Exec(q); return err }
	typed := filepath.Join(dir, "typed.gz.parquet")
	ocsfParquet(t, exec, typed)
	// The JSON records through the engine into Parquet: what the JSON has
	// becomes structs (unmapped too), snappy as the codec.
	fromJSON := filepath.Join(dir, "from-json.parquet")
	jl := writeFile(t, "records.json", lines)
	if err := exec(fmt.Sprintf(`COPY (SELECT * FROM read_json('%s', sample_size = -1)) TO '%s' (FORMAT parquet)`, jl, fromJSON)); err != nil {
		t.Fatal(err)
	}
	var array bytes.Buffer
	json.NewEncoder(&array).Encode(ocsfRecords())
	pretty, _ := json.MarshalIndent(ocsfRecords(), "", "  ")

	for _, tc := range []struct {
		name, path  string
		compression string
		extraNote   bool // unmapped.note lands as extra text
	}{
		{"json lines", writeFile(t, "x.json", lines), "none", true},
		{"json lines gzip", writeGzip(t, "x.json.gz", lines), "gzip", true},
		{"json array", writeFile(t, "a.json", array.String()), "none", true},
		{"json pretty", writeFile(t, "p.json", string(pretty)), "none", true},
		{"parquet, typed structs, gzip codec, unmapped map", typed, "none", true},
		{"parquet from json", fromJSON, "none", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCase(t)
			r := ingestPaths(t, c, Options{}, tc.path)[0]
			if r.Status != Loaded || r.Shape != ShapeOCSF || r.Compression != tc.compression {
				t.Fatalf("%+v", r)
			}
			if r.Records != 4 || r.Rejected != 1 || r.NoData != 1 || r.OCSFVersion != "1.1.0" {
				t.Fatalf("records %d rejected %d nodata %d version %q: %+v", r.Records, r.Rejected, r.NoData, r.OCSFVersion, r)
			}
			if rj := r.Rejects[0]; rj.Line != 5 || rj.Reason != "src_endpoint.ip: missing" || !strings.Contains(rj.Raw, `"class_uid":4001`) {
				t.Fatalf("reject %+v", rj)
			}
			var version string
			if err := c.DB.QueryRow(`SELECT ocsf_version FROM ingest_files`).Scan(&version); err != nil || version != "1.1.0" {
				t.Fatalf("manifest ocsf_version %q %v", version, err)
			}
			rows, err := c.DB.Query(`SELECT concat_ws(' ', version, account_id, interface_id, coalesce(srcaddr, '-'), coalesce(dstaddr, '-'),
					coalesce(CAST(srcport AS VARCHAR), '-'), coalesce(CAST(dstport AS VARCHAR), '-'), coalesce(CAST(protocol AS VARCHAR), '-'),
					coalesce(CAST(packets AS VARCHAR), '-'), coalesce(CAST(bytes AS VARCHAR), '-'), epoch(start)::BIGINT, epoch("end")::BIGINT,
					coalesce(CAST(action AS VARCHAR), '-'), log_status, vpc_id, subnet_id, instance_id, coalesce(CAST(tcp_flags AS VARCHAR), '-'),
					type, coalesce(pkt_srcaddr, '-'), region, az_id, flow_direction, traffic_path, ecs_cluster_name, coalesce(extra['note'], '-'),
					coalesce(pkt_src_aws_service, '-'))
				FROM flows ORDER BY srcport NULLS FIRST`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			want := []string{
				"5 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1700000000 1700000060 - NODATA vpc-11112222 subnet-aaaa1111 i-0123456789abcdef0 - IPv4 - us-east-1 use1-az1 egress 1 prod x -",
				"5 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK vpc-11112222 subnet-aaaa1111 i-0123456789abcdef0 19 IPv4 - us-east-1 use1-az1 egress 1 prod x -",
				"5 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.9 10.0.1.5 50001 443 6 10 8400 1700000000 1700000060 REJECT OK vpc-11112222 subnet-aaaa1111 i-0123456789abcdef0 2 IPv4 - us-east-1 use1-az1 ingress 8 prod x -",
				"5 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 198.51.100.7 50003 443 6 10 8400 1700000000 1700000060 REJECT OK vpc-11112222 subnet-aaaa1111 i-0123456789abcdef0 19 IPv4 10.9.9.9 us-east-1 use1-az1 egress 1 prod x -",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// Re-ingest adds nothing.
			again := ingestPaths(t, c, Options{}, tc.path)[0]
			if again.Status != Duplicate || queryInt(t, c, `SELECT count(*) FROM flow_records`) != 4 {
				t.Fatalf("re-ingest: %+v", again)
			}
		})
	}
}

func TestOCSFRejects(t *testing.T) {
	recs := []map[string]any{
		ocsfRecord(nil),
		ocsfRecord(func(r map[string]any) { r["class_uid"] = 4002 }),
		ocsfRecord(func(r map[string]any) { r["start_time"] = "soon" }),
		ocsfRecord(func(r map[string]any) { delete(r, "start_time") }),
		ocsfRecord(func(r map[string]any) { sub(r, "dst_endpoint")["ip"] = "not-an-ip" }),
		ocsfRecord(func(r map[string]any) { sub(r, "src_endpoint")["port"] = 70000 }),
		ocsfRecord(func(r map[string]any) { r["action"], r["disposition"] = "Maybe", "Maybe" }),
		ocsfRecord(func(r map[string]any) { sub(r, "dst_endpoint")["ip"] = nil }),
	}
	c := newCase(t)
	r := ingestPaths(t, c, Options{}, writeFile(t, "x.json", jsonLines(t, recs)))[0]
	if r.Status != Loaded || r.Records != 1 || r.Rejected != 7 {
		t.Fatalf("%+v", r)
	}
	rows, err := c.DB.Query(`SELECT line, reason FROM rejects ORDER BY line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var line int64
		var reason string
		rows.Scan(&line, &reason)
		got = append(got, fmt.Sprintf("%d %s", line, reason))
	}
	want := []string{
		`2 class_uid: "4002" is not 4001 (Network Activity)`,
		`3 start_time: "soon" is not a time (epoch milliseconds or ISO 8601)`,
		`4 start_time: missing`,
		`5 dstaddr: "not-an-ip" is not an IP address`,
		`6 srcport: "70000" is not a port (0-65535)`,
		`7 action: "Maybe" is not ACCEPT or REJECT`,
		`8 dst_endpoint.ip: missing`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOCSFOtherClass: Security Lake's other sources (DNS activity, 4003)
// have endpoints too: a file without one Network Activity record is refused.
func TestOCSFOtherClass(t *testing.T) {
	c := newCase(t)
	p := filepath.Join(t.TempDir(), "dns.parquet")
	if _, err := c.DB.Exec(fmt.Sprintf(`COPY (SELECT 4003 AS class_uid, {'ip': '10.0.0.1'} AS src_endpoint, {'ip': '10.0.0.2'} AS dst_endpoint,
		1700000000000 AS start_time, 1700000000000 AS end_time) TO '%s' (FORMAT parquet)`, p)); err != nil {
		t.Fatal(err)
	}
	r := ingestPaths(t, c, Options{}, p)[0]
	if r.Status != Refused || !strings.Contains(r.Error, "class 4003, not Network Activity") {
		t.Fatalf("%+v", r)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 0 {
		t.Fatalf("%d manifest rows for a refused file", n)
	}
}

// TestOCSFDetection: OCSF is told from the content; AWS's own Parquet
// (flat columns) and JSON records stay what they were.
func TestOCSFDetection(t *testing.T) {
	c := newCase(t)
	dir := t.TempDir()
	flat := filepath.Join(dir, "flat.parquet")
	if _, err := c.DB.Exec(fmt.Sprintf(`COPY (SELECT 2 AS version, '10.0.0.1' AS srcaddr, 1700000000 AS start) TO '%s' (FORMAT parquet)`, flat)); err != nil {
		t.Fatal(err)
	}
	ocsfPq := filepath.Join(dir, "o.parquet")
	ocsfParquet(t, func(q string) error { _, err := c.DB.Exec(q); return err }, ocsfPq)
	line := jsonLines(t, []map[string]any{ocsfRecord(nil)})
	for _, tc := range []struct {
		name string
		data []byte
		want Shape
	}{
		{"flat parquet", mustRead(t, flat), ShapeParquet},
		{"ocsf parquet", mustRead(t, ocsfPq), ShapeOCSF},
		{"ocsf json line", []byte(line), ShapeOCSF},
		{"ocsf first record without src_endpoint", []byte(jsonLines(t, []map[string]any{ocsfRecord(func(r map[string]any) { delete(r, "src_endpoint") })}) + line), ShapeOCSF},
		{"another OCSF class", []byte(jsonLines(t, []map[string]any{ocsfRecord(func(r map[string]any) { r["class_uid"] = 3002 })})), ShapeJSONRecords},
		{"json records", []byte(`[{"SrcAddr":"10.0.0.1","class_uid":4001}]`), ShapeJSONRecords},
		{"json record lines", []byte(`{"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2"}` + "\n"), ShapeJSONRecords},
	} {
		d, err := Detect(bytes.NewReader(tc.data), DetectOptions{})
		if err != nil || d.Shape != tc.want {
			t.Errorf("%s: shape %q, %v; want %q", tc.name, d.Shape, err, tc.want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOCSFBadLines: a line of a JSON-lines file that is not JSON (binary
// garbage, a cut line) is a reject with its physical line number; the other
// records land.
func TestOCSFBadLines(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(jsonLines(t, ocsfRecords()[:2]), "\n"), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	for _, tc := range []struct {
		name, content string
		badLine       int64
	}{
		{"first", join("\x00\x01garbage\xff", lines[0], lines[1]), 1},
		{"middle", join(lines[0], `{"class_uid":4001,"src_endpoint":{"ip":`, lines[1]), 2},
		{"last", join(lines[0], lines[1], "not json at all"), 3},
		{"middle after a blank line", join(lines[0], "", "[1,2]", lines[1]), 3},
	} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gzip=%t", tc.name, gz), func(t *testing.T) {
				c := newCase(t)
				p := writeFile(t, "x.json", tc.content)
				if gz {
					p = writeGzip(t, "x.json.gz", tc.content)
				}
				r := ingestPaths(t, c, Options{}, p)[0]
				if r.Status != Loaded || r.Shape != ShapeOCSF || r.Records != 2 || r.Rejected != 1 || r.Rejects[0].Line != tc.badLine {
					t.Fatalf("%+v", r)
				}
				if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE srcaddr IN ('10.0.1.5', '203.0.113.9') AND start IS NOT NULL`); n != 2 {
					t.Fatalf("%d records", n)
				}
			})
		}
	}
}
