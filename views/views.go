// Package views is the web workbench: echo routes and handlers, templ
// components and the embedded static assets. Handlers open a case read-only
// for browsing and take the write handle only for the moment of a run.
package views

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
	"github.com/investigator/investigator/whois"
)

//go:embed static
var staticFS embed.FS

// Options configure the workbench.
type Options struct {
	CasesDir string       // folder of case files
	Program  string       // recorded with the runs the workbench makes
	Logger   *slog.Logger // nil discards
	// Wait is how long a page waits for a case another process holds
	// (zero: a short default).
	Wait time.Duration
	// Now is the clock for relative parameter values (nil: time.Now).
	Now func() time.Time
	// Home is the folder of range snapshots and ASN data the overview offers
	// to load into a case ("": none).
	Home string
	// Whois configures the look-ups the pages start; WhoisOffline forbids them.
	Whois        whois.Options
	WhoisOffline bool
	// Context bounds the background jobs (ingests): cancelled, they stop
	// (nil: they run until they end).
	Context context.Context
	// MaxUpload is the most one upload of flow-log files may carry, all
	// files together (zero: DefaultMaxUpload).
	MaxUpload int64
	// AWS loads the configuration for pulls from AWS on the Ingest page
	// (nil: the workbench does not pull from AWS).
	AWS func(context.Context) (aws.Config, error)
	// Addr is the address the server listens on (host:port; "": loopback).
	// The workbench answers requests whose Host is a loopback name
	// (localhost, 127.0.0.1, [::1]), this address's host, or one of
	// AllowedHosts, on any port; bound to every interface (0.0.0.0, ::) it
	// answers any address literal too. Other names get 421: a guard against
	// DNS rebinding.
	Addr         string
	AllowedHosts []string
	// Analyst signs the stars, tags, notes and findings made on the pages
	// ("": store.Analyst's default, $INVESTIGATOR_ANALYST or the OS user).
	Analyst string
}

type server struct {
	o   Options
	reg *queries.Registry
	log *slog.Logger
	cop *http.CrossOriginProtection
	// hosts are the Host header values the workbench answers.
	hosts hostPolicy
	// cache keeps page data while a case file is unchanged.
	cache pageCache
	// jobs run the background tasks (ingests), one per case at a time.
	jobs *jobRunner
	// history is the SQL console's, per case, for the life of the process.
	history sqlHistory
}

// New returns the workbench's echo instance with every route registered.
func New(o Options) (*echo.Echo, error) {
	if o.CasesDir == "" {
		return nil, errors.New("views: no cases folder")
	}
	if o.Wait == 0 {
		o.Wait = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	o.Analyst = store.Analyst(o.Analyst)
	if o.MaxUpload <= 0 {
		o.MaxUpload = DefaultMaxUpload
	}
	reg, err := queries.Load()
	if err != nil {
		return nil, err
	}
	hosts, err := newHostPolicy(o.Addr, o.AllowedHosts)
	if err != nil {
		return nil, err
	}
	s := &server{o: o, reg: reg, log: o.Logger, cop: http.NewCrossOriginProtection(), hosts: hosts}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.jobs = newJobRunner(o.Context, s.log)
	s.removeStaleUploads(time.Now().Add(-staleUpload))
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(s.guard) // every request, routed or not: headers, then the Host check
	e.Use(s.crossOrigin)

	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(static))))
	e.GET("/", s.cases)
	e.POST("/cases", s.createCase)
	e.GET("/cases/:case", s.overview)
	e.GET("/cases/:case/analyses", s.analyses)
	e.GET("/cases/:case/analyses/:name", s.analysis)
	e.POST("/cases/:case/analyses/:name", s.analysis)
	e.GET("/cases/:case/analyses/:name/result.csv", s.resultCSV)
	e.GET("/cases/:case/analyses/:name/result.json", s.resultJSON)
	e.GET("/cases/:case/flows", s.flows)
	e.GET("/cases/:case/graph", s.graph)
	e.GET("/cases/:case/findings", s.findingsPage)
	e.POST("/cases/:case/findings", s.createFinding)
	e.POST("/cases/:case/findings/:id", s.editFinding)
	e.POST("/cases/:case/findings/:id/status", s.setFindingStatus)
	e.POST("/cases/:case/record/star", s.postStar)
	e.POST("/cases/:case/record/tags", s.postTags)
	e.POST("/cases/:case/record/notes", s.postNote)
	e.GET("/cases/:case/runs/:run", s.runPage)
	e.GET("/cases/:case/runs/:run/rows/:n", s.rowPanel)
	e.GET("/cases/:case/ip/:addr", s.ipPivot)
	e.POST("/cases/:case/ip/:addr/whois", s.lookUp)
	e.POST("/cases/:case/enrich/ranges", s.loadRanges)
	e.POST("/cases/:case/enrich/whois", s.lookUpPeers)
	e.POST("/cases/:case/prepare", s.prepareTables)
	e.GET("/cases/:case/sql", s.sqlConsole)
	e.POST("/cases/:case/sql", s.sqlConsole)
	e.POST("/cases/:case/sql/result.csv", s.sqlCSV)
	e.GET("/cases/:case/ingest", s.ingestPage)
	e.POST("/cases/:case/ingest/upload", s.upload)
	e.POST("/cases/:case/ingest/pull", s.pullAWS)
	e.GET("/cases/:case/jobs/:id", s.jobPage)
	e.POST("/cases/:case/triage", s.triage)
	e.GET("/cases/:case/timeline", s.timelinePage)
	e.GET("/cases/:case/report", s.reportPage)
	e.GET("/cases/:case/report/:file", s.reportFile)
	return e, nil
}

