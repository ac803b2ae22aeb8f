package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/ingest/awsenv"
)

// fetched is what became of one object before ingest.
type fetched struct {
	obj   object
	path  string // the downloaded file
	prep  ingest.Prepared
	seen  bool   // already in the case
	prior string // where it came from then
	err   error
	fatal bool // the error stops the pull
}

// downloadAttempts is how often a transfer that broke off is tried; the
// SDK's retryer has already retried the request itself.
const downloadAttempts = 3

// worker checks and downloads the objects it is given, one at a time.
func (p *puller) worker(ctx context.Context, jobs <-chan object, done chan<- fetched) {
	buf := make([]byte, 256<<10)
	for obj := range jobs {
		if ctx.Err() != nil {
			continue // drain: the lister stops on its own
		}
		done <- p.fetch(ctx, obj, buf)
	}
}

// fetch skips an object the case already has, or downloads it to a
// temporary file.
func (p *puller) fetch(ctx context.Context, obj object, buf []byte) fetched {
	prior, seen, err := p.in.Seen(ctx, obj.dedup)
	if err != nil {
		return fetched{obj: obj, err: fmt.Errorf("s3: %w", err), fatal: true}
	}
	if seen {
		return fetched{obj: obj, seen: true, prior: prior}
	}
	for attempt := 1; ; attempt++ {
		path, n, err := p.download(ctx, obj, buf)
		if err == nil {
			p.mu.Lock()
			p.sum.Downloaded++
			p.sum.Bytes += n
			p.prog.Downloaded++
			p.prog.Bytes += n
			p.mu.Unlock()
			// Hashed and detected here, while the loader loads others.
			prep := p.in.Prepare(ingest.Item{Path: path, Source: obj.source, Key: obj.dedup, Fields: p.o.Fields})
			return fetched{obj: obj, path: path, prep: prep}
		}
		var te transferError
		if !errors.As(err, &te) || attempt == downloadAttempts || ctx.Err() != nil {
			return fetched{obj: obj, err: err, fatal: fatal(err)}
		}
		select {
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		case <-ctx.Done():
			return fetched{obj: obj, err: context.Cause(ctx)}
		}
	}
}

// transferError is a body that broke off: worth another try.
type transferError struct{ error }

func (e transferError) Unwrap() error { return e.error }

// download streams one object to a temporary file; it asks for the version
// that was listed (If-Match on its ETag), so that the dedup key names what
// was ingested.
func (p *puller) download(ctx context.Context, obj object, buf []byte) (path string, n int64, err error) {
	in := &s3.GetObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(obj.key)}
	if obj.etag != "" {
		in.IfMatch = aws.String(obj.etag)
	}
	out, err := p.api.GetObject(ctx, in)
	if err != nil {
		return "", 0, p.explain(err, "get", obj.key)
	}
	defer out.Body.Close()
	if got := aws.ToString(out.ETag); got != "" && obj.etag != "" && strings.Trim(got, `"`) != strings.Trim(obj.etag, `"`) {
		return "", 0, fmt.Errorf("s3: %s changed after it was listed (ETag %s, listed %s): run the pull again", obj.source, got, obj.etag)
	}
	name := obj.key[strings.LastIndexByte(obj.key, '/')+1:]
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	f, err := os.CreateTemp(p.tmp, "*-"+strings.ReplaceAll(name, "*", "_"))
	if err != nil {
		return "", 0, fmt.Errorf("s3: temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	n, err = io.CopyBuffer(f, out.Body, buf)
	if cerr := f.Close(); cerr != nil && err == nil {
		return "", n, fmt.Errorf("s3: write %s: %w", f.Name(), cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", n, context.Cause(ctx)
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", n, fmt.Errorf("s3: write %s: %w", f.Name(), err)
		}
		return "", n, transferError{fmt.Errorf("s3: download %s broke off after %d bytes: %w", obj.source, n, err)}
	}
	if out.ContentLength != nil && n != *out.ContentLength {
		return "", n, transferError{fmt.Errorf("s3: download %s: got %d of %d bytes", obj.source, n, *out.ContentLength)}
	}
	return f.Name(), n, nil
}

// fatal reports whether an error stops the whole pull: one that every
// other request would meet as well.
func fatal(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var e *awsenv.Error
	if errors.As(err, &e) {
		switch e.Kind {
		case "denied", "expired", "credentials", "throttled", "NoSuchBucket", "PermanentRedirect":
			return true
		}
	}
	return false
}

// explain turns an S3 error into a message that names the bucket, the
// prefix or key, and what to do.
func (p *puller) explain(err error, op, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	where := "s3://" + p.bucket + "/" + what
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch code {
	case "NoSuchBucket":
		return &awsenv.Error{Kind: "NoSuchBucket", Err: err, Msg: fmt.Sprintf(
			"s3: bucket %s does not exist (NoSuchBucket): check the bucket in the URL against the flow log's destination (aws ec2 describe-flow-logs shows its LogDestination)", p.bucket)}
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		msg := fmt.Sprintf("s3: bucket %s is in another region than the one in use", p.bucket)
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.Response != nil {
			if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
				msg = fmt.Sprintf("s3: bucket %s is in region %s: pass --region %s (or set AWS_REGION)", p.bucket, r, r)
			}
		}
		return &awsenv.Error{Kind: "PermanentRedirect", Err: err, Msg: msg}
	case "NoSuchKey":
		return fmt.Errorf("s3: %s was deleted after it was listed (a lifecycle rule?): %w", where, err)
	case "PreconditionFailed":
		return fmt.Errorf("s3: %s changed after it was listed: run the pull again: %w", where, err)
	case "InvalidObjectState":
		return fmt.Errorf("s3: %s is archived (Glacier or Deep Archive): restore it first (aws s3api restore-object), then pull again: %w", where, err)
	}
	e := awsenv.Explain(err, p.o.Profile)
	var ee *awsenv.Error
	if op == "get" && errors.As(e, &ee) && ee.Kind == "denied" {
		// Objects encrypted with a KMS key need kms:Decrypt as well.
		return &awsenv.Error{Kind: ee.Kind, Err: err, Msg: fmt.Sprintf("s3: get %s: %s (and kms:Decrypt on the bucket's key when its objects are encrypted with SSE-KMS)", where, ee.Msg)}
	}
	if errors.As(e, &ee) {
		return &awsenv.Error{Kind: ee.Kind, Err: err, Msg: fmt.Sprintf("s3: %s %s: %s", op, where, ee.Msg)}
	}
	return fmt.Errorf("s3: %s %s: %w", op, where, e)
}
