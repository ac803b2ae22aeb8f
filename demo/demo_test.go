package demo

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

const testRecords = 20_000

// flow is one parsed text record: field name → value.
type flow map[string]string

func (f flow) num(t *testing.T, name string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil {
		t.Fatalf("field %s = %q: %v", name, f[name], err)
	}
	return v
}

// tree is a generated tree and its text records.
type tree struct {
	dir   string
	sum   Summary
	flows []flow
}

func writeTestTree(t *testing.T, opts Options) tree {
	t.Helper()
	dir := t.TempDir()
	sum, err := WriteTree(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("WriteTree: %v", err)
	}
	return tree{dir: dir, sum: sum, flows: readFlows(t, dir, sum.Files)}
}

// readFlows parses every .log.gz object: a header line, then records with
// exactly as many space-separated fields.
func readFlows(t *testing.T, dir string, files []string) []flow {
	t.Helper()
	var flows []flow
	for _, name := range files {
		if !strings.HasSuffix(name, ".log.gz") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: not gzip: %v", name, err)
		}
		sc := bufio.NewScanner(zr)
		if !sc.Scan() {
			t.Fatalf("%s: empty", name)
		}
		header := strings.Split(sc.Text(), " ")
		for sc.Scan() {
			values := strings.Split(sc.Text(), " ")
			if len(values) != len(header) {
				t.Fatalf("%s: %d fields, header has %d: %q", name, len(values), len(header), sc.Text())
			}
			fl := make(flow, len(header)+1)
			for i, h := range header {
				fl[h] = values[i]
			}
			fl["@file"] = name
			flows = append(flows, fl)
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.Close()
	}
	return flows
}

func hashFiles(t *testing.T, dir string, files []string) map[string]string {
	t.Helper()
	sums := make(map[string]string, len(files))
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		sums[name] = hex.EncodeToString(h[:])
	}
	return sums
}

func TestWriteTreeDeterministic(t *testing.T) {
	opts := Options{Records: testRecords, Seed: 7}
	writeHashes := func(o Options) (Summary, map[string]string) {
		dir := t.TempDir()
		sum, err := WriteTree(context.Background(), dir, o)
		if err != nil {
			t.Fatalf("WriteTree: %v", err)
		}
		return sum, hashFiles(t, dir, sum.Files)
	}
	sumA, a := writeHashes(opts)

	t.Run("same seed", func(t *testing.T) {
		sumB, b := writeHashes(opts)
		if !slices.Equal(sumA.Files, sumB.Files) {
			t.Fatalf("file lists differ")
		}
		for name, h := range a {
			if b[name] != h {
				t.Errorf("%s differs between runs", name)
			}
		}
		if !reflect.DeepEqual(sumA, sumB) {
			t.Errorf("summaries differ")
		}
	})
	t.Run("different seed", func(t *testing.T) {
		o := opts
		o.Seed = 8
		_, b := writeHashes(o)
		same := 0
		for name, h := range a {
			if b[name] == h {
				same++
			}
		}
		if same > 0 || slices.Equal(slices.Sorted(maps.Values(a)), slices.Sorted(maps.Values(b))) {
			t.Errorf("%d files identical across seeds", same)
		}
	})
}

// awsFields are the field names of flow log versions 2 to 11.
func awsFields() map[string]bool {
	m := make(map[string]bool)
	for _, f := range strings.Fields(`version account-id interface-id srcaddr dstaddr srcport dstport
		protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type
		pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service
		pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name
		ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id
		ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason resource-id
		encryption-status`) {
		m[f] = true
	}
	return m
}

