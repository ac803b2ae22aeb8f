package views

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/investigator/investigator/store"
)

func init() {
	// A helper process, standing in for another program on the case:
	// INVESTIGATOR_VIEWS_HOLD=read:PATH holds it open read-only (a duckdb
	// shell, say), write:PATH adds a note on 203.0.113.9 as analyst "cli"
	// (the command line) and holds it open for writing; each until its
	// stdin closes.
	spec := os.Getenv("INVESTIGATOR_VIEWS_HOLD")
	if spec == "" {
		return
	}
	mode, path, _ := strings.Cut(spec, ":")
	ctx := context.Background()
	c, err := store.Open(ctx, path, store.Options{ReadOnly: mode == "read", Wait: 10 * time.Second})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if mode == "write" {
		t, _ := store.AddressTarget("203.0.113.9")
		if _, err := c.AddNote(ctx, "cli", t, "from the command line"); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	} else if _, err := c.Notes(ctx, nil); err != nil { // it reads
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	c.Close()
	os.Exit(0)
}

// holdCase makes another process hold the case (mode read or write) until
// release.
func holdCase(t *testing.T, mode, path string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "INVESTIGATOR_VIEWS_HOLD="+mode+":"+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "holding" {
		cmd.Process.Kill()
		t.Fatalf("holder: %q", line)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			cmd.Wait()
		})
	}
	t.Cleanup(release)
	return release
}

// noteTexts are the texts of the notes on addr, with their analysts.
func noteTexts(t *testing.T, path, addr string) []string {
	t.Helper()
	c := openCase(t, path)
	defer c.Close()
	a, _ := store.AddressTarget(addr)
	notes, err := c.Notes(context.Background(), &a)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range notes {
		out = append(out, n.CreatedBy+": "+n.Text)
	}
	return out
}

func notePost(addr, text string) url.Values {
	return url.Values{"on": {"address"}, "addr": {addr}, "text": {text}, "next": {"/cases/demo/ip/" + addr}}
}

// TestRecordWhileAnotherProgramReads: a note written on the workbench
// while another program has the case open waits for it; held longer than
// the workbench waits, the note is refused with the reason next to its
// form (nothing half-written), and written when tried again.
func TestRecordWhileAnotherProgramReads(t *testing.T) {
	const addr = "203.0.113.9"
	e, path := newRecordServer(t, Options{Wait: 20 * time.Second})

	release := holdCase(t, "read", path)
	done := make(chan response, 1)
	go func() { done <- post(t, e, "/cases/demo/record/notes", notePost(addr, "one"), hx) }()
	select {
	case r := <-done:
		t.Fatalf("the note was written while the case was held: %d %s", r.code, r.body)
	case <-time.After(700 * time.Millisecond):
	}
	release()
	if r := <-done; r.code != http.StatusOK || text(r, `[data-testid="note-body"]`) != "one" {
		t.Fatalf("after the reader let go: %d\n%s", r.code, r.body)
	}

	// Held for longer than the workbench waits.
	short, err := New(Options{CasesDir: casesDir(t, e), Program: "test", Analyst: "ana", Wait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	release = holdCase(t, "read", path)
	r := post(t, short, "/cases/demo/record/notes", notePost(addr, "two"), hx)
	if r.code != http.StatusServiceUnavailable || r.hdr.Get("HX-Retarget") != "#addr-203-0-113-9-notes-error" ||
		!strings.Contains(text(r, `[data-testid="record-error"]`), "in use by another program, so nothing was saved") {
		t.Fatalf("held: %d %q\n%s", r.code, r.hdr.Get("HX-Retarget"), r.body)
	}
	release()
	if r := post(t, short, "/cases/demo/record/notes", notePost(addr, "two"), hx); r.code != http.StatusOK {
		t.Fatalf("tried again: %d\n%s", r.code, r.body)
	}
	if got := strings.Join(noteTexts(t, path, addr), "|"); got != "ana: one|ana: two" {
		t.Errorf("notes %q", got)
	}
}

// TestRecordWhileTheCommandLineWrites: the command line writes a note while
// the workbench browses: the page waits for it (or says the case is in use,
// when it waits less than the writer holds it), then shows both the
// workbench's notes and the command line's; nothing is lost either way.
func TestRecordWhileTheCommandLineWrites(t *testing.T) {
	const addr = "203.0.113.9"
	pivot := "/cases/demo/ip/" + addr
	e, path := newRecordServer(t, Options{Wait: 20 * time.Second})
	if r := post(t, e, "/cases/demo/record/notes", notePost(addr, "web before"), hx); r.code != http.StatusOK {
		t.Fatalf("note: %d %s", r.code, r.body)
	}
	if r := get(t, e, pivot); r.doc.Find(`[data-testid="note"]`).Length() != 1 {
		t.Fatalf("pivot: %s", r.body)
	}

	release := holdCase(t, "write", path)
	short, err := New(Options{CasesDir: casesDir(t, e), Program: "test", Analyst: "ana", Wait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, short, pivot); r.code != http.StatusServiceUnavailable || !strings.Contains(text(r, `[data-testid="error"]`), "in use by another program") {
		t.Errorf("while the command line writes: %d\n%s", r.code, r.body)
	}
	done := make(chan response, 1)
	go func() { done <- get(t, e, pivot) }()
	time.Sleep(300 * time.Millisecond)
	release()
	r := <-done
	var got []string
	r.doc.Find(`[data-testid="note-body"]`).Each(func(_ int, s *goquery.Selection) { got = append(got, strings.TrimSpace(s.Text())) })
	if r.code != http.StatusOK || strings.Join(got, "|") != "web before|from the command line" {
		t.Fatalf("after the command line: %d, notes %q", r.code, got)
	}
	if r := post(t, e, "/cases/demo/record/notes", notePost(addr, "web after"), hx); r.code != http.StatusOK || r.doc.Find(`[data-testid="note"]`).Length() != 3 {
		t.Fatalf("note after: %d %s", r.code, r.body)
	}
	if got := strings.Join(noteTexts(t, path, addr), "|"); got != "ana: web before|cli: from the command line|ana: web after" {
		t.Errorf("notes %q", got)
	}
}

// TestRecordConcurrentNotes: notes posted at once, each taking the write
// handle in turn, all land.
func TestRecordConcurrentNotes(t *testing.T) {
	const addr = "203.0.113.9"
	e, path := newRecordServer(t, Options{Wait: 30 * time.Second})
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = post(t, e, "/cases/demo/record/notes", notePost(addr, fmt.Sprintf("note %d", i)), hx).code
		}()
	}
	// A reader of the pages meanwhile.
	for range 3 {
		if r := get(t, e, "/cases/demo/ip/"+addr); r.code != http.StatusOK {
			t.Errorf("pivot while writing: %d", r.code)
		}
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("note %d: %d", i, c)
		}
	}
	if got := noteTexts(t, path, addr); len(got) != n {
		t.Errorf("%d notes: %q", len(got), got)
	}
}
