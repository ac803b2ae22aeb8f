package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/queries"
)

func (a *app) cidrsCommand() *cobra.Command {
	home := a.home
	cmd := &cobra.Command{
		Use:   "cidrs",
		Short: "Cloud-provider IP ranges: fetch, import, list, and load them into a case",
		Long: `Cloud providers publish the address ranges they use (AWS ip-ranges.json, Google,
Azure Service Tags, Oracle, Cloudflare, GitHub, DigitalOcean and Linode geofeeds).
investigator keeps one current snapshot per provider in its home folder and loads
them into a case (tables cidr_snapshots and cidr_ranges), so the case can tell whose
an address is, offline and the same way forever after.

The home folder is --home, else $INVESTIGATOR_HOME, else $XDG_DATA_HOME/investigator,
else ~/.local/share/investigator; snapshots are kept in its cidrs/ folder as the
raw files plus a small JSON description each.`,
		Example: `  investigator cidrs update                       # fetch every provider's current file
  investigator cidrs import ServiceTags_Public_20250721.json
  investigator cidrs list
  investigator cidrs load incident-42              # put the snapshots into a case`,
	}
	cmd.AddCommand(a.cidrsImportCommand(home), a.cidrsUpdateCommand(home), a.cidrsListCommand(home), a.cidrsLoadCommand(home))
	return cmd
}

// describeInfo is "10,668 IPv4 + 6,160 IPv6 prefixes, dated 2026-08-22".
func describeInfo(in cidrs.Info) string {
	s := fmt.Sprintf("%s IPv4 + %s IPv6 prefixes", format.Count(int64(in.IPv4)), format.Count(int64(in.IPv6)))
	if !in.Date.IsZero() {
		s += ", dated " + in.Date.UTC().Format(time.DateOnly)
	} else if in.Version != "" {
		s += ", version " + in.Version
	}
	return s
}

func prefixes(n int) string {
	if n == 1 {
		return "1 prefix"
	}
	return format.Count(int64(n)) + " prefixes"
}

func dateOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return format.Time(t)
}

// resultLine prints one import or update outcome.
func (a *app) resultLine(status cidrs.Status, provider, what string, info cidrs.Info, prev *cidrs.Info, err error, notes []string) {
	if provider == "" {
		provider = "-"
	}
	var msg string
	switch status {
	case cidrs.StatusFailed:
		msg = friendly(err)
		status = "refused"
	case cidrs.StatusUnchanged:
		msg = fmt.Sprintf("%s: the current snapshot has the same bytes, nothing to do", what)
	case cidrs.StatusReplaced:
		msg = fmt.Sprintf("%s: %s (replaces %s", what, describeInfo(info), prev.Source)
		if !prev.Date.IsZero() {
			msg += " of " + prev.Date.UTC().Format(time.DateOnly)
		}
		msg += ")"
	default:
		msg = fmt.Sprintf("%s: %s", what, describeInfo(info))
	}
	fmt.Fprintf(a.stdout, "%-10s %-13s %s\n", status, provider, msg)
	for _, n := range notes {
		fmt.Fprintf(a.stdout, "%-10s %-13s   %s\n", "", "", n)
	}
}

// resultJSON is an import or update outcome for scripts.
type resultJSON struct {
	Provider string       `json:"provider,omitempty"`
	Paths    []string     `json:"paths,omitempty"`
	Sources  []string     `json:"sources,omitempty"`
	Status   cidrs.Status `json:"status"`
	Snapshot *cidrs.Info  `json:"snapshot,omitempty"`
	Previous *cidrs.Info  `json:"previous,omitempty"`
	Notes    []string     `json:"notes,omitempty"`
	Error    string       `json:"error,omitempty"`
	Offline  bool         `json:"offline,omitempty"`
}

func newResultJSON(status cidrs.Status, info cidrs.Info, prev *cidrs.Info, err error, notes []string) resultJSON {
	r := resultJSON{Status: status, Previous: prev, Notes: notes}
	if err != nil {
		r.Error = friendly(err)
	} else {
		r.Snapshot = &info
	}
	return r
}

