package ingest

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// A file of subscription payloads is read so that one payload that cannot be
// read costs only itself: the JSON text is cut into segments where a payload
// begins, each read by a decoder of its own (segments), and a gzip stream is
// read member by member, going on at the next member after one that is
// broken or bytes between members that are not gzip (members).

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cutError: the content of a gzip stream breaks off here (a broken or
// truncated member); what follows comes from the next member.
type cutError struct {
	at  int64 // the offset in the content where it breaks off
	err error
}

func (e *cutError) Error() string { return e.err.Error() }
func (e *cutError) Unwrap() error { return e.err }

// gzipHeader starts every gzip member: the magic and the deflate method.
var gzipHeader = []byte{0x1f, 0x8b, 8}

// members reads the content of a gzip stream's members one after another,
// as gzip's multistream mode does, but a member that cannot be read is a
// cut in the content (queued for the JSON text above, which knows whose
// payload it cuts), after which reading resumes at the next member; bytes
// between members that are not gzip are reported, and skipped.
type members struct {
	br    *bufio.Reader
	pos   func() int64 // the offset of br's next byte in the file; nil when the gzip is not the file's own
	gap   func(err error) error
	zr    gzip.Reader
	open  bool  // inside a member
	start int64 // the member's offset in the file
	out   int64 // content bytes given out
	cuts  []*cutError
	quiet bool // the bytes up to the next member are the rest of a broken one
	seen  int  // members begun
	done  bool
	err   error // the gap callback's error, which ends reading
}

func (m *members) at(off int64) string {
	if m.pos == nil || off < 0 {
		return ""
	}
	return fmt.Sprintf(" at byte %d of the file", off)
}

func (m *members) offset() int64 {
	if m.pos == nil {
		return -1
	}
	return m.pos()
}

func (m *members) Read(p []byte) (int, error) {
	for !m.done {
		if !m.open {
			m.next()
			continue
		}
		n, err := m.zr.Read(p)
		m.out += int64(n)
		switch {
		case err == io.EOF:
			m.open = false
		case err != nil:
			m.open, m.quiet = false, true
			m.cuts = append(m.cuts, &cutError{at: m.out, err: m.memberError(err)})
		}
		if n > 0 {
			return n, nil
		}
	}
	if m.err != nil {
		return 0, m.err
	}
	return 0, io.EOF
}

// memberError says what broke a member, in words.
func (m *members) memberError(err error) error {
	var b64 base64.CorruptInputError
	var fl flate.CorruptInputError
	switch {
	case errors.As(err, &b64):
		return fmt.Errorf("broken base64: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the gzip data ends inside the member%s (the file was cut short, e.g. while it was written)", m.at(m.start))
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("the gzip member%s fails its checksum (corrupt data)", m.at(m.start))
	case errors.As(err, &fl):
		return fmt.Errorf("broken gzip data in the member%s (%v); reading resumes at the next member", m.at(m.start), err)
	}
	return fmt.Errorf("broken gzip data in the member%s: %v", m.at(m.start), err)
}

// next moves to the next member, past what is not one.
func (m *members) next() {
	head, _ := m.br.Peek(len(gzipHeader))
	if len(head) == 0 {
		m.done = true
		return
	}
	if bytes.Equal(head, gzipHeader) {
		m.start = m.offset()
		m.seen++
		if err := m.zr.Reset(m.br); err != nil {
			m.quiet = true
			m.cuts = append(m.cuts, &cutError{at: m.out, err: fmt.Errorf("a broken gzip member header%s: %v", m.at(m.start), err)})
			return
		}
		m.zr.Multistream(false)
		m.open, m.quiet = true, false
		return
	}
	from := m.offset()
	n, end := m.skip()
	if !m.quiet {
		where := "between gzip members"
		switch {
		case m.seen == 0:
			where = "a gzip member was expected"
		case end:
			where = "after the last gzip member"
		}
		if err := m.gap(fmt.Errorf("%d bytes%s are not gzip data (%s); skipped", n, m.at(from), where)); err != nil {
			m.err, m.done = err, true
		}
	}
	m.quiet = false
}

// skip discards bytes up to the next gzip header or the end; end says it
// reached the end.
func (m *members) skip() (n int64, end bool) {
	for {
		b, _ := m.br.Peek(len(gzipHeader))
		if len(b) < len(gzipHeader) {
			k, _ := m.br.Discard(len(b))
			return n + int64(k), true
		}
		if bytes.Equal(b, gzipHeader) {
			return n, false
		}
		buf, _ := m.br.Peek(m.br.Buffered())
		k := len(buf)
		if i := bytes.IndexByte(buf[1:], gzipHeader[0]); i >= 0 {
			k = i + 1
		}
		m.br.Discard(k) //nolint:errcheck // buffered
		n += int64(k)
	}
}

// segments cuts a JSON text of payloads into segments, each beginning where
// a payload begins, and gives a decoder one segment at a time. A payload
// begins at a '{' whose first key is one no other object of a payload
// starts with (messageType, logEvents, awslogs, Records), or whose first key
// is another of a payload's own (owner, logGroup, ...) when it follows a '}'
// or starts a line. In valid JSON none of these can be inside a string (its
// quote would end the string), so a good payload is never cut; after a bad
// one, reading resumes at the next. A segment is given at most a line per
// read, so that the decoder is never more than a line ahead of its reader:
// the line of what it fails on is the line of the last read.
type segments struct {
	br   *bufio.Reader
	pos  func() int64 // the offset of br's next byte in the stream
	cuts *members     // where the stream's content breaks off; nil for none
	line int64        // line ends consumed
	prev byte         // the last byte consumed that is not a blank
	nl   bool         // a line end consumed since prev (or nothing consumed yet)

	// the segment being read
	base      int64 // its offset in the stream
	chunkLine int64 // the line the last read began on
	head      []byte
	seen      bool  // a byte that is not a blank was read: a boundary ends the segment
	ended     bool  // ... at a boundary
	err       error // what ended it otherwise: io.EOF, a cut, a read error
	started   bool
	skipping  bool // the rest of a payload a cut broke: skipped without a word
}

func newSegments(br *bufio.Reader, pos func() int64, cuts *members, lines int64) *segments {
	return &segments{br: br, pos: pos, cuts: cuts, line: lines, nl: true}
}

// next begins the next segment past what is left of this one; false when
// the stream is done.
func (s *segments) next() bool {
	if s.started {
		io.Copy(io.Discard, s) //nolint:errcheck // the rest of the segment; its end is in s.err
	}
	s.started = true
	var c *cutError
	cut := errors.As(s.err, &c)
	if s.err != nil && !cut {
		return false
	}
	s.skipping = cut
	s.seen, s.ended, s.err, s.head = cut, false, nil, s.head[:0]
	if cut {
		s.nl = true
	}
	s.base = s.pos()
	return true
}

// cut returns the cut at the reader's position, if there is one.
func (s *segments) cut() *cutError {
	if s.cuts == nil || len(s.cuts.cuts) == 0 || s.cuts.cuts[0].at > s.pos() {
		return nil
	}
	c := s.cuts.cuts[0]
	s.cuts.cuts = s.cuts.cuts[1:]
	return c
}

// room is how many bytes may be read before the next cut.
func (s *segments) room() int {
	if s.cuts == nil || len(s.cuts.cuts) == 0 {
		return 1 << 30
	}
	return int(min(s.cuts.cuts[0].at-s.pos(), 1<<30))
}

func (s *segments) Read(p []byte) (int, error) {
	if s.ended {
		return 0, io.EOF
	}
	s.chunkLine = s.line + 1
	n := 0
	for n < len(p) && s.err == nil {
		if c := s.cut(); c != nil {
			s.err = c
			break
		}
		_, err := s.br.Peek(1)
		if c := s.cut(); c != nil { // one the fill came upon, here
			err = c
		}
		if err != nil {
			s.err = err
			break
		}
		buf, _ := s.br.Peek(min(s.br.Buffered(), len(p)-n, s.room()))
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[:i+1]
		}
		k := bytes.IndexByte(buf, '{')
		switch {
		case k == 0:
			if s.seen && s.boundary() {
				s.ended = true
			}
			buf, _ = s.br.Peek(1) // boundary may have moved the buffer
			k = 1
		case k < 0:
			k = len(buf)
		}
		if s.ended {
			break
		}
		s.take(p[n:n+k], buf[:k])
		s.br.Discard(k) //nolint:errcheck // peeked
		n += k
		if buf[k-1] == '\n' {
			break // a line a read
		}
	}
	if n > 0 {
		return n, nil
	}
	if s.ended {
		return 0, io.EOF
	}
	return 0, s.err
}

