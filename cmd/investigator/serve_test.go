package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8000", ":8000", "192.0.2.1:80", "example.com:80"} {
		t.Run(addr, func(t *testing.T) {
			var out, errw bytes.Buffer
			code := run(context.Background(), []string{"--cases", t.TempDir(), "serve", "--addr", addr}, &out, &errw)
			if code != exitUsage || !strings.Contains(errw.String(), "--token") {
				t.Errorf("exit %d, stderr %q", code, errw.String())
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:8000", "[::1]:8000", "localhost:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") })
	go func() { done <- serve(ctx, ln, h, func(u string) { urls <- u }) }()
	u := <-urls
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Errorf("body %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeTokenForNonLoopback(t *testing.T) {
	var out, errw bytes.Buffer
	if code := run(context.Background(), []string{"--cases", t.TempDir(), "serve", "--addr", "0.0.0.0:0", "--token", "short"}, &out, &errw); code != exitUsage {
		t.Fatalf("a short token: exit %d %q", code, errw.String())
	}
	const token = "0123456789abcdef0123"
	h := requireToken(token, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "workbench") }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(srv.URL + "/"); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get(srv.URL + "/?token=wrong-wrong-wrong-wrong"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d", code)
	}
	if code, body := get(srv.URL + "/cases?token=" + token); code != http.StatusOK || body != "workbench" {
		t.Fatalf("the token: %d %q", code, body)
	}
	if code, _ := get(srv.URL + "/cases"); code != http.StatusOK {
		t.Fatalf("the cookie afterwards: %d", code)
	}
}
