package s3

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, bucket, prefix string
		level               level
		account, region     string
		hive                bool
		y, m, d, h          int
		err                 string
	}{
		{url: "s3://b", bucket: "b", level: levelAbove, h: -1},
		{url: "s3://b/", bucket: "b", level: levelAbove, h: -1},
		{url: "s3://b/logs", bucket: "b", prefix: "logs/", level: levelAbove, h: -1},
		{url: "s3://b/logs/vpc-a/", bucket: "b", prefix: "logs/vpc-a/", level: levelAbove, h: -1},
		{url: "arn:aws:s3:::b/logs", bucket: "b", prefix: "logs/", level: levelAbove, h: -1},
		{url: "arn:aws-us-gov:s3:::b", bucket: "b", level: levelAbove, h: -1},
		{url: "s3://b/AWSLogs", bucket: "b", prefix: "AWSLogs/", level: levelAWSLogs, h: -1},
		{url: "s3://b/x/AWSLogs/o-a1b2c3d4e5/", bucket: "b", prefix: "x/AWSLogs/o-a1b2c3d4e5/", level: levelOrg, h: -1},
		{url: "s3://b/AWSLogs/123456789012", bucket: "b", prefix: "AWSLogs/123456789012/", level: levelAccount, account: "123456789012", h: -1},
		{url: "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/", bucket: "b", prefix: "AWSLogs/123456789012/vpcflowlogs/us-east-1/",
			level: levelRegion, account: "123456789012", region: "us-east-1", h: -1},
		{url: "s3://b/p/AWSLogs/o-a1b2c3d4e5/123456789012/vpcflowlogs/us-gov-west-1/2026/11/20/", bucket: "b",
			prefix: "p/AWSLogs/o-a1b2c3d4e5/123456789012/vpcflowlogs/us-gov-west-1/2026/11/20/",
			level:  levelDay, account: "123456789012", region: "us-gov-west-1", y: 2026, m: 11, d: 20, h: -1},
		{url: "s3://b/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/20/07", bucket: "b",
			prefix: "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/20/07/",
			level:  levelHour, account: "123456789012", region: "eu-west-1", y: 2026, m: 11, d: 20, h: 7},
		{url: "s3://b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11",
			bucket: "b", prefix: "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/",
			level: levelMonth, account: "123456789012", region: "us-east-1", hive: true, y: 2026, m: 11, h: -1},
		{url: "s3://b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=20/hour=23/",
			bucket: "b", prefix: "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=20/hour=23/",
			level: levelHour, account: "123456789012", region: "us-east-1", hive: true, y: 2026, m: 11, d: 20, h: 23},
		{url: "s3://lake/aws", bucket: "lake", prefix: "aws/", level: levelLake, h: -1},
		{url: "s3://lake/aws/VPC_FLOW/2.0/region=us-east-1/", bucket: "lake", prefix: "aws/VPC_FLOW/2.0/region=us-east-1/", level: levelLakeRegion, region: "us-east-1", h: -1},
		{url: "s3://lake/x/aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120", bucket: "lake",
			prefix: "x/aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120/",
			level:  levelLakeDay, account: "123456789012", region: "us-east-1", y: 2026, m: 11, d: 20, h: -1},
		{url: "s3://lake/aws/VPC_FLOW/region=us-east-1/accountId=123456789012/eventHour=2026112007/", bucket: "lake",
			prefix: "aws/VPC_FLOW/region=us-east-1/accountId=123456789012/eventHour=2026112007/",
			level:  levelLakeDay, account: "123456789012", region: "us-east-1", y: 2026, m: 11, d: 20, h: 7},
		{url: "s3://b/aws/other/", bucket: "b", prefix: "aws/other/", level: levelAbove, h: -1},
		{url: "s3://lake/aws/VPC_FLOW/2.0/accountId=123456789012/", err: "region=REGION"},
		{url: "s3://lake/aws/VPC_FLOW/2.0/region=us-east-1/accountId=1234/", err: "accountId=ACCOUNT"},
		{url: "s3://lake/aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261340/", err: "eventDay=YYYYMMDD"},
		{url: "s3://lake/aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120/x/", err: "deepest"},
		{url: "b/AWSLogs", err: "not an S3 URL"},
		{url: "s3:///AWSLogs", err: "names no bucket"},
		{url: "s3://b/AWSLogs/123456789012/CloudTrail/", err: `comes "CloudTrail", where the layout has vpcflowlogs`},
		{url: "s3://b/AWSLogs/12345/", err: "an account"},
		{url: "s3://b/AWSLogs/aws-account-id=123456789012/vpcflowlogs/", err: "aws-service=vpcflowlogs"},
		{url: "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/13/", err: "a month"},
		{url: "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/20/07/x/", err: "an hour folder is the deepest"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			n, bucket, err := parseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bucket != tt.bucket || n.prefix != tt.prefix || n.level != tt.level || n.account != tt.account || n.region != tt.region ||
				n.hive != tt.hive || n.year != tt.y || n.month != tt.m || n.day != tt.d || n.hour != tt.h {
				t.Fatalf("got bucket %q %+v", bucket, n)
			}
		})
	}
}

func TestObjectTime(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/20/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261120T0505Z_3f2a1b0c.log.gz", "2026-11-20T05:05:00Z"},
		{"x/123456789012_vpcflowlogs_us-east-1_fl-0123_20261120T2355Z_ab.log.parquet", "2026-11-20T23:55:00Z"},
		{"x/notes.txt", ""},
		{"x/123456789012_vpcflowlogs_us-east-1_fl-0123_20261320T2355Z_ab.log.gz", ""},
	}
	for _, tt := range tests {
		got, ok := objectTime(tt.key)
		if (tt.want == "") == ok || ok && got.Format(time.RFC3339) != tt.want {
			t.Errorf("objectTime(%s) = %v %v, want %q", tt.key, got, ok, tt.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/20/07/", "arn:aws:s3:::b/x//AWSLogs/o-a1b2c3d4e5/",
		"s3://b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/",
		"s3://lake/aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20261120/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, bucket, err := parseURL(s)
		if err != nil {
			return
		}
		if bucket == "" || (n.prefix != "" && !strings.HasSuffix(n.prefix, "/")) {
			t.Fatalf("%q: bucket %q prefix %q", s, bucket, n.prefix)
		}
		// The prefix parses to the same place.
		m, err := locate(n.prefix)
		if err != nil || m != n {
			t.Fatalf("%q: relocated %+v, %v; was %+v", s, m, err, n)
		}
	})
}
