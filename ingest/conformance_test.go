package ingest

// Conformance tests on real third-party data: the flow-log samples of the
// shared corpus (see its README.md for where each file comes from), and
// Elastic's parsed output of the same samples as ground truth.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/internal/corpus"
	"github.com/investigator/investigator/store"
)

// flowLogPath is a file under corpus/flowlogs.
func flowLogPath(t *testing.T, rel string) string {
	t.Helper()
	return filepath.Join(corpus.Require(t, "flowlogs"), filepath.FromSlash(rel))
}

// Log formats, written out by hand from AWS's "Available fields" table rather
// than taken from the field table under test.
const (
	formatV2    = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	formatV3to5 = "vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id " +
		"pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
	formatV7 = "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id " +
		"ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id"
	formatV8 = "reject-reason"
	// Elastic's v3 custom order, as the header of the older version of
	// test-tcp-flag-sequence.log shows it.
	formatElasticTCPFlags = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport " +
		"pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
)

// corpusLogFormats are the --log-format of the header-less samples that are
// not in the default format.
var corpusLogFormats = map[string]string{
	"elastic-integrations/test-v5-all-fields.log":     formatV2 + " " + formatV3to5,                                   // versions 2-5, 29 fields
	"elastic-integrations/test-ecs-samples.log":       formatV2 + " " + formatV3to5 + " " + formatV7,                  // versions 2-7, 39 fields
	"elastic-integrations/test-v8-samples.log":        formatV2 + " " + formatV3to5 + " " + formatV7 + " " + formatV8, // versions 2-8, 40 fields
	"elastic-integrations/test-tcp-flag-sequence.log": formatElasticTCPFlags,
	"elastic-integrations/test-tgw-samples.log":       strings.Join(TransitGatewayDefault, " "),
}

// corpusOptions are the ingest options for a corpus sample.
func corpusOptions(t *testing.T, rel string) Options {
	t.Helper()
	format, ok := corpusLogFormats[rel]
	if !ok {
		return Options{}
	}
	fields, err := ParseLogFormat(format, false)
	if err != nil {
		t.Fatalf("log format of %s: %v", rel, err)
	}
	return Options{LogFormat: fields}
}

// ingestCorpusFile loads one sample into a fresh case.
func ingestCorpusFile(t *testing.T, rel string) (*store.Case, FileResult) {
	t.Helper()
	c := newCase(t)
	return c, ingestPaths(t, c, corpusOptions(t, rel), flowLogPath(t, rel))[0]
}

// queryTrue runs a query that must return true.
func queryTrue(t *testing.T, c *store.Case, q string) {
	t.Helper()
	var ok bool
	if err := c.DB.QueryRow(q).Scan(&ok); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !ok {
		t.Errorf("not true: %s", q)
	}
}

type corpusCase struct {
	file                                string // under corpus/flowlogs
	shape                               Shape
	records, rejected, nodata, skipdata int64
	rejects                             []Reject // line and a part of the reason, in line order
	checks                              []string // queries over flows (this file only) that must return true
	refused                             string   // for a file that must be refused: part of the error
}

