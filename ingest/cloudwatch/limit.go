package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// governor paces every request of a pull under one rate limiter. Each HTTP
// attempt waits on it: the first before the call is made, the retries of the
// SDK's retryer (which backs off on throttling by itself) from a middleware
// placed after the retry loop. A throttled attempt halves the rate (once per
// episode: only a request sent after the last cut cuts again); after a quiet
// spell the rate creeps back up to the one asked for.
type governor struct {
	lim       *rate.Limiter
	max       rate.Limit
	requests  atomic.Int64
	throttled atomic.Int64

	mu      sync.Mutex
	cut     time.Time // the last time the rate was cut
	changed time.Time // the last time it was cut or raised
}

const (
	// recoverAfter is the quiet time before each step back up.
	recoverAfter = 5 * time.Second
	recoverStep  = 1.25
	// floorShare is the lowest the rate goes, as a share of the rate asked for.
	floorShare = 1.0 / 16
)

func newGovernor(perSecond float64) *governor {
	return &governor{lim: rate.NewLimiter(rate.Limit(perSecond), 1), max: rate.Limit(perSecond)}
}

// rate is the requests per second allowed now.
func (g *governor) rate() float64 { return float64(g.lim.Limit()) }

// wait blocks until the next request may go.
func (g *governor) wait(ctx context.Context) error {
	g.mu.Lock()
	if cur := g.lim.Limit(); cur < g.max && time.Since(g.changed) >= recoverAfter {
		g.lim.SetLimit(min(g.max, cur*recoverStep))
		g.changed = time.Now()
	}
	g.mu.Unlock()
	if err := g.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The limiter refuses early when the next slot lies past the deadline.
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return nil
}

// throttle slows the pull down after the service throttled a request sent
// at sent. A request sent before the last cut says nothing about the rate
// now: it is counted, and the rate stays.
func (g *governor) throttle(sent time.Time) {
	g.throttled.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if sent.Before(g.cut) {
		return
	}
	now := time.Now()
	g.lim.SetLimit(max(g.lim.Limit()/2, g.max*floorShare))
	g.cut, g.changed = now, now
}

// callKey carries a call's attempt count from call to the middleware.
type callKey struct{}

type callState struct{ attempts int } // the SDK makes a call's attempts one after another

// call makes one API call under the limiter. With the SDK client, the
// middleware added by option paces the retries and counts every attempt; an
// API that ignores per-call options is paced and counted per call here.
func (g *governor) call(ctx context.Context, f func(context.Context) error) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	st := &callState{}
	sent := time.Now()
	err := f(context.WithValue(ctx, callKey{}, st))
	if st.attempts == 0 {
		g.requests.Add(1)
		if isThrottle(err) {
			g.throttle(sent)
		}
	}
	return err
}

// option is the per-call option that installs the pacing middleware.
func (g *governor) option(o *cloudwatchlogs.Options) {
	o.APIOptions = append(o.APIOptions, g.install)
}

func (g *governor) install(s *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("cwlogsRate", g.handle)
	if err := s.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
		return s.Finalize.Add(mw, middleware.After)
	}
	return nil
}

func (g *governor) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	st, ok := ctx.Value(callKey{}).(*callState)
	if ok {
		st.attempts++
	}
	if !ok || st.attempts > 1 {
		if err := g.wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
	}
	g.requests.Add(1)
	sent := time.Now()
	out, md, err := next.HandleFinalize(ctx, in)
	if isThrottle(err) {
		g.throttle(sent)
	}
	return out, md, err
}

// isThrottle reports whether err is the service asking to slow down.
func isThrottle(err error) bool {
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
		"RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "LimitExceededException":
		return true
	}
	return false
}
