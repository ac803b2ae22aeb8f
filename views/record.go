package views

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

// The investigation record on the pages: stars, tags and notes on
// addresses, result rows, flows filters and findings. Each widget posts to
// the workbench, which takes the case's write handle for the moment of the
// change, reads the widget's new state on the same handle, and answers the
// widget (htmx) or sends the browser back to the page (no script). A change
// the case refuses (a bad tag, an empty note, a case another program holds)
// is said in the widget's error slot, next to its form, leaving what was
// typed where it was.

// targetRef names what a widget is about, as its forms post it.
type targetRef struct {
	Kind    store.TargetKind
	Addr    string            // OnAddress: canonical
	Run     string            // OnRow: the stored run
	Row     int               // OnRow: from 1
	Finding string            // OnFinding: F-3
	Flows   store.FlowsFilter // OnFlows
}

func addrRef(a string) targetRef         { return targetRef{Kind: store.OnAddress, Addr: a} }
func rowRef(run string, n int) targetRef { return targetRef{Kind: store.OnRow, Run: run, Row: n} }
func findingRef(id string) targetRef     { return targetRef{Kind: store.OnFinding, Finding: id} }
func flowsRef(f store.FlowsFilter) targetRef {
	return targetRef{Kind: store.OnFlows, Flows: f}
}

// target is the store's target of the reference.
func (r targetRef) target() (store.Target, error) {
	switch r.Kind {
	case store.OnAddress:
		return store.AddressTarget(r.Addr)
	case store.OnRow:
		return store.RowTarget(r.Run, r.Row), nil
	case store.OnFlows:
		return store.FlowsTarget(r.Flows)
	case store.OnFinding:
		id, err := store.ParseFindingID(r.Finding)
		return store.Target{Kind: store.OnFinding, ID: id}, err
	}
	return store.Target{}, &store.RecordError{Field: "target", Value: string(r.Kind), Reason: "is not an address, a result row, a flows filter or a finding"}
}

// key is the target's key in a recordState ("" when it is not one).
func (r targetRef) key() string {
	t, err := r.target()
	if err != nil {
		return ""
	}
	return t.String()
}

// label names the target in the widget's buttons, for people and for
// assistive technology.
func (r targetRef) label() string {
	switch r.Kind {
	case store.OnAddress:
		return r.Addr
	case store.OnRow:
		return "row " + strconv.Itoa(r.Row)
	case store.OnFinding:
		return r.Finding
	}
	return "this filter"
}

// fields are the hidden form fields that name the target.
func (r targetRef) fields() [][2]string {
	out := [][2]string{{"on", string(r.Kind)}}
	switch r.Kind {
	case store.OnAddress:
		out = append(out, [2]string{"addr", r.Addr})
	case store.OnRow:
		out = append(out, [2]string{"run", r.Run}, [2]string{"row", strconv.Itoa(r.Row)})
	case store.OnFinding:
		out = append(out, [2]string{"finding", r.Finding})
	case store.OnFlows:
		out = append(out, flowsFields("flows_", r.Flows)...)
	}
	return out
}

// domID is the stem of the ids of the target's widget elements: unique on
// a page that has one widget of each target (per scope).
func (r targetRef) domID() string {
	var id string
	switch r.Kind {
	case store.OnAddress:
		id = "addr-" + r.Addr
	case store.OnRow:
		id = "row-" + strconv.Itoa(r.Row)
	case store.OnFinding:
		id = r.Finding
	default:
		id = "flows"
	}
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '-'
	}, id)
}

// parseTargetRef reads the target a widget's form names.
func parseTargetRef(v url.Values) (targetRef, error) {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	switch kind := store.TargetKind(get("on")); kind {
	case store.OnAddress:
		t, err := store.AddressTarget(get("addr"))
		return addrRef(t.ID), err
	case store.OnRow:
		n, err := strconv.Atoi(get("row"))
		if err != nil || n < 1 || get("run") == "" {
			return targetRef{}, &store.RecordError{Field: "row", Value: get("run") + "#" + get("row"), Reason: "is not a result row"}
		}
		return rowRef(get("run"), n), nil
	case store.OnFinding:
		id, err := store.ParseFindingID(get("finding"))
		return findingRef(id), err
	case store.OnFlows:
		f, err := parseFlowsFields("flows_", v)
		return flowsRef(f), err
	default:
		return targetRef{}, &store.RecordError{Field: "target", Value: string(kind), Reason: "is not an address, a result row, a flows filter or a finding"}
	}
}