// take gives b to the decoder, noting what the boundaries depend on.
func (s *segments) take(dst, b []byte) {
	copy(dst, b)
	if room := maxRaw - len(s.head); room > 0 {
		s.head = append(s.head, b[:min(room, len(b))]...)
	}
	s.line += int64(bytes.Count(b, []byte{'\n'}))
	i := len(b) - 1
	for i >= 0 && isBlank(b[i]) {
		i--
	}
	if i >= 0 {
		s.prev, s.nl, s.seen = b[i], bytes.IndexByte(b[i:], '\n') >= 0, true
	} else if bytes.IndexByte(b, '\n') >= 0 {
		s.nl = true
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// boundary reports whether the '{' the reader is at begins a payload.
func (s *segments) boundary() bool {
	b, _ := s.br.Peek(min(96, s.room()))
	i := 1
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	if i >= len(b) || b[i] != '"' {
		return false
	}
	k := i + 1
	for k < len(b) && k-i < 24 && (b[k] >= 'a' && b[k] <= 'z' || b[k] >= 'A' && b[k] <= 'Z') {
		k++
	}
	if k >= len(b) || b[k] != '"' {
		return false
	}
	key := b[i+1 : k]
	for k++; k < len(b) && isBlank(b[k]); k++ {
	}
	if k >= len(b) || b[k] != ':' {
		return false
	}
	switch string(key) {
	case "messageType", "logEvents", "awslogs", "Records":
		return true
	case "owner", "logGroup", "logStream", "subscriptionFilters", "policyLevel":
		return s.prev == '}' || s.nl
	}
	return false
}

// raw is the segment's text from offset off (relative to the segment),
// when it was kept.
func (s *segments) raw(off int64) []byte {
	if off < 0 || off >= int64(len(s.head)) {
		return nil
	}
	return s.head[off:]
}

// explain says in words why reading a payload stopped at err.
func (s *segments) explain(err error) error {
	var c *cutError
	if errors.As(err, &c) {
		return c.err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		if s.ended {
			return fmt.Errorf("the payload ends before its closing brace, where the next one begins (line %d)", s.line+1)
		}
		return errors.New("the object is cut short (truncated file?)")
	}
	return err
}
