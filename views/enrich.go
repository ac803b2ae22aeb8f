package views

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
	"github.com/investigator/investigator/whois"
)

// lookupTimeout bounds the look-up of one address from its pivot page.
const lookupTimeout = time.Minute

// EnrichVM is a case's enrichment status: what it holds, what the home
// folder has that it does not, and its WHOIS coverage.
type EnrichVM struct {
	Ranges []SnapshotRow // provider range snapshots in the case
	ASN    *SnapshotRow  // the ASN data in the case
	// Public is the case's public addresses, Covered those a stored WHOIS
	// network holds; Networks stored, the last fetched at LastFetched.
	Public, Covered, Networks int64
	LastFetched               string
	Stale                     bool // the derived tables (and so these counts) are out of date

	// Per request, not kept with the case's data:
	Home        string   // the home folder ("" when there is none)
	Pending     []string // its snapshots the case does not hold: "aws of 2026-11-20"
	RangesHref  string   // POST: load them
	WhoisHref   string   // POST: look the most active public peers up
	PrepareHref string   // POST: rebuild the derived tables
	Offline     bool     // the workbench sends no WHOIS queries
}

// SnapshotRow is one snapshot of ranges loaded into a case.
type SnapshotRow struct {
	Provider, Source, Date, Loaded string
	Count                          int64
	sha256                         string // of the file it came from
}

// enrichStatus reads what enrichment the case holds.
func enrichStatus(ctx context.Context, cs *store.Case) (EnrichVM, error) {
	st, err := queries.Enrichment(ctx, cs)
	if err != nil {
		return EnrichVM{}, err
	}
	vm := EnrichVM{Public: st.Public, Covered: st.Covered, Networks: st.Networks, LastFetched: format.Stamp(st.LastFetched), Stale: st.Stale}
	for _, r := range st.Ranges {
		vm.Ranges = append(vm.Ranges, snapshotRow(r))
	}
	if st.ASN != nil {
		r := snapshotRow(*st.ASN)
		vm.ASN = &r
	}
	return vm, nil
}

// snapshotRow shows a snapshot: its date (or a dash) and when it was loaded.
func snapshotRow(s queries.RangeSnapshot) SnapshotRow {
	r := SnapshotRow{Provider: s.Provider, Source: s.Source, Loaded: format.Time(s.LoadedAt), Count: s.Count, Date: "-", sha256: s.SHA256}
	if s.Date != nil {
		r.Date = s.Date.UTC().Format(time.DateOnly)
	}
	return r
}

// withHome adds what the request needs beyond the case's data: the home
// folder's snapshots the case does not hold, and where the buttons post.
func (s *server) withHome(caseName string, vm EnrichVM) EnrichVM {
	vm.Home, vm.Offline = s.o.Home, s.o.WhoisOffline
	vm.RangesHref = caseHref(caseName) + "/enrich/ranges"
	vm.WhoisHref = caseHref(caseName) + "/enrich/whois"
	vm.PrepareHref = caseHref(caseName) + "/prepare"
	if s.o.Home == "" {
		return vm
	}
	held := cidrs.Held{Ranges: map[string]string{}}
	for _, r := range vm.Ranges {
		held.Ranges[r.Provider] = r.sha256
	}
	if vm.ASN != nil {
		held.ASN = vm.ASN.sha256
	}
	var err error
	if vm.Pending, err = (cidrs.Home{Dir: s.o.Home}).Pending(held); err != nil { // a fresh slice: the cached value is shared
		s.log.Warn("home folder", "dir", s.o.Home, "err", err)
	}
	return vm
}

// loadRanges loads the home folder's range snapshots and ASN data into the
// case (those it does not hold yet), rebuilds the derived tables and goes
// back to the overview.
func (s *server) loadRanges(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.casePath(c.Param("case"))
	if err != nil {
		return err
	}
	if s.o.Home == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "The workbench has no home folder to load ranges from: set INVESTIGATOR_HOME, or give --home to investigator serve.")
	}
	cs, err := store.Open(ctx, p, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer cs.Close()
	if _, err := cidrs.SyncHome(ctx, cs, cidrs.Home{Dir: s.o.Home}); err != nil {
		return err
	}
	if _, err := queries.Prepare(ctx, cs); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, caseHref(cs.Name)+"#enrichment")
}