func TestWriteTreeStructure(t *testing.T) {
	tr := writeTestTree(t, Options{Records: testRecords})
	keyRE := regexp.MustCompile(`^AWSLogs/123456789012/vpcflowlogs/us-east-1/(\d{4})/(\d{2})/(\d{2})/` +
		`123456789012_vpcflowlogs_us-east-1_fl-[0-9a-f]{17}_(\d{8})T\d{4}Z_[0-9a-f]{8}\.log\.(gz|parquet)$`)
	known := awsFields()
	var parquets []string
	textRecords := 0
	for _, name := range tr.sum.Files {
		m := keyRE.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("object key %q is not AWS-shaped", name)
			continue
		}
		if m[1]+m[2]+m[3] != m[4] {
			t.Errorf("%s: folder date and file date differ", name)
		}
		if m[5] == "parquet" {
			parquets = append(parquets, name)
			continue
		}
		t.Run(filepath.Base(name), func(t *testing.T) { textRecords += checkTextObject(t, tr.dir, name, known) })
	}
	if len(parquets) != 1 {
		t.Fatalf("%d Parquet objects, want exactly 1", len(parquets))
	}
	parquetRows := checkParquet(t, filepath.Join(tr.dir, filepath.FromSlash(parquets[0])))

	if got := textRecords + parquetRows; got != tr.sum.Records {
		t.Errorf("files hold %d records, Summary.Records = %d", got, tr.sum.Records)
	}
	if diff := tr.sum.Records - testRecords; diff < -testRecords/100 || diff > testRecords/100 {
		t.Errorf("Summary.Records = %d, want within 1%% of %d", tr.sum.Records, testRecords)
	}
	var onDisk []string
	err := filepath.WalkDir(tr.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(tr.dir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(onDisk)
	if !slices.Equal(onDisk, tr.sum.Files) {
		t.Errorf("Summary.Files does not list exactly the files on disk")
	}
}

// checkTextObject checks one .log.gz object and returns its record count.
func checkTextObject(t *testing.T, dir, name string, known map[string]bool) int {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("no trailing newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	header := strings.Split(lines[0], " ")
	col := make(map[string]int)
	for i, h := range header {
		if !known[h] {
			t.Errorf("header field %q is not an AWS flow log field", h)
		}
		col[h] = i
	}
	for _, need := range []string{"version", "interface-id", "start", "end", "log-status"} {
		if _, ok := col[need]; !ok {
			t.Fatalf("header lacks %s: %q", need, lines[0])
		}
	}
	// The version of a custom format is the highest version of its fields.
	wantVersion := "2"
	for _, h := range header {
		switch h {
		case "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr":
			wantVersion = max(wantVersion, "3")
		case "region", "az-id", "sublocation-type", "sublocation-id":
			wantVersion = max(wantVersion, "4")
		case "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path":
			wantVersion = max(wantVersion, "5")
		}
	}
	var prevStart int64
	for n, line := range lines[1:] {
		v := strings.Split(line, " ")
		if len(v) != len(header) {
			t.Fatalf("line %d: %d fields, header has %d", n+2, len(v), len(header))
		}
		if v[col["version"]] != wantVersion {
			t.Fatalf("line %d: version %s, want %s for this format", n+2, v[col["version"]], wantVersion)
		}
		start, err1 := strconv.ParseInt(v[col["start"]], 10, 64)
		end, err2 := strconv.ParseInt(v[col["end"]], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %d: bad start/end: %q", n+2, line)
		}
		if start < prevStart {
			t.Fatalf("line %d: not sorted by start", n+2)
		}
		prevStart = start
		if end < start || end-start > 59 {
			t.Errorf("line %d: window %d..%d is not within 60 s", n+2, start, end)
		}
		switch status := v[col["log-status"]]; status {
		case "OK":
			for i, x := range v {
				if x == "-" && !optionalOnOK(header[i]) {
					t.Errorf("line %d: OK record lacks %s", n+2, header[i])
				}
			}
		case "NODATA", "SKIPDATA":
			for _, h := range []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"} {
				if i, ok := col[h]; ok && v[i] != "-" {
					t.Errorf("line %d: %s record has %s = %q", n+2, status, h, v[i])
				}
			}
		default:
			t.Errorf("line %d: log-status %q", n+2, status)
		}
	}
	return len(lines) - 1
}

// optionalOnOK reports whether an OK record may have "-" in the field.
func optionalOnOK(field string) bool {
	switch field {
	case "instance-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service", "traffic-path":
		return true
	}
	return false
}

// checkParquet reads the Parquet object with DuckDB, checks AWS's schema
// and returns its row count.
func checkParquet(t *testing.T, file string) int {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lit := "'" + strings.ReplaceAll(file, "'", "''") + "'"
	rows, err := db.Query("DESCRIBE SELECT * FROM read_parquet(" + lit + ")")
	if err != nil {
		t.Fatalf("DuckDB cannot read the Parquet object: %v", err)
	}
	got := make(map[string]string)
	var order []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		got[name] = typ
		order = append(order, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	want := map[string]string{
		"version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR", "srcaddr": "VARCHAR",
		"dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER", "protocol": "INTEGER",
		"packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "action": "VARCHAR",
		"log_status": "VARCHAR", "vpc_id": "VARCHAR", "subnet_id": "VARCHAR", "instance_id": "VARCHAR",
		"tcp_flags": "INTEGER", "type": "VARCHAR", "pkt_srcaddr": "VARCHAR", "pkt_dstaddr": "VARCHAR",
		"region": "VARCHAR", "az_id": "VARCHAR", "sublocation_type": "VARCHAR", "sublocation_id": "VARCHAR",
		"pkt_src_aws_service": "VARCHAR", "pkt_dst_aws_service": "VARCHAR", "flow_direction": "VARCHAR",
		"traffic_path": "INTEGER",
	}
	if !maps.Equal(got, want) {
		t.Errorf("Parquet columns = %v, want %v", got, want)
	}
	if order[0] != "version" || order[len(order)-1] != "traffic_path" {
		t.Errorf("Parquet column order = %v", order)
	}

	var n, ok, nodata, nullSub, nullAddrNoData, s3 int
	var minStart, maxEnd int64
	err = db.QueryRow(`SELECT count(*), count(*) FILTER (log_status = 'OK'), count(*) FILTER (log_status = 'NODATA'),
			count(*) FILTER (sublocation_id IS NULL), count(*) FILTER (log_status = 'NODATA' AND srcaddr IS NULL),
			count(*) FILTER (pkt_dst_aws_service = 'S3' AND traffic_path = 7), min(start), max("end")
		FROM read_parquet(`+lit+`)`).Scan(&n, &ok, &nodata, &nullSub, &nullAddrNoData, &s3, &minStart, &maxEnd)
	if err != nil {
		t.Fatal(err)
	}
	if ok == 0 || nullSub != n || nullAddrNoData != nodata || s3 == 0 {
		t.Errorf("Parquet rows: %d, OK %d, NODATA %d (NULL srcaddr %d), NULL sublocation_id %d, S3 via endpoint %d",
			n, ok, nodata, nullAddrNoData, nullSub, s3)
	}
	if maxEnd-minStart >= 3600 {
		t.Errorf("Parquet object spans %d s, want one hour", maxEnd-minStart)
	}
	return n
}

func TestIncidents(t *testing.T) {
	opts := Options{Records: testRecords, Seed: 3}
	tr := writeTestTree(t, opts)
	env := tr.sum.Case
	focus := make(map[string]bool)
	for _, a := range env.InstanceIPs {
		focus[a.String()] = true
	}
	byName := make(map[string][]Incident)
	for _, inc := range env.Incidents {
		byName[inc.Name] = append(byName[inc.Name], inc)
	}
	from := func(peer string) []flow {
		var out []flow
		for _, f := range tr.flows {
			if f["srcaddr"] == peer {
				out = append(out, f)
			}
		}
		return out
	}

	t.Run("timeline", func(t *testing.T) {
		end := opts.withDefaults().Start.AddDate(0, 0, 3)
		for _, inc := range env.Incidents {
			if inc.Start.Before(opts.withDefaults().Start) || !inc.End.Before(end) || inc.End.Before(inc.Start) {
				t.Errorf("%s %s: %s..%s outside the period", inc.Name, inc.Peer, inc.Start, inc.End)
			}
			if inc.Description == "" {
				t.Errorf("%s: no description", inc.Name)
			}
		}
		for _, name := range []string{"port-scan", "ssh-brute-force", "ssh-session", "lateral-ssh", "host-sweep", "exfiltration",
			"beacon", "long-connection", "rdp-probe", "database-probe", "intel-listed"} {
			if len(byName[name]) == 0 {
				t.Errorf("no %s incident", name)
			}
		}
	})

	t.Run("ssh brute force", func(t *testing.T) {
		brute := byName["ssh-brute-force"]
		if len(brute) < 3 {
			t.Fatalf("%d brute-force sources, want several", len(brute))
		}
		var accepted []string
		rejects, accepts := 0, 0
		for _, inc := range brute {
			got := 0
			for _, f := range from(inc.Peer) {
				if f["dstport"] != "22" || !focus[f["dstaddr"]] {
					continue
				}
				got++
				if f["action"] == "ACCEPT" {
					accepts++
					if !slices.Contains(accepted, inc.Peer) {
						accepted = append(accepted, inc.Peer)
					}
				} else {
					rejects++
				}
				if ts := time.Unix(f.num(t, "start"), 0); ts.Before(inc.Start) || ts.After(inc.End) && f["action"] == "REJECT" {
					t.Errorf("%s: record at %s outside the incident %s..%s", inc.Peer, ts, inc.Start, inc.End)
				}
			}
			if got == 0 {
				t.Errorf("%s: no SSH records", inc.Peer)
			}
		}
		if len(accepted) != 1 {
			t.Errorf("sources with an ACCEPT on 22: %v, want exactly one", accepted)
		}
		if rejects <= accepts {
			t.Errorf("%d REJECT vs %d ACCEPT: want mostly REJECT", rejects, accepts)
		}
		sessions := byName["ssh-session"]
		if len(sessions) != 1 || len(accepted) != 1 || sessions[0].Peer != accepted[0] {
			t.Fatalf("ssh-session %v does not follow the accepted source %v", sessions, accepted)
		}
		if d := sessions[0].End.Sub(sessions[0].Start); d < 20*time.Minute {
			t.Errorf("session lasts %s", d)
		}
	})

	t.Run("port scan", func(t *testing.T) {
		scan := byName["port-scan"]
		if len(scan) != 1 {
			t.Fatalf("%d port scans", len(scan))
		}
		ports := make(map[string]bool)
		rejects, syn, total := 0, 0, 0
		for _, f := range from(scan[0].Peer) {
			total++
			ports[f["dstport"]] = true
			if f["action"] == "REJECT" {
				rejects++
				if f["tcp-flags"] == "2" {
					syn++
				}
			}
		}
		if len(ports) <= 200 {
			t.Errorf("scanner touched %d distinct ports, want > 200", len(ports))
		}
		if rejects*10 < total*9 || syn != rejects {
			t.Errorf("%d records, %d REJECT, %d with SYN flags", total, rejects, syn)
		}
	})

	t.Run("probes", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			ports []string
		}{
			{"rdp-probe", []string{"3389"}},
			{"database-probe", []string{"1433", "3306", "5432", "6379", "27017", "9200"}},
		} {
			for _, inc := range byName[tc.name] {
				seen := make(map[string]bool)
				for _, f := range from(inc.Peer) {
					if f["action"] != "REJECT" || !slices.Contains(tc.ports, f["dstport"]) {
						t.Errorf("%s %s: unexpected record %v", tc.name, inc.Peer, f)
					}
					seen[f["dstport"]] = true
				}
				if len(seen) != len(tc.ports) {
					t.Errorf("%s %s: ports %v, want %v", tc.name, inc.Peer, slices.Sorted(maps.Keys(seen)), tc.ports)
				}
			}
		}
	})

	t.Run("lateral movement", func(t *testing.T) {
		for _, inc := range byName["lateral-ssh"] {
			enis := make(map[string]bool)
			for _, f := range tr.flows {
				if f["srcaddr"] == "10.0.1.10" && f["dstaddr"] == inc.Peer && f["dstport"] == "22" && f["action"] == "ACCEPT" {
					enis[f["interface-id"]] = true
				}
			}
			if len(enis) != 2 {
				t.Errorf("SSH 10.0.1.10 → %s seen on %d interfaces, want both ends", inc.Peer, len(enis))
			}
		}
	})

	t.Run("exfiltration", func(t *testing.T) {
		ex := byName["exfiltration"]
		if len(ex) != 1 {
			t.Fatalf("%d exfiltrations", len(ex))
		}
		var sent int64
		for _, f := range tr.flows {
			if f["dstaddr"] == ex[0].Peer && f["dstport"] == "443" && focus[f["srcaddr"]] {
				sent += f.num(t, "bytes")
			}
		}
		if sent < 1_000_000_000 {
			t.Errorf("exfiltration peer received %d bytes, want > 1 GB", sent)
		}
		if d := ex[0].End.Sub(ex[0].Start); d < 45*time.Minute || d > 90*time.Minute {
			t.Errorf("exfiltration lasts %s, want about an hour", d)
		}
	})

	t.Run("beacon", func(t *testing.T) {
		b := byName["beacon"]
		if len(b) != 1 {
			t.Fatalf("%d beacons", len(b))
		}
		// One connection per check-in: its first record's start and what
		// it sent.
		var starts, sizes []int64
		for _, c := range connections(t, tr.flows, func(f flow) bool {
			return f["dstaddr"] == b[0].Peer && f["dstport"] == "443" && focus[f["srcaddr"]] && f["action"] == "ACCEPT"
		}) {
			if c.flags&2 == 0 {
				t.Errorf("check-in at %d without SYN", c.start)
			}
			starts, sizes = append(starts, c.start), append(sizes, c.bytes)
		}
		if len(starts) < 100 {
			t.Fatalf("%d check-ins, want many", len(starts))
		}
		if span := time.Duration(starts[len(starts)-1]-starts[0]) * time.Second; span < 12*time.Hour {
			t.Errorf("beacon spans %s, want at least 12 h", span)
		}
		// Regular as recorded, and still regular when every start is
		// rounded down to its capture window (the web server's windows
		// begin 17 s into the minute).
		window := func(s int64) int64 { return s - floorMod(s-17, 60) }
		var gaps, windowGaps []int64
		for i := 1; i < len(starts); i++ {
			gaps = append(gaps, starts[i]-starts[i-1])
			windowGaps = append(windowGaps, window(starts[i])-window(starts[i-1]))
		}
		for _, g := range [][]int64{gaps, windowGaps} {
			if m, d := medianMAD(g); m < 290 || m > 310 || d*10 > m {
				t.Errorf("check-in interval median %d s, MAD %d s: want about 300 s, regular", m, d)
			}
		}
		if m, d := medianMAD(sizes); d*10 > m {
			t.Errorf("check-in size median %d bytes, MAD %d: want nearly the same size", m, d)
		}
	})

	t.Run("long connection", func(t *testing.T) {
		lc := byName["long-connection"]
		if len(lc) != 1 {
			t.Fatalf("%d long connections", len(lc))
		}
		tuples := make(map[string][]flow)
		for _, f := range tr.flows {
			if (f["dstaddr"] == lc[0].Peer || f["srcaddr"] == lc[0].Peer) && f["action"] == "ACCEPT" {
				k := f["srcaddr"] + ":" + f["srcport"] + ">" + f["dstaddr"] + ":" + f["dstport"] + "/" + f["protocol"]
				tuples[k] = append(tuples[k], f)
			}
		}
		if len(tuples) != 2 {
			t.Fatalf("%d 5-tuples with the peer, want one connection (both directions): %v", len(tuples), slices.Collect(maps.Keys(tuples)))
		}
		for k, fs := range tuples {
			if !strings.Contains(k, ":4444") {
				t.Errorf("%s: not the listener's port", k)
			}
			// Every record in the window after the previous one's.
			for i := 1; i < len(fs); i++ {
				if gap := fs[i].num(t, "start") - fs[i-1].num(t, "end"); gap != 1 {
					t.Fatalf("%s: records %d and %d are %d s apart, want consecutive windows", k, i-1, i, gap)
				}
			}
			for _, f := range fs {
				if f.num(t, "packets") < 1 || f.num(t, "bytes") > f.num(t, "packets")*1500 {
					t.Fatalf("%s: implausible record %v", k, f)
				}
			}
			span := time.Duration(fs[len(fs)-1].num(t, "end")-fs[0].num(t, "start")) * time.Second
			if span <= 4*time.Hour || len(fs) < 240 {
				t.Errorf("%s: %d records over %s, want more than 4 h of consecutive windows", k, len(fs), span)
			}
			if fs[0].num(t, "tcp-flags")&2 == 0 || fs[len(fs)-1].num(t, "tcp-flags")&1 == 0 {
				t.Errorf("%s: first flags %s, last %s: want SYN, then FIN", k, fs[0]["tcp-flags"], fs[len(fs)-1]["tcp-flags"])
			}
		}
	})

	t.Run("host sweep", func(t *testing.T) {
		sw := byName["host-sweep"]
		if len(sw) != 1 {
			t.Fatalf("%d host sweeps", len(sw))
		}
		vpc := env.VPCCIDRs[0]
		hosts := make(map[string]bool)
		sports := make(map[string]bool)
		rejected := 0
		for _, f := range tr.flows {
			if f["srcaddr"] != sw[0].Peer || f["protocol"] != "6" || f["dstport"] != "22" {
				continue
			}
			if !vpc.Contains(netip.MustParseAddr(f["dstaddr"])) {
				t.Errorf("sweep record outside the VPC: %v", f)
			}
			if f["action"] == "REJECT" {
				rejected++
			}
			hosts[f["dstaddr"]] = true
			sports[f["srcport"]] = true
		}
		if len(hosts) < 40 || len(sports) != 1 {
			t.Errorf("sweep touched %d hosts from %d source ports, want 40 or more from one", len(hosts), len(sports))
		}
		if rejected == 0 {
			t.Errorf("no host rejected the sweep")
		}
		for _, f := range tr.flows {
			if f["dstaddr"] == sw[0].Peer && f["srcport"] == "22" && sports[f["dstport"]] {
				t.Errorf("a swept host answered: %v", f)
			}
		}
	})

	t.Run("intel-listed peer", func(t *testing.T) {
		il := byName["intel-listed"]
		if len(il) != 1 {
			t.Fatalf("%d intel-listed incidents", len(il))
		}
		path, err := WriteIntel(t.TempDir(), opts)
		if err != nil {
			t.Fatal(err)
		}
		entries := readList(t, path)
		if !slices.Contains(entries, netip.PrefixFrom(netip.MustParseAddr(il[0].Peer), 32)) || len(entries) < 6 {
			t.Fatalf("list %v lacks the peer %s or its other entries", entries, il[0].Peer)
		}
		accepted := 0
		for _, f := range tr.flows {
			if f["srcaddr"] == il[0].Peer && focus[f["dstaddr"]] && f["action"] == "ACCEPT" && (f["dstport"] == "80" || f["dstport"] == "443") {
				accepted++
			}
			for _, k := range []string{"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"} {
				a, err := netip.ParseAddr(f[k])
				if err != nil || a.String() == il[0].Peer {
					continue
				}
				for _, p := range entries {
					if p.Contains(a) {
						t.Fatalf("listed %s appears in the traffic: %v", p, f)
					}
				}
			}
		}
		if accepted < 3 {
			t.Errorf("%d accepted requests from the listed peer, want a few", accepted)
		}
	})

	t.Run("coverage and variety", func(t *testing.T) {
		count := make(map[string]int)
		clients := make(map[string]int)
		natENI := "eni-0e5f4a3b2c1d09876"
		for _, f := range tr.flows {
			count["status "+f["log-status"]]++
			if strings.Contains(f["srcaddr"], ":") {
				count["ipv6"]++
			}
			count["service "+f["pkt-dst-aws-service"]]++
			count["protocol "+f["protocol"]]++
			if f["interface-id"] == natENI && f["dstaddr"] == "10.0.1.200" && strings.HasPrefix(f["pkt-srcaddr"], "10.0.") &&
				!strings.HasPrefix(f["pkt-dstaddr"], "10.") {
				count["nat"]++
			}
			if f["dstport"] == "443" && focus[f["dstaddr"]] && f["action"] == "ACCEPT" {
				clients[f["srcaddr"]]++
			}
		}
		for _, k := range []string{"status NODATA", "status SKIPDATA", "ipv6", "service S3", "service AMAZON",
			"protocol 1", "protocol 17", "protocol 58", "nat"} {
			if count[k] == 0 {
				t.Errorf("no records with %s", k)
			}
		}
		// A few heavy hitters and a long tail.
		n := slices.Sorted(maps.Values(clients))
		slices.Reverse(n)
		if len(n) < 100 || n[0] < 10*n[len(n)/2] {
			t.Errorf("web clients: %d, top %v, median %d: want skew", len(n), n[:min(5, len(n))], n[len(n)/2])
		}
	})
}