var corpusCases = []corpusCase{
	{file: "loki/vpcflowlog.log.gz", shape: ShapeTextHeader, records: 3,
		checks: []string{`SELECT sum(bytes) = 34052 AND count(DISTINCT interface_id) = 2 AND bool_and(account_id = '123456789012') FROM flows`}},
	{file: "danieldevere/testlog.gz", shape: ShapeTextHeader, records: 28,
		checks: []string{
			`SELECT count(*) FILTER (protocol = 6) = 26 AND count(*) FILTER (protocol = 17) = 1 AND count(*) FILTER (protocol = 1) = 1 FROM flows`,
			`SELECT bool_and(action = 'ACCEPT' AND log_status = 'OK' AND account_id = '429810162652') FROM flows`,
			// 5 capture windows around midnight UTC, 2018-12-08.
			`SELECT count(DISTINCT start) = 5 AND min(start) = TIMESTAMP '2018-12-07 23:59:48' AND max("end") = TIMESTAMP '2018-12-08 00:04:30' FROM flows`,
			`SELECT count(*) > 0 FROM flows WHERE dstaddr = '172.31.17.132' AND dstport = 8088`,
		}},

	{file: "elastic-integrations/test-ecs-samples.log", shape: ShapeText, records: 10, nodata: 4, skipdata: 2,
		checks: []string{
			`SELECT bool_and(ecs_task_id IS NOT NULL AND interface_id IS NULL AND vpc_id IS NULL AND flow_direction IS NOT NULL) FROM flows`,
			// NODATA and SKIPDATA records that carry values keep them.
			`SELECT count(*) = 6 FROM flows WHERE log_status <> 'OK' AND action IS NOT NULL AND bytes > 0 AND srcaddr IS NOT NULL`,
		}},
	{file: "elastic-integrations/test-extra-samples.log", shape: ShapeText, records: 7, nodata: 1, skipdata: 1,
		checks: []string{
			`SELECT count(*) = 1 FROM flows WHERE interface_id = 'eni-89.160.20.1561aaaaaaaaa' AND log_status = 'SKIPDATA'`,
			`SELECT count(*) = 2 FROM flows WHERE protocol = 1 AND srcport = 0 AND dstport = 0`,
		}},
	{file: "elastic-integrations/test-tcp-flag-sequence.log", shape: ShapeText, records: 3, nodata: 1, skipdata: 1,
		checks: []string{`SELECT count(*) FILTER (tcp_flags = 2 AND bytes = 568 AND packets = 8) = 1
			AND count(*) FILTER (log_status <> 'OK' AND tcp_flags IS NULL AND srcaddr IS NULL AND vpc_id = 'vpc-abcdefab012345678') = 2 FROM flows`}},
	{file: "elastic-integrations/test-tcp-flag-sequence.with-headers@013f7d5.log", shape: ShapeTextHeader, records: 3, nodata: 1, skipdata: 1,
		checks: []string{`SELECT count(*) = 1 FROM flows WHERE srcaddr = '52.213.180.42' AND pkt_srcaddr = '52.213.180.42' AND tcp_flags = 2`}},
	{file: "elastic-integrations/test-tgw-samples.log", shape: ShapeText, records: 10, nodata: 1, skipdata: 6,
		checks: []string{`SELECT bool_and(version = 3 AND action IS NULL AND resource_type IS NULL AND tgw_id = 'tgw-0a12bc34de56f7890'
			AND tgw_attachment_id LIKE 'tgw-attach-%' AND flow_direction = 'ingress')
			AND count(*) FILTER (srcaddr LIKE '%:%' OR dstaddr LIKE '%:%') = 2 FROM flows`}},
	{file: "elastic-integrations/test-v5-all-fields.log", shape: ShapeText, records: 1,
		checks: []string{`SELECT start = TIMESTAMP '1975-03-14 03:34:26' AND account_id = '64111117617' AND interface_id = 'eni-069xxxxxb7a490'
			AND pkt_src_aws_service = 'AMAZON' AND pkt_dst_aws_service = 'CLOUDFRONT' AND traffic_path = 1 AND az_id = 'use1-az5' FROM flows`}},
	{file: "elastic-integrations/test-v8-samples.log", shape: ShapeText, records: 1, nodata: 1,
		checks: []string{`SELECT reject_reason = 'BPA' AND ecs_task_id = 'e504f037-35c' AND srcaddr = '2a02:cf40::' FROM flows`}},
	{file: "elastic-integrations/test-with-message-field.log", shape: ShapeJSONMessage, records: 1, nodata: 1,
		checks: []string{`SELECT account_id = '428961148399' AND interface_id = 'eni-0e0bf7be352692297' AND srcaddr IS NULL FROM flows`}},

	{file: "elastic-beats/accept-reject-traffic.log", shape: ShapeTextHeader, records: 4,
		checks: []string{`SELECT count(*) FILTER (action = 'REJECT') = 2 AND count(*) FILTER (protocol = 1) = 2 FROM flows`}},
	{file: "elastic-beats/bad.log", refused: "4 fields"},
	{file: "elastic-beats/custom-nat-gateway.log", shape: ShapeTextHeader, records: 2,
		checks: []string{`SELECT bool_and(start IS NULL AND version IS NULL AND pkt_dstaddr = '203.0.113.5') AND count(instance_id) = 1 FROM flows`}},
	{file: "elastic-beats/custom-transit-gateway.log", shape: ShapeTextHeader, records: 1,
		checks: []string{`SELECT tcp_flags = 3 AND dstport = 80 AND start IS NULL AND bytes IS NULL AND subnet_id = 'subnet-22222222bbbbbbbbb' FROM flows`}},
	{file: "elastic-beats/ipv6.log", shape: ShapeText, records: 1,
		checks: []string{`SELECT count(*) = 2 FROM addresses WHERE family = 6`}},
	{file: "elastic-beats/no-data-skip-data.log", shape: ShapeText, records: 2, nodata: 1, skipdata: 1},
	{file: "elastic-beats/tcp-flag-sequence-skip-data.log", shape: ShapeTextHeader, records: 2, nodata: 1, skipdata: 1},
	{file: "elastic-beats/tcp-flag-sequence.log", shape: ShapeTextHeader, records: 3,
		checks: []string{`SELECT list(tcp_flags ORDER BY tcp_flags) = [2, 3, 19] FROM flows`}},

	{file: "flowlogs-reader/flows.parquet", shape: ShapeParquet, records: 2, rejected: 1, nodata: 1,
		rejects: []Reject{{Line: 3, Reason: `protocol: "8080" is not a protocol number`}}},
	{file: "flowlogs-reader/embedded-v2-records.log", shape: ShapeText, records: 5, nodata: 1, skipdata: 1,
		checks: []string{`SELECT count(*) = 2 FROM flows WHERE interface_id = 'eni-102010ab'`}},
	{file: "flowlogs-reader/embedded-v3-file.log", shape: ShapeTextHeader, records: 2,
		// The header is in alphabetical order: the values must still land in their columns.
		checks: []string{`SELECT count(*) = 1 FROM flows WHERE srcaddr = '172.18.160.68' AND srcport = 443 AND dstaddr = '172.18.160.93'
			AND dstport = 47460 AND pkt_srcaddr = '192.168.0.1' AND tcp_flags = 19 AND version = 3 AND bytes = 6392 AND packets = 10
			AND start = make_timestamp(1568300367::BIGINT * 1000000) AND "end" = make_timestamp(1568300425::BIGINT * 1000000)`}},
	{file: "flowlogs-reader/embedded-v4-file.log", shape: ShapeTextHeader, records: 2,
		checks: []string{`SELECT list(sublocation_type || '/' || sublocation_id ORDER BY sublocation_id) = ['outpost/outpostid04', 'wavelength/wlid04']
			AND bool_and(version = 4 AND region = 'us-east-1' AND az_id = 'use1-az4') FROM flows`}},
	{file: "flowlogs-reader/embedded-v5-file.log", shape: ShapeTextHeader, records: 2, rejected: 1,
		rejects: []Reject{{Line: 4, Reason: "expected 29 fields, found 2"}},
		checks: []string{`SELECT count(*) FILTER (flow_direction = 'ingress' AND pkt_src_aws_service = 'S3' AND traffic_path IS NULL AND tcp_flags = 19) = 1
			AND count(*) FILTER (flow_direction = 'egress' AND pkt_dst_aws_service = 'S3' AND traffic_path = 7 AND tcp_flags = 7) = 1 FROM flows`}},
	{file: "flowlogs-reader/embedded-v6-file.log", shape: ShapeTextHeader, records: 1,
		checks: []string{`SELECT resource_type = 'TransitGateway' AND tgw_id = '00000000' AND tgw_pair_attachment_id = '00000012'
			AND packets_lost_no_route = 13 AND packets_lost_ttl_expired = 16 AND version IS NULL AND start IS NULL FROM flows`}},

	{file: "misc/haozhang96-input-bom.log", shape: ShapeText, records: 16,
		// The BOM does not stick to the first value; non-hex ENIs are kept as they are.
		checks: []string{`SELECT bool_and(version = 2) AND count(*) FILTER (srcaddr = '10.0.1.201' AND interface_id = 'eni-0a1b2c3d') = 1
			AND count(*) FILTER (interface_id = 'eni-5e6f7g8h') = 1 FROM flows`}},
	{file: "misc/raghu-megh-V2-flow-log-3-faulty.log", shape: ShapeText, records: 14, rejected: 2,
		rejects: []Reject{{Line: 7, Reason: `action: "SUCCESS" is not ACCEPT or REJECT`}, {Line: 16, Reason: `log-status: "GO_AWAY" is not OK, NODATA or SKIPDATA`}},
		// Version 3 on a version 2 layout is a valid version number: the record is kept.
		checks: []string{`SELECT count(*) FILTER (version = 3) = 1 AND count(*) FILTER (interface_id = 'eni-5e6f7g8h') = 1 FROM flows`}},

	{file: "ottodeng/aws-vpc-flow-sample.json", shape: ShapeJSONRecords, records: 5110, nodata: 35, skipdata: 49},
}

