package views

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

// Overview charts: server-rendered inline SVG, laid out here so the templ
// components only place numbers.

const (
	timelineBuckets = 60 // about this many bars over the case's time range
	chartTop        = 10 // peers and ports shown

	// Timeline geometry (SVG user units).
	tlWidth, tlHeight      = 640.0, 200.0
	tlLeft, tlRight        = 48.0, 8.0
	tlTopPad, tlBottomAxis = 12.0, 34.0

	// Horizontal bar chart geometry.
	hbWidth, hbLabel, hbRow, hbValue = 480.0, 130.0, 20.0, 60.0
)

// ChartsVM are the charts of a case's overview.
type ChartsVM struct {
	Timeline TimelineVM
	Peers    BarsVM
	Ports    BarsVM
	// Stale: the derived tables (case_flows) need rebuilding, so there are
	// no peers and ports yet; PrepareHref rebuilds them, then shows Href.
	Stale             bool
	PrepareHref, Href string
}

// TimelineVM is flows over time by action, stacked.
type TimelineVM struct {
	ViewBox            string
	Bars               []TimeBar
	Max                string // the y axis's top, a count
	Bucket             string // the width of one bar, for the y axis's unit
	XLabels            []AxisLabel
	AxisX0, AxisX1     string // x axis line
	AxisY0, AxisY1     string // y axis line (top, bottom)
	MaxY, ZeroY        string // where the y labels sit
	LabelX, XLabelY    string
	AriaLabel, Summary string
	// Marks are events drawn over the bars (the timeline page's findings,
	// notes and coverage gaps); see mark.
	Marks []TimeMark

	first, last time.Time // the span the x axis covers
}

// TimeMark is an event over the bars: a band from X over W (a line when
// W is 0), of kind finding, gap or note, linking to Href.
type TimeMark struct {
	Kind, Title, Href string
	X, W, Y, H, Y2    string
}

// TimeBar is one bucket: accepted at the bottom, rejected stacked on top.
type TimeBar struct {
	X, W                       string
	AcceptY, AcceptH           string
	RejectY, RejectH           string
	HasAccept, HasReject       bool
	Title                      string
	Accepted, Rejected, Bucket int64
}

// AxisLabel is one tick label of an axis.
type AxisLabel struct {
	X, Text, Anchor string
}

// BarsVM is a horizontal bar chart of counts.
type BarsVM struct {
	ViewBox, AriaLabel string
	Bars               []HBar
	LabelX, BarX       string
}

