package whois

import (
	"regexp"
	"slices"
	"strings"
)

// attr is one "key: value" line; keys are lower case. rwhois attributes
// ("network:IP-Network:1.2.3.0/24") keep their class: "network:ip-network".
type attr struct{ key, val string }

// object is a paragraph of attributes (an RPSL object, a block of ARIN's).
type object []attr

func (o object) get(key string) string {
	for _, a := range o {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

func (o object) first() string {
	if len(o) == 0 {
		return ""
	}
	return o[0].key
}

// doc is an answer split into objects, comment lines and other lines.
type doc struct {
	objs     []object
	comments []string // comment lines without their leading %/# and blanks
	loose    []string // lines that are neither attributes nor comments
	rwhois   bool
}

var (
	keyLine    = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.-]*):(.*)$`)
	rwhoisLine = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*):([A-Za-z][A-Za-z0-9_-]*)(?:;[A-Za-z]+)?:(.*)$`)
	// rwhoisClasses are the classes whose "class:Attribute:value" lines are read as rwhois.
	rwhoisClasses = map[string]bool{"network": true, "org": true, "organization": true, "contact": true,
		"referral": true, "domain": true, "host": true, "asn": true, "autonomous-system": true, "guardian": true}
)

func split(text string) doc {
	var (
		d    doc
		cur  object
		more []string // continuation lines of cur's last attribute
	)
	flush := func() {
		if len(more) > 0 {
			last := &cur[len(cur)-1]
			if last.val != "" {
				more = append([]string{last.val}, more...)
			}
			last.val = strings.Join(more, " ")
			more = more[:0]
		}
	}
	end := func() {
		flush()
		if len(cur) > 0 {
			d.objs = append(d.objs, cur)
			cur = nil
		}
	}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			end()
		case trimmed[0] == '%' || trimmed[0] == '#':
			end()
			d.comments = append(d.comments, strings.TrimSpace(strings.TrimLeft(trimmed, "%# ")))
		case (line[0] == ' ' || line[0] == '\t' || line[0] == '+') && len(cur) > 0:
			if v := strings.TrimSpace(strings.TrimPrefix(trimmed, "+")); v != "" {
				more = append(more, v)
			}
		default:
			flush()
			if m := rwhoisLine.FindStringSubmatch(trimmed); m != nil && rwhoisClasses[strings.ToLower(m[1])] {
				d.rwhois = true
				cur = append(cur, attr{strings.ToLower(m[1] + ":" + m[2]), strings.TrimSpace(m[3])})
			} else if m := keyLine.FindStringSubmatch(trimmed); m != nil && !strings.HasPrefix(m[2], "//") {
				cur = append(cur, attr{strings.ToLower(m[1]), strings.TrimSpace(m[2])})
			} else {
				end()
				d.loose = append(d.loose, trimmed)
			}
		}
	}
	end()
	return d
}

func (d doc) has(key string) bool {
	for _, o := range d.objs {
		if slices.ContainsFunc(o, func(a attr) bool { return a.key == key }) {
			return true
		}
	}
	return false
}

func (d doc) sourceIs(src string) bool {
	for _, o := range d.objs {
		for _, a := range o {
			if a.key == "source" && strings.EqualFold(sourceName(a.val), src) {
				return true
			}
		}
	}
	return false
}

// flat is every attribute of the answer in order.
func (d doc) flat() object {
	var all object
	for _, o := range d.objs {
		all = append(all, o...)
	}
	return all
}

// find returns the object whose first attribute is key with value val.
func (d doc) find(key, val string) object {
	if val == "" {
		return nil
	}
	for _, o := range d.objs {
		if len(o) > 0 && o[0].key == key && strings.EqualFold(o[0].val, val) {
			return o
		}
	}
	return nil
}

// findAttr returns the first object with an attribute key = val.
func (d doc) findAttr(key, val string) object {
	for _, o := range d.objs {
		for _, a := range o {
			if a.key == key && strings.EqualFold(a.val, val) {
				return o
			}
		}
	}
	return nil
}