// flowsFields are a flows filter as form fields (times in RFC 3339, UTC).
func flowsFields(prefix string, f store.FlowsFilter) [][2]string {
	var out [][2]string
	if len(f.Addresses) > 0 {
		out = append(out, [2]string{prefix + "addr", f.Addresses[0]})
	}
	if len(f.Ports) > 0 {
		out = append(out, [2]string{prefix + "port", strconv.Itoa(f.Ports[0])})
	}
	if f.Protocol != nil {
		out = append(out, [2]string{prefix + "protocol", strconv.Itoa(*f.Protocol)})
	}
	if f.Action != "" {
		out = append(out, [2]string{prefix + "action", f.Action})
	}
	if f.Start != nil {
		out = append(out, [2]string{prefix + "start", f.Start.UTC().Format(time.RFC3339)})
	}
	if f.End != nil {
		out = append(out, [2]string{prefix + "end", f.End.UTC().Format(time.RFC3339)})
	}
	return out
}

// parseFlowsFields reads what flowsFields wrote.
func parseFlowsFields(prefix string, v url.Values) (store.FlowsFilter, error) {
	get := func(k string) string { return strings.TrimSpace(v.Get(prefix + k)) }
	var f store.FlowsFilter
	if a := get("addr"); a != "" {
		f.Addresses = []string{a}
	}
	if p := get("port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return f, &store.RecordError{Field: "port", Value: p, Reason: "is not a port number (0–65535)"}
		}
		f.Ports = []int{n}
	}
	if p := get("protocol"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return f, &store.RecordError{Field: "protocol", Value: p, Reason: "is not an IANA protocol number (0–255)"}
		}
		f.Protocol = &n
	}
	f.Action = strings.ToUpper(get("action"))
	for _, b := range []struct {
		name string
		dest **time.Time
	}{{"start", &f.Start}, {"end", &f.End}} {
		if s := get(b.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return f, &store.RecordError{Field: b.name, Value: s, Reason: "is not a time like 2026-11-20T03:00:00Z"}
			}
			t = t.UTC()
			*b.dest = &t
		}
	}
	_, err := store.FlowsTarget(f) // checks it
	return f, err
}

// flowsHref is the flows page of a saved filter.
func flowsHref(caseName string, f store.FlowsFilter) string {
	q := url.Values{}
	for _, kv := range flowsFields("", f) {
		q.Set(kv[0], kv[1])
	}
	if len(q) == 0 {
		return caseHref(caseName) + "/flows"
	}
	return caseHref(caseName) + "/flows?" + q.Encode()
}

// flowsText says what a saved filter chooses.
func flowsText(f store.FlowsFilter) string {
	var parts []string
	if len(f.Addresses) > 0 {
		parts = append(parts, strings.Join(f.Addresses, ", "))
	}
	if len(f.Ports) > 0 {
		var ps []string
		for _, p := range f.Ports {
			ps = append(ps, strconv.Itoa(p))
		}
		parts = append(parts, "port "+strings.Join(ps, ", "))
	}
	if f.Protocol != nil {
		parts = append(parts, "protocol "+strconv.Itoa(*f.Protocol))
	}
	if f.Action != "" {
		parts = append(parts, f.Action)
	}
	if f.Start != nil || f.End != nil {
		parts = append(parts, format.Stamp(f.Start)+" – "+format.Stamp(f.End)+" UTC")
	}
	if len(parts) == 0 {
		return "every flow record"
	}
	return "flow records of " + strings.Join(parts, " · ")
}

// recordState is what the case's record says about the targets a page
// shows: stars, tags and notes by target (store.Target.String()). It is
// kept by the page cache while the case is unchanged: never modified.
type recordState struct {
	stars map[string]bool
	tags  map[string][]string
	notes map[string][]store.Note
}

