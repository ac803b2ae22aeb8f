package intel

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

	"github.com/investigator/investigator/cidrs"
)

// fakeFeeds serves lists the way the feeds do, and some failures.
func fakeFeeds(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.UserAgent(), "investigator (intel update)") {
				http.Error(w, "who are you?", http.StatusForbidden)
				return
			}
			io.WriteString(w, body)
		})
	}
	serve("/exit-addresses", torExits)
	serve("/drop/drop_v4.json", spamhausJSON)
	serve("/empty", "# nothing today\n")
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestUpdate(t *testing.T) {
	srv := fakeFeeds(t)
	h := Home{Dir: t.TempDir()}
	feeds := map[string]string{
		"tor-exits":     srv.URL + "/exit-addresses",
		"spamhaus-drop": srv.URL + "/drop/drop_v4.json",
		"broken":        srv.URL + "/broken",
		"empty":         srv.URL + "/empty",
		"Bad Name":      srv.URL + "/exit-addresses",
	}
	res, err := h.Update(context.Background(), &http.Client{Timeout: 2 * time.Second}, feeds)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]UpdateResult{}
	var names []string
	for _, r := range res {
		by[r.Name] = r
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "Bad Name,broken,empty,spamhaus-drop,tor-exits" {
		t.Fatalf("results in order %s", got)
	}
	for name, want := range map[string]string{
		"broken": "HTTP 500", "empty": "no address or network in it", "Bad Name": "is not a list name",
	} {
		if r := by[name]; r.Status != StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), want) || r.Offline {
			t.Errorf("%s: %s %v offline=%v, want failed with %q", name, r.Status, r.Err, r.Offline, want)
		}
	}
	tor := by["tor-exits"]
	if tor.Status != StatusNew || tor.Info.Entries != 3 || tor.Info.Source != srv.URL+"/exit-addresses" || len(tor.Notes) == 0 {
		t.Errorf("tor: %+v", tor)
	}
	if d := by["spamhaus-drop"]; d.Status != StatusNew || d.Info.Name != "spamhaus-drop" || d.Info.Date.IsZero() {
		t.Errorf("drop: %+v", d)
	}
	// Again: the same bytes change nothing.
	res, err = h.Update(context.Background(), nil, map[string]string{"tor-exits": feeds["tor-exits"]})
	if err != nil || res[0].Status != StatusUnchanged {
		t.Fatalf("again: %+v %v", res, err)
	}
}

// TestUpdateOffline: without a network, an update says it cannot fetch and
// what to do instead.
func TestUpdateOffline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/exit-addresses"
	l.Close()
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
		"no dns":  {noDNS, FeedURLs()["tor-exits"], "cannot look up check.torproject.org"},
	} {
		t.Run(name, func(t *testing.T) {
			h := Home{Dir: t.TempDir()}
			res, err := h.Update(context.Background(), tc.client, map[string]string{"tor-exits": tc.url})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != StatusFailed || !r.Offline || !errors.Is(r.Err, cidrs.ErrOffline) {
				t.Fatalf("%s %v offline=%v", r.Status, r.Err, r.Offline)
			}
			for _, w := range []string{tc.want, "this machine seems to be offline", "intel import FILE"} {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("error %q lacks %q", r.Err, w)
				}
			}
			if list, _ := h.List(); len(list) != 0 {
				t.Errorf("an offline update stored %v", list)
			}
		})
	}
}

func TestFeeds(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Feeds() {
		if ValidName(f.Name) != nil || !strings.HasPrefix(f.URL, "https://") || f.About == "" || seen[f.Name] {
			t.Errorf("feed %+v", f)
		}
		seen[f.Name] = true
	}
}
