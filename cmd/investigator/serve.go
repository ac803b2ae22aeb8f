package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/views"
)

func (a *app) serveCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Open the browser workbench over the cases folder",
		Long: `serve starts the web workbench over the cases folder and prints its address.

It listens on the loopback interface only (127.0.0.1:8000 by default): the
workbench has no login, so an address other people can reach is refused.
Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLoopback(addr); err != nil {
				return err
			}
			e, err := views.New(views.Options{CasesDir: a.casesDir, Program: "investigator " + version, Logger: a.log, Wait: a.wait})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), ln, e, func(url string) {
				fmt.Fprintf(a.stdout, "investiGATOR workbench on %s (cases in %s) — Ctrl-C stops it\n", url, a.casesDir)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on (loopback only)")
	return cmd
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
		return usagef("--addr %q: the workbench has no login, so it listens on loopback only (e.g. 127.0.0.1:8000); reach it from elsewhere through an SSH tunnel", addr)
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
