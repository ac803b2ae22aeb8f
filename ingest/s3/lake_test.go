package s3

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/investigator/investigator/ingest"
)

// lakeObject writes an OCSF Network Activity Parquet object as Amazon
// Security Lake stores VPC flow logs (gzip Parquet, nested structs): n
// records a minute apart from start, from 10.0.1.5 to 198.51.100.7, with
// source port port0 + i.
func lakeObject(t *testing.T, start time.Time, n, port0 int) []byte {
	t.Helper()
	c := newCase(t)
	path := filepath.Join(t.TempDir(), "part.gz.parquet")
	q := fmt.Sprintf(`COPY (SELECT
		{'product': {'version': '5', 'name': 'Amazon VPC', 'vendor_name': 'AWS'}, 'version': '1.1.0'} AS metadata,
		{'account': {'uid': '123456789012'}, 'region': 'us-east-1', 'zone': 'use1-az1', 'provider': 'AWS'} AS cloud,
		{'port': (%d + i)::INTEGER, 'ip': '10.0.1.5', 'interface_uid': 'eni-0a1b2c3d4e5f60718', 'vpc_uid': 'vpc-11112222',
			'instance_uid': 'i-0123456789abcdef0', 'subnet_uid': 'subnet-aaaa1111'} AS src_endpoint,
		{'port': 443::INTEGER, 'ip': '198.51.100.7', 'interface_uid': NULL::VARCHAR} AS dst_endpoint,
		{'protocol_num': 6::INTEGER, 'tcp_flags': 19::INTEGER, 'boundary_id': 4::INTEGER, 'direction_id': 2::INTEGER, 'direction': 'Outbound'} AS connection_info,
		{'packets': 10::BIGINT, 'bytes': 8400::BIGINT} AS traffic,
		(%d + i * 60000)::BIGINT AS start_time, (%d + i * 60000 + 59000)::BIGINT AS end_time, (%d + i * 60000 + 59000)::BIGINT AS "time",
		'OK' AS status_code, 4001::INTEGER AS class_uid, 6::INTEGER AS activity_id, 'Allowed' AS disposition, 'Allowed' AS action
		FROM range(%d) r(i)) TO '%s' (FORMAT parquet, COMPRESSION gzip)`,
		port0, start.UnixMilli(), start.UnixMilli(), start.UnixMilli(), n, path)
	if _, err := c.DB.Exec(q); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPullSecurityLake pulls from a Security Lake bucket: the VPC_FLOW
// source's eventDay folders that the window reaches, never the other
// sources, and the OCSF objects land as flow records.
func TestPullSecurityLake(t *testing.T) {
	const bucket = "aws-security-data-lake-us-east-1-a1b2c3d4e5f6"
	f := newFakeS3(t)
	f.bucket(t, bucket)
	acct := "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/"
	other := "aws/VPC_FLOW/2.0/region=eu-west-1/accountId=123456789012/"
	// Two objects on the first day (22:00–23:59: 120 records, of which the
	// window from 23:10 takes 50), one on the second (00:00–00:59: 41 in
	// the window up to 00:40), one the day before and one in another
	// region, which a region filter leaves out; CloudTrail beside it.
	f.put(t, bucket, acct+"eventDay=20261120/a1.gz.parquet", lakeObject(t, day1.Add(22*time.Hour), 60, 10000))
	f.put(t, bucket, acct+"eventDay=20261120/a2.gz.parquet", lakeObject(t, day1.Add(23*time.Hour), 60, 20000))
	f.put(t, bucket, acct+"eventDay=20261121/b1.gz.parquet", lakeObject(t, day2, 60, 30000))
	f.put(t, bucket, acct+"eventDay=20261118/old.gz.parquet", lakeObject(t, day1.AddDate(0, 0, -2), 60, 40000))
	f.put(t, bucket, other+"eventDay=20261120/e1.gz.parquet", lakeObject(t, day1.Add(23*time.Hour), 60, 50000))
	f.put(t, bucket, "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120/ct.gz.parquet", []byte("PAR1"))

	const want = 50 + 41
	for _, tt := range []struct {
		name, url string
		parts     []string
		records   int64
	}{
		{"bucket", "s3://" + bucket, []string{acct + "eventDay=20261120/", acct + "eventDay=20261121/"}, want},
		{"lake root", "s3://" + bucket + "/aws/", []string{acct + "eventDay=20261120/", acct + "eventDay=20261121/"}, want},
		{"version", "s3://" + bucket + "/aws/VPC_FLOW/2.0", []string{acct + "eventDay=20261120/", acct + "eventDay=20261121/"}, want},
		{"account", "s3://" + bucket + "/" + acct, []string{acct + "eventDay=20261120/", acct + "eventDay=20261121/"}, want},
		{"day", "s3://" + bucket + "/" + acct + "eventDay=20261121/", []string{acct + "eventDay=20261121/"}, 41},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			f.counts()
			s, err := pull(t, f.client, c, Options{URL: tt.url, Start: winStart, End: winEnd, Regions: []string{"us-east-1"}})
			if err != nil {
				t.Fatal(err)
			}
			lists, _ := f.counts()
			for _, l := range lists {
				if strings.Contains(l, "CLOUD_TRAIL") || strings.Contains(l, "eu-west-1") || strings.Contains(l, "20261118") {
					t.Fatalf("listed %s", l)
				}
			}
			if got := queryInt(t, c, `SELECT count(*) FROM flows`); got != tt.records || s.Records != tt.records || s.Failed != 0 {
				t.Fatalf("%d records in the case, want %d; summary %+v", got, tt.records, s)
			}
			if got := slices.Sorted(slices.Values(s.Partitions)); !slices.Equal(got, tt.parts) {
				t.Fatalf("listed partitions %v, want %v", got, tt.parts)
			}
			if len(s.Locations) != 1 || !s.Locations[0].Lake || s.Locations[0].Prefix != acct || s.Locations[0].Account != "123456789012" ||
				!strings.HasSuffix(s.Locations[0].String(), "accountId=123456789012/eventDay=YYYYMMDD/ (daily partitions)") {
				t.Fatalf("locations %v", s.Locations)
			}
			for _, r := range s.Results {
				if r.Status != ingest.Loaded || r.Shape != ingest.ShapeOCSF {
					t.Fatalf("result %+v", r)
				}
			}
			if n := queryInt(t, c, `SELECT count(*) FROM flows WHERE srcaddr = '10.0.1.5' AND dstport = 443 AND action = 'ACCEPT' AND interface_id = 'eni-0a1b2c3d4e5f60718'`); n != tt.records {
				t.Fatalf("%d records mapped from OCSF, want %d", n, tt.records)
			}
			// Again: nothing added.
			s2, err := pull(t, f.client, c, Options{URL: tt.url, Start: winStart, End: winEnd, Regions: []string{"us-east-1"}})
			if err != nil || s2.Records != 0 || s2.Skipped != s.Objects || queryInt(t, c, `SELECT count(*) FROM flows`) != tt.records {
				t.Fatalf("second pull: %v %+v", err, s2)
			}
		})
	}

	t.Run("eventHour folders", func(t *testing.T) {
		g := newFakeS3(t)
		g.bucket(t, bucket)
		loc := "aws/VPC_FLOW/1.0/region=us-east-1/accountId=123456789012/"
		g.put(t, bucket, loc+"eventHour=2026112023/h.gz.parquet", lakeObject(t, day1.Add(23*time.Hour), 60, 10000))
		g.put(t, bucket, loc+"eventHour=2026112012/noon.gz.parquet", lakeObject(t, day1.Add(12*time.Hour), 60, 20000))
		c := newCase(t)
		s, err := pull(t, g.client, c, Options{URL: "s3://" + bucket, Start: winStart, End: winEnd})
		if err != nil || s.Records != 50 || len(s.Partitions) != 1 || s.Partitions[0] != loc+"eventHour=2026112023/" ||
			!strings.Contains(s.Locations[0].String(), "eventHour=YYYYMMDDHH/ (hourly partitions)") {
			t.Fatalf("%v %+v", err, s)
		}
	})
}
