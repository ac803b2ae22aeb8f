package whois

import (
	"net/netip"
	"regexp"
	"strings"
)

// parseARIN reads ARIN's full records: a record starts at a block with
// NetRange or CIDR and runs until the next one, so the organisation, the
// referral server and the contacts that follow a network belong to it.
func parseARIN(d doc) (Answer, bool) {
	var recs []object
	for _, o := range d.objs {
		if o.get("netrange") != "" || o.get("cidr") != "" {
			recs = append(recs, nil)
		}
		if len(recs) > 0 {
			recs[len(recs)-1] = append(recs[len(recs)-1], o...)
		}
	}
	var best Answer
	for _, r := range recs {
		var a Answer
		if nr := r.get("netrange"); nr != "" {
			a.setRange(nr)
		}
		var cidrs []netip.Prefix
		for c := range strings.SplitSeq(r.get("cidr"), ",") {
			if p, ok := parsePrefix(strings.TrimSpace(c)); ok {
				cidrs = append(cidrs, p)
			}
		}
		if !a.First.IsValid() {
			if len(cidrs) == 0 {
				continue
			}
			a.First, a.Last = prefixRange(cidrs[0])
			for _, p := range cidrs[1:] {
				f, l := prefixRange(p)
				if f.Is4() == a.First.Is4() {
					a.First, a.Last = minAddr(a.First, f), maxAddr(a.Last, l)
				}
			}
			a.Prefixes = rangePrefixes(a.First, a.Last)
		}
		if len(cidrs) > 0 && covers(cidrs, a.First, a.Last) {
			a.Prefixes = cidrs
		}
		if best.First.IsValid() && !smaller(a, best) {
			continue
		}
		a.Registry = "ARIN"
		a.NetName = r.get("netname")
		a.Handle = r.get("nethandle")
		a.Org = firstOf(r, "orgname", "custname")
		owner := firstOf(r, "organization", "customer")
		name, handle := splitHandle(owner)
		if a.Org == "" {
			a.Org = name
		}
		a.OrgHandle = firstOf(r, "orgid")
		if a.OrgHandle == "" {
			a.OrgHandle = handle
		}
		a.Country = strings.ToUpper(r.get("country"))
		a.ASN = normalizeASN(r.get("originas"))
		a.Abuse = firstOf(r, "rabuseemail", "orgabuseemail")
		a.Created = parseDate(r.get("regdate"))
		a.Updated = parseDate(r.get("updated"))
		a.Refer = serverAddr(r.get("referralserver"))
		nt := strings.ToLower(r.get("nettype"))
		if strings.Contains(nt, "transferred to") || strings.Contains(nt, "allocated to") || strings.Contains(nt, "maintained by") {
			a.Pointer = true
			if a.Refer == "" {
				a.Refer = rirServer(nt)
			}
		}
		if a.Refer == "" {
			a.Pointer = false
		}
		best = a
	}
	return best, best.First.IsValid()
}

// arinSummary is one line of ARIN's list of networks:
// "Google LLC GOOGLE (NET-74-125-0-0-1) 74.125.0.0 - 74.125.255.255".
var arinSummary = regexp.MustCompile(`^(.*?)\s*(\S+) \((NET6?-[^)\s]+)\)\s+([0-9A-Fa-f.:]+)\s*-\s*([0-9A-Fa-f.:]+)$`)

func parseARINSummary(d doc) (Answer, bool) {
	var best Answer
	for _, l := range d.loose {
		m := arinSummary.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var a Answer
		if !a.setRange(m[4] + " - " + m[5]) {
			continue
		}
		if best.First.IsValid() && !smaller(a, best) {
			continue
		}
		a.Registry = "ARIN"
		a.Org, a.OrgHandle = splitHandle(m[1])
		a.NetName, a.Handle = m[2], m[3]
		best = a
	}
	return best, best.First.IsValid()
}

// rirServer is the WHOIS server of the registry an ARIN NetType names.
func rirServer(netType string) string {
	switch {
	case strings.Contains(netType, "lacnic"):
		return "whois.lacnic.net:43"
	case strings.Contains(netType, "ripe"):
		return "whois.ripe.net:43"
	case strings.Contains(netType, "apnic"):
		return "whois.apnic.net:43"
	case strings.Contains(netType, "afrinic"):
		return "whois.afrinic.net:43"
	}
	return ""
}
