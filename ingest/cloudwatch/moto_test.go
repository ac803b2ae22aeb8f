package cloudwatch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/investigator/investigator/ingest/awsenv"
	"github.com/investigator/investigator/internal/moto"
)

// TestMoto pulls from moto, an independent emulator of CloudWatch Logs,
// configured the way the CLI is (awsenv.Load, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
//
// What moto does not do: its Insights ignores filter commands (so a pull of
// some streams with Insights gets every stream) and does not page
// GetQueryResults; it accepts events from the last 14 days only.
func TestMoto(t *testing.T) {
	url := moto.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", url)
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx, awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := cloudwatchlogs.NewFromConfig(cfg)

	// Four hours of events ending two hours ago, on three streams.
	base := time.Now().UTC().Truncate(time.Hour).Add(-6 * time.Hour)
	from, to := base.Add(30*time.Minute), base.Add(3*time.Hour+20*time.Minute)
	o := Options{LogGroup: "/vpc/moto-flows", Start: from, End: to, Slice: 30 * time.Minute, Rate: 1000, poll: 10 * time.Millisecond, pageLimit: 50}
	opts, _ := o.withDefaults()
	plan, _, _, _ := planSlices(opts)
	var cuts []int64
	for _, s := range plan {
		cuts = append(cuts, s.from)
	}
	evs := newFlowGen(7, 3).events(base.UnixMilli(), base.Add(4*time.Hour).UnixMilli(), 1500, cuts...)
	if _, err := api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(o.LogGroup)}); err != nil {
		t.Fatal(err)
	}
	byStream := map[string][]types.InputLogEvent{}
	for _, e := range evs {
		byStream[e.stream] = append(byStream[e.stream], types.InputLogEvent{Timestamp: aws.Int64(e.ts), Message: aws.String(e.msg)})
	}
	for stream, batch := range byStream {
		if _, err := api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(o.LogGroup), LogStreamName: aws.String(stream)}); err != nil {
			t.Fatal(err)
		}
		for len(batch) > 0 {
			n := min(len(batch), 500)
			out, err := api.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(o.LogGroup), LogStreamName: aws.String(stream), LogEvents: batch[:n]})
			if err != nil {
				t.Fatal(err)
			}
			if out.RejectedLogEventsInfo != nil {
				t.Fatalf("moto rejected events: %+v", out.RejectedLogEventsInfo)
			}
			batch = batch[n:]
		}
	}
	want := expected(evs, from, to)

	t.Run("FilterLogEvents", func(t *testing.T) {
		c := newCase(t)
		sum, err := pull(t, ctx, c, api, o)
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, c, want)
		again, err := pull(t, ctx, c, api, o)
		if err != nil || again.Skipped != again.Slices || again.Requests != 0 {
			t.Errorf("second pull: %v %s", err, again)
		}
		t.Log(sum)
	})
	t.Run("FilterLogEvents streams", func(t *testing.T) {
		c := newCase(t)
		o := o
		o.Streams = []string{"eni-0a1b2c3d4e5f60001-all", "eni-0a1b2c3d4e5f60003-all"}
		if _, err := pull(t, ctx, c, api, o); err != nil {
			t.Fatal(err)
		}
		sameRecords(t, c, expected(evs, from, to, o.Streams...))
	})
	t.Run("Insights", func(t *testing.T) {
		c := newCase(t)
		o := o
		o.Insights, o.InsightsLimit = true, 100
		sum, err := pull(t, ctx, c, api, o)
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, c, want)
		if sum.Splits == 0 {
			t.Errorf("no split with a cap of 100: %s", sum)
		}
		t.Log(sum)
	})
	t.Run("unknown group", func(t *testing.T) {
		o := o
		o.LogGroup = "/vpc/nope"
		_, err := pull(t, ctx, newCase(t), api, o)
		if err == nil || !strings.Contains(err.Error(), `"/vpc/nope" does not exist`) || !strings.Contains(err.Error(), "/vpc/moto-flows") {
			t.Fatalf("unknown group: %v", err)
		}
		t.Log(err)
	})
}
