package s3

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/investigator/investigator/internal/moto"
)

// TestMoto pulls from moto, an independent S3 implementation, to check
// the fake against: a bucket with a user prefix, an organization and hourly
// Hive-compatible folders.
func TestMoto(t *testing.T) {
	endpoint := moto.Start(t)
	tr := smallTree(t)
	ctx := context.Background()
	client := newClient(endpoint)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName)}); err != nil {
		t.Fatal(err)
	}
	l := layouts[5]
	for _, rel := range tr.files {
		data, err := os.ReadFile(filepath.Join(tr.dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucketName), Key: aws.String(l.key(t, rel, "")), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}

	c := newCase(t)
	s, err := pull(t, client, c, Options{URL: "s3://" + bucketName, Start: winStart, End: winEnd})
	if err != nil {
		t.Fatal(err)
	}
	wantN, wantSum := fingerprint(t, tr.ref, winStart, winEnd)
	if n, sum := fingerprint(t, c, winStart, winEnd); n != wantN || sum != wantSum || s.Records != wantN || s.Failed != 0 {
		t.Fatalf("case holds %d records (%s), want %d (%s); summary %+v", n, sum, wantN, wantSum, s)
	}
	if len(s.Locations) != 1 || !s.Locations[0].Hive || !s.Locations[0].Hourly || s.Locations[0].Org != l.org {
		t.Fatalf("locations %v", s.Locations)
	}

	api := &countingAPI{API: client}
	s2, err := pull(t, api, c, Options{URL: "s3://" + bucketName, Start: winStart, End: winEnd})
	if err != nil || api.gets.Load() != 0 || s2.Skipped != s.Objects || s2.Records != 0 {
		t.Fatalf("second pull: %v, %d gets, %+v", err, api.gets.Load(), s2)
	}

	// A Security Lake bucket: OCSF Parquet in eventDay folders.
	const lake = "aws-security-data-lake-us-east-1-a1b2c3d4e5f6"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lake)}); err != nil {
		t.Fatal(err)
	}
	key := "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120/x.gz.parquet"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(lake), Key: aws.String(key),
		Body: bytes.NewReader(lakeObject(t, day1.Add(23*time.Hour), 60, 10000))}); err != nil {
		t.Fatal(err)
	}
	lc := newCase(t)
	if s, err := pull(t, client, lc, Options{URL: "s3://" + lake, Start: winStart, End: winEnd}); err != nil || s.Records != 50 || len(s.Locations) != 1 || !s.Locations[0].Lake {
		t.Fatalf("Security Lake pull: %v %+v", err, s)
	}

	if _, err := pull(t, client, newCase(t), Options{URL: "s3://no-such-bucket", Start: winStart, End: winEnd}); err == nil ||
		!strings.Contains(err.Error(), "bucket no-such-bucket does not exist") {
		t.Fatalf("missing bucket: %v", err)
	}
}
