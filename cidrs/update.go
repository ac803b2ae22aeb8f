package cidrs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/investigator/investigator/internal/format"
)

// DefaultSources are the files the providers publish, by provider. Cloudflare
// publishes IPv4 and IPv6 in two lists: Update fetches both and stores them
// as one snapshot (the two lists concatenated, each after a "# source: URL"
// comment line), so "one snapshot per provider" holds for it too.
//
// Azure is not here: Microsoft publishes its Service Tags under a file name
// that changes every week (ServiceTags_Public_YYYYMMDD.json), behind a
// download page. Download it and use Import.
func DefaultSources() map[string][]string {
	return map[string][]string{
		"aws":          {"https://ip-ranges.amazonaws.com/ip-ranges.json"},
		"google":       {"https://www.gstatic.com/ipranges/cloud.json"},
		"google-all":   {"https://www.gstatic.com/ipranges/goog.json"},
		"oracle":       {"https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json"},
		"cloudflare":   {"https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"},
		"github":       {"https://api.github.com/meta"},
		"digitalocean": {"https://digitalocean.com/geo/google.csv"},
		"linode":       {"https://geoip.linode.com/"},
	}
}

// AzureDownload is where Azure's weekly Service Tags file is published.
const AzureDownload = "https://www.microsoft.com/en-us/download/details.aspx?id=56519"

// ErrOffline is wrapped by the errors of downloads that could not reach their
// host at all: no DNS answer, no route, connection refused.
var ErrOffline = errors.New("this machine seems to be offline")

// UpdateResult is what became of one provider in Update.
type UpdateResult struct {
	Provider string
	Sources  []string
	Status   Status
	Info     Info  // the current snapshot (not for StatusFailed)
	Previous *Info // the snapshot it replaced
	Notes    []string
	Err      error
	// Offline is set when Err is a network failure to reach the host
	// (errors.Is(Err, ErrOffline)).
	Offline bool
}

// Update downloads each provider's published files and stores them as its
// current snapshot (see Import for what "current" means; identical bytes
// change nothing). sources maps a provider to its URLs (DefaultSources);
// several URLs of one provider must be plain lists or geofeeds and are
// merged. Providers are fetched in parallel; a failure is reported in that
// provider's result and does not stop the others. Timeouts come from ctx and
// the client's Timeout; a download larger than MaxFileSize is refused. The
// error is only for the home itself.
func (h Home) Update(ctx context.Context, client *http.Client, sources map[string][]string) ([]UpdateResult, error) {
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	providers := make([]string, 0, len(sources))
	for p := range sources {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	results := make([]UpdateResult, len(providers))
	fetched := make([][]source, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		results[i] = UpdateResult{Provider: p, Sources: sources[p]}
		if err := ValidProvider(p); err != nil {
			results[i].Status, results[i].Err = StatusFailed, err
			continue
		}
		if len(sources[p]) == 0 {
			results[i].Status, results[i].Err = StatusFailed, noSource(p)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range sources[p] {
				data, err := fetch(ctx, client, u, MaxFileSize)
				if err != nil {
					results[i].Status, results[i].Err = StatusFailed, fileError(p, err)
					results[i].Offline = errors.Is(err, ErrOffline)
					return
				}
				fetched[i] = append(fetched[i], source{name: u, data: data})
			}
		}()
	}
	wg.Wait()
	now := time.Now()
	for i, p := range providers {
		r := &results[i]
		if r.Err != nil {
			continue
		}
		s, raw, err := assemble(p, fetched[i])
		if err != nil {
			r.Status, r.Err = StatusFailed, err
			continue
		}
		if s.Skipped > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s %s not prefixes, skipped", format.Nouns(int64(s.Skipped), "line"), format.Be(int64(s.Skipped))))
			for _, l := range s.SkippedLines {
				r.Notes = append(r.Notes, "  "+l)
			}
		}
		r.Status, r.Info, r.Previous, r.Err = h.put(s, raw, now)
		if r.Err == nil {
			r.Notes = append(r.Notes, compareNotes(r.Info, r.Previous)...)
		}
	}
	return results, nil
}

func noSource(provider string) error {
	if provider == "azure" || strings.HasPrefix(provider, "azure-") {
		return &Error{Subject: "azure", Msg: fmt.Sprintf("Microsoft publishes its Service Tags under a new file name every week, so there is no URL to fetch: download ServiceTags_Public_YYYYMMDD.json from %s and import it (cidrs import FILE)", AzureDownload)}
	}
	return &Error{Subject: provider, Msg: fmt.Sprintf("no URL to fetch it from: import its file instead (cidrs import FILE --provider %s)", provider)}
}

// assemble parses what was fetched for one provider into one snapshot.
func assemble(provider string, parts []source) (Snapshot, []byte, error) {
	if len(parts) == 1 {
		s, err := Parse(parts[0].name, parts[0].data, provider)
		return s, parts[0].data, err
	}
	var names []string
	for _, p := range parts {
		s, err := Parse(p.name, p.data, provider)
		if err != nil {
			return Snapshot{}, nil, err
		}
		if s.Format != FormatList && s.Format != FormatGeofeed {
			return Snapshot{}, nil, &Error{Subject: provider, Msg: fmt.Sprintf("%s is %s: only plain lists and geofeeds can be merged into one snapshot", p.name, describeFormat(s.Format))}
		}
		names = append(names, p.name)
	}
	raw := merge(parts)
	s, err := Parse(strings.Join(names, " + "), raw, provider)
	return s, raw, err
}

// fetch downloads one URL, at most limit bytes.
func fetch(ctx context.Context, client *http.Client, u string, limit int64) ([]byte, error) {
	return Fetch(ctx, client, u, limit, "cidrs update", "cidrs import FILE")
}

// Fetch downloads one URL for an update of the home folder: at most limit
// bytes, as "investigator (what)" (GitHub's API refuses requests without a
// User-Agent). A host that cannot be reached at all is an error wrapping
// ErrOffline that says how to bring the file in instead (instead: "intel
// import FILE"); a timeout, an HTTP status other than 200 and a body over
// the limit are errors too, each naming the URL.
func Fetch(ctx context.Context, client *http.Client, u string, limit int64, what, instead string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	req.Header.Set("User-Agent", "investigator ("+what+")")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, explainNetError(req.URL, err, time.Since(start), instead))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", u, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %s, the most an update takes: refused", u, resp.ContentLength, sizeLimit(limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, explainNetError(req.URL, err, time.Since(start), instead))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than %s, the most an update takes: refused", u, sizeLimit(limit))
	}
	return data, nil
}

func sizeLimit(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// explainNetError turns a transport error into words: a timeout, or a host
// that could not be reached at all (offline: then how to do without, the
// command instead), or what the transport said.
func explainNetError(u *url.URL, err error, took time.Duration, instead string) error {
	var (
		netErr net.Error
		dnsErr *net.DNSError
		opErr  *net.OpError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("cancelled: %w", err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Errorf("timed out after %s: %w", took.Round(time.Millisecond), err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot look up %s (%s): %w (fetch the file elsewhere, then: %s)", u.Hostname(), dnsErr.Err, ErrOffline, instead)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("cannot connect to %s (%v): %w (fetch the file elsewhere, then: %s)", u.Host, opErr.Err, ErrOffline, instead)
	}
	return err
}
