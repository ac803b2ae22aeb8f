package pipeline

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/store"
)

func newCase(t *testing.T) *store.Case {
	t.Helper()
	c, err := store.Create(context.Background(), filepath.Join(t.TempDir(), "c"+store.Ext), "c", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDiscovered(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	res := ec2.Result{
		Interfaces: []ec2.Interface{{ID: "eni-2"}, {ID: "eni-1"}},
		FlowLogs: []ec2.FlowLog{
			{ID: "fl-vpc", ResourceID: "vpc-1", DestinationType: ec2.DestS3, Destination: "s3://bucket/prefix/", LogFormat: ec2.DefaultLogFormat},
			{ID: "fl-eni", ResourceID: "eni-1", DestinationType: ec2.DestCloudWatchLogs, LogGroup: "/vpc/flows", TrafficType: "ACCEPT"},
			{ID: "fl-firehose", ResourceID: "subnet-1", DestinationType: ec2.DestFirehose, Destination: "arn:aws:firehose:x"},
		},
	}
	if err := ec2.Record(ctx, c, res); err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{Kind: CloudWatchLogs, Target: "/vpc/flows", Streams: []string{"eni-1-accept", "eni-2-accept"}, From: "fl-eni"},
		{Kind: S3, Target: "s3://bucket/prefix/", Format: ec2.DefaultLogFormat, From: "fl-vpc"},
	}
	t.Run("just discovered", func(t *testing.T) {
		got, err := Discovered(ctx, c, &res)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sources\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("recorded in the case", func(t *testing.T) {
		got, err := Discovered(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sources\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("nothing recorded", func(t *testing.T) {
		got, err := Discovered(ctx, newCase(t), nil)
		if err != nil || len(got) != 0 {
			t.Errorf("sources %+v, err %v", got, err)
		}
	})
}

// TestAll runs sources that fail before any request: each is reported, in
// order, through the callbacks, and the next one still runs.
func TestAll(t *testing.T) {
	ctx := context.Background()
	c := newCase(t)
	in, err := ingest.Begin(ctx, c, ingest.Options{Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sources := []Source{
		{Kind: S3, Target: "s3://bucket/", Format: "${version} ${no-such-field}", From: "fl-1"},
		{Kind: ec2.DestFirehose, Target: "arn:aws:firehose:x", From: "fl-2"},
	}
	var events []string
	end := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	reps := All(ctx, aws.Config{}, c, in, sources, Options{
		Start: end.Add(-time.Hour), End: end,
		Pulling: func(s Source) { events = append(events, "pulling "+s.From) },
		Pulled:  func(r SourceReport) { events = append(events, "pulled "+r.From) },
	})
	if want := []string{"pulling fl-1", "pulled fl-1", "pulling fl-2", "pulled fl-2"}; !reflect.DeepEqual(events, want) {
		t.Errorf("callbacks %q, want %q", events, want)
	}
	if len(reps) != 2 {
		t.Fatalf("%d reports", len(reps))
	}
	if r := reps[0]; r.Kind != S3 || r.Target != "s3://bucket/" || !strings.HasPrefix(r.Error, "its log format:") || !strings.Contains(r.Error, "no-such-field") {
		t.Errorf("bad format: %+v", r)
	}
	if r := reps[1]; !strings.Contains(r.Error, "fl-2 delivers to kinesis-data-firehose, which investigator cannot read back") {
		t.Errorf("unreadable destination: %+v", r)
	}
}