func readRecordState(ctx context.Context, cs *store.Case) (*recordState, error) {
	st := &recordState{stars: map[string]bool{}, tags: map[string][]string{}, notes: map[string][]store.Note{}}
	stars, err := cs.Starred(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, s := range stars {
		st.stars[s.Target.String()] = true
	}
	tags, err := cs.Tags(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		k := t.Target.String()
		st.tags[k] = append(st.tags[k], t.Tag)
	}
	notes, err := cs.Notes(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		k := n.Target.String()
		st.notes[k] = append(st.notes[k], n)
	}
	return st, nil
}

// recordState is the case's record for the request: what a write of this
// request read on its handle, else through the request's read-only handle
// (or the page cache).
func (s *server) recordState(ctx context.Context, acc *caseAccess) (*recordState, error) {
	if acc.record != nil {
		return acc.record, nil
	}
	v, err := s.cache.get(acc.path, "record", func() (any, error) {
		cs, err := acc.read(ctx)
		if err != nil {
			return nil, err
		}
		return readRecordState(ctx, cs)
	})
	if err != nil {
		return nil, err
	}
	return v.(*recordState), nil
}

// widget is what every record widget carries: the target it posts about,
// the ids of its elements, and the page to go back to without htmx.
type widget struct {
	Case   string
	Label  string
	Fields [][2]string // hidden fields naming the target
	Scope  string      // prefix of its ids, where a page shows the target more than once
	ID     string      // stem of its elements' ids, scope included
	Next   string      // the page the widget is on
}

func newWidget(caseName string, ref targetRef, scope, next string) widget {
	return widget{Case: caseName, Label: ref.label(), Fields: ref.fields(), Scope: scope, ID: scope + ref.domID(), Next: next}
}

// hidden are the fields every form of the widget posts: the target, the
// scope of its ids and the page.
func (w widget) hidden() [][2]string {
	out := append([][2]string{}, w.Fields...)
	return append(out, [2]string{"scope", w.Scope}, [2]string{"next", w.Next})
}

// slot is the id of a widget part's error slot.
func (w widget) slot(part string) string { return w.ID + "-" + part + "-error" }

// href is where a widget part posts.
func (w widget) href(part string) string { return caseHref(w.Case) + "/record/" + part }

// StarVM is a star toggle.
type StarVM struct {
	widget
	Starred bool
	Compact bool // in a table: the star alone
}

// TagsVM is the tags of an address or a finding, with the form that adds
// one.
type TagsVM struct {
	widget
	Tags  []string
	Value string // what the tag field holds
	Of    bool   // the label names the target (the tags are not the bar's own)
}

// NotesVM is the notes on a target, with the form that adds one.
type NotesVM struct {
	widget
	Notes   []NoteVM
	Text    string // what the note field holds
	Analyst string
}

// NoteVM is one note, its text as blocks to show.
type NoteVM struct {
	ID, By, At string
	Edited     bool
	Blocks     []noteBlock
}

func noteVMs(notes []store.Note) []NoteVM {
	out := make([]NoteVM, 0, len(notes))
	for _, n := range notes {
		out = append(out, NoteVM{ID: n.ID, By: n.CreatedBy, At: format.Time(n.CreatedAt), Edited: !n.UpdatedAt.Equal(n.CreatedAt), Blocks: noteBlocks(n.Text)})
	}
	return out
}

// RecordVM is the record bar of a target: its star, tags (addresses and
// findings only), notes, and the form that makes a finding of it.
type RecordVM struct {
	Star    *StarVM
	Tags    *TagsVM
	Notes   *NotesVM
	Finding *FindingFormVM
}

// recordVM is the record bar of ref from the case's record.
func (s *server) recordVM(caseName string, ref targetRef, scope, next string, st *recordState, form *FindingFormVM) RecordVM {
	w := newWidget(caseName, ref, scope, next)
	k := ref.key()
	vm := RecordVM{Finding: form}
	if ref.Kind != store.OnFinding {
		vm.Star = &StarVM{widget: w, Starred: st.stars[k]}
	}
	if ref.Kind == store.OnAddress || ref.Kind == store.OnFinding {
		vm.Tags = &TagsVM{widget: w, Tags: st.tags[k]}
	}
	vm.Notes = &NotesVM{widget: w, Notes: noteVMs(st.notes[k]), Analyst: s.o.Analyst}
	return vm
}

// widgetRequest is a POST of a record widget: the case, the target, where
// the page was, and the id scope of the widget.
type widgetRequest struct {
	c        echo.Context
	caseName string
	path     string
	ref      targetRef
	scope    string
	next     string
	form     url.Values
	refErr   error // the target could not be read: said in the widget
}

func (s *server) readWidgetRequest(c echo.Context) (*widgetRequest, error) {
	name := c.Param("case")
	p, err := s.casePath(name)
	if err != nil {
		return nil, err
	}
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
	}
	w := &widgetRequest{c: c, caseName: name, path: p, form: form, scope: safeScope(form.Get("scope")), next: safeNext(name, form.Get("next"))}
	w.ref, w.refErr = parseTargetRef(form)
	return w, nil
}

