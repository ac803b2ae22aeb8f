package whois

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"

	lwhois "github.com/likexian/whois"
	"golang.org/x/net/proxy"
)

// ErrTooLarge is wrapped by the error of an answer longer than Options.MaxAnswer.
var ErrTooLarge = errors.New("whois: answer too large")

// errEmpty is an answer of nothing: servers that rate-limit often just close.
var errEmpty = errors.New("whois: empty answer")

// whoisClient is what ask needs of likexian/whois's client.
type whoisClient interface {
	Whois(domain string, servers ...string) (string, error)
}

// safeWhois asks server through c and turns a panic of the library (it
// panics on a referral line without a trailing newline when it follows
// referrals itself) into an error.
func safeWhois(c whoisClient, query, server string) (raw string, err error) {
	defer func() {
		if r := recover(); r != nil {
			raw, err = "", fmt.Errorf("whois: the whois client panicked on the answer of %s: %v", server, r)
		}
	}()
	return c.Whois(query, server)
}

// ask sends one query for a to server (host:port), with its own timeout that
// includes the dial, and returns the raw answer. The library's own referral
// following is off: every hop is a query of its own, paced by its server's
// limiter.
func ask(ctx context.Context, o Options, server string, a netip.Addr) (string, error) {
	qctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	d := &queryDialer{ctx: qctx, base: o.Dialer, max: int64(o.MaxAnswer)}
	c := lwhois.NewClient().SetDialer(d).SetTimeout(o.Timeout).SetDisableReferral(true).SetDisableStats(true)
	raw, err := safeWhois(c, a.String(), server)
	if d.tooLarge() {
		return "", fmt.Errorf("%w: %s sent more than %d bytes", ErrTooLarge, server, o.MaxAnswer)
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if qctx.Err() != nil || isTimeout(err) {
			return "", fmt.Errorf("whois: %s: no answer within %s: %w", server, o.Timeout, context.DeadlineExceeded)
		}
		return "", err
	}
	if strings.TrimSpace(raw) == "" {
		return "", fmt.Errorf("%w from %s", errEmpty, server)
	}
	return raw, nil
}

// queryDialer dials for one query: within the query's context (so the
// timeout covers the dial even through a proxy.Dialer that knows no context),
// with a connection that is closed when the context ends and that refuses an
// answer longer than max.
type queryDialer struct {
	ctx  context.Context
	base proxy.Dialer
	max  int64

	mu   sync.Mutex
	conn *answerConn
}

func (d *queryDialer) Dial(network, addr string) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	if cd, ok := d.base.(proxy.ContextDialer); ok {
		c, err = cd.DialContext(d.ctx, network, addr)
	} else {
		type dialed struct {
			c   net.Conn
			err error
		}
		ch := make(chan dialed, 1)
		go func() {
			c, err := d.base.Dial(network, addr)
			ch <- dialed{c, err}
		}()
		select {
		case r := <-ch:
			c, err = r.c, r.err
		case <-d.ctx.Done():
			go func() {
				if r := <-ch; r.c != nil {
					r.c.Close()
				}
			}()
			return nil, fmt.Errorf("dial %s: %w", addr, d.ctx.Err())
		}
	}
	if err != nil {
		if d.ctx.Err() != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, d.ctx.Err())
		}
		return nil, err
	}
	ac := &answerConn{Conn: c, max: d.max}
	ac.stop = context.AfterFunc(d.ctx, func() { c.Close() })
	d.mu.Lock()
	d.conn = ac
	d.mu.Unlock()
	return ac, nil
}

func (d *queryDialer) tooLarge() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn != nil && d.conn.over
}

// answerConn counts what it reads and fails once it passes max bytes.
type answerConn struct {
	net.Conn
	max  int64
	n    int64
	over bool
	stop func() bool
}

func (c *answerConn) Read(p []byte) (int, error) {
	if c.over {
		return 0, ErrTooLarge
	}
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		c.over = true
		return n, ErrTooLarge
	}
	return n, err
}

func (c *answerConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// classify says whether a failed query is worth retrying later, and whether
// its server should be left alone for a while (it refused or hung up).
func classify(err error) (retry, pause bool) {
	var re *RefusedError
	switch {
	case errors.As(err, &re), errors.Is(err, errEmpty),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF):
		return true, true
	case isTimeout(err):
		return true, false
	}
	return false, false
}

// defaultDialer is what Options.Dialer nil means.
func defaultDialer() proxy.Dialer { return &net.Dialer{KeepAlive: -1} }
