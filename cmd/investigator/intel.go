package main

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs/intel"
	"github.com/investigator/investigator/internal/format"
)

func (a *app) intelHome() (intel.Home, error) {
	h, err := a.home()
	if err != nil {
		return intel.Home{}, err
	}
	return intel.Home{Dir: h.Dir}, nil
}

func (a *app) intelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Threat-intel lists: import, fetch, list, and load them into a case",
		Long: `Threat-intel lists name addresses and networks to worry about: Tor exit relays,
Spamhaus DROP, the IOCs of a MISP event or a STIX bundle, a CSV from a feed or a
colleague. investigator keeps one current snapshot of each list in its home folder
and loads the lists you choose into a case (tables intel_snapshots and
intel_entries). Every address of the case then carries the lists holding it
(address_info.intel), and the intel-match detection lists the case's peers on
them, so the case answers the same way offline forever after.

The home folder is --home, else $INVESTIGATOR_HOME, else $XDG_DATA_HOME/investigator,
else ~/.local/share/investigator; lists are kept in its intel/ folder as the raw
files plus a small JSON description each. Nothing is fetched unless you run
investigator intel update.`,
		Example: `  investigator intel import exit-addresses drop_v4.json misp-event-1234.json
  investigator intel import iocs.csv --name campaign-x
  investigator intel list
  investigator intel load incident-42                  # every list in the home folder
  investigator intel load incident-42 --name tor-exits
  investigator analyze incident-42 --analysis intel-match
  investigator intel update                            # fetch the known public feeds (needs the internet)`,
	}
	cmd.AddCommand(a.intelImportCommand(), a.intelListCommand(), a.intelLoadCommand(), a.intelUpdateCommand())
	return cmd
}

// describeIntel is "3 entries (2 IPv4, 1 IPv6), Tor exit-addresses list, dated 2026-11-20".
func describeIntel(in intel.Info) string {
	s := fmt.Sprintf("%s (%s IPv4, %s IPv6), %s", format.Nouns(int64(in.Entries), "entry"), format.Count(int64(in.IPv4)), format.Count(int64(in.IPv6)), intel.Describe(in.Format))
	if !in.Date.IsZero() {
		s += ", dated " + in.Date.UTC().Format(time.DateOnly)
	}
	return s
}

// intelLine prints one import or update outcome.
func (a *app) intelLine(status intel.Status, name, what string, info intel.Info, prev *intel.Info, err error, notes []string) {
	if name == "" {
		name = "-"
	}
	var msg string
	switch status {
	case intel.StatusFailed:
		msg = friendly(err)
		status = "refused"
	case intel.StatusUnchanged:
		msg = fmt.Sprintf("%s: the current snapshot has the same bytes, nothing to do", what)
	case intel.StatusReplaced:
		msg = fmt.Sprintf("%s: %s (replaces %s of %s)", what, describeIntel(info), prev.Source, prev.Day())
	default:
		msg = fmt.Sprintf("%s: %s", what, describeIntel(info))
	}
	fmt.Fprintf(a.stdout, "%-10s %-17s %s\n", status, name, msg)
	for _, n := range notes {
		fmt.Fprintf(a.stdout, "%-10s %-17s   %s\n", "", "", n)
	}
}

// intelJSON is an import or update outcome for scripts.
type intelJSON struct {
	Name     string       `json:"name,omitempty"`
	Path     string       `json:"path,omitempty"`
	URL      string       `json:"url,omitempty"`
	Status   intel.Status `json:"status"`
	Snapshot *intel.Info  `json:"snapshot,omitempty"`
	Previous *intel.Info  `json:"previous,omitempty"`
	Notes    []string     `json:"notes,omitempty"`
	Error    string       `json:"error,omitempty"`
	Offline  bool         `json:"offline,omitempty"`
}