// TestScheduledServices: the busy legitimate services a detection must
// survive are there, on their timers, at the default size; at a small size
// they keep to their share of the records.
func TestScheduledServices(t *testing.T) {
	tr := writeTestTree(t, Options{})
	o := Options{}.withDefaults()
	periodEnd := o.Start.AddDate(0, 0, o.Days).Unix()
	sp := newScheduledPeers(o.Seed)
	const web, db, balancer = "10.0.1.10", "10.0.2.40", "10.0.1.142"

	// starts returns the start of each connection that match selects.
	starts := func(match func(f flow) bool) []int64 {
		var out []int64
		for _, c := range connections(t, tr.flows, match) {
			out = append(out, c.start)
		}
		return out
	}
	// regular checks that starts come every interval seconds (up to slack
	// late) over most of the period.
	regular := func(name string, starts []int64, interval, slack int64) {
		t.Helper()
		if len(starts) < 2 {
			t.Fatalf("%s: %d connections", name, len(starts))
		}
		for i := 1; i < len(starts); i++ {
			if gap := starts[i] - starts[i-1]; gap < interval-slack || gap > interval+slack {
				t.Fatalf("%s: %d s between connections %d and %d, want %d", name, gap, i-1, i, interval)
			}
		}
		if covered := starts[len(starts)-1] - starts[0]; covered < int64(o.Days)*86400-2*interval-3600 {
			t.Errorf("%s: runs for %d s of the period", name, covered)
		}
	}

	for _, srv := range sp.ntp {
		regular("chrony → "+srv.String(), starts(func(f flow) bool {
			return f["srcaddr"] == web && f["dstaddr"] == srv.String() && f["dstport"] == "123"
		}), 1024, 0)
	}
	metrics := starts(func(f flow) bool {
		return f["srcaddr"] == web && f["dstaddr"] == sp.monitoring.String() && f["dstport"] == "443"
	})
	regular("metrics agent", metrics, 60, 1)
	health := starts(func(f flow) bool { return f["srcaddr"] == balancer && f["dstaddr"] == web && f["dstport"] == "80" })
	regular("health checks", health, 30, 0)
	for _, f := range tr.flows {
		if f["dstaddr"] == sp.monitoring.String() && f["pkt-dst-aws-service"] != "AMAZON" {
			t.Fatalf("metrics record not named as an AWS service: %v", f)
		}
	}

	// The nightly backup: gigabytes from the database to S3 between 02:00
	// and 03:00, on the database's interface and through the NAT gateway.
	nights := make(map[int]int64)
	natS3 := 0
	for _, f := range tr.flows {
		ts := time.Unix(f.num(t, "start"), 0).UTC()
		if f["srcaddr"] == db && f["dstport"] == "443" && ts.Hour() == 2 {
			nights[ts.Day()] += f.num(t, "bytes")
		}
		if f["pkt-srcaddr"] == db && f["pkt-dst-aws-service"] == "S3" && ts.Hour() == 2 {
			natS3++
		}
	}
	for day := o.Start.Day(); day < o.Start.Day()+o.Days; day++ {
		if nights[day] < 1_000_000_000 {
			t.Errorf("night of day %d: %d bytes from the database at 02:00, want a backup of gigabytes", day, nights[day])
		}
	}
	if natS3 == 0 {
		t.Error("no backup records on the NAT gateway")
	}

	// The incidents stay a small part of the default size, the scheduled
	// services within their share.
	_, fixed, _ := plant(newEnvironment(), o)
	all := scheduled(newEnvironment(), o, sp, o.Records)
	if len(fixed)*100 > o.Records*3 || len(all)*100 > o.Records*scheduledShare {
		t.Errorf("incidents %d, scheduled services %d records of %d", len(fixed), len(all), o.Records)
	}
	small := Options{Records: testRecords}.withDefaults()
	kept := scheduled(newEnvironment(), small, sp, small.Records*scheduledShare/100)
	if len(kept) > small.Records*scheduledShare/100 || len(kept) < small.Records*scheduledShare/100-10 {
		t.Errorf("at %d records the scheduled services take %d", small.Records, len(kept))
	}
	for _, r := range kept {
		if r.end >= periodEnd {
			t.Fatalf("scheduled record past the period: %+v", r)
		}
	}
}

