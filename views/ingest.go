package views

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/cloudwatch"
	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/ingest/s3"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// ingestKind is the kind of the jobs that ingest.
const ingestKind = "ingest"

// IngestVM is a case's Ingest page: the upload and AWS forms, and the
// case's jobs.
type IngestVM struct {
	Case                 string
	UploadHref, PullHref string
	MaxUpload            string // the upload limit, for people
	Upload               UploadForm
	Pull                 PullForm
	// AWS says whether the workbench can pull from AWS; AWSNote is the
	// region it pulls from, or why it cannot.
	AWS     bool
	AWSNote string
	Jobs    []JobVM // the case's jobs, newest first
}

// UploadForm is what the upload form was given, and what was wrong with it.
type UploadForm struct {
	LogFormat, Start, End string
	Error                 string
}

// PullForm is what the AWS form was given, and what was wrong with it.
type PullForm struct {
	LogGroup, Streams, S3URL, Start, End string
	Error                                string
}

// ingestPage shows the forms that load flow logs into the case.
func (s *server) ingestPage(c echo.Context) error {
	caseName := c.Param("case")
	if _, err := s.casePath(caseName); err != nil {
		return err
	}
	return render(c, http.StatusOK, ingestPage(s.ingestVM(c.Request().Context(), caseName)), nil)
}

func (s *server) ingestVM(ctx context.Context, caseName string) IngestVM {
	href := caseHref(caseName) + "/ingest"
	vm := IngestVM{Case: caseName, UploadHref: href + "/upload", PullHref: href + "/pull", MaxUpload: format.Bytes(s.o.MaxUpload)}
	if cfg, err := s.awsConfig(ctx); err != nil {
		vm.AWSNote = err.Error()
	} else {
		vm.AWS, vm.AWSNote = true, "Region "+cfg.Region
	}
	for _, j := range s.jobs.ofCase(caseName) {
		vm.Jobs = append(vm.Jobs, j.view())
	}
	return vm
}

// awsConfig is the AWS configuration pulls use, or why there is none.
func (s *server) awsConfig(ctx context.Context) (aws.Config, error) {
	if s.o.AWS == nil {
		return aws.Config{}, errors.New("this workbench was started without access to AWS")
	}
	return s.o.AWS(ctx)
}

// ingestJob runs one ingest of the case in a job, as investigator ingest
// does (the same orchestration), with its progress as the job's and each
// file's and source's outcome in the job's log. It fails as the command
// line would: a file that did not land, a source that failed.
func (s *server) ingestJob(ctx context.Context, j *job, path, caseName string, req pipeline.Request) error {
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer cs.Close()
	logLines := func(lines []string) {
		for _, l := range lines {
			j.log(l)
		}
	}
	rep, err := pipeline.Run(ctx, cs, req, pipeline.Events{
		Began: j.setIngest,
		File: func(i, n int, it ingest.Item) {
			size := ""
			if st, err := os.Stat(it.Path); err == nil {
				size = " (" + format.Bytes(st.Size()) + ")"
			}
			j.progress(fmt.Sprintf("File %d of %d: %s%s", i+1, n, it.Source, size))
		},
		Reading:    func(r ingest.ReadProgress) { j.progress("Reading " + r.Path + ": " + r.String()) },
		FileDone:   func(r ingest.FileResult) { logLines(r.Report()) },
		Window:     func(start, end time.Time) { j.log(pipeline.WindowLine(start, end)) },
		CloudWatch: func(p cloudwatch.Progress) { j.progress(p.String()) },
		S3:         func(p s3.Progress) { j.progress(p.String()) },
		Pulling: func(src pipeline.Source) {
			j.progress("Pulling " + src.Kind + " " + src.Target)
			j.log(src.PullingLine())
		},
		Pulled: func(r pipeline.SourceReport) { logLines(r.Lines()) },
	})
	if errors.Is(err, pipeline.ErrNothingToPull) {
		return errors.New("nothing to pull from: the case records no flow log that can be read back (investigator ingest --instance-id discovers them); name a log group or an S3 location")
	}
	if err != nil {
		return err
	}
	sum := rep.Summary(caseName)
	j.progress(sum[0])
	logLines(sum[1:])
	if rep.Interrupted {
		return ctx.Err()
	}
	if f := rep.Failure(); f != nil {
		return f
	}
	return nil
}
