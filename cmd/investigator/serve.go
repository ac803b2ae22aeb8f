package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/spf13/cobra"

	"github.com/investigator/investigator/store"
	"github.com/investigator/investigator/views"
)

func (a *app) serveCommand() *cobra.Command {
	var addr, token, analyst string
	var allowedHosts []string
	var wf whoisFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Open the browser workbench over the cases folder",
		Long: `serve starts the web workbench over the cases folder and prints its address.

It listens on the loopback interface (127.0.0.1:8000 by default). An address other
machines can reach needs --token (or INVESTIGATOR_TOKEN): every browser must then
open the printed URL carrying ?token=… once, which sets a cookie; requests without
it are refused. Prefer an SSH tunnel when you can. Stop it with Ctrl-C.

It answers only requests addressed to its own names (the Host header): localhost,
127.0.0.1, [::1], the --addr host (on every interface, 0.0.0.0 or ::, any IP
address), and each --allowed-host NAME, e.g. the machine's DNS name. Any other name
gets 421 Misdirected Request, so that a web page cannot reach the workbench through
a DNS name it points at this machine (DNS rebinding).

Browsing needs no network. The pages offer to load the home folder's range snapshots
into a case, and to look addresses up in WHOIS (which asks the registries); --offline
turns the look-ups off.

Stars, tags, notes and findings made on the pages are signed with --analyst NAME
(default $INVESTIGATOR_ANALYST, else the operating-system user) in the case log.`,
		Example: `  investigator serve
  investigator serve --addr 127.0.0.1:9000
  investigator serve --addr 0.0.0.0:8000 --token "$(openssl rand -hex 16)" --allowed-host bastion.example.internal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = os.Getenv("INVESTIGATOR_TOKEN")
			}
			if err := checkLoopback(addr); err != nil && token == "" {
				return err
			}
			if token != "" && len(token) < 16 {
				return usagef("--token: use at least 16 characters (e.g. openssl rand -hex 16)")
			}
			for _, h := range allowedHosts {
				if _, err := views.NormalizeHost(h); err != nil {
					return usagef("--allowed-host %q: %v", h, err)
				}
			}
			o := views.Options{CasesDir: a.casesDir, Program: "investigator " + version, Logger: a.log, Wait: a.wait,
				Whois: wf.options(), WhoisOffline: wf.offline, Context: cmd.Context(), AWS: (&awsFlags{}).config,
				Addr: addr, AllowedHosts: allowedHosts, Analyst: store.Analyst(analyst)}
			if home, err := a.home(); err == nil {
				o.Home = home.Dir
			}
			e, err := views.New(o)
			if err != nil {
				return err
			}
			if token != "" {
				// After the workbench's own guard (security headers, Host
				// check), before routing.
				e.Pre(echo.WrapMiddleware(func(next http.Handler) http.Handler { return requireToken(token, next) }))
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), ln, e, func(url string) {
				if token != "" {
					url += "?token=" + token
				}
				fmt.Fprintf(a.stdout, "investiGATOR workbench on %s (cases in %s) — Ctrl-C stops it\n", url, a.casesDir)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on (a non-loopback address needs --token)")
	cmd.Flags().StringVar(&token, "token", "", "require this secret (default $INVESTIGATOR_TOKEN): needed to listen beyond loopback")
	cmd.Flags().StringVar(&analyst, "analyst", "", "sign the changes made on the pages with this `NAME` (default $INVESTIGATOR_ANALYST, else the OS user)")
	cmd.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "also answer requests addressed to this host `NAME` (repeatable; any port)")
	wf.register(cmd) // for the look-ups the pages start
	return cmd
}

const tokenCookie = "investigator_token"

// requireToken lets through requests that carry the token, once as
// ?token=… (which sets a cookie for the rest of the session) or in the cookie.
func requireToken(token string, next http.Handler) http.Handler {
	ok := func(s string) bool { return subtle.ConstantTimeCompare([]byte(s), []byte(token)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("token"); q != "" && ok(q) {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			u := *r.URL
			qs := u.Query()
			qs.Del("token")
			u.RawQuery = qs.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther) // keep the token out of the address bar and history
			return
		}
		if c, err := r.Cookie(tokenCookie); err == nil && ok(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "This workbench needs its token: open the address investigator serve printed.", http.StatusUnauthorized)
	})
}

// checkLoopback refuses addresses other machines could reach.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return usagef("--addr %q: another machine could reach it, and the workbench has no login: give --token SECRET, or use a loopback address (e.g. 127.0.0.1:8000) and an SSH tunnel", addr)
	}
	return nil
}

// serve runs h on ln until ctx is cancelled, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler, ready func(url string)) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready("http://" + ln.Addr().String() + "/")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