// safeScope keeps an id scope to the characters ids are made of.
func safeScope(s string) string {
	if len(s) > 40 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return s
}

// safeNext is next when it is a page of the case, else the case's overview.
func safeNext(caseName, next string) string {
	base := caseHref(caseName)
	if next == base || strings.HasPrefix(next, base+"/") || strings.HasPrefix(next, base+"?") || strings.HasPrefix(next, base+"#") {
		return next
	}
	return base
}

// widget is the widget of the request's target.
func (w *widgetRequest) widget() widget {
	return newWidget(w.caseName, w.ref, w.scope, w.next)
}

// respond answers a widget's POST: on success the widget's new state (htmx)
// or back to the page; on an error its text in the widget's error slot
// (htmx: the rest of the widget stays as it is, with what was typed), or an
// error page.
func (s *server) respond(w *widgetRequest, slot string, err error, ok templ.Component) error {
	c := w.c
	if err != nil {
		status, msg := s.userError(c, err)
		if !isHTMX(c) {
			return echo.NewHTTPError(status, msg)
		}
		c.Response().Header().Set("HX-Retarget", "#"+slot)
		c.Response().Header().Set("HX-Reswap", "innerHTML")
		return render(c, status, errorText(msg), nil)
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, w.next)
	}
	return render(c, http.StatusOK, ok, nil)
}

