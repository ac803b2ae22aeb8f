package views

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

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
	if err := s.pivotRecord(c.Request().Context(), p, &vm); err != nil {
		return err
	}
	return render(c, http.StatusOK, pivotPage(vm), nil)
}

// pivotRecord adds the address's record to its page: its star, tags and
// notes, the finding form, and the marks of the addresses its tables show.
func (s *server) pivotRecord(ctx context.Context, path string, vm *PivotVM) error {
	acc := s.access(path)
	defer acc.close()
	st, err := s.recordState(ctx, acc)
	if err != nil {
		return err
	}
	marks(&vm.Counterparts, st)
	ref := addrRef(netip.MustParseAddr(vm.Addr).Unmap().String())
	form := addressForm(newWidget(vm.Case, ref, "", vm.Href), ref.Addr, vm.Totals.First, vm.Totals.Last)
	vm.Record = s.recordVM(vm.Case, ref, "", vm.Href, st, form)
	return nil
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
		if err := pivotData(ctx, cs, caseName, addr, &vm); err != nil {
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

// pivotData fills vm with what the case knows about addr.
func pivotData(ctx context.Context, cs *store.Case, caseName string, addr netip.Addr, vm *PivotVM) error {
	p, err := queries.Pivot(ctx, cs, addr, pivotTop)
	if err != nil {
		return err
	}
	t := p.Totals
	vm.Totals = PivotTotals{Flows: t.Flows, Packets: t.Packets, Bytes: t.Bytes, Accepted: t.Accepted, Rejected: t.Rejected, First: t.First, Last: t.Last}
	if vm.Timeline, err = timeline(ctx, cs, t.First, t.Last, queries.TimelineFilter{Peer: addr}); err != nil {
		return err
	}
	vm.Counterparts = simpleTable(caseName, p.Counterparts.Columns, p.Counterparts.Rows, false)
	vm.Conversations = p.Conversations
	for _, cv := range p.Services {
		vm.Services = append(vm.Services, serviceLine(caseName, cv))
	}
	if in := p.Info; in != nil {
		vm.Info = &PivotInfo{Scope: in.Scope, Provider: in.Provider, CloudService: in.CloudService, CloudRegion: in.CloudRegion,
			CloudPrefix: in.CloudPrefix, Org: in.Org, ASN: in.ASN}
	}
	if w := p.Whois; w != nil {
		vm.Whois = &PivotWhois{Network: w.Network, Org: w.Org, Netname: w.Netname, Country: w.Country, ASN: w.ASN,
			Registry: w.Registry, Server: w.Server, FetchedAt: format.Time(w.FetchedAt)}
	}
	return nil
}

// serviceLine shows a conversation as one line.
func serviceLine(caseName string, cv queries.Conversation) ServiceLine {
	label := func(addr, scope string) string {
		if scope == "focus" {
			return "focus"
		}
		return addr
	}
	l := ServiceLine{
		Client: cv.Client, Server: cv.Server,
		ClientLabel: label(cv.Client, cv.ClientScope), ServerLabel: label(cv.Server, cv.ServerScope),
		ClientHref: addrHref(caseName, cv.Client), ServerHref: addrHref(caseName, cv.Server),
		Protocol: strings.ToLower(cv.Protocol), Service: cv.Service,
		Actions: actionsOf(cv), RejectOnly: cv.RejectOnly(),
	}
	q := url.Values{"addr": {cv.Client}, "peer": {cv.Server}, "protocol": {strconv.Itoa(cv.ProtocolNumber)}}
	if cv.Port != nil {
		l.Port = ":" + strconv.Itoa(*cv.Port)
		q.Set("port", strconv.Itoa(*cv.Port))
	}
	l.Tail = l.Port + "/" + l.Protocol
	if l.Service != "" {
		l.Tail += " (" + l.Service + ")"
	}
	l.Tail += ", " + format.Nouns(cv.Sessions, "session") + ", " + format.Nouns(cv.Flows, "record") + ", " + format.Bytes(cv.Bytes)
	l.FlowsHref = caseHref(caseName) + "/flows?" + q.Encode()
	return l
}

// actionsOf names what the security groups did with a conversation.
func actionsOf(cv queries.Conversation) string {
	switch {
	case cv.Rejected == 0:
		return "ACCEPT"
	case cv.Accepted == 0:
		return "REJECT"
	}
	return "ACCEPT+REJECT"
}
