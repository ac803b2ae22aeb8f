package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/investigator/investigator/ingest"
	"github.com/investigator/investigator/store"
)

const flowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

func flowLine(start int64) string {
	return "2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.10 49152 22 6 10 840 " +
		strconv.FormatInt(start, 10) + " " + strconv.FormatInt(start+60, 10) + " REJECT OK\n"
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "tree/a.log", flowHeader+flowLine(1700000000)+flowLine(1700000100))
	write(t, dir, "tree/b.log", flowHeader+flowLine(1700000200)+"2 bad line\n")
	write(t, dir, "tree/.hidden/c.log", flowHeader+flowLine(1700000300))
	write(t, dir, "tree/notes.html", "<html><body>Access denied</body></html>\n")
	items, missing := Expand([]string{filepath.Join(dir, "tree"), filepath.Join(dir, "nothing-*.log"), filepath.Join(dir, "gone.log")})
	if len(items) != 3 || len(missing) != 2 {
		t.Fatalf("expand: %d items %+v, %d missing %+v", len(items), items, len(missing), missing)
	}
	c := newCase(t)
	focus, err := store.ParseFocus(nil, []string{"10.0.1.10"}, []string{"10.0.0.0/16"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	req := Request{Items: items, Missing: missing, Focus: focus, Command: "test", Program: "test"}
	rep, err := Run(ctx, c, req, Events{
		Began:    func(int64) { events = append(events, "began") },
		File:     func(i, n int, it ingest.Item) { events = append(events, "file "+filepath.Base(it.Path)) },
		FileDone: func(r ingest.FileResult) { events = append(events, "done "+string(r.Status)) },
		Pulling:  func(Source) { events = append(events, "pulling") },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"began", "file a.log", "done loaded", "file b.log", "done loaded", "file notes.html", "done refused"}
	if !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
	if rep.Loaded != 2 || rep.Refused != 3 || rep.Records != 3 || rep.Rejected != 1 || len(rep.Files) != 5 || rep.IngestID == 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.Window != [2]*time.Time{nil, nil} {
		t.Errorf("files alone have no window: %v", rep.Window)
	}
	if f := rep.Failure(); f == nil || f.Msg != "3 of 5 files did not land" {
		t.Errorf("failure %v", f)
	}
	sum := rep.Summary("t")
	if len(sum) != 2 || !strings.HasPrefix(sum[0], "3 records from 2 files into t in ") ||
		!strings.HasSuffix(sum[0], "(0 already ingested, 3 refused, 0 failed, 1 rejected line)") || sum[1] != "Rejected lines are in the case: SELECT * FROM rejects;" {
		t.Errorf("summary %q", sum)
	}
	info, err := c.Info(ctx)
	if err != nil || len(info.Focus) != 1 || len(info.VPCCIDRs) != 1 {
		t.Errorf("focus not recorded: %+v %v", info, err)
	}

	again, err := Run(ctx, c, Request{Items: items[:2]}, Events{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Duplicates != 2 || again.Records != 0 || again.Failure() != nil {
		t.Errorf("the same files again: %+v, %v", again, again.Failure())
	}
}

func TestRunClassifies(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  Report
		want string
	}{
		{"all well", Report{Files: []ingest.FileResult{{}}, Totals: ingest.Totals{Loaded: 1}}, ""},
		{"rejected lines are not a failure", Report{Files: []ingest.FileResult{{}}, Totals: ingest.Totals{Loaded: 1, Rejected: 4}}, ""},
		{"interrupted first", Report{Interrupted: true, Files: []ingest.FileResult{{}}, Totals: ingest.Totals{Failed: 1}}, "interrupted; what landed is in the case"},
		{"a file", Report{Files: []ingest.FileResult{{}, {}}, Totals: ingest.Totals{Loaded: 1, Failed: 1}}, "1 of 2 files did not land"},
		{"a source", Report{Sources: []SourceReport{{Records: 3}, {Error: "denied"}}}, "1 of 2 AWS sources failed"},
		{"nothing", Report{}, "no files to ingest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.rep.Failure()
			switch {
			case tc.want == "" && f != nil:
				t.Errorf("failure %q", f.Msg)
			case tc.want != "" && (f == nil || !strings.HasPrefix(f.Msg, tc.want)):
				t.Errorf("failure %v, want %q", f, tc.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 500, time.UTC)
	day := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct {
		name, start, end string
		pull             bool
		want             [2]string // "" for none
		bad              string
	}{
		{"files, no window", "", "", false, [2]string{}, ""},
		{"a pull takes the last day", "", "", true, [2]string{"2026-11-21T12:00:00Z", "2026-11-22T12:00:00Z"}, ""},
		{"a pull from a start to now", "2026-11-22T06:00:00Z", "", true, [2]string{"2026-11-22T06:00:00Z", "2026-11-22T12:00:00Z"}, ""},
		{"a pull up to an end", "", "2026-11-20T00:00:00Z", true, [2]string{"2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"}, ""},
		{"start after end", "2026-11-22", "2026-11-21", false, [2]string{}, "must be before the end"},
		{"start equals end", "2026-11-22", "2026-11-22", true, [2]string{}, "must be before the end"},
		{"not a time", "yesterday", "", true, [2]string{}, "yesterday"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, e, err := Window(tc.start, tc.end, now, tc.pull)
			if tc.bad != "" {
				var re *RequestError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err %v, want a RequestError with %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range []*time.Time{s, e} {
				switch {
				case tc.want[i] == "" && got != nil:
					t.Errorf("bound %d = %v, want none", i, got)
				case tc.want[i] != "" && (got == nil || !got.Equal(day(tc.want[i]))):
					t.Errorf("bound %d = %v, want %s", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	focus, err := store.ParseFocus([]string{"i-0123456789abcdef0"}, []string{"10.0.1.10"}, []string{"10.0.0.0/16"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("without discovery", func(t *testing.T) {
		p := filepath.Join(dir, "plain"+store.Ext)
		c, found, err := Create(ctx, NewCase{Path: p, Name: "plain", Program: "test", Description: "SSH brute force", Focus: focus})
		if err != nil || found != nil {
			t.Fatalf("create: %v %v", found, err)
		}
		defer c.Close()
		info, err := c.Info(ctx)
		if err != nil || info.Description != "SSH brute force" || len(info.Instances) != 1 || len(info.Focus) != 1 || len(info.VPCCIDRs) != 1 {
			t.Errorf("info %+v %v", info, err)
		}
		if _, _, err := Create(ctx, NewCase{Path: p, Name: "plain"}); !errors.Is(err, store.ErrExists) {
			t.Errorf("again: %v", err)
		}
	})
	t.Run("discovery fails first: nothing written", func(t *testing.T) {
		p := filepath.Join(dir, "failed"+store.Ext)
		noAWS := errors.New("no AWS here")
		_, _, err := Create(ctx, NewCase{Path: p, Name: "failed", Focus: focus, Discover: []string{"i-0123456789abcdef0"},
			AWS: func(context.Context) (aws.Config, error) { return aws.Config{}, noAWS }})
		if !errors.Is(err, noAWS) {
			t.Fatalf("err %v", err)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a case was written: %v", err)
		}
	})
}