// userError is the status and the text for people of an error a change of
// the record met.
func (s *server) userError(c echo.Context, err error) (int, string) {
	var he *echo.HTTPError
	var re *store.RecordError
	var nf *store.NotFoundError
	switch {
	case errors.As(err, &he):
		return he.Code, fmt.Sprint(he.Message)
	case errors.As(err, &re):
		return http.StatusBadRequest, re.UserMessage()
	case errors.As(err, &nf):
		return http.StatusNotFound, nf.UserMessage()
	case errors.Is(err, store.ErrLocked):
		return http.StatusServiceUnavailable, "The case is in use by another program, so nothing was saved; try again when it has finished."
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "No such case."
	}
	s.log.Error("record", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	var m usererr.Messager
	if errors.As(err, &m) {
		return http.StatusInternalServerError, m.UserMessage()
	}
	return http.StatusInternalServerError, "Something went wrong, and nothing was saved; the server log has the details."
}

// write opens the case for writing for the moment of fn.
func (s *server) write(ctx context.Context, path string, fn func(cs *store.Case) error) error {
	cs, err := store.Open(ctx, path, store.Options{Wait: s.o.Wait})
	if err != nil {
		return err
	}
	defer func() {
		if err := cs.Close(); err != nil {
			s.log.Warn("close case", "path", path, "err", err)
		}
	}()
	return fn(cs)
}

// postStar stars or unstars the target (form field star: on or off).
func (s *server) postStar(c echo.Context) error {
	w, err := s.readWidgetRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	on := w.form.Get("star") == "on"
	vm := StarVM{widget: w.widget(), Starred: !on, Compact: w.form.Get("compact") == "1"}
	err = w.refErr
	if err == nil {
		err = s.write(ctx, w.path, func(cs *store.Case) error {
			t, err := w.ref.target()
			if err != nil {
				return err
			}
			if on {
				_, err = cs.Star(ctx, s.o.Analyst, t)
			} else {
				_, err = cs.Unstar(ctx, s.o.Analyst, t)
			}
			if err != nil {
				return err
			}
			vm.Starred, err = isStarred(ctx, cs, t)
			return err
		})
	}
	return s.respond(w, vm.slot("star"), err, starWidget(vm))
}

func isStarred(ctx context.Context, cs *store.Case, t store.Target) (bool, error) {
	stars, err := cs.Starred(ctx, t.Kind)
	if err != nil {
		return false, err
	}
	for _, s := range stars {
		if s.Target == t {
			return true, nil
		}
	}
	return false, nil
}

// postTags adds tags to the target (op add, field tag: one or more, by
// spaces or commas) or takes one off (op remove).
func (s *server) postTags(c echo.Context) error {
	w, err := s.readWidgetRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	vm := TagsVM{widget: w.widget(), Of: w.form.Get("of") == "1"}
	tags := strings.FieldsFunc(w.form.Get("tag"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	err = w.refErr
	if err == nil {
		err = s.write(ctx, w.path, func(cs *store.Case) error {
			t, err := w.ref.target()
			if err != nil {
				return err
			}
			if w.form.Get("op") == "remove" {
				_, err = cs.Untag(ctx, s.o.Analyst, t, tags...)
			} else {
				_, err = cs.Tag(ctx, s.o.Analyst, t, tags...)
			}
			if err != nil {
				return err
			}
			vm.Tags, err = cs.TagsOf(ctx, t)
			return err
		})
	}
	return s.respond(w, vm.slot("tags"), err, tagsWidget(vm))
}

// postNote adds a note (field text) on the target.
func (s *server) postNote(c echo.Context) error {
	w, err := s.readWidgetRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	vm := NotesVM{widget: w.widget(), Analyst: s.o.Analyst}
	err = w.refErr
	if err == nil {
		err = s.write(ctx, w.path, func(cs *store.Case) error {
			t, err := w.ref.target()
			if err != nil {
				return err
			}
			if _, err := cs.AddNote(ctx, s.o.Analyst, t, w.form.Get("text")); err != nil {
				return err
			}
			notes, err := cs.Notes(ctx, &t)
			vm.Notes = noteVMs(notes)
			return err
		})
	}
	return s.respond(w, vm.slot("notes"), err, notesWidget(vm))
}

// AddrMark is what the record says about an address a table shows.
type AddrMark struct {
	Starred bool
	Tags    []string
	Notes   int
}

// marks are the record's marks of the addresses in the table's link cells.
func marks(t *TableVM, st *recordState) {
	for ri := range t.Rows {
		for ci, href := range t.Links[ri] {
			if href == "" {
				continue
			}
			a, err := netip.ParseAddr(t.Rows[ri][ci])
			if err != nil {
				continue
			}
			k := store.Target{Kind: store.OnAddress, ID: a.Unmap().String()}.String()
			m := AddrMark{Starred: st.stars[k], Tags: st.tags[k], Notes: len(st.notes[k])}
			if !m.Starred && len(m.Tags) == 0 && m.Notes == 0 {
				continue
			}
			if t.Marks == nil {
				t.Marks = map[string]AddrMark{}
			}
			t.Marks[t.Rows[ri][ci]] = m
		}
	}
}

// RowRecordVM is the record controls of one row of a stored run in a
// table: its star, and the button that opens its record panel.
type RowRecordVM struct {
	N         int
	Star      StarVM
	PanelHref string
	PanelID   string
	Notes     int
	Evidence  bool // the row is evidence the page was asked to show
}

// rowRecords gives each row of a stored run's table its record controls.
func rowRecords(t *TableVM, caseName, runID, next string, st *recordState, evidence map[int]bool) {
	t.Record = make([]RowRecordVM, len(t.RowNums))
	for i, n := range t.RowNums {
		ref := rowRef(runID, n)
		k := ref.key()
		w := newWidget(caseName, ref, "", next)
		t.Record[i] = RowRecordVM{N: n, Star: StarVM{widget: w, Starred: st.stars[k], Compact: true}, PanelHref: rowHref(caseName, runID, n),
			PanelID: "panel-" + strconv.Itoa(n), Notes: len(st.notes[k]), Evidence: evidence[n]}
	}
}

func runHref(caseName, runID string) string {
	return caseHref(caseName) + "/runs/" + url.PathEscape(runID)
}

func rowHref(caseName, runID string, n int) string {
	return runHref(caseName, runID) + "/rows/" + strconv.Itoa(n)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func starTitle(vm StarVM) string {
	if vm.Starred {
		return "Starred: press to take the star off " + vm.Label
	}
	return "Star " + vm.Label
}
