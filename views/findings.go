package views

import (
	"cmp"
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/when"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// FindingFormVM is the form that makes a finding from what a page shows,
// filled in from it: the subject, the window and the evidence.
type FindingFormVM struct {
	widget
	Title, Severity, Addresses, Ports, First, Last, MITRE, Note string
	Evidence                                                    [][2]string // hidden fields: what the finding rests on
	EvidenceText                                                string
	Open                                                        bool // shown open
	// MadeID and MadeHref: the finding the form made.
	MadeID, MadeHref string
}

// severities lists the severities, most severe first.
func severities() []string {
	out := make([]string, len(store.Severities))
	for i, s := range store.Severities {
		out[i] = string(s)
	}
	return out
}

func statuses() []string {
	out := make([]string, len(store.Statuses))
	for i, s := range store.Statuses {
		out[i] = string(s)
	}
	return out
}

// formTime is a time as a finding form shows it (UTC, to the second).
func formTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// addressForm is the finding form of an address: the address, the window
// it was seen in, and its flow records as the evidence.
func addressForm(w widget, addr string, first, last *time.Time) *FindingFormVM {
	f := store.FlowsFilter{Addresses: []string{addr}}
	return &FindingFormVM{widget: w, Title: addr, Severity: string(store.SeverityMedium), Addresses: addr, First: formTime(first), Last: formTime(last),
		Evidence: append([][2]string{{"ev", "flows"}}, flowsFields("ev_", f)...), EvidenceText: flowsText(f)}
}

// flowsForm is the finding form of a flows filter: its address and port,
// its window (else that of the records it chooses), the filter as the
// evidence.
func flowsForm(w widget, f store.FlowsFilter, first, last *time.Time) *FindingFormVM {
	vm := &FindingFormVM{widget: w, Severity: string(store.SeverityMedium), Addresses: strings.Join(f.Addresses, " "),
		Evidence: append([][2]string{{"ev", "flows"}}, flowsFields("ev_", f)...), EvidenceText: flowsText(f)}
	var ps []string
	for _, p := range f.Ports {
		ps = append(ps, strconv.Itoa(p))
	}
	vm.Ports = strings.Join(ps, " ")
	vm.First, vm.Last = formTime(cmp.Or(f.Start, first)), formTime(cmp.Or(f.End, last))
	vm.Title = strings.TrimPrefix(flowsText(f), "flow records of ")
	return vm
}

// portColumns are the result columns whose values are the port a row is about.
var portColumns = []string{"dstport", "port"}

// rowForm is the finding form of row n (from 1) of a stored run: the
// addresses of its address columns, its port (else the run's port
// parameter), its first and last seen, and the row as the evidence.
func rowForm(w widget, r *queries.Result, title string, n int) *FindingFormVM {
	row := r.Rows[n-1]
	vm := &FindingFormVM{widget: w, Severity: string(store.SeverityMedium),
		Evidence:     [][2]string{{"ev", "run"}, {"ev_run", r.RunID}, {"ev_rows", strconv.Itoa(n)}},
		EvidenceText: "row " + strconv.Itoa(n) + " of run " + r.RunID + " (" + r.Analysis + " v" + strconv.Itoa(r.Version) + ")"}
	var addrs, ports []string
	var first, last *time.Time
	for i, c := range r.Columns {
		switch v := row[i].(type) {
		case string:
			if a, err := netip.ParseAddr(v); err == nil && addressColumns[c.Name] && !slices.Contains(addrs, a.Unmap().String()) {
				addrs = append(addrs, a.Unmap().String())
			}
		case int64:
			if slices.Contains(portColumns, c.Name) {
				ports = append(ports, strconv.FormatInt(v, 10))
			}
		case time.Time:
			switch c.Name {
			case "first_seen", "first_start":
				first = &v
			case "last_seen", "last_end":
				last = &v
			}
		}
	}
	if len(ports) == 0 {
		if p, ok := r.Params["port"]; ok && p != nil {
			ports = append(ports, format.Cell("port", p))
		}
	}
	vm.Addresses, vm.Ports, vm.First, vm.Last = strings.Join(addrs, " "), strings.Join(ports, " "), formTime(first), formTime(last)
	vm.Title = title
	if len(addrs) > 0 {
		vm.Title += ": " + addrs[0]
	}
	return vm
}

// createFinding makes a finding from the form: 303 to it on the findings
// page, or (htmx) the form's widget saying what it made.
func (s *server) createFinding(c echo.Context) error {
	w, err := s.readWidgetRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	vm := FindingFormVM{widget: w.widget()}
	f, note, err := s.findingFromForm(w.form)
	if err == nil {
		err = s.write(ctx, w.path, func(cs *store.Case) error {
			vm.MadeID, err = cs.AddFinding(ctx, s.o.Analyst, f, note)
			return err
		})
	}
	if err == nil {
		vm.MadeHref = findingHref(w.caseName, vm.MadeID)
		if !isHTMX(c) {
			w.next = vm.MadeHref
		}
		vm.Title = f.Title
	}
	return s.respond(w, vm.slot("finding"), err, findingFormWidget(vm))
}

// findingFromForm reads a finding form: title, severity, addresses and
// ports (by spaces or commas), first and last seen (UTC), MITRE ATT&CK ids,
// a first note, and the evidence (ev: run, with ev_run and ev_rows; or
// flows, with the filter's ev_ fields).
func (s *server) findingFromForm(v url.Values) (store.Finding, string, error) {
	list := func(k string) []string {
		return strings.FieldsFunc(v.Get(k), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	}
	f := store.Finding{Title: v.Get("title"), Severity: store.Severity(v.Get("severity")), MITRE: list("mitre"), Subjects: store.Subjects{Addresses: list("addresses")}}
	for _, p := range list("ports") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return f, "", &store.RecordError{Field: "port", Value: p, Reason: "is not a port number (0–65535)"}
		}
		f.Subjects.Ports = append(f.Subjects.Ports, n)
	}
	for _, b := range []struct {
		name, label string
		dest        **time.Time
	}{{"first_seen", "first seen", &f.FirstSeen}, {"last_seen", "last seen", &f.LastSeen}} {
		if t := strings.TrimSpace(v.Get(b.name)); t != "" {
			at, err := when.Parse(t, s.o.Now())
			if err != nil {
				return f, "", &store.RecordError{Field: b.label, Value: t, Reason: "is not a time (UTC, like 2026-11-20 03:00:00)"}
			}
			*b.dest = &at
		}
	}
	switch v.Get("ev") {
	case "run":
		var rows []int
		for _, r := range strings.Split(v.Get("ev_rows"), ",") {
			if r = strings.TrimSpace(r); r == "" {
				continue
			}
			n, err := strconv.Atoi(r)
			if err != nil {
				return f, "", &store.RecordError{Field: "row", Value: r, Reason: "is not a row number"}
			}
			rows = append(rows, n)
		}
		f.Evidence = []store.Evidence{{RunID: strings.TrimSpace(v.Get("ev_run")), Rows: rows}}
	case "flows":
		ff, err := parseFlowsFields("ev_", v)
		if err != nil {
			return f, "", err
		}
		f.Evidence = []store.Evidence{{Filter: &ff}}
	}
	return f, strings.TrimSpace(v.Get("note")), nil
}

