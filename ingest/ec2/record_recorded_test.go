package ec2

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/investigator/investigator/store"
)

func TestRecordedRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, err := store.Create(ctx, filepath.Join(t.TempDir(), "r.duckdb"), "r", "test", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := []FlowLog{
		{ID: "fl-1", ResourceID: "vpc-1", DestinationType: DestCloudWatchLogs, LogGroup: "/vpc/flows", LogFormat: "${version} ${srcaddr}", TrafficType: "ALL", MaxAggregation: 600, AccountID: "1", Region: "us-east-1", Status: "ACTIVE"},
		{ID: "fl-2", ResourceID: "eni-1", DestinationType: DestS3, Destination: "s3://b/p", LogFormat: "${version}", FileFormat: "parquet", HivePartitions: true, PerHour: true, TrafficType: "REJECT", MaxAggregation: 60},
	}
	if err := Record(ctx, c, Result{FlowLogs: want}); err != nil {
		t.Fatal(err)
	}
	got, err := Recorded(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d flow logs back", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("flow log %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