// TestWrite: Write lays out the flow logs, the provider ranges and the
// threat-intel list under one folder, the same bytes for the same seed.
func TestWrite(t *testing.T) {
	opts := Options{Records: testRecords, Seed: 5}
	write := func(seed int64) (string, Summary) {
		dir := t.TempDir()
		o := opts
		o.Seed = seed
		sum, err := Write(context.Background(), dir, o)
		if err != nil {
			t.Fatal(err)
		}
		return dir, sum
	}
	dir, sum := write(opts.Seed)
	if sum.Intel != filepath.Join(dir, "intel", IntelFile) || len(sum.Ranges) != 3 {
		t.Fatalf("Intel %q, Ranges %v", sum.Intel, sum.Ranges)
	}
	for _, p := range append(slices.Clone(sum.Ranges), sum.Intel) {
		if rel, err := filepath.Rel(dir, p); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("%s is not under %s", p, dir)
		}
	}
	for _, f := range sum.Files {
		if _, err := os.Stat(filepath.Join(dir, "flowlogs", filepath.FromSlash(f))); err != nil {
			t.Errorf("Files lists %s: %v", f, err)
		}
	}
	data, err := os.ReadFile(sum.Intel)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# ") {
		t.Errorf("list does not begin with a comment:\n%s", data)
	}
	peer := sum.Case.Incidents[slices.IndexFunc(sum.Case.Incidents, func(i Incident) bool { return i.Name == "intel-listed" })].Peer
	if !slices.Contains(readList(t, sum.Intel), netip.PrefixFrom(netip.MustParseAddr(peer), 32)) {
		t.Errorf("the list lacks the intel-listed peer %s:\n%s", peer, data)
	}

	dir2, sum2 := write(opts.Seed)
	data2, _ := os.ReadFile(sum2.Intel)
	if string(data) != string(data2) {
		t.Error("the list differs between runs with the same seed")
	}
	a, b := hashFiles(t, filepath.Join(dir, "ranges"), []string{"ip-ranges.json", "cloud.json"}),
		hashFiles(t, filepath.Join(dir2, "ranges"), []string{"ip-ranges.json", "cloud.json"})
	if !maps.Equal(a, b) {
		t.Error("the range files differ between runs with the same seed")
	}
	_, other := write(opts.Seed + 1)
	data3, _ := os.ReadFile(other.Intel)
	if string(data) == string(data3) {
		t.Error("the list is the same for another seed")
	}
}