// corpusFlowLogs lists the flow-log samples of the corpus: every file under
// flowlogs but Elastic's expected output and ottodeng's manifest.
func corpusFlowLogs(t *testing.T) []string {
	t.Helper()
	root := corpus.Require(t, "flowlogs")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !strings.HasSuffix(rel, "-expected.json") && rel != "ottodeng/manifest.json" {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCorpusEveryFlowLogIngests(t *testing.T) {
	var listed []string
	for _, tc := range corpusCases {
		listed = append(listed, tc.file)
	}
	if found := corpusFlowLogs(t); !slices.Equal(sorted(found), sorted(listed)) {
		t.Fatalf("the corpus holds %v,\nthe test lists %v", found, listed)
	}
	// The v3 custom order is the one the older version of the sample names in its header.
	if h := firstLine(t, flowLogPath(t, "elastic-integrations/test-tcp-flag-sequence.with-headers@013f7d5.log")); h != formatElasticTCPFlags {
		t.Fatalf("header %q, format %q", h, formatElasticTCPFlags)
	}

	for _, tc := range corpusCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			c, r := ingestCorpusFile(t, tc.file)
			if tc.refused != "" {
				if r.Status != Refused || !strings.Contains(r.Error, tc.refused) {
					t.Fatalf("status %s error %q, want refused with %q", r.Status, r.Error, tc.refused)
				}
				if n := queryInt(t, c, `SELECT count(*) FROM ingest_files`); n != 0 {
					t.Errorf("a refused file is in the manifest")
				}
				return
			}
			if r.Status != Loaded {
				t.Fatalf("status %s: %v", r.Status, r.Err())
			}
			wantGzip := strings.HasSuffix(tc.file, ".gz")
			if r.Shape != tc.shape || (r.Compression == "gzip") != wantGzip {
				t.Errorf("shape %s compression %s, want %s gzip=%v", r.Shape, r.Compression, tc.shape, wantGzip)
			}
			if r.Records != tc.records || r.Rejected != tc.rejected || r.NoData != tc.nodata || r.SkipData != tc.skipdata {
				t.Errorf("records %d rejected %d nodata %d skipdata %d (%v), want %d %d %d %d",
					r.Records, r.Rejected, r.NoData, r.SkipData, r.Rejects, tc.records, tc.rejected, tc.nodata, tc.skipdata)
			}
			if n := queryInt(t, c, `SELECT count(*) FROM flows`); n != tc.records {
				t.Errorf("flows has %d rows, want %d", n, tc.records)
			}
			if n := queryInt(t, c, `SELECT records + rejected FROM ingest_files`); n != tc.records+tc.rejected {
				t.Errorf("manifest counts %d records and rejects, want %d", n, tc.records+tc.rejected)
			}
			checkRejects(t, c, tc.rejects)
			for _, q := range tc.checks {
				queryTrue(t, c, q)
			}
		})
	}
}

