package views

import "strings"

// Notes are Markdown text written by analysts. The workbench shows a small
// subset of it — paragraphs with their line breaks, "-" and "*" lists,
// fenced code blocks, `code` and **bold** — as a tree of text pieces that
// templ escapes like any other text: no markup in a note ever reaches the
// page as markup, whatever it holds.

// noteBlock is one block of a note: a paragraph (Lines, each a run of
// spans), a list (Items) or a code block (Code).
type noteBlock struct {
	Lines [][]noteSpan
	Items [][]noteSpan
	Code  string
	IsPre bool
}

// noteSpan is a run of text: plain, code or strong.
type noteSpan struct {
	Text string
	Kind string // "", "code", "strong"
}

// noteBlocks splits a note into the blocks the page shows.
func noteBlocks(text string) []noteBlock {
	var out []noteBlock
	var para [][]noteSpan
	var items [][]noteSpan
	flush := func() {
		if len(para) > 0 {
			out = append(out, noteBlock{Lines: para})
			para = nil
		}
		if len(items) > 0 {
			out = append(out, noteBlock{Items: items})
			items = nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			out = append(out, noteBlock{IsPre: true, Code: strings.Join(code, "\n")})
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			if len(para) > 0 {
				out = append(out, noteBlock{Lines: para})
				para = nil
			}
			items = append(items, noteSpans(strings.TrimSpace(trimmed[2:])))
		default:
			if len(items) > 0 {
				out = append(out, noteBlock{Items: items})
				items = nil
			}
			para = append(para, noteSpans(line))
		}
	}
	flush()
	return out
}

// noteSpans splits a line into plain, `code` and **strong** runs. An
// unclosed mark is text.
func noteSpans(line string) []noteSpan {
	var out []noteSpan
	plain := func(s string) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == "" {
			out[n-1].Text += s
			return
		}
		out = append(out, noteSpan{Text: s})
	}
	for line != "" {
		i := strings.IndexAny(line, "`*")
		if i < 0 {
			plain(line)
			break
		}
		plain(line[:i])
		rest := line[i:]
		switch {
		case rest[0] == '`':
			if j := strings.IndexByte(rest[1:], '`'); j > 0 {
				out = append(out, noteSpan{Text: rest[1 : 1+j], Kind: "code"})
				line = rest[j+2:]
				continue
			}
			plain("`")
			line = rest[1:]
		case strings.HasPrefix(rest, "**"):
			if j := strings.Index(rest[2:], "**"); j > 0 {
				out = append(out, noteSpan{Text: rest[2 : 2+j], Kind: "strong"})
				line = rest[j+4:]
				continue
			}
			plain("**")
			line = rest[2:]
		default:
			plain("*")
			line = rest[1:]
		}
	}
	return out
}