// conn is one connection's records taken together.
type conn struct {
	start, end, bytes int64
	flags             int64 // OR of its records' tcp-flags
}

// connections groups the records match selects into connections, in order
// of start: records of one source port in consecutive windows are one
// connection; a source port used again later starts another.
func connections(t *testing.T, flows []flow, match func(f flow) bool) []conn {
	t.Helper()
	var sel []flow
	for _, f := range flows {
		if match(f) {
			sel = append(sel, f)
		}
	}
	slices.SortStableFunc(sel, func(a, b flow) int { return cmp.Compare(a.num(t, "start"), b.num(t, "start")) })
	var out []conn
	open := make(map[string]int) // source port → its connection in out
	for _, f := range sel {
		start, end := f.num(t, "start"), f.num(t, "end")
		var flags int64
		if v, ok := f["tcp-flags"]; ok && v != "-" {
			flags = f.num(t, "tcp-flags")
		}
		if i, ok := open[f["srcport"]]; ok && start <= out[i].end+1 {
			out[i].end, out[i].bytes, out[i].flags = max(out[i].end, end), out[i].bytes+f.num(t, "bytes"), out[i].flags|flags
			continue
		}
		open[f["srcport"]] = len(out)
		out = append(out, conn{start: start, end: end, bytes: f.num(t, "bytes"), flags: flags})
	}
	return out
}

