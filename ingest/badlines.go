package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxLine is the longest line either path reads, as the engine's CSV reader's
// max_line_size: a longer line is a reject.
const maxLine = 2_000_000

// Reasons for lines that are not text, the same on the engine's path and the
// line parser's.
var (
	reasonNotUTF8  = "invalid UTF-8: the line holds bytes that are not text (binary data?)"
	reasonLongLine = fmt.Sprintf("the line is longer than %d bytes", maxLine)
	reasonGzipEnd  = "the gzip data ends here (the file is truncated or corrupt): nothing after this point could be read"
)

// textProblem says what makes a line something other than flow-log text:
// invalid UTF-8, a NUL byte, an escape character (ANSI terminal sequences),
// other control characters. Tabs, vertical tabs, form feeds and carriage
// returns are blanks (both paths read them so), not problems.
func textProblem(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return "a NUL byte: binary data, not text"
			case c == 0x1b:
				return "an escape character (a terminal escape sequence?): not flow-log text"
			case (c < 0x20 && !blank(c)) || c == 0x7f:
				return fmt.Sprintf("control character 0x%02x: binary data, not text", c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return reasonNotUTF8
		}
		if r >= 0x80 && r <= 0x9f {
			return fmt.Sprintf("control character U+%04X: binary data, not text", r)
		}
		i += n
	}
	return ""
}

func blank(c byte) bool { return c == '\t' || c == '\v' || c == '\f' || c == '\r' }

// safeRaw is a rejected line as the case keeps it: cut to maxRaw, and with
// invalid bytes and control characters written as \xNN, so that it is safe
// to show on a terminal or a page.
func safeRaw(s string) string {
	s = truncate(s, maxRaw)
	if textProblem(s) == "" && !strings.ContainsAny(s, "\v\f\r") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case (r < 0x20 && r != '\t') || (r >= 0x7f && r <= 0x9f):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return truncate(b.String(), maxRaw)
}

// readLine reads one physical line (without cutting it off at a buffer's
// end); a line longer than maxLine comes back cut to maxLine, with long set.
func readLine(br *bufio.Reader, buf []byte) (line []byte, long bool, err error) {
	line = buf[:0]
	for {
		frag, err := br.ReadSlice('\n')
		switch room := maxLine - len(line); {
		case len(frag) <= room:
			line = append(line, frag...)
		default:
			line = append(line, frag[:max(room, 0)]...)
			long = true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, long, err
	}
}

// sniffLines splits the sniffed prefix into physical lines; when the prefix
// may end inside a line (it filled the sniff), that last line is left out
// unless it is the only one, and then a UTF-8 sequence cut at its end is
// forgiven.
func sniffLines(prefix []byte, full bool) [][]byte {
	var out [][]byte
	for rest := prefix; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if !full || len(out) == 0 {
				line := rest
				if full {
					line = trimCutRune(line)
				}
				out = append(out, line)
			}
			break
		}
		out = append(out, rest[:i])
		rest = rest[i+1:]
	}
	return out
}

// trimCutRune drops a UTF-8 sequence cut at the end of b.
func trimCutRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}