// checkRejects compares the rejects table with want (line, and a part of the reason).
func checkRejects(t *testing.T, c *store.Case, want []Reject) {
	t.Helper()
	rows, err := c.DB.Query(`SELECT line, reason FROM rejects ORDER BY line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Line, &r.Reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i].Line == want[i].Line && strings.Contains(got[i].Reason, want[i].Reason)
	}
	if !ok {
		t.Errorf("rejects %+v, want %+v", got, want)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func firstLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	return sc.Text()
}

// elasticPaths says where Elastic's pipelines (beats: flat dotted keys;
// integrations: nested objects) put a flows column, when it is not
// aws.vpcflow.<column>. Every listed path that Elastic filled must agree with
// our value; when Elastic filled none, ours must be NULL. Where Elastic only
// writes a value differently (ISO times, numbers as strings, a kept '-'),
// canonical converts it; the outcome it derives from the action is
// checked on its own (checkOutcome).
var elasticPaths = map[string][]string{
	"account_id":                 {"aws.vpcflow.account_id", "cloud.account.id"},
	"instance_id":                {"aws.vpcflow.instance_id", "cloud.instance.id"},
	"srcaddr":                    {"source.address", "source.ip"},
	"dstaddr":                    {"destination.address", "destination.ip"},
	"srcport":                    {"source.port"},
	"dstport":                    {"destination.port"},
	"protocol":                   {"network.iana_number"},
	"packets":                    {"network.packets", "source.packets"},
	"bytes":                      {"network.bytes", "source.bytes"},
	"start":                      {"event.start"},
	"end":                        {"event.end"},
	"action":                     {"aws.vpcflow.action", "event.action"},
	"region":                     {"cloud.region"},
	"az_id":                      {"cloud.availability_zone"},
	"flow_direction":             {"network.direction"},
	"pkt_src_aws_service":        {"aws.vpcflow.pkt_src_service"},
	"pkt_dst_aws_service":        {"aws.vpcflow.pkt_dst_service"},
	"reject_reason":              {"event.reason"},
	"ecs_cluster_arn":            {"orchestrator.cluster.id"},
	"ecs_cluster_name":           {"orchestrator.cluster.name"},
	"ecs_container_instance_arn": {"orchestrator.resource.name"},
	"ecs_container_instance_id":  {"orchestrator.resource.id"},
	"ecs_service_name":           {"service.name"},
}

// The event.outcome Elastic derives from the action: beats says allow/deny,
// the integrations package success/failure.
var elasticOutcomes = map[string][]string{"ACCEPT": {"allow", "success"}, "REJECT": {"deny", "failure"}}

// TestCorpusMatchesElasticExpected compares every field we store with the
// values Elastic's own pipelines parse from the same samples.
func TestCorpusMatchesElasticExpected(t *testing.T) {
	root := corpus.Require(t, "flowlogs")
	expectedFiles, err := filepath.Glob(filepath.Join(root, "elastic-*", "*-expected.json"))
	if err != nil || len(expectedFiles) < 14 {
		t.Fatalf("expected files: %v %v", expectedFiles, err)
	}
	for _, exp := range expectedFiles {
		rel, _ := filepath.Rel(root, strings.TrimSuffix(exp, "-expected.json"))
		rel = filepath.ToSlash(rel)
		if rel == "elastic-beats/bad.log" {
			continue // Elastic passes the garbage through unparsed; we refuse the file (TestCorpusEveryFlowLogIngests)
		}
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			events := readElasticExpected(t, exp)
			c, r := ingestCorpusFile(t, rel)
			if r.Status != Loaded || r.Rejected != 0 || r.Records != int64(len(events)) {
				t.Fatalf("status %s records %d rejected %d (%v), Elastic has %d events", r.Status, r.Records, r.Rejected, r.Err(), len(events))
			}
			rows := flowRows(t, c, "rowid")
			if len(rows) != len(events) {
				t.Fatalf("%d rows in flows, Elastic has %d events", len(rows), len(events))
			}
			for i, ev := range events {
				what := fmt.Sprintf("record %d (%v)", i+1, lookupOr(ev, "event.original", ""))
				compareRecord(t, what, rows[i], ev, elasticPathsFor)
				checkOutcome(t, what, rows[i], ev)
			}
			checkElasticSemantics(t, rel, rows)
		})
	}
}

// elasticPathsFor is where Elastic keeps a column's value.
func elasticPathsFor(col string) []string {
	if paths, ok := elasticPaths[col]; ok {
		return paths
	}
	return []string{"aws.vpcflow." + col}
}

// compareRecord compares one of our rows with another tool's record of the
// same line: every path of pathsFor(column) the tool filled must agree with
// our value, and where it filled none ours must be NULL.
func compareRecord(t *testing.T, what string, row, rec map[string]any, pathsFor func(col string) []string) {
	t.Helper()
	for _, col := range sortedKeys(row) {
		got := canonical(row[col])
		filled := false
		for _, p := range pathsFor(col) {
			v, _ := lookup(rec, p)
			want := canonical(v)
			if want == nil {
				continue
			}
			filled = true
			if got == nil || *got != *want {
				t.Errorf("%s: %s = %s, their %s = %s", what, col, show(got), p, *want)
			}
		}
		if !filled && got != nil {
			t.Errorf("%s: %s = %s, they have no value (at %v)", what, col, *got, pathsFor(col))
		}
	}
}

// checkOutcome checks Elastic's event.outcome against our action.
func checkOutcome(t *testing.T, what string, row, ev map[string]any) {
	t.Helper()
	outcome, ok := lookup(ev, "event.outcome")
	if !ok {
		return
	}
	action := canonical(row["action"])
	if action == nil || !slices.Contains(elasticOutcomes[*action], fmt.Sprint(outcome)) {
		t.Errorf("%s: action %s, Elastic's event.outcome %v", what, show(action), outcome)
	}
}

// checkElasticSemantics asserts, per sample, the values where a question of
// meaning (not of representation) arises, whether or not Elastic agrees.
func checkElasticSemantics(t *testing.T, rel string, rows []map[string]any) {
	t.Helper()
	switch rel {
	case "elastic-integrations/test-v5-all-fields.log":
		// start = 164000066 lacks a digit (1975-03-14, 46 years before end).
		// It is a valid Unix time, so, like Elastic (event.start
		// 1975-03-14T03:34:26Z), we keep it as written rather than guess the
		// missing digit or drop the record: the analyst sees what AWS wrote.
		if got := show(canonical(rows[0]["start"])); got != "1975-03-14T03:34:26Z" {
			t.Errorf("start = %s", got)
		}
		// The 11-digit (masked) account stays text, without padding: as Elastic.
		if got := show(canonical(rows[0]["account_id"])); got != "64111117617" {
			t.Errorf("account_id = %s", got)
		}
	case "elastic-integrations/test-extra-samples.log":
		// The ENI that Elastic's IP-sanitising replace mangled is not an
		// interface id AWS would write; but interface-id is free text to us
		// (as to Elastic), so the record is kept with it verbatim.
		if got := show(canonical(rows[2]["interface_id"])); got != "eni-89.160.20.1561aaaaaaaaa" {
			t.Errorf("interface_id = %s", got)
		}
	case "elastic-integrations/test-ecs-samples.log":
		// NODATA and SKIPDATA records with an action and traffic values (the
		// sample is synthetic): both Elastic and we keep every value.
		if got := show(canonical(rows[1]["log_status"])) + " " + show(canonical(rows[1]["action"])) + " " + show(canonical(rows[1]["bytes"])); got != "NODATA ACCEPT 1515" {
			t.Errorf("record 2: %s", got)
		}
	}
}

// readElasticExpected reads an -expected.json: a list of events with flat
// dotted keys (beats), or {"expected": [...]} with nested objects (integrations).
func readElasticExpected(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(data, &events); err != nil {
		var wrapped struct {
			Expected []map[string]any `json:"expected"`
		}
		if err := json.Unmarshal(data, &wrapped); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		events = wrapped.Expected
	}
	return events
}

// lookup finds a dotted path in nested objects, flat dotted keys, or a mix.
func lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	for i := range len(path) {
		if path[i] != '.' {
			continue
		}
		if sub, ok := m[path[:i]].(map[string]any); ok {
			if v, ok := lookup(sub, path[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func lookupOr(m map[string]any, path string, def any) any {
	if v, ok := lookup(m, path); ok {
		return v
	}
	return def
}

// canonical renders a value of ours or of another tool's in one text form,
// nil for no value. Representation differences are converted here:
//   - '-' and "" are absent: we store NULL, Elastic keeps the dash in
//     cloud.region and cloud.availability_zone, Azure writes "" for no service;
//   - times: ours are TIMESTAMP, Elastic's ISO 8601 with milliseconds;
//   - numbers: JSON numbers (float64) and Elastic's numeric strings ("6") read the same.
func canonical(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		s = v.UTC().Format(time.RFC3339)
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		if v == "-" || v == "" {
			return nil
		}
		s = v
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			s = t.UTC().Format(time.RFC3339)
		}
	case map[string]any, []any:
		return nil // an object where we expected a value (e.g. Elastic's empty "sublocation": {})
	default:
		s = fmt.Sprint(v)
	}
	return &s
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// flowRows returns the flow-log columns of every row in the given order.
// "rowid" is file order: the case holds one file, whose records are inserted
// in file order (DuckDB preserves insertion order, and rowid follows it).
func flowRows(t *testing.T, c *store.Case, orderBy string) []map[string]any {
	t.Helper()
	var cols []string
	for _, f := range Fields() {
		cols = append(cols, store.QuoteIdent(f.Column()))
	}
	rows, err := c.DB.Query(`SELECT ` + strings.Join(cols, ", ") + ` FROM ` + flowsWithRowid(t, c) + ` ORDER BY ` + orderBy)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]any{}
		for i, n := range names {
			row[n] = vals[i]
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestCorpusParquetAndJSON checks the two columnar samples value by value.
func TestCorpusParquetAndJSON(t *testing.T) {
	corpus.Require(t, "flowlogs")
	t.Run("flowlogs-reader parquet", func(t *testing.T) {
		t.Parallel()
		c, r := ingestCorpusFile(t, "flowlogs-reader/flows.parquet")
		if r.Status != Loaded || r.Shape != ShapeParquet || r.Records != 2 || r.Rejected != 1 || r.NoData != 1 {
			t.Fatalf("%+v", r)
		}
		// account_id, version, start and end are int64 columns; srcport to
		// bytes are strings, with pandas' "None" for no value; addresses and
		// action use AWS's '-'.
		want := []string{
			"2 123456789010 eni-102010ab 198.51.100.1 192.0.2.1 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK",
			"2 123456789010 eni-202010ab - - - - - - - 1439387263 1439387264 - NODATA",
		}
		if got := renderV2(t, c); !slices.Equal(got, want) {
			t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Row 3 is a NODATA record with ports and protocol 8080, which is no
		// protocol number: the row is rejected, the others are kept.
		var line int64
		var reason, raw string
		if err := c.DB.QueryRow(`SELECT line, reason, raw FROM rejects`).Scan(&line, &reason, &raw); err != nil {
			t.Fatal(err)
		}
		if line != 3 || reason != `protocol: "8080" is not a protocol number (0-255)` || !strings.Contains(raw, "198.51.100.7") {
			t.Errorf("reject: line %d %q %q", line, reason, raw)
		}
	})

	t.Run("ottodeng json", func(t *testing.T) {
		t.Parallel()
		const rel = "ottodeng/aws-vpc-flow-sample.json"
		c, r := ingestCorpusFile(t, rel)
		if r.Status != Loaded || r.Shape != ShapeJSONRecords || r.Records != 5110 || r.Rejected != 0 || r.NoData != 35 || r.SkipData != 49 {
			t.Fatalf("%+v", r)
		}
		queryTrue(t, c, `SELECT count(*) FILTER (type = 'IPv6') = 70 AND count(*) FILTER (srcaddr LIKE '%:%') = 70 FROM flows`)
		// A spot check, by hand, of the first record of the file.
		queryTrue(t, c, `SELECT count(*) = 1 FROM flows WHERE start = TIMESTAMP '2026-08-10 03:01:08' AND "end" = TIMESTAMP '2026-08-10 03:02:03'
			AND srcaddr = '198.51.100.30' AND srcport = 8774 AND dstaddr = '10.20.2.13' AND dstport = 80 AND protocol = 6
			AND packets = 131 AND bytes = 249927 AND action = 'ACCEPT' AND log_status = 'OK' AND account_id = '123456789012'
			AND interface_id = 'eni-0a11ce0000000001' AND tcp_flags = 2 AND traffic_path = 1 AND type = 'IPv4' AND flow_direction = 'ingress'
			AND az_id = 'us-east-1a' AND pkt_src_aws_service IS NULL AND version = 5`)
		// NODATA and SKIPDATA: the export writes '-' for the addresses and
		// action, but 0 for ports, protocol and counts, and those zeros are kept.
		queryTrue(t, c, `SELECT count(*) = 84 FROM flows WHERE log_status <> 'OK' AND srcaddr IS NULL AND pkt_dstaddr IS NULL AND action IS NULL
			AND srcport = 0 AND protocol = 0 AND packets = 0 AND bytes = 0`)

		// Every record, value by value. (start, srcport) is unique in the sample.
		records := readJSONRecords(t, flowLogPath(t, rel))
		slices.SortStableFunc(records, func(a, b map[string]any) int {
			if c := strings.Compare(a["Start"].(string), b["Start"].(string)); c != 0 {
				return c
			}
			return int(a["SrcPort"].(float64) - b["SrcPort"].(float64))
		})
		pathsFor := azurePaths(t, records[0])
		rows := flowRows(t, c, "start, srcport")
		if len(rows) != len(records) {
			t.Fatalf("%d rows, %d records", len(rows), len(records))
		}
		for i, rec := range records {
			compareRecord(t, fmt.Sprintf("record at %v port %v", rec["Start"], rec["SrcPort"]), rows[i], rec, pathsFor)
			if t.Failed() {
				break
			}
		}
	})
}

// azurePaths maps our columns to Azure Log Analytics' AWSVPCFlow columns: the
// AWS name in PascalCase ("PktSrcAwsService"), and TrafficType for type.
// TimeGenerated (when Azure ingested the record) is no flow-log field.
func azurePaths(t *testing.T, rec map[string]any) func(col string) []string {
	t.Helper()
	m := map[string]string{"type": "TrafficType"}
	for _, f := range Fields() {
		for k := range rec {
			if strings.EqualFold(k, strings.ReplaceAll(f.Column(), "_", "")) {
				m[f.Column()] = k
			}
		}
	}
	if len(m) != len(rec)-1 {
		t.Fatalf("columns %v: not every key of %v is mapped", m, sortedKeys(rec))
	}
	return func(col string) []string {
		if k, ok := m[col]; ok {
			return []string{k}
		}
		return nil
	}
}

func readJSONRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	return records
}

// renderV2 renders the version 2 fields of every row (in file order) as a
// default-format line: '-' for NULL, Unix seconds for times.
func renderV2(t *testing.T, c *store.Case) []string {
	t.Helper()
	var exprs []string
	for _, name := range strings.Fields(formatV2) {
		col := store.QuoteIdent(strings.ReplaceAll(name, "-", "_"))
		if name == "start" || name == "end" {
			col = fmt.Sprintf("epoch(%s)::BIGINT", col)
		}
		exprs = append(exprs, fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), '-')", col))
	}
	rows, err := c.DB.Query(`SELECT concat_ws(' ', ` + strings.Join(exprs, ", ") + `) FROM ` + flowsWithRowid(t, c) + ` ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// flowsWithRowid is the flows view with the rowid of flow_records beside it
// (a view has no rowid of its own): the view's own SQL, one column added.
func flowsWithRowid(t *testing.T, c *store.Case) string {
	t.Helper()
	var def string
	if err := c.DB.QueryRow(`SELECT sql FROM duckdb_views() WHERE view_name = 'flows'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	i := strings.Index(def, " AS SELECT ")
	j := strings.LastIndex(def, " FROM flow_records")
	if i < 0 || j < 0 {
		t.Fatalf("unexpected view definition: %s", def)
	}
	return "(SELECT " + def[i+len(" AS SELECT "):j] + ", rowid FROM flow_records)"
}
