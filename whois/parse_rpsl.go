package whois

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// parseRPSL reads the RPSL objects (inetnum, inet6num) of RIPE, APNIC and
// AFRINIC, and LACNIC's and NIC.br's dialect of them (owner, ownerid,
// nic-hdl-br): the most specific network wins.
func parseRPSL(d doc, server string) (Answer, bool) {
	var (
		best    Answer
		bestObj object
	)
	for _, o := range d.objs {
		if k := o.first(); k != "inetnum" && k != "inet6num" {
			continue
		}
		var a Answer
		if !a.setRange(o[0].val) {
			continue
		}
		if bestObj != nil && !smaller(a, best) {
			continue
		}
		best, bestObj = a, o
	}
	if bestObj == nil {
		return Answer{}, false
	}
	a, o := best, bestObj
	a.NetName = o.get("netname")
	a.Country = strings.ToUpper(o.get("country"))
	org := d.find("organisation", o.get("org"))
	a.OrgHandle = o.get("org")
	switch {
	case org != nil && org.get("org-name") != "":
		a.Org = org.get("org-name")
	case o.get("owner") != "":
		a.Org = o.get("owner")
	default:
		a.Org = o.get("descr")
	}
	if id := o.get("ownerid"); id != "" && a.OrgHandle == "" {
		a.OrgHandle = id
	}
	if a.Country == "" && org != nil {
		a.Country = strings.ToUpper(org.get("country"))
	}
	if asn := o.get("aut-num"); asn != "" && !strings.EqualFold(asn, "N/A") {
		a.ASN = normalizeASN(asn)
	} else {
		a.ASN = routeOrigins(d)
	}
	a.Abuse = rpslAbuse(d, o, org)
	a.Created = parseDate(o.get("created"))
	a.Updated = parseDate(o.get("last-modified"))
	var changed []time.Time
	for _, at := range o {
		if at.key == "changed" {
			if t := parseDate(at.val); !t.IsZero() {
				changed = append(changed, t)
			}
		}
	}
	if len(changed) > 0 {
		slices.SortFunc(changed, time.Time.Compare)
		if a.Created.IsZero() {
			a.Created = changed[0]
		}
		if a.Updated.IsZero() {
			a.Updated = changed[len(changed)-1]
		}
	}
	a.Registry = rpslRegistry(d, o, server)
	return a, true
}

func rpslRegistry(d doc, o object, server string) string {
	if src := sourceName(o.get("source")); src != "" {
		src = strings.ToUpper(src)
		if src == "RIPE-NCC" || src == "RIPE NCC" {
			src = "RIPE"
		}
		return src
	}
	for _, c := range d.comments {
		if strings.Contains(strings.ToLower(c), "nic.br") {
			return "NIC.br"
		}
	}
	for _, c := range d.comments {
		if strings.Contains(strings.ToLower(c), "lacnic") {
			return "LACNIC"
		}
	}
	return registryOf(server)
}

// abuseComment is RIPE's and APNIC's summary line.
var abuseComment = regexp.MustCompile(`(?i)^abuse contact for '([^']*)' is '([^']+)'`)

func rpslAbuse(d doc, o, org object) string {
	rangeText := strings.Join(strings.Fields(o[0].val), " ")
	var any string
	for _, c := range d.comments {
		if m := abuseComment.FindStringSubmatch(c); m != nil {
			if strings.Join(strings.Fields(m[1]), " ") == rangeText {
				return m[2]
			}
			if any == "" {
				any = m[2]
			}
		}
	}
	if any != "" {
		return any
	}
	if v := o.get("abuse-mailbox"); v != "" {
		return v
	}
	contact := func(handle string) string {
		for _, key := range []string{"nic-hdl", "nic-hdl-br", "irt"} {
			if c := d.findAttr(key, handle); c != nil {
				if v := firstOf(c, "abuse-mailbox", "e-mail"); v != "" {
					return v
				}
			}
		}
		return ""
	}
	for _, src := range []object{o, org} {
		for _, key := range []string{"abuse-c", "mnt-irt"} {
			if h := src.get(key); h != "" {
				if v := contact(h); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// routeOrigins are the origin ASes of the most specific route objects.
func routeOrigins(d doc) string {
	var (
		bestBits = -1
		bestFam  bool
		out      []string
	)
	for _, o := range d.objs {
		if k := o.first(); k != "route" && k != "route6" {
			continue
		}
		p, ok := parsePrefix(o[0].val)
		origin := normalizeASN(o.get("origin"))
		if !ok || origin == "" {
			continue
		}
		if bestBits >= 0 && p.Addr().Is4() != bestFam {
			continue
		}
		switch {
		case p.Bits() > bestBits:
			bestBits, bestFam, out = p.Bits(), p.Addr().Is4(), []string{origin}
		case p.Bits() == bestBits && len(out) < maxASNs && !slices.Contains(out, origin):
			out = append(out, origin)
		}
	}
	return strings.Join(out, ", ")
}
