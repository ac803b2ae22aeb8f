package athena

import (
	"errors"
	"fmt"
	"strings"
)

// hiveType is a column type as the Glue catalog writes it (Hive DDL):
// struct<port:int,ip:string>, array<string>, map<string,string>, and
// scalars (bigint, string, varchar(20), decimal(10,2), timestamp).
type hiveType struct {
	kind     string // "struct", "array", "map" or "scalar"
	name     string // a scalar's name, lower case
	fields   []string
	children []hiveType
}

// maxHiveDepth bounds the nesting parseHiveType follows.
const maxHiveDepth = 32

// parseHiveType reads a Glue column type. Names are lower-cased, as Glue
// keeps them.
func parseHiveType(s string) (hiveType, error) {
	p := hiveParser{s: strings.ToLower(s)}
	t, err := p.typ(0)
	if err != nil {
		return hiveType{}, fmt.Errorf("type %q: %w", s, err)
	}
	if p.space(); p.i != len(p.s) {
		return hiveType{}, fmt.Errorf("type %q: unexpected %q at %d", s, p.s[p.i:], p.i)
	}
	return t, nil
}

type hiveParser struct {
	s string
	i int
}

func (p *hiveParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// accept consumes c (after white space) when it comes next.
func (p *hiveParser) accept(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *hiveParser) expect(c byte) error {
	if !p.accept(c) {
		return fmt.Errorf("expected %q at %d", c, p.i)
	}
	return nil
}

// word reads a type name: letters, digits and '_'.
func (p *hiveParser) word() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_') {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

// fieldName reads a struct field's name: `quoted` or up to the ':'.
func (p *hiveParser) fieldName() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '`' {
		j := strings.IndexByte(p.s[p.i+1:], '`')
		if j < 0 {
			return "", errors.New("unterminated `name`")
		}
		name := p.s[p.i+1 : p.i+1+j]
		p.i += j + 2
		return name, nil
	}
	j := p.i
	for j < len(p.s) && !strings.ContainsRune(":<>,`()", rune(p.s[j])) {
		j++
	}
	name := strings.TrimSpace(p.s[p.i:j])
	p.i = j
	if name == "" {
		return "", fmt.Errorf("expected a field name at %d", p.i)
	}
	return name, nil
}

func (p *hiveParser) typ(depth int) (hiveType, error) {
	if depth > maxHiveDepth {
		return hiveType{}, errors.New("nested too deep")
	}
	name := p.word()
	switch name {
	case "":
		return hiveType{}, fmt.Errorf("expected a type at %d", p.i)
	case "struct":
		t := hiveType{kind: "struct"}
		if err := p.expect('<'); err != nil {
			return t, err
		}
		if p.accept('>') {
			return t, nil
		}
		for {
			f, err := p.fieldName()
			if err != nil {
				return t, err
			}
			if err := p.expect(':'); err != nil {
				return t, err
			}
			c, err := p.typ(depth + 1)
			if err != nil {
				return t, err
			}
			t.fields, t.children = append(t.fields, f), append(t.children, c)
			if p.accept(',') {
				continue
			}
			return t, p.expect('>')
		}
	case "array":
		if err := p.expect('<'); err != nil {
			return hiveType{}, err
		}
		c, err := p.typ(depth + 1)
		if err != nil {
			return hiveType{}, err
		}
		return hiveType{kind: "array", children: []hiveType{c}}, p.expect('>')
	case "map":
		if err := p.expect('<'); err != nil {
			return hiveType{}, err
		}
		k, err := p.typ(depth + 1)
		if err != nil {
			return hiveType{}, err
		}
		if err := p.expect(','); err != nil {
			return hiveType{}, err
		}
		v, err := p.typ(depth + 1)
		if err != nil {
			return hiveType{}, err
		}
		return hiveType{kind: "map", children: []hiveType{k, v}}, p.expect('>')
	}
	t := hiveType{kind: "scalar", name: name}
	if p.accept('(') { // varchar(20), decimal(10,2)
		j := strings.IndexByte(p.s[p.i:], ')')
		if j < 0 {
			return t, errors.New("unterminated (")
		}
		args := strings.ReplaceAll(p.s[p.i:p.i+j], " ", "")
		if args == "" || strings.Trim(args, "0123456789,") != "" {
			return t, fmt.Errorf("bad type arguments (%s)", args)
		}
		t.name += "(" + args + ")"
		p.i += j + 1
	}
	return t, nil
}

// flatten records the type of every path below prefix: "src_endpoint",
// "src_endpoint.ip", and so on.
func (t hiveType) flatten(prefix string, out map[string]hiveType) {
	out[prefix] = t
	if t.kind == "struct" {
		for i, f := range t.fields {
			t.children[i].flatten(prefix+"."+f, out)
		}
	}
}

func (t hiveType) integer() bool {
	switch t.name {
	case "tinyint", "smallint", "int", "integer", "bigint":
		return t.kind == "scalar"
	}
	return false
}

func (t hiveType) text() bool {
	return t.kind == "scalar" && (t.name == "string" || strings.HasPrefix(t.name, "varchar") || strings.HasPrefix(t.name, "char"))
}

func (t hiveType) time() bool {
	return t.kind == "scalar" && (strings.HasPrefix(t.name, "timestamp") || t.name == "date")
}

// String writes the type back in Glue's syntax.
func (t hiveType) String() string {
	switch t.kind {
	case "struct":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			if f == "" || strings.ContainsAny(f, ":<>,`() \t\r\n") {
				f = "`" + f + "`"
			}
			parts[i] = f + ":" + t.children[i].String()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case "array":
		return "array<" + t.children[0].String() + ">"
	case "map":
		return "map<" + t.children[0].String() + "," + t.children[1].String() + ">"
	}
	return t.name
}