func newIntelJSON(status intel.Status, info intel.Info, prev *intel.Info, err error, notes []string) intelJSON {
	j := intelJSON{Status: status, Previous: prev, Notes: notes}
	if err != nil {
		j.Error = friendly(err)
	} else {
		j.Snapshot = &info
	}
	return j
}

func (a *app) intelImportCommand() *cobra.Command {
	var (
		name   string
		outFmt outputFormat = "table"
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "Store list files as the current snapshots of their lists",
		Long: `Store threat-intel list files in the home folder, each as the current snapshot of
its list (replacing an earlier one; the same bytes again change nothing).

The format is read from the content, never the file name:
  plain lists       one address, CIDR prefix or range (FIRST-LAST) a line; '#' and ';'
                    start comments, and text after the value is the entry's comment
  Tor               the Tor Project's exit-addresses (ExitNode, Published, LastStatus,
                    ExitAddress lines)                                    -> tor-exits
  Spamhaus DROP     drop.txt / edrop.txt ("1.10.16.0/20 ; SBL256894"), and the JSON
                    lines of drop_v4.json / drop_v6.json -> spamhaus-drop, spamhaus-edrop,
                    spamhaus-drop-v6
  MISP              CSV exports (uuid,event_id,category,type,value,...) and JSON events
                    (Event.Attribute and Event.Object[].Attribute): ip-src, ip-dst,
                    ip-src|port, ip-dst|port and domain|ip attributes
  STIX 2.1          bundles: indicators whose pattern compares ipv4-addr:value or
                    ipv6-addr:value (=, ISSUBSET, IN, OR-ed), and ipv4-addr/ipv6-addr objects
  CSV               a header naming the address column: ip, ip_address, address,
                    indicator, value, src_ip, dst_ip, ... (comma, tab or semicolon)

The list is named by --name, else by its format (as shown), else after the file
(iocs-2026-11.csv is iocs-2026-11). Names are lower-case letters, digits, '-' and
'_'. The date kept is the one the file carries (Spamhaus's Last-Modified or
timestamp, a "Last updated:" comment, the newest Tor ExitAddress, the newest STIX
created/modified, the MISP event date), else when it was imported.

A line or record that cannot be read is skipped and counted with its line number
and the reason; records about other things (a MISP domain, a STIX file hash) are
passed over and counted; a file that holds no address at all is refused. A folder
is searched recursively and each file is its own list.`,
		Example: `  investigator intel import exit-addresses             # -> tor-exits
  investigator intel import drop_v4.json drop_v6.json  # -> spamhaus-drop, spamhaus-drop-v6
  investigator intel import misp.event.1234.json --name campaign-x
  investigator intel import ./feeds/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name != "" {
				if err := intel.ValidName(name); err != nil {
					return usageError{err}
				}
			}
			h, err := a.intelHome()
			if err != nil {
				return err
			}
			results, err := h.Import(args, name)
			if err != nil && len(results) == 0 {
				return err
			}
			failed := 0
			var out []intelJSON
			for _, r := range results {
				if r.Status == intel.StatusFailed {
					failed++
				}
				if outFmt.json() {
					j := newIntelJSON(r.Status, r.Info, r.Previous, r.Err, r.Notes)
					j.Name, j.Path = r.Name, r.Path
					out = append(out, j)
					continue
				}
				a.intelLine(r.Status, r.Name, filepath.Base(r.Path), r.Info, r.Previous, r.Err, r.Notes)
			}
			if outFmt.json() {
				if err := writeJSON(a.stdout, out); err != nil {
					return err
				}
			} else if failed < len(results) {
				fmt.Fprintf(a.stdout, "\nLists are in %s; put them into a case with: investigator intel load CASE\n", h.Folder())
			}
			if failed > 0 {
				return exitError{code: exitFail, msg: fmt.Sprintf("%d of %d files could not be imported", failed, len(results))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the list's name (one file only), e.g. campaign-x")
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func (a *app) intelListCommand() *cobra.Command {
	var outFmt outputFormat = "table"
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the lists in the home folder",
		Long: `List the current snapshot of each threat-intel list in the home folder: its format,
entry counts, the date the file carries ("-" when none), when it was imported or
fetched, and where it came from.`,
		Example: `  investigator intel list
  investigator intel list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := a.intelHome()
			if err != nil {
				return err
			}
			list, err := h.List()
			if err != nil {
				return err
			}
			if outFmt.json() {
				if list == nil {
					list = []intel.Info{}
				}
				return writeJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(a.stdout, "No threat-intel lists in %s. Import one with: investigator intel import FILE (or fetch the known feeds: investigator intel update)\n", h.Folder())
				return nil
			}
			t := newTable(a.stdout, "NAME", "FORMAT", "IPV4", "IPV6", "SKIPPED", "DATE", "FETCHED", "SOURCE")
			for _, in := range list {
				t.row(in.Name, in.Format, format.Count(int64(in.IPv4)), format.Count(int64(in.IPv6)), format.Count(int64(in.Skipped)),
					dateOrDash(in.Date), dateOrDash(in.FetchedAt), in.Source)
			}
			return t.flush()
		},
	}
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func (a *app) intelLoadCommand() *cobra.Command {
	var (
		names  []string
		outFmt outputFormat = "table"
	)
	cmd := &cobra.Command{
		Use:   "load CASE",
		Short: "Put lists from the home folder into a case",
		Long: `Put the current snapshots of threat-intel lists into a case, in one transaction:
every list in the home folder, or those named with --name. A list the case holds
in another version is replaced; one it holds in this version is left as it is; the
case's other lists stay. The analyses' address data (address_info.intel) and the
intel-match detection follow at the next analysis. Which lists a case holds is
yours to choose: analyze does not load them on its own.`,
		Example: `  investigator intel load incident-42
  investigator intel load incident-42 --name tor-exits --name spamhaus-drop
  investigator analyze incident-42 --analysis intel-match
  investigator sql incident-42 "SELECT addr, intel FROM address_info WHERE len(intel) > 0"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, n := range names {
				if err := intel.ValidName(n); err != nil {
					return usageError{err}
				}
			}
			h, err := a.intelHome()
			if err != nil {
				return err
			}
			// Refuse an empty home or an unknown name before opening the case.
			infos, err := h.Select(names)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.openCase(ctx, args[0], false)
			if err != nil {
				return err
			}
			defer c.Close()
			changes, err := intel.LoadHome(ctx, c, h, names)
			if err != nil {
				return err
			}
			if err := a.rederive(ctx, c); err != nil {
				return err
			}
			if outFmt.json() {
				if changes == nil {
					changes = []intel.Change{}
				}
				return writeJSON(a.stdout, changes)
			}
			if len(changes) == 0 {
				var ns []string
				for _, in := range infos {
					ns = append(ns, in.Name)
				}
				fmt.Fprintf(a.stdout, "Case %s already holds the current snapshots of %s: nothing to load\n", c.Name, strings.Join(ns, ", "))
				return nil
			}
			total := 0
			for _, ch := range changes {
				total += ch.Entries
				what := fmt.Sprintf("%s from %s", format.Nouns(int64(ch.Entries), "entry"), ch.Source)
				if !ch.Date.IsZero() {
					what += " (" + ch.Date.UTC().Format(time.DateOnly) + ")"
				}
				if ch.Previous != "" {
					what += fmt.Sprintf(", replacing a snapshot of %s", format.Nouns(int64(ch.PreviousEntries), "entry"))
				}
				fmt.Fprintf(a.stdout, "loaded     %-17s %s\n", ch.Name, what)
			}
			fmt.Fprintf(a.stdout, "\nLoaded %s into case %s: %s. The case's peers on them: investigator analyze %s --analysis intel-match\n",
				format.Nouns(int64(len(changes)), "list"), c.Name, format.Nouns(int64(total), "entry"), c.Name)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&names, "name", nil, "load only this list (repeatable)")
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func (a *app) intelUpdateCommand() *cobra.Command {
	var (
		names     []string
		overrides []string
		timeout   time.Duration
		outFmt    outputFormat = "table"
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the known public lists",
		Long: `Download public threat-intel lists and store each as its list's current snapshot
(a file identical to the current one changes nothing). The known feeds:

` + feedsHelp() + `
--name fetches only the named feeds; --source NAME=URL fetches a list of your own
(or a mirror) under that name. investigator fetches only when you run this. On a
machine without network, download the files elsewhere and bring them here with
investigator intel import.`,
		Example: `  investigator intel update
  investigator intel update --name tor-exits
  investigator intel update --source tor-exits=https://mirror.example.com/exit-addresses
  investigator intel update --source c2=https://intel.example.com/c2-ips.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			known := intel.FeedURLs()
			feeds := map[string]string{}
			for _, o := range overrides {
				n, u, ok := strings.Cut(o, "=")
				if !ok || n == "" || !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
					return usagef("--source %q: give it as NAME=URL, e.g. tor-exits=https://check.torproject.org/exit-addresses", o)
				}
				if err := intel.ValidName(n); err != nil {
					return usageError{err}
				}
				feeds[n] = u
			}
			for _, n := range names {
				if _, ok := feeds[n]; ok {
					continue
				}
				u, ok := known[n]
				if !ok {
					var ks []string
					for k := range known {
						ks = append(ks, k)
					}
					slices.Sort(ks)
					return usagef("--name %q: not a known feed; the known feeds are %s (or give its URL with --source %s=URL)", n, strings.Join(ks, ", "), n)
				}
				feeds[n] = u
			}
			if len(feeds) == 0 {
				feeds = known
			}
			h, err := a.intelHome()
			if err != nil {
				return err
			}
			results, err := h.Update(cmd.Context(), &http.Client{Timeout: timeout}, feeds)
			if err != nil {
				return err
			}
			failed, offline := 0, 0
			var out []intelJSON
			for _, r := range results {
				if r.Status == intel.StatusFailed {
					failed++
					if r.Offline {
						offline++
					}
				}
				if outFmt.json() {
					j := newIntelJSON(r.Status, r.Info, r.Previous, r.Err, r.Notes)
					j.Name, j.URL, j.Offline = r.Name, r.URL, r.Offline
					out = append(out, j)
					continue
				}
				err := r.Err
				var ie *intel.Error
				if errors.As(err, &ie) && ie.Subject == r.Name {
					err = errors.New(ie.Msg) // the list is in its own column
				}
				a.intelLine(r.Status, r.Name, r.URL, r.Info, r.Previous, err, r.Notes)
			}
			if outFmt.json() {
				if err := writeJSON(a.stdout, out); err != nil {
					return err
				}
			} else if failed < len(results) {
				fmt.Fprintf(a.stdout, "\nLists are in %s; put them into a case with: investigator intel load CASE\n", h.Folder())
			}
			if failed > 0 {
				msg := fmt.Sprintf("%d of %d lists not fetched", failed, len(results))
				if offline > 0 {
					msg += ": this machine seems to be offline, so nothing can be fetched. Download the files on a machine with network access and bring them here with: investigator intel import FILE|DIR"
				}
				return exitError{code: exitFail, msg: msg}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&names, "name", nil, "fetch only this known feed (repeatable)")
	cmd.Flags().StringArrayVar(&overrides, "source", nil, "fetch list NAME from this URL, given as NAME=URL (repeatable; a mirror, or a list of your own)")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "time limit for each download")
	cmd.Flags().Var(&outFmt, "format", "output format: table or json")
	return cmd
}

func feedsHelp() string {
	var b strings.Builder
	for _, f := range intel.Feeds() {
		fmt.Fprintf(&b, "  %-17s %s\n  %-17s %s\n", f.Name, f.URL, "", f.About)
	}
	return b.String()
}
