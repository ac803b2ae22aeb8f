// Package demo generates a deterministic, realistic set of AWS VPC Flow Logs
// for a small VPC, with planted incidents, as an S3 delivery tree.
//
// The environment is one account (123456789012, us-east-1) and one VPC with a
// public and two private subnets: the focus web server (two interfaces, a
// public and an IPv6 address), an app server, a PostgreSQL database, a
// bastion, a worker, a NAT gateway and a batch instance that runs for one
// hour. Four flow logs cover them in different shapes: the v2 default format,
// a v5 custom format (web server and NAT gateway), a v3 custom format with
// bytes before packets (bastion) and a Parquet flow log (batch instance).
//
// Background traffic (web visitors with a realistic skew, health checks,
// app↔database, DNS, NTP, package mirrors, S3 and other AWS endpoints, GCP,
// Cloudflare, ICMP, IPv6, admin SSH, monitoring, internet scanning noise,
// NODATA and SKIPDATA windows) and services on timers (NTP polls, a nightly
// database backup to S3, a metrics agent posting to CloudWatch every minute,
// a load balancer's health checks every 30 s) surround the planted incidents
// listed in Case.Incidents: a port scan, SSH brute force of which one source
// gets in, an intruder's session, lateral SSH to the app server and the
// database, a host sweep from the app server, a multi-gigabyte exfiltration
// over HTTPS, a command-and-control beacon and a reverse shell held open for
// hours, RDP and database-port probes, and requests from an address on the
// demo's threat-intel list (WriteIntel).
//
// The same Options always produce byte-identical files.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Options controls the generated tree. Zero values select the defaults.
type Options struct {
	// Records is the total number of flow records to generate (default
	// 200,000). The tree holds exactly this many, unless it is smaller than
	// the planted incidents need, which are always complete.
	Records int
	// Seed selects the random choices (default 1). The same Seed and
	// Options produce byte-identical output.
	Seed int64
	// Start is the beginning of the traffic (default 2026-11-20T00:00:00Z);
	// it is truncated to the second and used in UTC.
	Start time.Time
	// Days is the length of the traffic in days (default 3).
	Days int
}

// Case describes the demo environment so the caller can record the case's
// focus.
type Case struct {
	AccountID   string
	Region      string
	VPCID       string
	VPCCIDRs    []netip.Prefix // the VPC's IPv4 and IPv6 CIDR blocks
	InstanceID  string         // the focus instance: the web server that gets attacked
	InstanceIPs []netip.Addr   // every private, public and IPv6 address of its interfaces
	Interfaces  []string       // ENI ids of the focus instance
	Incidents   []Incident     // what was planted, ordered by start
}

// Incident is one planted incident: what happened, the peer involved (a
// public attacker address, the internal host reached in lateral movement,
// or the internal host a sweep came from) and the span of its flow records.
type Incident struct {
	// port-scan, ssh-brute-force, ssh-session, lateral-ssh, host-sweep,
	// exfiltration, beacon, long-connection, rdp-probe, database-probe,
	// intel-listed
	Name        string
	Description string
	Peer        string
	Start, End  time.Time
}

// Summary is what WriteTree (or Write) wrote.
type Summary struct {
	Case    Case
	Files   []string // relative, slash-separated paths of the flow-log objects written, sorted
	Records int      // exact number of flow records written, NODATA and SKIPDATA included
	// Set by Write only: the paths (under its folder) of the provider range
	// files and of the threat-intel list.
	Ranges []string
	Intel  string
}

const defaultRecords = 200_000

func (o Options) withDefaults() Options {
	if o.Records <= 0 {
		o.Records = defaultRecords
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.UTC().Truncate(time.Second)
	if o.Days <= 0 {
		o.Days = 3
	}
	return o
}

// Environment returns the Case without writing anything. Options are
// defaulted as in WriteTree.
func Environment(opts Options) Case {
	opts = opts.withDefaults()
	env := newEnvironment()
	incidents, _, _ := plant(env, opts)
	return newCase(env, incidents)
}

func newCase(env *environment, incidents []Incident) Case {
	return Case{
		AccountID:   env.account,
		Region:      env.region,
		VPCID:       env.vpcID,
		VPCCIDRs:    slices.Clone(env.vpcCIDRs),
		InstanceID:  env.enis[eniWeb].instance,
		InstanceIPs: env.focusIPs(),
		Interfaces:  []string{env.enis[eniWeb].id, env.enis[eniWebMgmt].id},
		Incidents:   incidents,
	}
}

// WriteTree writes the flow logs as an S3-style tree under dir and returns
// what it wrote. The tree is AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/
// with one object per flow log and hour: gzip text (a header line of field
// names, then one record per line, sorted by start) and one Parquet object.
// Existing files with the same names are overwritten; others are left alone.
func WriteTree(ctx context.Context, dir string, opts Options) (Summary, error) {
	if opts.Records < 0 || opts.Days < 0 {
		return Summary{}, fmt.Errorf("demo: records (%d) and days (%d) must not be negative", opts.Records, opts.Days)
	}
	opts = opts.withDefaults()
	env := newEnvironment()
	incidents, fixed, exclude := plant(env, opts)
	sp := newScheduledPeers(opts.Seed)
	fixed = append(fixed, scheduled(env, opts, sp, min(opts.Records*scheduledShare/100, opts.Records-len(fixed)))...)
	exclude = append(exclude, sp.monitoring)
	w := &treeWriter{
		env:   env,
		peers: newPeers(opts.Seed, opts.Records, exclude),
		dir:   dir,
		seed:  opts.Seed,
	}
	plans := planHours(opts, fixed)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	results := make([]hourResult, len(plans))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(plans)) {
		wg.Go(func() {
			for h := range jobs {
				res, err := w.writeHour(ctx, plans[h])
				if err != nil {
					cancel(err)
					return
				}
				results[h] = res
			}
		})
	}
feed:
	for h := range plans {
		select {
		case jobs <- h:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Summary{}, fmt.Errorf("demo: write tree: %w", err)
		}
		return Summary{}, err
	}

	sum := Summary{Case: newCase(env, incidents)}
	for _, r := range results {
		sum.Files = append(sum.Files, r.files...)
		sum.Records += r.records
	}
	slices.Sort(sum.Files)
	return sum, nil
}

