package views

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// pivotTop is how many counterparts and ports the address page lists.
const pivotTop = 20

// ipPivot shows one address of a case: its traffic as the peer of the focus,
// its counterparts and ports, what the case knows about it and its WHOIS
// network. Stale derived tables are reported, not rebuilt.
func (s *server) ipPivot(c echo.Context) error {
	p, addr, err := s.caseAddr(c)
	if err != nil {
		return err
	}
	vm, err := s.pivotVM(c.Request().Context(), p, c.Param("case"), addr)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pivotPage(vm), nil)
}

// caseAddr is the case file and the address a pivot URL names.
func (s *server) caseAddr(c echo.Context) (string, netip.Addr, error) {
	addr, err := netip.ParseAddr(c.Param("addr"))
	if err != nil {
		return "", addr, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Not an IP address: %q.", c.Param("addr")))
	}
	p, err := s.casePath(c.Param("case"))
	return p, addr, err
}

// pivotVM is the pivot page of addr, kept while the case is unchanged.
func (s *server) pivotVM(ctx context.Context, path, caseName string, addr netip.Addr) (PivotVM, error) {
	v, err := s.cache.get(path, "pivot "+addr.String(), func() (any, error) {
		cs, err := s.openRead(ctx, caseName)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		vm := PivotVM{Case: caseName, Addr: addr.String()}
		stale, err := queries.Stale(ctx, cs)
		if err != nil {
			return nil, err
		}
		if stale {
			vm.Stale = true
			return vm, nil
		}
		if err := pivotData(ctx, cs, caseName, &vm); err != nil {
			return nil, err
		}
		return vm, nil
	})
	if err != nil {
		return PivotVM{}, err
	}
	vm := v.(PivotVM)
	vm.Href = caseHref(caseName) + "/ip/" + url.PathEscape(vm.Addr)
	vm.PrepareHref = caseHref(caseName) + "/prepare"
	vm.LookupHref = vm.Href + "/whois"
	vm.FlowsHref = caseHref(caseName) + "/flows?addr=" + url.QueryEscape(vm.Addr)
	vm.Offline = s.o.WhoisOffline
	return vm, nil
}

func pivotData(ctx context.Context, cs *store.Case, caseName string, vm *PivotVM) error {
	a := vm.Addr
	var (
		t           PivotTotals
		first, last sql.NullTime
	)
	err := cs.DB.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(packets), 0)::BIGINT, coalesce(sum(bytes), 0)::BIGINT,
		min(start), max("end"),
		count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
		FROM case_flows WHERE peer_ip = ?`, a).
		Scan(&t.Flows, &t.Packets, &t.Bytes, &first, &last, &t.Accepted, &t.Rejected)
	if err != nil {
		return fmt.Errorf("views: address totals: %w", err)
	}
	if first.Valid {
		t.First = &first.Time
	}
	if last.Valid {
		t.Last = &last.Time
	}
	vm.Totals = t
	if vm.Timeline, err = timeline(ctx, cs, t.First, t.Last, "case_flows WHERE peer_ip = ? AND start IS NOT NULL", a); err != nil {
		return err
	}

	cols, rows, err := queries.Query(ctx, cs.DB, `SELECT local_ip, count(*) AS flows, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
		count(*) FILTER (WHERE action = 'REJECT') AS rejected, min(start) AS first_seen, max("end") AS last_seen
		FROM case_flows WHERE peer_ip = ? GROUP BY local_ip ORDER BY flows DESC, local_ip LIMIT `+itoa(pivotTop), 0, a)
	if err != nil {
		return fmt.Errorf("views: address counterparts: %w", err)
	}
	vm.Counterparts = simpleTable(caseName, cols, rows, false)

	cols, rows, err = queries.Query(ctx, cs.DB, `SELECT direction, protocol, dstport, count(*) AS flows, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
		count(*) FILTER (WHERE action = 'REJECT') AS rejected
		FROM case_flows WHERE peer_ip = ? GROUP BY direction, protocol, dstport ORDER BY flows DESC, dstport LIMIT `+itoa(pivotTop), 0, a)
	if err != nil {
		return fmt.Errorf("views: address ports: %w", err)
	}
	vm.Ports = simpleTable(caseName, cols, rows, false)

	var info PivotInfo
	err = cs.DB.QueryRowContext(ctx, `SELECT scope, coalesce(provider, ''), coalesce(cloud_service, ''), coalesce(cloud_region, ''),
		coalesce(cloud_prefix, ''), coalesce(org, ''), coalesce(asn, '') FROM address_info WHERE addr = ?`, a).
		Scan(&info.Scope, &info.Provider, &info.CloudService, &info.CloudRegion, &info.CloudPrefix, &info.Org, &info.ASN)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("views: address info: %w", err)
	default:
		vm.Info = &info
	}

	var (
		w       PivotWhois
		fetched time.Time
	)
	err = cs.DB.QueryRowContext(ctx, `SELECT coalesce(w.network, ''), coalesce(w.org, ''), coalesce(w.netname, ''), coalesce(w.country, ''),
		coalesce(w.asn, ''), coalesce(w.registry, ''), coalesce(w.server, ''), w.fetched_at
		FROM whois w, address_info a WHERE a.addr = ? AND a.num BETWEEN w.start_num AND w.end_num
		ORDER BY w.end_num - w.start_num LIMIT 1`, a).
		Scan(&w.Network, &w.Org, &w.Netname, &w.Country, &w.ASN, &w.Registry, &w.Server, &fetched)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("views: address whois: %w", err)
	default:
		w.FetchedAt = format.Time(fetched)
		vm.Whois = &w
	}
	return nil
}