func findingsHref(caseName string) string { return caseHref(caseName) + "/findings" }

func findingHref(caseName, id string) string { return findingsHref(caseName) + "#finding-" + id }

// FindingsVM is the findings page: the filter and the findings it chooses.
type FindingsVM struct {
	Case, Href            string
	Status, Severity, Tag string // the filter as given
	FilterError           string
	Tags                  []string // the tags findings have, for the filter
	Findings              []FindingVM
	Total                 int // findings in the case
}

// FindingVM is one finding on the findings page.
type FindingVM struct {
	ID, Title, Severity, Status, Reason string
	Source                              string // "analyst", or the detection that made it
	Case, Href, StatusHref              string
	MITRE                               []string
	Addresses                           []AddrLinkVM
	Ports, Interfaces, Instances        []string
	Window                              string
	Evidence                            []EvidenceVM
	Tags                                TagsVM
	Notes                               NotesVM
	Created, Updated                    string
	Next                                string
}

// AddrLinkVM is an address with its pivot page.
type AddrLinkVM struct{ Addr, Href string }

// EvidenceVM is one piece of a finding's evidence and where to see it.
type EvidenceVM struct {
	Text, Href, SHA256, Added string
}

// findingVM shows a finding.
func (s *server) findingVM(caseName, next string, f store.Finding) FindingVM {
	vm := FindingVM{ID: f.ID, Title: f.Title, Severity: string(f.Severity), Status: string(f.Status), Reason: f.Reason, Source: f.Source,
		Case: caseName, Href: findingsHref(caseName) + "/" + url.PathEscape(f.ID), MITRE: f.MITRE, Interfaces: f.Subjects.Interfaces,
		Instances: f.Subjects.Instances, Next: next,
		Created: format.Time(f.CreatedAt) + " UTC by " + f.CreatedBy, Updated: format.Time(f.UpdatedAt) + " UTC by " + f.UpdatedBy}
	vm.StatusHref = vm.Href + "/status"
	if f.Source == store.FromDetection {
		vm.Source = f.Detection + " v" + strconv.Itoa(f.DetectionVersion)
	}
	for _, a := range f.Subjects.Addresses {
		vm.Addresses = append(vm.Addresses, AddrLinkVM{Addr: a, Href: addrHref(caseName, a)})
	}
	for _, p := range f.Subjects.Ports {
		vm.Ports = append(vm.Ports, strconv.Itoa(p))
	}
	if f.FirstSeen != nil || f.LastSeen != nil {
		vm.Window = format.Stamp(f.FirstSeen) + " – " + format.Stamp(f.LastSeen) + " UTC"
	}
	for _, e := range f.Evidence {
		ev := EvidenceVM{SHA256: e.SHA256, Added: format.Time(e.AddedAt) + " UTC by " + e.AddedBy}
		switch {
		case e.Filter != nil:
			ev.Text, ev.Href = flowsText(*e.Filter), flowsHref(caseName, *e.Filter)
		case e.RunID != "":
			ev.Text = e.Analysis + " v" + strconv.Itoa(e.Version) + ", run " + e.RunID
			q := ""
			if len(e.Rows) > 0 {
				var rs []string
				for _, r := range e.Rows {
					rs = append(rs, strconv.Itoa(r))
				}
				ev.Text += ", " + format.Plural(int64(len(e.Rows)), "row") + " " + strings.Join(rs, ", ")
				q = "?rows=" + strings.Join(rs, ",") + "#row-" + rs[0]
			} else {
				ev.Text += ", the whole result"
			}
			ev.Href = runHref(caseName, e.RunID) + q
		}
		vm.Evidence = append(vm.Evidence, ev)
	}
	w := newWidget(caseName, findingRef(f.ID), "", next)
	vm.Tags = TagsVM{widget: w, Tags: f.Tags}
	vm.Notes = NotesVM{widget: w, Notes: noteVMs(f.Notes), Analyst: s.o.Analyst}
	return vm
}