// crossOrigin rejects unsafe requests a browser sent from another site
// (Sec-Fetch-Site, else Origin against Host).
func (s *server) crossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.cop.Check(c.Request()); err != nil {
			return echo.NewHTTPError(http.StatusForbidden, "cross-origin request refused")
		}
		return next(c)
	}
}

// isHTMX reports whether the request wants a fragment: an htmx request that
// is not a history restore (which needs the whole page).
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true"
}

// render writes the full page, or the fragment for htmx requests, through a
// buffer so a render error becomes a clean 500.
func render(c echo.Context, status int, page, fragment templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	comp := page
	if fragment != nil && isHTMX(c) {
		comp = fragment
	}
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("views: render: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// handleError is the one error handler: an escaped error page with the
// status the error carries.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong; the server log has the details."
	var page templ.Component // nil: the error page with msg
	if st, p, ok := s.jobError(err, c); ok {
		status, page = st, p
	}
	var he *echo.HTTPError
	var recordErr *store.RecordError
	switch {
	case page != nil: // a job of this workbench explains it, and its page links to the job
	case errors.As(err, &he):
		status = he.Code
		msg = fmt.Sprint(he.Message)
		if he.Internal != nil {
			s.log.Debug("request", "path", c.Request().URL.Path, "err", he.Internal)
		}
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "No such case."
	case errors.As(err, &recordErr):
		status, msg = http.StatusBadRequest, recordErr.UserMessage()
	case errors.Is(err, store.ErrNoRecord):
		status, msg = http.StatusNotFound, usererr.Message(err)
	case errors.Is(err, store.ErrLocked):
		status, msg = http.StatusServiceUnavailable, "The case is in use by another program; try again when it has finished."
	default:
		s.log.Error("request", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		var m usererr.Messager
		if errors.As(err, &m) {
			msg = m.UserMessage() // written for people: better than "something went wrong"
		}
	}
	vm := ErrorVM{Status: status, Title: http.StatusText(status), Message: msg}
	if name := c.Param("case"); store.ValidName(name) == nil {
		vm.Case = name
	}
	target := c.Request().Header.Get("HX-Target")
	switch {
	case isHTMX(c) && page != nil:
		// A job's page in place of the whole page: it links to the job.
		c.Response().Header().Set("HX-Retarget", "body")
		c.Response().Header().Set("HX-Reswap", "innerHTML")
	case isHTMX(c) && target != "":
		// The error where the answer would have gone, in an element that
		// takes the target's place (and id), so the next request finds it.
		page = errorFragment(target, vm)
	case page == nil:
		page = errorPage(vm)
	}
	c.Response().Header().Add("Vary", "HX-Request")
	var buf bytes.Buffer
	if rerr := page.Render(c.Request().Context(), &buf); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, http.StatusText(status))
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.HTMLBlob(status, buf.Bytes())
}

// casePath turns the URL's case name into its file: names only (never a
// path, never NAME.duckdb), and the file must exist.
func (s *server) casePath(name string) (string, error) {
	if store.ValidName(name) != nil || strings.HasSuffix(name, store.Ext) {
		return "", echo.NewHTTPError(http.StatusNotFound, "No such case.")
	}
	p := filepath.Join(s.o.CasesDir, name+store.Ext)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("No case named %q.", name))
	}
	return p, nil
}

// openRead opens the named case read-only.
func (s *server) openRead(ctx context.Context, name string) (*store.Case, error) {
	p, err := s.casePath(name)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, p, store.Options{ReadOnly: true, Wait: s.o.Wait})
}
