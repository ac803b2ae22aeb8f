package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/cidrs/intel"
	"github.com/investigator/investigator/demo"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func (a *app) demoCommand() *cobra.Command {
	var opts demo.Options
	var out, name string
	var force bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate realistic flow logs with incidents in them, and a case to explore",
		Long: `Generate a few days of deterministic, realistic traffic for a small VPC (several
instances, a NAT gateway, IPv6, NODATA/SKIPDATA, four flow logs in different
formats) with incidents planted in it: an SSH brute force, a port scan, RDP and
database probes, a large outbound transfer, lateral SSH, a host sweep, a
command-and-control beacon, a reverse shell held open for hours, requests from an
address on a threat-intel list; and busy legitimate traffic around them (cloud
providers, health checks, NTP, a metrics agent, a nightly backup to S3).

With --out it writes the flow logs under OUT/flowlogs as an S3-style tree of .log.gz
objects (and one Parquet object), the cloud-provider range files its peers come
from under OUT/ranges and the threat-intel list under OUT/intel, and stops.
Without it, it writes them beside the case (CASES/NAME-flowlogs) and builds the
case through ingest, with the web server as its focus and the provider ranges
loaded.`,
		Example: `  investigator demo
  investigator demo --records 1000000 --seed 7 --case big-demo
  investigator demo --out ./demo-logs && investigator ingest mine ./demo-logs/flowlogs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out != "" {
				sum, err := demo.Write(ctx, out, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote %s in %s under %s, the provider ranges its peers come from under %s, and a threat-intel list in %s\n",
					format.Nouns(int64(sum.Records), "record"), format.Nouns(int64(len(sum.Files)), "file"), filepath.Join(out, "flowlogs"), filepath.Join(out, "ranges"), sum.Intel)
				fmt.Fprintf(a.stdout, "Try: investigator ingest mine %s && investigator cidrs import %s\n", filepath.Join(out, "flowlogs"), filepath.Join(out, "ranges"))
				return nil
			}
			return a.buildDemoCase(ctx, name, opts, force)
		},
	}
	cmd.Flags().IntVar(&opts.Records, "records", 200_000, "number of flow records")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed gives the same traffic")
	cmd.Flags().IntVar(&opts.Days, "days", 3, "days of traffic")
	cmd.Flags().StringVar(&out, "out", "", "only write the flow logs, as an S3-style tree under this folder")
	cmd.Flags().StringVar(&name, "case", "demo", "name of the case to build")
	cmd.Flags().BoolVar(&force, "force", false, "rebuild the case if it exists")
	return cmd
}

func (a *app) buildDemoCase(ctx context.Context, name string, opts demo.Options, force bool) error {
	path, err := store.Resolve(a.casesDir, name)
	if err != nil {
		return usageError{err}
	}
	tree := strings.TrimSuffix(path, store.Ext) + "-flowlogs"
	if _, err := os.Stat(path); err == nil {
		if !force {
			return fmt.Errorf("case %s already exists (%s); use --force to rebuild it", name, path)
		}
		for _, p := range []string{path, path + ".wal", tree} {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	sum, err := demo.Write(ctx, tree, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Generated %s in %s under %s\n", format.Nouns(int64(sum.Records), "record"), format.Nouns(int64(len(sum.Files)), "file"), tree)

	c, err := store.Create(ctx, path, name, a.program(), store.Options{Wait: a.wait})
	if err != nil {
		return err
	}
	err = describeDemo(ctx, c, sum.Case, sum.Ranges, sum.Intel)
	c.Close()
	if err != nil {
		return err
	}
	quiet := *a
	quiet.stdout = discardWriter{}
	if err := quiet.runIngest(ctx, name, []string{filepath.Join(tree, "flowlogs")}, ingestFlags{format: "table"}, "investigator demo"); err != nil {
		return err
	}
	// The derived tables now, so the workbench's first pages show peers,
	// and triage, so that the overview opens with what the detections found.
	c, err = store.Open(ctx, path, store.Options{Wait: a.wait})
	if err != nil {
		return err
	}
	tri, err := a.demoTriage(ctx, c)
	c.Close()
	if err != nil {
		return err
	}
	rep, err := a.readCase(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	if err := a.printCase(rep, false); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "\nPlanted incidents (UTC):")
	t := newTable(a.stdout)
	for _, inc := range sum.Case.Incidents {
		t.row("  "+inc.Start.UTC().Format("01-02 15:04"), inc.Name, inc.Peer)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nTriage: %s from %s (investigator finding list %s)\n",
		format.Nouns(int64(len(tri.Findings)), "finding"), format.Nouns(int64(len(tri.Runs)), "detection"), name)
	fmt.Fprintf(a.stdout, "\nExplore it: investigator analyze %s --analysis all   or   duckdb -readonly %s\n", name, path)
	return nil
}

// demoTriage builds the derived tables and runs every detection on the
// demo case.
func (a *app) demoTriage(ctx context.Context, c *store.Case) (queries.TriageResult, error) {
	if _, err := queries.Prepare(ctx, c); err != nil {
		return queries.TriageResult{}, err
	}
	reg, err := queries.Load()
	if err != nil {
		return queries.TriageResult{}, err
	}
	return queries.Triage(ctx, c, reg, queries.TriageOptions{Analyst: "investigator demo", Program: a.program()})
}

// describeDemo records what the demo case is about: the web server, its
// addresses, the VPC, and the provider ranges of its peers.
func describeDemo(ctx context.Context, c *store.Case, env demo.Case, rangeFiles []string, intelFile string) error {
	if err := c.SetDescription(ctx, fmt.Sprintf("Demo: web server %s in %s (%s, %s) under attack", env.InstanceID, env.VPCID, env.AccountID, env.Region)); err != nil {
		return err
	}
	ins := []store.Instance{{ID: env.InstanceID, AccountID: env.AccountID, Region: env.Region, VPCID: env.VPCID, Name: "web", Source: "demo"}}
	var ips []store.FocusIP
	for i, ip := range env.InstanceIPs {
		ips = append(ips, store.FocusIP{Addr: ip, Kind: addrKind(ip, i), InstanceID: env.InstanceID, Source: "demo"})
	}
	var blocks []store.VPCCIDR
	for _, p := range env.VPCCIDRs {
		blocks = append(blocks, store.VPCCIDR{Prefix: p, VPCID: env.VPCID, Source: "demo"})
	}
	if err := c.AddFocusSet(ctx, store.Focus{Instances: ins, Addrs: ips, CIDRs: blocks}); err != nil {
		return err
	}
	var snaps []cidrs.Snapshot
	for _, f := range rangeFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		provider := ""
		if strings.Contains(filepath.Base(f), "cloudflare") {
			provider = "cloudflare"
		}
		s, err := cidrs.Parse(filepath.Base(f), data, provider)
		if err != nil {
			return err
		}
		snaps = append(snaps, s)
	}
	if _, err := cidrs.LoadIntoCase(ctx, c, snaps); err != nil {
		return err
	}
	// The threat-intel list one of its peers is on.
	if intelFile == "" {
		return nil
	}
	data, err := os.ReadFile(intelFile)
	if err != nil {
		return err
	}
	list, err := intel.Parse(filepath.Base(intelFile), data, "")
	if err != nil {
		return err
	}
	_, err = intel.Load(ctx, c, []intel.Snapshot{list})
	return err
}

// addrKind names a focus address of the demo web server: its first private
// address is the primary, later ones secondary.
func addrKind(ip netip.Addr, i int) string {
	switch {
	case ip.Is6():
		return "ipv6"
	case !ip.IsPrivate():
		return "public"
	case i == 0:
		return "private"
	}
	return "secondary"
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
