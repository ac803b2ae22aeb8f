package main

import (
	"context"
	"fmt"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/store"
)

// syncRanges loads the cloud-provider range snapshots of the home folder into
// the case before it is analysed, so its answers name providers and stay the
// same offline afterwards. A home without snapshots changes nothing.
func (a *app) syncRanges(ctx context.Context, c *store.Case) error {
	home, err := a.home()
	if err != nil {
		return err
	}
	changes, err := cidrs.SyncChanges(ctx, c, home)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		fmt.Fprintf(a.stderr, "Loaded %s ranges into the case (%s prefixes from %s)\n", ch.Provider, count(int64(ch.Prefixes)), ch.Source)
	}
	return nil
}
