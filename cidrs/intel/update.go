package intel

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/investigator/investigator/cidrs"
)

// Feed is a public list Update knows how to fetch.
type Feed struct {
	Name  string
	URL   string
	About string
}

// Feeds are the public lists Update fetches by default: few, free to fetch
// without an account, and published for exactly this use.
func Feeds() []Feed {
	return []Feed{
		{"spamhaus-drop", "https://www.spamhaus.org/drop/drop_v4.json", "Spamhaus DROP: IPv4 networks hijacked or run by criminals (EDROP is part of it since 2024)"},
		{"spamhaus-drop-v6", "https://www.spamhaus.org/drop/drop_v6.json", "Spamhaus DROP: the IPv6 networks"},
		{"tor-exits", "https://check.torproject.org/exit-addresses", "the Tor Project's exit relays, with when each was last seen"},
	}
}

// FeedURLs are Feeds by name.
func FeedURLs() map[string]string {
	m := map[string]string{}
	for _, f := range Feeds() {
		m[f.Name] = f.URL
	}
	return m
}

// UpdateResult is what became of one list in Update.
type UpdateResult struct {
	Name     string
	URL      string
	Status   Status
	Info     Info  // the current snapshot (not for StatusFailed)
	Previous *Info // the snapshot it replaced
	Notes    []string
	Err      error
	// Offline is set when Err is a failure to reach the host at all
	// (errors.Is(Err, cidrs.ErrOffline)).
	Offline bool
}

// Update downloads each list (name -> URL, FeedURLs by default) and stores
// it as the list's current snapshot under that name (identical bytes
// change nothing). Lists are fetched in parallel; a failure is reported in
// that list's result and does not stop the others. Nothing is fetched
// unless Update is called: investigator never reaches out on its own.
// Timeouts come from ctx and the client's Timeout; a download larger than
// MaxFileSize is refused. The error is only for the home itself.
func (h Home) Update(ctx context.Context, client *http.Client, feeds map[string]string) ([]UpdateResult, error) {
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	names := make([]string, 0, len(feeds))
	for n := range feeds {
		names = append(names, n)
	}
	sort.Strings(names)
	results := make([]UpdateResult, len(names))
	data := make([][]byte, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		results[i] = UpdateResult{Name: n, URL: feeds[n]}
		if err := ValidName(n); err != nil {
			results[i].Status, results[i].Err = StatusFailed, err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := cidrs.Fetch(ctx, client, feeds[n], MaxFileSize, "intel update", "intel import FILE")
			if err != nil {
				results[i].Status, results[i].Err = StatusFailed, fileError(n, err)
				results[i].Offline = errors.Is(err, cidrs.ErrOffline)
				return
			}
			data[i] = b
		}()
	}
	wg.Wait()
	now := time.Now()
	for i, n := range names {
		r := &results[i]
		if r.Err != nil {
			continue
		}
		s, err := Parse(feeds[n], data[i], n)
		if err != nil {
			r.Status, r.Err = StatusFailed, err
			continue
		}
		r.Notes = parseNotes(s)
		r.Status, r.Info, r.Previous, r.Err = h.put(s, data[i], now)
		if r.Err == nil {
			r.Notes = append(r.Notes, compareNotes(r.Info, r.Previous)...)
		}
	}
	return results, nil
}