// prepareTables rebuilds the case's derived tables, then goes to next (a
// page of the same case).
func (s *server) prepareTables(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	next := c.FormValue("next")
	if next != caseHref(name) && !strings.HasPrefix(next, caseHref(name)+"/") {
		next = caseHref(name)
	}
	cs, err := store.Open(ctx, p, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer cs.Close()
	if _, err := queries.Prepare(ctx, cs); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// lookUp asks WHOIS about one address of the pivot page, stores the answer
// in the case, and shows the page again with what happened.
func (s *server) lookUp(c echo.Context) error {
	ctx := c.Request().Context()
	p, addr, err := s.caseAddr(c)
	if err != nil {
		return err
	}
	if s.o.WhoisOffline {
		return echo.NewHTTPError(http.StatusForbidden, "This workbench was started with --offline: it sends no WHOIS queries.")
	}
	msg, err := s.lookUpOne(ctx, p, addr.Unmap())
	if err != nil {
		return err
	}
	vm, err := s.pivotVM(ctx, p, c.Param("case"), addr)
	if err != nil {
		return err
	}
	if err := s.pivotRecord(ctx, p, &vm); err != nil {
		return err
	}
	vm.Lookup = msg
	return render(c, http.StatusOK, pivotPage(vm), nil)
}

// lookUpOne looks addr up, then rebuilds the derived tables so the case's
// analyses name its network; it says what happened.
func (s *server) lookUpOne(ctx context.Context, path string, addr netip.Addr) (string, error) {
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return "", err
	}
	defer cs.Close()
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	o := s.o.Whois
	o.Offline = false
	sum, err := whois.Enrich(lctx, cs, []netip.Addr{addr}, o)
	if err != nil && lctx.Err() == nil {
		return "", err
	}
	if _, err := queries.Prepare(ctx, cs); err != nil {
		return "", err
	}
	switch {
	case sum.Special > 0:
		return addr.String() + " is not globally routable: it is never sent to WHOIS.", nil
	case sum.Cached > 0:
		return "A stored network already holds " + addr.String() + ".", nil
	case sum.Networks > 0:
		return "Looked up with " + format.Nouns(int64(sum.Queries), "query") + ".", nil
	case lctx.Err() != nil:
		return fmt.Sprintf("No answer within %s; try again later.", lookupTimeout), nil
	}
	return "No answer: " + strings.Join(sum.Errors, "; "), nil
}

// maxWhoisBatch bounds one WHOIS job from the overview.
const maxWhoisBatch = 10_000

// lookUpPeers starts a job that looks up the case's most active public
// peers (form field max, default 100) and rebuilds the derived tables after,
// then goes to the job's page.
func (s *server) lookUpPeers(c echo.Context) error {
	caseName := c.Param("case")
	path, err := s.casePath(caseName)
	if err != nil {
		return err
	}
	if s.o.WhoisOffline {
		return echo.NewHTTPError(http.StatusForbidden, "This workbench was started with --offline: it sends no WHOIS queries.")
	}
	n := 100
	if v := strings.TrimSpace(c.FormValue("max")); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxWhoisBatch {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("max: want a number of addresses from 1 to %d, not %q.", maxWhoisBatch, v))
		}
	}
	title := fmt.Sprintf("WHOIS look-up of the %d most active public peers", n)
	j, err := s.jobs.start(caseName, "WHOIS look-up", title, func(ctx context.Context, j *job) error {
		cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
		if err != nil {
			return err
		}
		defer cs.Close()
		j.progress("finding the peers")
		public, err := queries.PublicPeers(ctx, cs, n)
		if err != nil {
			return err
		}
		j.log(fmt.Sprintf("%d public peers to look up, most active first", len(public)))
		o := s.o.Whois
		o.Offline = false
		o.Progress = func(p whois.Progress) {
			j.progress(fmt.Sprintf("%d of %d addresses settled · %d queries (%d in flight) · %d networks · %d refused · %s",
				p.Done, p.Addresses, p.Queries, p.InFlight, p.Networks, p.Refused, p.Last))
		}
		sum, err := whois.Enrich(ctx, cs, public, o)
		j.log(sum.String())
		for _, e := range sum.Errors {
			j.log(e)
		}
		if err != nil {
			return err
		}
		j.progress("rebuilding the case's derived tables")
		if _, err := queries.Prepare(ctx, cs); err != nil {
			return err
		}
		j.progress("")
		return nil
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, jobHref(caseName, j.ID))
}