// Write writes everything a demo case is built from under dir: the flow
// logs as an S3-style tree under dir/flowlogs (WriteTree; Summary.Files are
// relative to it), the cloud-provider range files of its peers under
// dir/ranges (WriteRanges) and a threat-intel list naming one of its peers
// under dir/intel (WriteIntel).
func Write(ctx context.Context, dir string, opts Options) (Summary, error) {
	sum, err := WriteTree(ctx, filepath.Join(dir, "flowlogs"), opts)
	if err != nil {
		return Summary{}, err
	}
	if sum.Ranges, err = WriteRanges(filepath.Join(dir, "ranges"), opts); err != nil {
		return Summary{}, err
	}
	if sum.Intel, err = WriteIntel(filepath.Join(dir, "intel"), opts); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// planHours splits the period into hours, assigns each its fixed records and
// shares the background budget by time of day.
func planHours(o Options, fixed []record) []hourPlan {
	start := o.Start.Unix()
	plans := make([]hourPlan, o.Days*24)
	var total int64
	for h := range plans {
		plans[h] = hourPlan{index: h, start: start + int64(h)*3600}
		total += diurnal(time.Unix(plans[h].start, 0).UTC().Hour())
	}
	for _, r := range fixed {
		// Incidents are planted well inside the period; the guard only
		// keeps a mistake there from indexing out of range.
		if h := floorDiv(r.start-start, 3600); h >= 0 && h < int64(len(plans)) {
			plans[h].fixed = append(plans[h].fixed, r)
		}
	}
	background := int64(max(o.Records-len(fixed), 0))
	var cum, given int64
	for h := range plans {
		cum += diurnal(time.Unix(plans[h].start, 0).UTC().Hour())
		share := background*cum/total - given
		plans[h].budget = int(share)
		given += share
	}
	plans[batchHour(o.Days)].batch = true
	return plans
}

// batchHour is the hour the batch instance runs: 01:00 on the last day.
func batchHour(days int) int { return (days-1)*24 + 1 }

type hourResult struct {
	files   []string
	records int
}

// treeWriter writes hours of the tree; it is shared read-only by the
// goroutines writing different hours.
type treeWriter struct {
	env   *environment
	peers *peers
	dir   string
	seed  int64
}

// writeHour generates one hour and writes one object per flow log.
func (w *treeWriter) writeHour(ctx context.Context, p hourPlan) (hourResult, error) {
	if err := ctx.Err(); err != nil {
		return hourResult{}, err
	}
	g := &gen{env: w.env, peers: w.peers, r: newRNG(w.seed, streamHour, uint64(p.index))}
	hourStart := time.Unix(p.start, 0).UTC()
	recs := g.hour(p, hourStart.Hour())

	// Per flow log, the records' positions in start order; records that
	// start together stay in generation order.
	order := make([][]sortKey, len(w.env.flowLogs))
	for i := range recs {
		fl := w.env.enis[recs[i].eni].flowLog
		order[fl] = append(order[fl], sortKey{start: recs[i].start, pos: int32(i)})
	}
	var res hourResult
	for i := range w.env.flowLogs {
		fl := &w.env.flowLogs[i]
		keys := order[i]
		if len(keys) == 0 && !(fl.parquet && p.batch) {
			continue // AWS writes no object for a flow log with nothing to deliver
		}
		if fl.parquet && !p.batch {
			return hourResult{}, fmt.Errorf("demo: hour %s: records for the Parquet flow log outside its hour", hourStart)
		}
		slices.SortFunc(keys, sortKey.compare)
		rel := w.objectPath(fl, hourStart)
		full := filepath.Join(w.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return hourResult{}, fmt.Errorf("demo: %w", err)
		}
		var err error
		if fl.parquet {
			err = writeParquet(ctx, full, newEncoder(w.env, fl), recs, keys)
		} else {
			err = writeText(full, newEncoder(w.env, fl), recs, keys)
		}
		if err != nil {
			return hourResult{}, err
		}
		res.files = append(res.files, rel)
		res.records += len(keys)
	}
	return res, nil
}

// sortKey orders records by start, then by position in generation order,
// which makes the order deterministic without a (slower) stable sort.
type sortKey struct {
	start int64
	pos   int32
}

func (a sortKey) compare(b sortKey) int {
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.pos, b.pos)
}

// objectPath returns the S3 key AWS would give the flow log's object for the
// hour: AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/
// <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
// (or .log.parquet).
func (w *treeWriter) objectPath(fl *flowLog, t time.Time) string {
	ext := ".log.gz"
	if fl.parquet {
		ext = ".log.parquet"
	}
	stamp := t.Format("20060102T1504Z")
	h := newRNG(w.seed, streamHour, uint64(t.Unix()), fnv64(fl.id)).next()
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s_%08x%s", w.env.account, w.env.region, fl.id, stamp, uint32(h), ext)
	return path.Join("AWSLogs", w.env.account, "vpcflowlogs", w.env.region, t.Format("2006/01/02"), name)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