// HBar is one row of a horizontal bar chart; Href links the label.
type HBar struct {
	Label, Href, Title, Value string
	Y, TextY, W, ValueX       string
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// charts computes the overview's charts on an open case: the timeline from
// the flows view, peers and ports from case_flows when it is current.
func charts(ctx context.Context, cs *store.Case, caseName string, sum store.Summary) (ChartsVM, error) {
	var vm ChartsVM
	tl, err := timeline(ctx, cs, sum.First, sum.Last, queries.TimelineFilter{})
	if err != nil {
		return vm, err
	}
	vm.Timeline = tl
	stale, err := queries.Stale(ctx, cs)
	if err != nil {
		return vm, err
	}
	if stale {
		vm.Stale, vm.PrepareHref, vm.Href = true, caseHref(caseName)+"/prepare", caseHref(caseName)
		return vm, nil
	}
	peers, err := queries.TopPeers(ctx, cs, chartTop)
	if err != nil {
		return vm, err
	}
	rows := make([]labelCount, len(peers))
	for i, p := range peers {
		rows[i] = labelCount{p.Addr.String(), p.Flows}
	}
	vm.Peers = barsVM("Top peers by flows", rows, func(label string) string { return addrHref(caseName, label) })
	ports, err := queries.TopPorts(ctx, cs, chartTop)
	if err != nil {
		return vm, err
	}
	rows = make([]labelCount, len(ports))
	for i, p := range ports {
		rows[i] = labelCount{strconv.Itoa(p.Port), p.Flows}
	}
	vm.Ports = barsVM("Top destination ports by flows", rows, func(string) string { return "" })
	return vm, nil
}

type labelCount struct {
	label string
	n     int64
}

func barsVM(title string, rows []labelCount, href func(string) string) BarsVM {
	h := float64(len(rows))*hbRow + 4
	vm := BarsVM{ViewBox: "0 0 " + num(hbWidth) + " " + num(h), LabelX: num(hbLabel - 6), BarX: num(hbLabel)}
	var peak int64
	for _, r := range rows {
		peak = max0(peak, r.n)
	}
	parts := make([]string, 0, len(rows))
	for i, r := range rows {
		w := 0.0
		if peak > 0 {
			w = math.Max(1, float64(r.n)/float64(peak)*(hbWidth-hbLabel-hbValue))
		}
		y := float64(i)*hbRow + 2
		vm.Bars = append(vm.Bars, HBar{
			Label: r.label, Href: href(r.label), Value: format.Count(r.n),
			Title: r.label + ": " + format.Count(r.n) + " flows",
			Y:     num(y), TextY: num(y + hbRow*0.7), W: num(w), ValueX: num(hbLabel + w + 4),
		})
		parts = append(parts, r.label+" "+format.Count(r.n))
	}
	vm.AriaLabel = title + ": " + strings.Join(parts, ", ")
	return vm
}

func max0(a, b int64) int64 {
	if b > a {
		return b
	}
	return a
}

// timeline counts by action, in about timelineBuckets buckets from first to
// last, the flows the filter keeps.
func timeline(ctx context.Context, cs *store.Case, firstAt, lastAt *time.Time, f queries.TimelineFilter) (TimelineVM, error) {
	vm := TimelineVM{ViewBox: "0 0 " + num(tlWidth) + " " + num(tlHeight)}
	if firstAt == nil || lastAt == nil {
		vm.AriaLabel = "Flows over time: no flows"
		return vm, nil
	}
	first, last := firstAt.UTC(), lastAt.UTC()
	vm.first, vm.last = first, last
	span := last.Sub(first)
	bucket := niceBucket(int64(math.Ceil(span.Seconds() / timelineBuckets)))
	n := int(int64(span.Seconds())/bucket) + 1
	buckets, err := queries.Timeline(ctx, cs, f, first, last, time.Duration(bucket)*time.Second)
	if err != nil {
		return vm, err
	}
	type counts struct{ acc, rej int64 }
	byIdx := map[int]*counts{}
	var peak int64
	for _, b := range buckets {
		i := int(int64(b.Start.Sub(first).Seconds()) / bucket)
		i = min(max(i, 0), n-1)
		c := byIdx[i]
		if c == nil {
			c = &counts{}
			byIdx[i] = c
		}
		c.acc += b.Accepted
		c.rej += b.Rejected
		peak = max0(peak, c.acc+c.rej)
	}

	plotW, plotH := tlWidth-tlLeft-tlRight, tlHeight-tlTopPad-tlBottomAxis
	bottom := tlTopPad + plotH
	slot := plotW / float64(n)
	bw := math.Max(slot*0.85, 0.5)
	scale := 0.0
	if peak > 0 {
		scale = plotH / float64(peak)
	}
	bucketDur := time.Duration(bucket) * time.Second
	for i := 0; i < n; i++ {
		c := byIdx[i]
		if c == nil || c.acc+c.rej == 0 {
			continue
		}
		from := first.Add(time.Duration(i) * bucketDur)
		ah, rh := float64(c.acc)*scale, float64(c.rej)*scale
		vm.Bars = append(vm.Bars, TimeBar{
			X: num(tlLeft + float64(i)*slot), W: num(bw),
			AcceptY: num(bottom - ah), AcceptH: num(ah), HasAccept: c.acc > 0,
			RejectY: num(bottom - ah - rh), RejectH: num(rh), HasReject: c.rej > 0,
			Title:    fmt.Sprintf("%s UTC (+%s): %s accepted, %s rejected", format.Time(from), duration(bucketDur), format.Count(c.acc), format.Count(c.rej)),
			Accepted: c.acc, Rejected: c.rej, Bucket: int64(i),
		})
	}
	vm.Max, vm.Bucket = format.Count(peak), duration(bucketDur)
	vm.AxisX0, vm.AxisX1 = num(tlLeft), num(tlWidth-tlRight)
	vm.AxisY0, vm.AxisY1 = num(tlTopPad), num(bottom)
	vm.MaxY, vm.ZeroY = num(tlTopPad+4), num(bottom)
	vm.LabelX, vm.XLabelY = num(tlLeft-4), num(bottom+16)
	layout := "2006-01-02"
	if span < 72*time.Hour {
		layout = "01-02 15:04"
	}
	if span < time.Hour {
		layout = "15:04:05"
	}
	const ticks = 4
	for k := 0; k < ticks; k++ {
		frac := float64(k) / (ticks - 1)
		t := first.Add(time.Duration(frac * float64(span)))
		anchor := "middle"
		switch k {
		case 0:
			anchor = "start"
		case ticks - 1:
			anchor = "end"
		}
		vm.XLabels = append(vm.XLabels, AxisLabel{X: num(tlLeft + frac*plotW), Text: t.Format(layout), Anchor: anchor})
	}
	vm.AriaLabel = fmt.Sprintf("Flows over time by action, %s buckets from %s to %s UTC; at most %s flows in a bucket",
		vm.Bucket, format.Time(first), format.Time(last), vm.Max)
	return vm, nil
}

// mark adds an event from t to end (nil: an instant) over the bars; an
// event outside the axis's span is left out, one that crosses its ends is
// cut to them.
func (vm *TimelineVM) mark(kind, title, href string, t time.Time, end *time.Time) {
	span := vm.last.Sub(vm.first)
	if span <= 0 || t.After(vm.last) || (end == nil && t.Before(vm.first)) || (end != nil && end.Before(vm.first)) {
		return
	}
	plotW, plotH := tlWidth-tlLeft-tlRight, tlHeight-tlTopPad-tlBottomAxis
	x := func(t time.Time) float64 {
		f := float64(t.Sub(vm.first)) / float64(span)
		return tlLeft + math.Min(math.Max(f, 0), 1)*plotW
	}
	x0, w := x(t), 0.0
	if end != nil {
		w = math.Max(x(*end)-x0, 1.5)
	}
	vm.Marks = append(vm.Marks, TimeMark{Kind: kind, Title: title, Href: href, X: num(x0), W: num(w), Y: num(tlTopPad), H: num(plotH), Y2: num(tlTopPad + plotH)})
}

// bucketSteps are the bucket widths a timeline uses, in seconds: ones a
// reader counts in (a minute, five, an hour), not 1m1s.
var bucketSteps = []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// niceBucket is the smallest bucket step of at least sec seconds (whole
// days beyond them).
func niceBucket(sec int64) int64 {
	for _, s := range bucketSteps {
		if s >= sec {
			return s
		}
	}
	const day = 86400
	return (sec + day - 1) / day * day
}

// duration writes a bucket width briefly: 3s, 5m, 1h30m.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// barLabelMax is the longest label a bar chart's label column holds.
const barLabelMax = 17

// barLabel fits a label to the label column: a long one (an IPv6 address)
// keeps its start and end around an ellipsis; the bar's title has it whole.
func barLabel(s string) string {
	r := []rune(s)
	if len(r) <= barLabelMax {
		return s
	}
	half := (barLabelMax - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-half:])
}
