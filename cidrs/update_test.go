package cidrs

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeProviders serves range files the way the providers do, and some failures.
func fakeProviders(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.UserAgent() == "" || strings.HasPrefix(r.UserAgent(), "Go-http-client") {
				http.Error(w, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header", http.StatusForbidden)
				return
			}
			io.WriteString(w, body)
		})
	}
	serve("/ip-ranges.json", awsJSON)
	serve("/ips-v4", cloudflareV4)
	serve("/ips-v6", cloudflareV6)
	serve("/meta", githubJSON)
	serve("/geo/google.csv", geofeedCSV)
	serve("/login", "<!DOCTYPE html><html><body>Sign in</body></html>")
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		// Streamed, so no Content-Length gives the size away.
		for range 64 {
			io.WriteString(w, "# padding padding padding padding padding padding padding padding\n")
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestUpdate(t *testing.T) {
	srv := fakeProviders(t)
	h := Home{Dir: t.TempDir()}
	sources := map[string][]string{
		"aws":          {srv.URL + "/ip-ranges.json"},
		"cloudflare":   {srv.URL + "/ips-v4", srv.URL + "/ips-v6"},
		"github":       {srv.URL + "/meta"},
		"digitalocean": {srv.URL + "/geo/google.csv"},
		"broken":       {srv.URL + "/broken"},
		"slow":         {srv.URL + "/slow"},
		"login":        {srv.URL + "/login"},
		"azure":        nil,
	}
	client := &http.Client{Timeout: 500 * time.Millisecond}
	start := time.Now()
	res, err := h.Update(context.Background(), client, sources)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 3*time.Second {
		t.Errorf("update took %s: one slow source must not hold up the others", took)
	}
	byProv := map[string]UpdateResult{}
	var provs []string
	for _, r := range res {
		byProv[r.Provider] = r
		provs = append(provs, r.Provider)
	}
	if got := strings.Join(provs, " "); got != "aws azure broken cloudflare digitalocean github login slow" {
		t.Fatalf("results in order %s", got)
	}
	for prov, want := range map[string]string{
		"broken": "HTTP 500 Internal Server Error",
		"slow":   "timed out after",
		"login":  "HTML",
		"azure":  "new file name every week",
	} {
		r := byProv[prov]
		if r.Status != StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), want) {
			t.Errorf("%s: %s %v, want failed with %q", prov, r.Status, r.Err, want)
		}
		if r.Offline {
			t.Errorf("%s: reported offline", prov)
		}
	}
	for _, prov := range []string{"aws", "cloudflare", "github", "digitalocean"} {
		if r := byProv[prov]; r.Status != StatusNew || r.Err != nil {
			t.Errorf("%s: %s %v", prov, r.Status, r.Err)
		}
	}
	cf := byProv["cloudflare"].Info
	if cf.IPv4 != 3 || cf.IPv6 != 2 || cf.Source != srv.URL+"/ips-v4 + "+srv.URL+"/ips-v6" {
		t.Errorf("cloudflare: %+v", cf)
	}
	if do := byProv["digitalocean"]; len(do.Notes) != 2 || do.Info.Skipped != 1 {
		t.Errorf("digitalocean notes %q", do.Notes)
	}
	if src := byProv["aws"].Info.Source; src != srv.URL+"/ip-ranges.json" {
		t.Errorf("aws source %q", src)
	}

	list, err := h.List()
	if err != nil || len(list) != 4 {
		t.Fatalf("list: %d %v", len(list), err)
	}

	// Again: the same bytes change nothing.
	res, err = h.Update(context.Background(), client, map[string][]string{"aws": sources["aws"], "cloudflare": sources["cloudflare"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != StatusUnchanged {
			t.Errorf("second update of %s: %s %v", r.Provider, r.Status, r.Err)
		}
	}

	// A cancelled context stops everything, and says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, _ = h.Update(ctx, client, map[string][]string{"aws": sources["aws"]})
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Err.Error(), "cancelled") {
		t.Errorf("cancelled: %s %v", res[0].Status, res[0].Err)
	}
}

func TestFetchLimit(t *testing.T) {
	srv := fakeProviders(t)
	client := &http.Client{Timeout: 5 * time.Second}
	for path, want := range map[string]string{
		"/huge":           "more than 1024 bytes, the most an update takes: refused",
		"/ip-ranges.json": "bytes, more than 100 bytes", // the Content-Length says so before the body is read
	} {
		limit := int64(1024)
		if path == "/ip-ranges.json" {
			limit = 100
		}
		if _, err := fetch(context.Background(), client, srv.URL+path, limit); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
	if data, err := fetch(context.Background(), client, srv.URL+"/ip-ranges.json", MaxFileSize); err != nil || string(data) != awsJSON {
		t.Errorf("within the limit: %v", err)
	}
}

func TestUpdateOffline(t *testing.T) {
	// A closed port on loopback: the connection is refused, as when a machine
	// has no network or a firewall drops the way out.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/ip-ranges.json"
	l.Close()

	// And a resolver that finds nothing, as without DNS.
	noDNS := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}}}

	for name, tc := range map[string]struct {
		client *http.Client
		url    string
		want   string
	}{
		"refused": {&http.Client{Timeout: 2 * time.Second}, closed, "cannot connect to 127.0.0.1"},
		"no dns":  {noDNS, "https://ip-ranges.amazonaws.com/ip-ranges.json", "cannot look up ip-ranges.amazonaws.com"},
	} {
		t.Run(name, func(t *testing.T) {
			h := Home{Dir: t.TempDir()}
			res, err := h.Update(context.Background(), tc.client, map[string][]string{"aws": {tc.url}})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != StatusFailed || !r.Offline || !errors.Is(r.Err, ErrOffline) {
				t.Fatalf("%s %v offline=%v", r.Status, r.Err, r.Offline)
			}
			for _, w := range []string{tc.want, "this machine seems to be offline", "cidrs import FILE"} {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("error %q lacks %q", r.Err, w)
				}
			}
		})
	}
}