// findingsPage lists the case's findings the filter (status, severity,
// tag: a GET form) chooses.
func (s *server) findingsPage(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	vm := FindingsVM{Case: name, Href: findingsHref(name), Status: strings.TrimSpace(q.Get("status")), Severity: strings.TrimSpace(q.Get("severity")),
		Tag: strings.TrimSpace(q.Get("tag"))}
	var filter store.FindingFilter
	var ferr error
	if vm.Status != "" {
		filter.Status, ferr = store.ParseStatus(vm.Status)
	}
	if vm.Severity != "" && ferr == nil {
		filter.Severity, ferr = store.ParseSeverity(vm.Severity)
	}
	filter.Tag = vm.Tag
	status := http.StatusOK
	if ferr != nil {
		status, vm.FilterError = s.userError(c, ferr)
	}
	type page struct {
		all, chosen []store.Finding
		tags        []string
	}
	v, err := s.cache.get(p, "findings "+q.Encode(), func() (any, error) {
		cs, err := s.openRead(ctx, name)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		var pg page
		if pg.all, err = cs.Findings(ctx, store.FindingFilter{}); err != nil {
			return nil, err
		}
		if ferr == nil {
			if pg.chosen, err = cs.Findings(ctx, filter); err != nil {
				return nil, err
			}
		}
		tags, err := cs.Tags(ctx, store.OnFinding)
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			if !slices.Contains(pg.tags, t.Tag) {
				pg.tags = append(pg.tags, t.Tag)
			}
		}
		slices.Sort(pg.tags)
		return pg, nil
	})
	if err != nil {
		return err
	}
	pg := v.(page)
	vm.Total, vm.Tags = len(pg.all), pg.tags
	next := c.Request().URL.RequestURI()
	for _, f := range pg.chosen {
		vm.Findings = append(vm.Findings, s.findingVM(name, next, f))
	}
	return render(c, status, findingsPage(vm), nil)
}

