package main

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
	"github.com/investigator/investigator/whois"
)

type whoisFlags struct {
	server  string
	offline bool
	maxAge  time.Duration
	max     int
}

func (f *whoisFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "whois-server", os.Getenv("INVESTIGATOR_WHOIS_SERVER"), "ask this WHOIS server (HOST:PORT) first instead of IANA (default $INVESTIGATOR_WHOIS_SERVER)")
	cmd.Flags().BoolVar(&f.offline, "offline", false, "use only the answers stored in the case: no queries")
	cmd.Flags().DurationVar(&f.maxAge, "max-age", 0, "refresh stored answers older than this (e.g. 720h); 0 keeps them forever")
	cmd.Flags().IntVar(&f.max, "max", 0, "at most this many WHOIS queries (0: no limit)")
}

func (f *whoisFlags) options() whois.Options {
	return whois.Options{Server: f.server, Offline: f.offline, MaxAge: f.maxAge, Max: f.max}
}

func (a *app) enrichCommand() *cobra.Command {
	var wf whoisFlags
	var doWhois bool
	var analysis, ipsFile string
	cmd := &cobra.Command{
		Use:   "enrich CASE --whois",
		Short: "Look up who owns the case's external addresses (WHOIS), once per network",
		Long: `Look up the external addresses of a case in WHOIS, most active first, and keep the
answers in the case: the analyses' org and asn columns read them, offline, from then on.

Queries start at IANA and follow the referrals to the registry that holds the network
(ARIN, RIPE, APNIC, LACNIC, AFRINIC, and onwards); one query answers a whole network,
so an address inside a network already in the case costs nothing. Private, reserved,
documentation, multicast and link-local addresses are never sent anywhere. Each
registry is asked at a polite rate; one that refuses is asked again later.`,
		Example: `  investigator enrich demo --whois
  investigator enrich demo --whois --analysis ssh-inbound
  investigator enrich demo --whois --ips suspects.txt --max 50`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !doWhois {
				return usagef("say what to enrich with: --whois")
			}
			if analysis != "" && ipsFile != "" {
				return usagef("--analysis and --ips both choose the addresses: give one")
			}
			ctx := cmd.Context()
			c, err := a.openCase(ctx, args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			var addrs []netip.Addr
			switch {
			case ipsFile != "":
				addrs, err = readAddrs(ipsFile)
			case analysis != "":
				addrs, err = a.analysisAddrs(ctx, c, analysis)
			default:
				addrs, err = queries.Peers(ctx, c, 0)
			}
			if err != nil {
				return err
			}
			return a.runWhois(ctx, c, addrs, wf)
		},
	}
	cmd.Flags().BoolVar(&doWhois, "whois", false, "look addresses up in WHOIS")
	cmd.Flags().StringVar(&analysis, "analysis", "", "only the addresses this analysis returns (its stored result, or a fresh run)")
	cmd.Flags().StringVar(&ipsFile, "ips", "", "only the addresses in this file, one per line")
	wf.register(cmd)
	return cmd
}

// runWhois looks the addresses up and says what it did.
func (a *app) runWhois(ctx context.Context, c *store.Case, addrs []netip.Addr, wf whoisFlags) error {
	o := wf.options()
	if a.terminal {
		o.Progress = func(p whois.Progress) {
			fmt.Fprintf(a.stderr, "\r\033[K  %d/%d addresses, %d queries (%d in flight), %d networks, %d refused  %s",
				p.Done, p.Addresses, p.Queries, p.InFlight, p.Networks, p.Refused, p.Last)
		}
	}
	sum, err := whois.Enrich(ctx, c, addrs, o)
	a.clearProgress()
	fmt.Fprintln(a.stdout, sum)
	for _, e := range sum.Errors {
		fmt.Fprintln(a.stdout, "  ", e)
	}
	if err != nil {
		return err
	}
	return a.rederive(ctx, c)
}

// analysisAddrs are the addresses an analysis returns, in its row order.
func (a *app) analysisAddrs(ctx context.Context, c *store.Case, name string) ([]netip.Addr, error) {
	reg, err := queries.Load()
	if err != nil {
		return nil, err
	}
	an, ok := reg.Get(name)
	if !ok {
		return nil, usagef("no analysis %q; there are: %s", name, strings.Join(reg.Names(), ", "))
	}
	params, err := an.Bind(nil, a.now())
	if err != nil {
		return nil, usageError{err}
	}
	r, err := queries.Run(ctx, c, an, params, queries.Options{Program: a.program()})
	if err != nil {
		return nil, err
	}
	return resultAddrs(r), nil
}

// resultAddrs collects the addresses of a result's address columns, first seen first.
func resultAddrs(results ...*queries.Result) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, r := range results {
		for _, row := range r.Rows {
			for i, col := range r.Columns {
				if col.Name != "src_ip" && col.Name != "dst_ip" && col.Name != "peer_ip" {
					continue
				}
				s, _ := row[i].(string)
				if a, err := netip.ParseAddr(s); err == nil && !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	return out
}

func readAddrs(path string) ([]netip.Addr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []netip.Addr
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := netip.ParseAddr(line)
		if err != nil {
			return nil, usagef("%s line %d: %q is not an IP address", path, n, line)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}
