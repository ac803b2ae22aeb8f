package views

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/internal/usererr"
)

// pullAWS pulls flow logs from AWS into the case in a job: from the log
// group and the S3 location the form names, else from the flow logs
// discovery recorded in the case. The window defaults to the last day.
func (s *server) pullAWS(c echo.Context) error {
	ctx := c.Request().Context()
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
	}
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	f := PullForm{LogGroup: get("log_group"), Streams: get("streams"), S3URL: get("s3"), Start: get("start"), End: get("end")}
	refuse := func(msg string) error {
		vm := s.ingestVM(ctx, caseName)
		vm.Pull = f
		vm.Pull.Error = msg
		return render(c, http.StatusBadRequest, ingestPage(vm), nil)
	}
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return refuse("AWS is not available: " + usererr.Message(err) + ".")
	}
	// Resolved once, so that pulling again asks for the same slices.
	start, end, err := pipeline.Window(f.Start, f.End, s.o.Now(), true)
	if err != nil {
		return refuse("Window: " + usererr.Message(err) + ".")
	}
	// The sources the form names, recorded as the command line would name them.
	var named []pipeline.Source
	var targets, cmd []string
	if f.LogGroup != "" {
		src := pipeline.Source{Kind: pipeline.CloudWatchLogs, Target: f.LogGroup, Streams: splitList(f.Streams), From: "log group"}
		named, targets = append(named, src), append(targets, src.Target)
		cmd = append(cmd, "--log-group", src.Target)
		for _, st := range src.Streams {
			cmd = append(cmd, "--log-stream", st)
		}
	} else if f.Streams != "" {
		return refuse("Log streams belong to a log group: name the log group too.")
	}
	if f.S3URL != "" {
		named, targets = append(named, pipeline.Source{Kind: pipeline.S3, Target: f.S3URL, From: "S3 location"}), append(targets, f.S3URL)
		cmd = append(cmd, "--s3", f.S3URL)
	}
	title := "Ingest from the case's flow logs in AWS"
	if len(targets) > 0 {
		title = "Ingest from AWS: " + strings.Join(targets, ", ")
	}
	from, to := start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339)
	cmd = append(cmd, "--start", from, "--end", to)
	req := pipeline.Request{Sources: named, Pull: true, Start: from, End: to, Now: s.o.Now(),
		AWS:     func(context.Context) (aws.Config, error) { return cfg, nil },
		Command: "workbench pull " + strings.Join(cmd, " "), Program: s.o.Program, Logger: s.log}
	j, err := s.jobs.start(caseName, ingestKind, title, func(ctx context.Context, j *job) error {
		return s.ingestJob(ctx, j, path, caseName, req)
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, jobHref(caseName, j.ID))
}
