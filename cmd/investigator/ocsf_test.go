package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

// ocsfFixture is Amazon Security Lake's OCSF 1.1 Network Activity as JSON
// lines: four VPC flow records (accepted, denied, NODATA, times as the _dt
// strings) and, as line 4, a record cut off.
var ocsfFixture = filepath.Join("testdata", "ocsf", "security-lake.json")

// ocsfParquet writes the fixture's records as Security Lake's Parquet
// (nested structs, gzip as the codec, named *.gz.parquet as Security Lake
// names its objects), with the engine itself.
func ocsfParquet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(ocsfFixture)
	if err != nil {
		t.Fatal(err)
	}
	var good []string
	for _, l := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		if strings.HasSuffix(l, "}") {
			good = append(good, l)
		}
	}
	jl := filepath.Join(dir, "good.json")
	os.WriteFile(jl, []byte(strings.Join(good, "\n")+"\n"), 0o644)
	c, err := store.Create(context.Background(), filepath.Join(dir, "scratch.duckdb"), "scratch", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := filepath.Join(dir, "20231114T2200Z_a1b2c3d4.gz.parquet")
	if _, err := c.DB.Exec(fmt.Sprintf(`COPY (SELECT * FROM read_json('%s', sample_size = -1)) TO '%s' (FORMAT parquet, COMPRESSION gzip)`, jl, p)); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIngestOCSF: the command ingests Security Lake's Parquet and JSON
// lines, reports the cut line of the JSON with its number, and case show
// names the shape and the OCSF version of each file.
func TestIngestOCSF(t *testing.T) {
	c := newCLI(t)
	pq := ocsfParquet(t)
	fixture, err := filepath.Abs(ocsfFixture)
	if err != nil {
		t.Fatal(err)
	}
	c.mustRun("case", "new", "lake", "--instance-ip", "10.0.1.10", "--vpc-cidr", "10.0.0.0/16")
	r := c.mustRun("ingest", "lake", pq, ocsfFixture)
	for _, want := range []string{
		"loaded     " + pq + ": 4 records (ocsf, OCSF 1.1.0)",
		"loaded     " + fixture + ": 4 records, 1 rejected line (ocsf, OCSF 1.1.0)\n  line 4: not a JSON object (an OCSF record)\n",
		"8 records from 2 files into lake in ",
		"(0 already ingested, 0 refused, 0 failed, 1 rejected line)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = c.mustRun("case", "show", "lake")
	golden(t, "case-show-ocsf", c.normalize(r.stdout, filepath.Dir(pq), filepath.Dir(fixture)))
	r = c.mustRun("case", "show", "lake", "--format", "json")
	for _, want := range []string{`"shape": "ocsf"`, `"ocsf_version": "1.1.0"`, `"records": 8`, `"rejected_lines": 1`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("case show --format json lacks %s:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, `"log_groups"`) || strings.Contains(r.stdout, `"delimiter"`) {
		t.Errorf("case show --format json names what OCSF files do not have:\n%s", r.stdout)
	}
	// The cut line is kept with its number, as the analyst finds it in the file.
	r = c.mustRun("sql", "lake", "SELECT line, reason FROM rejects", "--format", "csv")
	if !strings.Contains(r.stdout, "4,not a JSON object (an OCSF record)") {
		t.Errorf("rejects:\n%s", r.stdout)
	}
	// Again: nothing added.
	r = c.mustRun("ingest", "lake", pq, ocsfFixture)
	if strings.Count(r.stdout, "already ingested (same content as") != 2 {
		t.Errorf("re-ingest:\n%s", r.stdout)
	}
}

// TestCaseShowManifestDetails: case show names what subscription payloads
// (log group, streams, control messages) and delimited exports (the
// delimiter) told of themselves.
func TestCaseShowManifestDetails(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	payload := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/vpc/flows","logStream":"eni-0a1b2c3d4e5f60001-all","subscriptionFilters":["f"],"logEvents":[` +
		`{"id":"1","timestamp":1700000000000,"message":"2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 1700000000 1700000060 REJECT OK"}]}` + "\n" +
		`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1700000000000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}` + "\n"
	sub := filepath.Join(dir, "firehose-payloads")
	os.WriteFile(sub, []byte(payload), 0o644)
	tsv := filepath.Join(dir, "athena.tsv")
	os.WriteFile(tsv, []byte(strings.ReplaceAll(strings.TrimSuffix(header, "\n"), " ", "\t")+"\n"+
		strings.ReplaceAll(strings.Split(records, "\n")[1], " ", "\t")+"\n"), 0o644)
	c.mustRun("ingest", "details", sub, tsv)
	r := c.mustRun("case", "show", "details")
	for _, want := range []string{
		"DETAIL", "log group /vpc/flows; streams eni-0a1b2c3d4e5f60001-all; 1 control message skipped", "tab-separated",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("case show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = c.mustRun("case", "show", "details", "--format", "json")
	for _, want := range []string{`"log_groups": [`, `"/vpc/flows"`, `"log_streams": [`, `"control_messages": 1`, `"delimiter": "\t"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("case show --format json lacks %s:\n%s", want, r.stdout)
		}
	}
}