// medianMAD returns the median of v and the median absolute deviation from
// it (lower middle for an even count).
func medianMAD(v []int64) (median, mad int64) {
	s := slices.Sorted(slices.Values(v))
	median = s[(len(s)-1)/2]
	dev := make([]int64, len(s))
	for i, x := range s {
		dev[i] = max(x-median, median-x)
	}
	slices.Sort(dev)
	return median, dev[(len(dev)-1)/2]
}

// readList parses a plain blocklist: an address or network a line, # comments.
func readList(t *testing.T, path string) []netip.Prefix {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Prefix
	for n, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		p, err := netip.ParsePrefix(line)
		if err != nil {
			a, aerr := netip.ParseAddr(line)
			if aerr != nil {
				t.Fatalf("%s:%d: %q is neither an address nor a network", path, n+1, line)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out
}

func TestEnvironment(t *testing.T) {
	// Enough records for background on every interface: the incidents
	// alone take about 5,000.
	opts := Options{Records: 10_000, Seed: 11}
	tr := writeTestTree(t, opts)
	env := Environment(opts)
	if !reflect.DeepEqual(env, tr.sum.Case) {
		t.Errorf("Environment and WriteTree disagree:\n%+v\n%+v", env, tr.sum.Case)
	}
	if env.AccountID != "123456789012" || env.Region != "us-east-1" || env.VPCID != "vpc-0a1b2c3d4e5f60718" {
		t.Errorf("case = %+v", env)
	}
	if !regexp.MustCompile(`^i-0abc[0-9a-f]{13}$`).MatchString(env.InstanceID) {
		t.Errorf("InstanceID = %q", env.InstanceID)
	}
	var v4, v6 bool
	for _, p := range env.VPCCIDRs {
		v4, v6 = v4 || p.Addr().Is4(), v6 || p.Addr().Is6()
	}
	if !v4 || !v6 {
		t.Errorf("VPCCIDRs = %v, want IPv4 and IPv6", env.VPCCIDRs)
	}
	inVPC := func(a netip.Addr) bool {
		return slices.ContainsFunc(env.VPCCIDRs, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	var private, public, ipv6 int
	for _, a := range env.InstanceIPs {
		switch {
		case a.Is6() && inVPC(a):
			ipv6++
		case a.Is4() && inVPC(a):
			private++
		case a.Is4() && !a.IsPrivate():
			public++
		default:
			t.Errorf("instance address %s is neither in the VPC nor public", a)
		}
	}
	if private < 2 || public != 1 || ipv6 != 1 {
		t.Errorf("InstanceIPs = %v", env.InstanceIPs)
	}
	eniRE := regexp.MustCompile(`^eni-[0-9a-f]{17}$`)
	seen := make(map[string]bool)
	for _, f := range tr.flows {
		seen[f["interface-id"]] = true
		if id, ok := f["instance-id"]; ok && slices.Contains(env.Interfaces, f["interface-id"]) && id != env.InstanceID {
			t.Fatalf("focus interface record with instance-id %s", id)
		}
	}
	for _, id := range env.Interfaces {
		if !eniRE.MatchString(id) || !seen[id] {
			t.Errorf("interface %q: malformed or without records", id)
		}
	}
	// The public address shows up in pkt-dstaddr of inbound v5 records.
	pub := env.InstanceIPs[slices.IndexFunc(env.InstanceIPs, func(a netip.Addr) bool { return a.Is4() && !inVPC(a) })]
	if !slices.ContainsFunc(tr.flows, func(f flow) bool { return f["pkt-dstaddr"] == pub.String() }) {
		t.Errorf("no record with pkt-dstaddr %s", pub)
	}
}

func TestWriteTreeRecordCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want int
	}{
		{"small", Options{Records: 8_000}, 8_000},
		{"one day", Options{Records: 30_000, Days: 1}, 30_000},
		{"other start", Options{Records: 12_345, Seed: 99, Start: time.Date(2025, 2, 28, 13, 30, 15, 0, time.UTC), Days: 2}, 12_345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := WriteTree(context.Background(), t.TempDir(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != tc.want {
				t.Errorf("Records = %d, want %d", sum.Records, tc.want)
			}
			if len(sum.Files) < 24*max(tc.opts.Days, 1) {
				t.Errorf("%d files", len(sum.Files))
			}
		})
	}
}

func TestWriteTreeErrors(t *testing.T) {
	t.Run("negative options", func(t *testing.T) {
		for _, o := range []Options{{Records: -1}, {Days: -2}} {
			if _, err := WriteTree(context.Background(), t.TempDir(), o); err == nil {
				t.Errorf("WriteTree(%+v) succeeded", o)
			}
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := WriteTree(ctx, t.TempDir(), Options{Records: 5_000})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := WriteTree(context.Background(), file, Options{Records: 5_000})
		if err == nil || !strings.HasPrefix(err.Error(), "demo: ") {
			t.Errorf("err = %v, want a demo: error", err)
		}
	})
}

func BenchmarkWriteTree(b *testing.B) {
	for b.Loop() {
		if _, err := WriteTree(context.Background(), b.TempDir(), Options{Records: 200_000}); err != nil {
			b.Fatal(err)
		}
	}
}
