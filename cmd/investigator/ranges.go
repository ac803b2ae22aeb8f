package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// syncRanges loads the cloud-provider range snapshots and the ASN data of the
// home folder into the case before it is analysed, so its answers name
// providers and networks and stay the same offline afterwards. A home
// without them changes nothing.
func (a *app) syncRanges(ctx context.Context, c *store.Case) error {
	home, err := a.home()
	if err != nil {
		return err
	}
	synced, err := cidrs.SyncHome(ctx, c, home)
	for _, ch := range synced.Ranges {
		fmt.Fprintf(a.stderr, "Loaded %s ranges into the case (%s prefixes from %s)\n", ch.Provider, format.Count(int64(ch.Prefixes)), ch.Source)
	}
	if err != nil {
		return err
	}
	if synced.ASN {
		fmt.Fprintln(a.stderr, asnLoaded)
	}
	return nil
}

// asnLoaded says that a sync loaded the home's ASN data.
const asnLoaded = "Loaded the home folder's ASN data into the case"

// rederive brings the case's derived tables up to date after a command
// changed what they are built from (ranges, threat-intel lists, WHOIS
// answers), so that the wait is paid here, where the change was asked for,
// and the next analysis, triage or page answers at once.
func (a *app) rederive(ctx context.Context, c *store.Case) error {
	began := time.Now()
	d, err := c.Derive(ctx)
	if err != nil {
		return err
	}
	if len(d.Built) > 0 {
		fmt.Fprintf(a.stderr, "Brought the case's %s up to date (%s)\n", strings.Join(d.Built, " and "), time.Since(began).Round(time.Millisecond))
	}
	return nil
}
