// Package moto starts the moto AWS emulator (python3 -m moto.server) for
// integration tests, when it is installed: an independent implementation of
// the AWS APIs to check our fakes against.
package moto

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// Start runs a moto server on a free loopback port for the duration of the
// test and returns its endpoint URL (for BaseEndpoint or AWS_ENDPOINT_URL).
// It skips the test when python3 or moto is not installed.
func Start(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: the moto integration test needs it")
	}
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		t.Skip("moto not installed (python3 -m moto.server): skipping the AWS emulator integration test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("moto server did not answer on %s within 30s", url)
	return ""
}
