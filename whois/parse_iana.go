package whois

// parseIANA reads IANA's answer: the block and the registry it is
// registered at (refer, whois).
func parseIANA(d doc) (Answer, bool) {
	all := d.flat()
	var a Answer
	for _, at := range all {
		if at.key == "inetnum" || at.key == "inet6num" {
			if !a.setRange(at.val) {
				return Answer{}, false
			}
			break
		}
	}
	if !a.First.IsValid() {
		return Answer{}, false
	}
	a.Registry = "IANA"
	a.Org = all.get("organisation")
	a.NetName = all.get("status")
	if ref := all.get("refer"); ref != "" {
		a.Refer = serverAddr(ref)
	} else if ref := all.get("whois"); ref != "" {
		a.Refer = serverAddr(ref)
	}
	a.Pointer = a.Refer != ""
	a.Created = parseDate(all.get("created"))
	if a.Created.IsZero() {
		a.Created = parseDate(all.get("changed"))
	}
	a.Updated = parseDate(all.get("changed"))
	return a, true
}