// editFinding changes a finding's title and severity.
func (s *server) editFinding(c echo.Context) error {
	return s.changeFinding(c, "edit", func(v url.Values) store.FindingChange {
		title, sev := v.Get("title"), store.Severity(v.Get("severity"))
		return store.FindingChange{Title: &title, Severity: &sev}
	})
}

// setFindingStatus confirms, dismisses (with a reason) or reopens a finding.
func (s *server) setFindingStatus(c echo.Context) error {
	return s.changeFinding(c, "status", func(v url.Values) store.FindingChange {
		st := store.Status(v.Get("status"))
		ch := store.FindingChange{Status: &st}
		if v.Has("reason") {
			r := v.Get("reason")
			ch.Reason = &r
		}
		return ch
	})
}

// changeFinding makes a change to the finding of the URL and answers its
// card (htmx), or goes back to the findings page.
func (s *server) changeFinding(c echo.Context, part string, change func(url.Values) store.FindingChange) error {
	ctx := c.Request().Context()
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
	}
	id, err := store.ParseFindingID(c.Param("id"))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such finding.")
	}
	next := form.Get("next")
	if !strings.HasPrefix(next, findingsHref(name)) {
		next = findingsHref(name)
	}
	w := &widgetRequest{c: c, caseName: name, path: p, form: form, next: next}
	var f store.Finding
	err = s.write(ctx, p, func(cs *store.Case) error {
		if err := cs.SetFinding(ctx, s.o.Analyst, id, change(form)); err != nil {
			return err
		}
		f, err = cs.Finding(ctx, id)
		return err
	})
	if err == nil && !isHTMX(c) {
		w.next = next + "#finding-" + id
	}
	return s.respond(w, "finding-"+id+"-"+part+"-error", err, findingCard(s.findingVM(name, next, f)))
}

// FindingRowVM is a finding on the overview's panel.
type FindingRowVM struct {
	ID, Title, Severity, Status, Href string
}

// findingRows lists the open and confirmed findings, most severe first,
// then in the order they were made.
func findingRows(ctx context.Context, cs *store.Case, caseName string) ([]FindingRowVM, int, error) {
	all, err := cs.Findings(ctx, store.FindingFilter{})
	if err != nil {
		return nil, 0, err
	}
	var rows []store.Finding
	for _, f := range all {
		if f.Status != store.StatusDismissed {
			rows = append(rows, f)
		}
	}
	slices.SortStableFunc(rows, func(a, b store.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })
	out := make([]FindingRowVM, 0, len(rows))
	for _, f := range rows {
		out = append(out, FindingRowVM{ID: f.ID, Title: f.Title, Severity: string(f.Severity), Status: string(f.Status), Href: findingHref(caseName, f.ID)})
	}
	return out, len(all), nil
}

// shortHash is the start of a hash, enough to tell SQL bodies apart.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