func (a *app) cidrsImportCommand(home func() (cidrs.Home, error)) *cobra.Command {
	var (
		provider string
		outFmt   outputFormat = "table"
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "Store range files as their providers' current snapshots",
		Long: `Store range files as the current snapshot of their providers: what you downloaded
by hand (Azure's weekly Service Tags file has no stable URL), or files fetched on
another machine when this one is offline.

The format is read from the content: AWS ip-ranges.json, Google cloud.json and
goog.json, Azure Service Tags, Oracle public_ip_ranges.json, GitHub's /meta, the
original investiGATOR's cidrs/*.json, RFC 8805 geofeeds (DigitalOcean, Linode) and
plain lists of CIDRs, one per line (Cloudflare's ips-v4 and ips-v6). Geofeeds and
plain lists do not say whose they are: name the provider with --provider, unless
the file name does (cloudflare-v4.txt). In a geofeed or list, lines that are not
prefixes are skipped and counted; in the JSON formats a bad prefix refuses the file.

A folder is searched recursively; files that are not range files are reported and
the others are imported. Files of one provider given together are merged into one
snapshot (import Cloudflare's ips-v4 and ips-v6 together: one replaces the other
otherwise). Importing the bytes that are already current changes nothing.`,
		Example: `  investigator cidrs import ~/Downloads/ServiceTags_Public_20250721.json
  investigator cidrs import ips-v4 ips-v6 --provider cloudflare
  investigator cidrs import ./ranges/              # every range file in the folder`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if provider != "" {
				if err := cidrs.ValidProvider(provider); err != nil {
					return usageError{err}
				}
			}
			h, err := home()
			if err != nil {
				return err
			}
			results, err := h.ImportAll(args, provider)
			if err != nil && len(results) == 0 {
				return err
			}
			failed, files := 0, 0
			var out []resultJSON
			for _, r := range results {
				files += len(r.Paths)
				if r.Status == cidrs.StatusFailed {
					failed += len(r.Paths)
				}
				if outFmt.json() {
					j := newResultJSON(r.Status, r.Info, r.Previous, r.Err, r.Notes)
					j.Provider, j.Paths = r.Provider, r.Paths
					out = append(out, j)
					continue
				}
				var names []string
				for _, p := range r.Paths {
					names = append(names, filepath.Base(p))
				}
				what := strings.Join(names, " + ")
				a.resultLine(r.Status, r.Provider, what, r.Info, r.Previous, r.Err, r.Notes)
			}
			if outFmt.json() {
				if err := writeJSON(a.stdout, out); err != nil {
					return err
				}
			} else if failed < files {
				fmt.Fprintf(a.stdout, "\nSnapshots are in %s; put them into a case with: investigator cidrs load CASE\n", filepath.Join(h.Dir, "cidrs"))
			}
			if failed > 0 {
				return exitError{code: exitFail, msg: fmt.Sprintf("%d of %d files could not be imported", failed, files)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "provider of geofeeds and plain lists, e.g. cloudflare, digitalocean, linode")
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func (a *app) cidrsUpdateCommand(home func() (cidrs.Home, error)) *cobra.Command {
	var (
		providers []string
		overrides []string
		timeout   time.Duration
		outFmt    outputFormat = "table"
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the providers' current range files",
		Long: `Download each provider's published range file and store it as the provider's
current snapshot (a file identical to the current one changes nothing):

` + sourcesHelp() + `
Azure has no stable URL (its Service Tags file gets a new name every week): download
it from ` + cidrs.AzureDownload + `
and use investigator cidrs import. A source that fails is reported and the others
go on. On a machine without network, fetch the files elsewhere and import them.`,
		Example: `  investigator cidrs update
  investigator cidrs update --provider aws --provider cloudflare
  investigator cidrs update --source aws=https://mirror.example.com/ip-ranges.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defaults := cidrs.DefaultSources()
			sources := map[string][]string{}
			for _, o := range overrides {
				name, u, ok := strings.Cut(o, "=")
				if !ok || name == "" || !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
					return usagef("--source %q: give it as PROVIDER=URL, e.g. aws=https://ip-ranges.amazonaws.com/ip-ranges.json", o)
				}
				if err := cidrs.ValidProvider(name); err != nil {
					return usageError{err}
				}
				sources[name] = append(sources[name], u)
			}
			for _, p := range providers {
				if _, ok := sources[p]; ok {
					continue
				}
				if _, known := defaults[p]; !known && p != "azure" {
					known := slices.Sorted(maps.Keys(defaults))
					return usagef("--provider %q: no known URL for it; the providers are %s (or give one with --source %s=URL)", p, strings.Join(known, ", "), p)
				}
				sources[p] = defaults[p]
			}
			allDefaults := len(sources) == 0
			if allDefaults {
				sources = defaults
			}
			h, err := home()
			if err != nil {
				return err
			}
			results, err := h.Update(cmd.Context(), &http.Client{Timeout: timeout}, sources)
			if err != nil {
				return err
			}
			failed, offline := 0, 0
			var out []resultJSON
			for _, r := range results {
				if r.Status == cidrs.StatusFailed {
					failed++
					if r.Offline {
						offline++
					}
				}
				if outFmt.json() {
					j := newResultJSON(r.Status, r.Info, r.Previous, r.Err, r.Notes)
					j.Provider, j.Sources, j.Offline = r.Provider, r.Sources, r.Offline
					out = append(out, j)
					continue
				}
				err := r.Err
				var ce *cidrs.Error
				if errors.As(err, &ce) && ce.Subject == r.Provider {
					err = errors.New(ce.Msg) // the provider is in its own column
				}
				a.resultLine(r.Status, r.Provider, strings.Join(r.Sources, " + "), r.Info, r.Previous, err, r.Notes)
			}
			if outFmt.json() {
				if err := writeJSON(a.stdout, out); err != nil {
					return err
				}
			}
			if !outFmt.json() {
				if allDefaults {
					fmt.Fprintf(a.stdout, "%-10s %-13s no stable URL: import its weekly Service Tags file with investigator cidrs import FILE\n", "skipped", "azure")
				}
				if failed < len(results) {
					fmt.Fprintf(a.stdout, "\nSnapshots are in %s; put them into a case with: investigator cidrs load CASE\n", filepath.Join(h.Dir, "cidrs"))
				}
			}
			if failed > 0 {
				msg := fmt.Sprintf("%d of %d providers not fetched", failed, len(results))
				if offline > 0 {
					msg += ": this machine seems to be offline. Download the files on a machine with network access and bring them here with: investigator cidrs import FILE|DIR"
				}
				return exitError{code: exitFail, msg: msg}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&providers, "provider", nil, "fetch only this provider (repeatable)")
	cmd.Flags().StringArrayVar(&overrides, "source", nil, "fetch PROVIDER from this URL instead, given as PROVIDER=URL (repeatable; a mirror, or a provider of your own)")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "time limit for each download")
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func sourcesHelp() string {
	src := cidrs.DefaultSources()
	names := make([]string, 0, len(src))
	for k := range src {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-13s %s\n", n, strings.Join(src[n], " + "))
	}
	return b.String()
}

func (a *app) cidrsListCommand(home func() (cidrs.Home, error)) *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the providers' current snapshots",
		Long: `List the current snapshot of each provider in the home folder: prefix counts,
the date the file carries (AWS createDate, Google creationTime, ...; "-" when it
carries none, as Azure's, GitHub's and Cloudflare's), and when it was fetched.`,
		Example: `  investigator cidrs list
  investigator cidrs list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := home()
			if err != nil {
				return err
			}
			list, err := h.List()
			if err != nil {
				return err
			}
			if outFmt.json() {
				if list == nil {
					list = []cidrs.Info{}
				}
				return writeJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(a.stdout, "No range snapshots in %s. Fetch them with: investigator cidrs update (or import files: investigator cidrs import FILE)\n", filepath.Join(h.Dir, "cidrs"))
				return nil
			}
			t := newTable(a.stdout, "PROVIDER", "FORMAT", "IPV4", "IPV6", "DATE", "FETCHED", "SOURCE")
			for _, in := range list {
				t.row(in.Provider, in.Format, format.Count(int64(in.IPv4)), format.Count(int64(in.IPv6)), dateOrDash(in.Date), dateOrDash(in.FetchedAt), in.Source)
			}
			return t.flush()
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func (a *app) cidrsLoadCommand(home func() (cidrs.Home, error)) *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "load CASE",
		Short: "Put the current snapshots into a case",
		Long: `Put the home folder's current snapshots into a case, in one transaction: a provider
whose snapshot the case does not hold yet has its rows in cidr_ranges replaced;
the others are left as they are. Then the home's ASN data (investigator asn
import), when the case does not hold it yet. Loading again changes nothing.`,
		Example: `  investigator cidrs load incident-42
  duckdb -readonly cases/incident-42.duckdb "` + queries.ExampleSQL("ranges") + `"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := home()
			if err != nil {
				return err
			}
			infos, err := h.List()
			if err != nil {
				return err
			}
			if len(infos) == 0 {
				return fmt.Errorf("no range snapshots in %s to load: fetch them with investigator cidrs update, or import files with investigator cidrs import FILE", filepath.Join(h.Dir, "cidrs"))
			}
			ctx := cmd.Context()
			c, err := a.openCase(ctx, args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			synced, err := cidrs.SyncHome(ctx, c, h)
			if err != nil {
				return err
			}
			if synced.ASN {
				fmt.Fprintln(a.stderr, asnLoaded)
			}
			if err := a.rederive(ctx, c); err != nil {
				return err
			}
			changes := synced.Ranges
			if outFmt.json() {
				if changes == nil {
					changes = []cidrs.Change{}
				}
				return writeJSON(a.stdout, changes)
			}
			if len(changes) == 0 {
				if synced.ASN {
					return nil
				}
				var provs []string
				for _, in := range infos {
					provs = append(provs, in.Provider)
				}
				fmt.Fprintf(a.stdout, "Case %s already holds the current snapshots of %s: nothing to load\n", c.Name, strings.Join(provs, ", "))
				return nil
			}
			total := 0
			for _, ch := range changes {
				total += ch.Prefixes
				what := fmt.Sprintf("%s from %s", prefixes(ch.Prefixes), ch.Source)
				if !ch.Date.IsZero() {
					what += " (" + ch.Date.UTC().Format(time.DateOnly) + ")"
				}
				if ch.Previous != "" {
					what += fmt.Sprintf(", replacing a snapshot of %s", prefixes(ch.PreviousPrefixes))
				}
				fmt.Fprintf(a.stdout, "loaded     %-13s %s\n", ch.Provider, what)
			}
			fmt.Fprintf(a.stdout, "\nLoaded %s into case %s: %s\n", format.Nouns(int64(len(changes)), "snapshot"), c.Name, prefixes(total))
			return nil
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}
