package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/investigator/investigator/store"
)

const testAWSRanges = `{"syncToken": "1700000000", "createDate": "2024-01-02-03-04-05",
"prefixes": [
  {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
  {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
  {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "AMAZON", "network_border_group": "ap-northeast-2"}],
"ipv6_prefixes": [
  {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}]}`

const testGoogleRanges = `{"syncToken": "1753409788780", "creationTime": "2025-07-24T19:16:28.780563",
"prefixes": [{"ipv4Prefix": "34.1.208.0/20", "service": "Google Cloud", "scope": "africa-south1"}]}`

const testAzureRanges = `{"changeNumber": 363, "cloud": "Public", "values": [
  {"name": "AzureCloud.eastus", "properties": {"region": "eastus", "systemService": "", "addressPrefixes": ["20.42.0.0/17"]}}]}`

func writeRangeFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"ip-ranges.json":          testAWSRanges,
		"cloud.json":              testGoogleRanges,
		"cloudflare-ips-v4.txt":   "173.245.48.0/20\n103.21.244.0/22",
		"cloudflare-ips-v6.txt":   "2400:cb00::/32\n",
		"ServiceTags_Public.json": testAzureRanges,
		"notes.txt":               "ranges fetched on the jump host\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCidrsImportListLoad(t *testing.T) {
	c := newCLI(t)
	home := t.TempDir()
	r := c.mustRun("cidrs", "list", "--home", home)
	if !strings.Contains(r.stdout, "No range snapshots") || !strings.Contains(r.stdout, "cidrs update") {
		t.Fatalf("empty list: %q", r.stdout)
	}
	r = c.run("cidrs", "load", "x", "--home", home)
	if r.code != exitFail || !strings.Contains(r.stderr, "no range snapshots") {
		t.Fatalf("load from an empty home: %d %q", r.code, r.stderr)
	}

	files := writeRangeFiles(t)
	r = c.run("cidrs", "import", files, "--home", home)
	if r.code != exitFail {
		t.Fatalf("import with a file that is not a range file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "cidrs-import", c.normalize(r.stdout+r.stderr, files, home))

	r = c.mustRun("cidrs", "import", filepath.Join(files, "ip-ranges.json"), "--home", home)
	if !strings.Contains(r.stdout, "unchanged  aws") || !strings.Contains(r.stdout, "nothing to do") {
		t.Fatalf("second import: %q", r.stdout)
	}

	r = c.mustRun("cidrs", "list", "--home", home)
	golden(t, "cidrs-list", c.normalize(r.stdout, home))
	r = c.mustRun("cidrs", "list", "--home", home, "--format", "json")
	for _, want := range []string{`"provider": "aws"`, `"ipv4": 3`, `"ipv6": 1`, `"date": "2024-01-02T03:04:05Z"`, `"version": "363"`, `"fetched_at": "`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list --format json lacks %s:\n%s", want, r.stdout)
		}
	}

	// INVESTIGATOR_HOME is the home when --home is not given.
	t.Setenv("INVESTIGATOR_HOME", home)
	c.home = ""
	r = c.mustRun("cidrs", "list")
	if !strings.Contains(r.stdout, "cloudflare") {
		t.Fatalf("list with INVESTIGATOR_HOME: %q", r.stdout)
	}

	c.mustRun("case", "new", "incident-42")
	r = c.mustRun("cidrs", "load", "incident-42")
	golden(t, "cidrs-load", c.normalize(r.stdout))
	r = c.mustRun("cidrs", "load", "incident-42")
	if !strings.Contains(r.stdout, "already holds the current snapshots of aws, azure, cloudflare, google: nothing to load") {
		t.Fatalf("second load: %q", r.stdout)
	}

	cs, err := store.Open(context.Background(), filepath.Join(c.cases, "incident-42.duckdb"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var prov, svc string
	err = cs.DB.QueryRow(`SELECT provider, service FROM cidr_ranges WHERE CAST(? AS UHUGEINT) BETWEEN start_num AND end_num
		ORDER BY bits DESC, service = 'AMAZON' LIMIT 1`, store.AddrNum(netip.MustParseAddr("52.216.1.1"))).Scan(&prov, &svc)
	if err != nil || prov != "aws" || svc != "S3" {
		t.Fatalf("52.216.1.1 in the case: %s %s %v", prov, svc, err)
	}
}

func TestCidrsUsage(t *testing.T) {
	c := newCLI(t)
	home := t.TempDir()
	for _, bad := range [][]string{
		{"cidrs", "import"},
		{"cidrs", "import", "x.txt", "--provider", "Cloud Flare"},
		{"cidrs", "update", "--provider", "nope"},
		{"cidrs", "update", "--source", "aws"},
		{"cidrs", "update", "--source", "aws=ftp://example.com/x"},
		{"cidrs", "load"},
		{"cidrs", "list", "--format", "xml"},
	} {
		r := c.run(append(bad, "--home", home)...)
		if r.code != exitUsage {
			t.Errorf("investigator %s: exit %d, want %d (stderr %q)", strings.Join(bad, " "), r.code, exitUsage, r.stderr)
		}
	}
	r := c.run("cidrs", "import", filepath.Join(home, "missing.json"), "--home", home)
	if r.code != exitFail || !strings.Contains(r.stderr, "missing.json") || strings.Contains(r.stderr, "cidrs: ") {
		t.Errorf("import of a missing file: %d %q", r.code, r.stderr)
	}
	r = c.run("cidrs", "update", "--provider", "azure", "--home", home)
	if r.code != exitFail || !strings.Contains(r.stdout, "new file name every week") || !strings.Contains(r.stdout, "cidrs import FILE") {
		t.Errorf("update azure: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = c.run("cidrs", "import", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--provider cloudflare") {
		t.Errorf("import --help: %d %q", r.code, r.stdout)
	}
}

func TestCidrsUpdate(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ip-ranges.json", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, testAWSRanges) })
	mux.HandleFunc("/ips-v4", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "173.245.48.0/20\n103.21.244.0/22") })
	mux.HandleFunc("/ips-v6", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "2400:cb00::/32") })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := newCLI(t)
	home := t.TempDir()
	r := c.run("cidrs", "update", "--home", home,
		"--source", "aws="+srv.URL+"/ip-ranges.json",
		"--source", "cloudflare="+srv.URL+"/ips-v4", "--source", "cloudflare="+srv.URL+"/ips-v6",
		"--source", "oracle="+srv.URL+"/broken")
	if r.code != exitFail {
		t.Fatalf("update with a broken source: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := strings.ReplaceAll(r.stdout+r.stderr, srv.URL, "$URL")
	for _, want := range []string{
		"new        aws           $URL/ip-ranges.json: 3 IPv4 + 1 IPv6 prefixes, dated 2024-01-02",
		"new        cloudflare    $URL/ips-v4 + $URL/ips-v6: 2 IPv4 + 1 IPv6 prefixes",
		"refused    oracle        $URL/broken: HTTP 500 Internal Server Error",
		"investigator: 1 of 3 providers not fetched",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("update output lacks %q:\n%s", want, out)
		}
	}
	r = c.mustRun("cidrs", "update", "--home", home, "--source", "aws="+srv.URL+"/ip-ranges.json", "--format", "json")
	if !strings.Contains(r.stdout, `"status": "unchanged"`) {
		t.Errorf("second update: %s", r.stdout)
	}

	// Offline: nothing listens on the port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	r = c.run("cidrs", "update", "--home", home, "--source", "aws="+closed+"/ip-ranges.json", "--source", "github="+closed+"/meta")
	if r.code != exitFail {
		t.Fatalf("offline update: exit %d", r.code)
	}
	for _, want := range []string{"this machine seems to be offline", "investigator cidrs import FILE"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("offline update: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "refused    aws") || !strings.Contains(r.stdout, "cannot connect to 127.0.0.1") {
		t.Errorf("offline update stdout:\n%s", r.stdout)
	}
}
