package whois

import (
	"strings"
)

// parseRWhois reads an rwhois answer ("network:IP-Network:1.2.3.0/24"
// lines): the most specific network wins.
func parseRWhois(d doc) (Answer, bool) {
	var best Answer
	for _, o := range d.objs {
		var a Answer
		cls := ""
		for _, at := range o {
			if i := strings.IndexByte(at.key, ':'); i > 0 {
				cls = at.key[:i+1]
				break
			}
		}
		if cls == "" {
			continue
		}
		get := func(keys ...string) string {
			for _, k := range keys {
				if v := o.get(cls + k); v != "" {
					return v
				}
			}
			return ""
		}
		if !a.setRange(get("ip-network-block", "ip-network", "netblock", "cidr")) {
			continue
		}
		if best.First.IsValid() && !smaller(a, best) {
			continue
		}
		a.Registry = "rwhois"
		a.NetName = get("network-name", "netname", "name")
		a.Handle = get("id", "handle")
		a.Org, a.OrgHandle = splitHandle(get("org-name", "organization", "organization-name", "org"))
		a.Country = strings.ToUpper(get("country-code", "country"))
		a.ASN = normalizeASN(get("origin-as", "originas", "asn"))
		a.Abuse = get("abuse-email", "abuse-mailbox", "abuse")
		a.Created = parseDate(get("created"))
		a.Updated = parseDate(get("updated"))
		best = a
	}
	return best, best.First.IsValid()
}
