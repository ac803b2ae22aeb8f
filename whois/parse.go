package whois

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Answer is what one WHOIS answer says about the network holding an address.
type Answer struct {
	// First and Last are the network's range, as the registry gave it.
	First, Last netip.Addr
	// Prefixes are the CIDR blocks covering First..Last exactly.
	Prefixes []netip.Prefix
	// Org is the organisation's name (never just its handle); OrgHandle its
	// id at the registry (GOGL, ORG-SIPL5-AP, an owner id).
	Org, OrgHandle string
	// NetName and Handle name the network (GOOGLE, NET-74-125-0-0-1).
	NetName, Handle string
	// Country is the ISO code the registry gives.
	Country string
	// ASN is the origin AS, "AS15169"; several are joined by ", ".
	ASN string
	// Abuse is the abuse contact's e-mail address.
	Abuse string
	// Registry is the database the data comes from: IANA, ARIN, RIPE, APNIC,
	// AFRINIC, LACNIC, a national registry (NIC.br, JPNIC, KRNIC) or rwhois.
	Registry string
	// Created and Updated are the dates the registry gives (zero when none).
	Created, Updated time.Time
	// Refer is the next server to ask, host:port; "" when this answer is final.
	Refer string
	// Pointer is set when the answer only says where the network is
	// registered (IANA's answer, an ARIN block transferred to another
	// registry): its data is not worth keeping and Refer must be followed.
	// Without Pointer, Refer names a server that may know more (rwhois).
	Pointer bool
}

// ErrNoNetwork is wrapped by the error of an answer that names no network.
var ErrNoNetwork = errors.New("whois: no network in the answer")

// RefusedError is an answer that refuses the query, usually because the
// client asked too often: the caller should retry later, more slowly.
type RefusedError struct {
	Server  string
	Message string // what the server said
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("whois: %s refused the query: %s", e.Server, e.Message)
}

// Parse reads the answer raw that server (host or host:port) gave to a query
// for an IP address. It reads IANA's referrals, ARIN's answers (full records
// and one-line summaries), the RPSL of RIPE, APNIC and AFRINIC, LACNIC's and
// NIC.br's dialect and rwhois. Several networks in one answer: the most
// specific wins. An answer without a network is an error wrapping
// ErrNoNetwork and saying what the server said, or a *RefusedError when it
// refused the query.
func Parse(server, raw string) (Answer, error) {
	text := normalize(raw)
	d := split(text)
	var (
		a  Answer
		ok bool
	)
	switch {
	case d.has("netrange") || d.has("cidr"):
		a, ok = parseARIN(d)
	case d.rwhois:
		a, ok = parseRWhois(d)
	case d.has("refer") || d.sourceIs("IANA"):
		a, ok = parseIANA(d)
	case d.has("inetnum") || d.has("inet6num"):
		a, ok = parseRPSL(d, server)
	default:
		a, ok = parseARINSummary(d)
	}
	if ok {
		if err := usable(a); err != nil {
			return Answer{}, fmt.Errorf("%w: %s: %v", ErrNoNetwork, hostOf(server), err)
		}
		return a, nil
	}
	return Answer{}, noNetwork(server, d)
}

// usable refuses a network no registry really holds: the whole address
// space, or the placeholder objects RPSL databases give for space they do not
// manage.
func usable(a Answer) error {
	if a.First.IsUnspecified() && !a.Last.Next().IsValid() {
		return fmt.Errorf("the answer covers the whole address space (%s)", a.NetName)
	}
	n := strings.ToUpper(a.NetName)
	for _, p := range []string{"NON-RIPE-NCC-MANAGED", "IANA-BLK", "IANA-NETBLOCK", "NON-AFRINIC", "NON-APNIC"} {
		if strings.HasPrefix(n, p) {
			return fmt.Errorf("the server does not manage this address (%s)", a.NetName)
		}
	}
	return nil
}

// normalize makes raw valid UTF-8 with \n line ends.
func normalize(raw string) string {
	raw = utf8Text(raw)
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	return strings.ReplaceAll(raw, "\r", "\n")
}

// utf8Text makes raw valid UTF-8 without NUL bytes: LACNIC's and old RIPE
// objects are ISO-8859-1, so a byte that is not UTF-8 is read as Latin-1.
func utf8Text(raw string) string {
	if !utf8.ValidString(raw) {
		var b strings.Builder
		b.Grow(len(raw) + len(raw)/8)
		for i := 0; i < len(raw); {
			r, n := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				r, n = rune(raw[i]), 1 // Latin-1: every byte is its code point
			}
			b.WriteRune(r)
			i += n
		}
		raw = b.String()
	}
	return strings.ReplaceAll(raw, "\x00", "")
}

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

// --- IANA ---

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

// --- ARIN ---

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

// --- RPSL: RIPE, APNIC, AFRINIC, LACNIC, NIC.br ---

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

// --- rwhois ---

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

// --- answers without a network ---

var (
	refusals = []string{"%error:201", "%error:202", "access denied", "rate limit", "limit exceeded",
		"too many", "exceeded the maximum", "query limit", "try again later", "temporarily denied",
		"permanently denied", "excessive querying", "blocked", "quota"}
	noMatches = []string{"no match", "no entries found", "%error:101", "not found", "no objects found",
		"%error 230", "no data found", "invalid query", "not managed"}
)

// noNetwork is the error for an answer that names no network, quoting what
// the server said.
func noNetwork(server string, d doc) error {
	// What the server said, most telling first: free text, then errors and
	// referrals among the comments, then attributes, then other comments.
	lines := slices.Clone(d.loose)
	var plain []string
	for _, c := range d.comments {
		if l := strings.ToLower(c); strings.Contains(l, "error") || strings.Contains(l, "referral") {
			lines = append(lines, c)
		} else {
			plain = append(plain, c)
		}
	}
	for _, o := range d.objs {
		for _, a := range o {
			lines = append(lines, a.key+": "+a.val)
		}
	}
	lines = append(lines, plain...)
	for _, l := range lines {
		ll := strings.ToLower(l)
		for _, p := range refusals {
			if strings.Contains(ll, p) {
				return &RefusedError{Server: hostOf(server), Message: clip(l, 200)}
			}
		}
	}
	for _, l := range lines {
		ll := strings.ToLower(l)
		for _, p := range noMatches {
			if strings.Contains(ll, p) {
				return fmt.Errorf("%w: %s answered %q", ErrNoNetwork, hostOf(server), clip(l, 200))
			}
		}
	}
	said := "nothing"
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			said = fmt.Sprintf("%q", clip(l, 200))
			break
		}
	}
	return fmt.Errorf("%w: %s answered %s", ErrNoNetwork, hostOf(server), said)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// --- values ---

// setRange reads "a - b", a CIDR (LACNIC abbreviates IPv4 ones:
// 200.57.128/19) or a single address into a's range and prefixes.
func (a *Answer) setRange(s string) bool {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i > 0 && !strings.Contains(s, "-") {
		s = s[:i] // "2001:db8::/32 # comment"
	}
	var first, last netip.Addr
	switch {
	case strings.Contains(s, "-"):
		lo, hi, _ := strings.Cut(s, "-")
		f, err1 := parseAddr(strings.TrimSpace(lo))
		l, err2 := parseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || f.Is4() != l.Is4() || l.Less(f) {
			return false
		}
		first, last = f, l
	case strings.Contains(s, "/"):
		p, ok := parsePrefix(s)
		if !ok {
			return false
		}
		first, last = prefixRange(p)
	default:
		ip, err := parseAddr(s)
		if err != nil {
			return false
		}
		first, last = ip, ip
	}
	a.First, a.Last = first, last
	a.Prefixes = rangePrefixes(first, last)
	return true
}

func parseAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return ip, err
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("zone in %q", s)
	}
	return ip.Unmap(), nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return netip.Prefix{}, false
	}
	if !strings.Contains(addr, ":") {
		if n := strings.Count(addr, "."); n < 3 {
			addr += strings.Repeat(".0", 3-n)
		}
	}
	p, err := netip.ParsePrefix(addr + "/" + bits)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// smaller reports whether a's network is more specific than b's (an IPv4
// network beats an IPv6 one only by size; answers do not mix families).
func smaller(a, b Answer) bool {
	return rangeSize(a.First, a.Last).Less(rangeSize(b.First, b.Last))
}

// splitHandle reads "Google Inc. (GOGL)" as the name and the handle.
func splitHandle(s string) (name, handle string) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndex(s, "("); i > 0 {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1 : len(s)-1])
		}
	}
	return s, ""
}

func firstOf(o object, keys ...string) string {
	for _, k := range keys {
		if v := o.get(k); v != "" {
			return v
		}
	}
	return ""
}

// sourceName is "RIPE" of "RIPE # Filtered".
func sourceName(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "afrinic") {
		return "AFRINIC"
	}
	return s
}

// maxASNs is the most origin ASes an answer keeps.
const maxASNs = 8

var asnToken = regexp.MustCompile(`(?i)^(?:AS)?(\d{1,10})$`)

// normalizeASN reads "AS15169", "15169" or "AS1, AS2" as "AS15169" / "AS1, AS2".
func normalizeASN(s string) string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		if m := asnToken.FindStringSubmatch(f); m != nil {
			as := "AS" + strings.TrimLeft(m[1], "0")
			if as == "AS" {
				as = "AS0"
			}
			if !slices.Contains(out, as) {
				out = append(out, as)
			}
			if len(out) == maxASNs {
				break
			}
		}
	}
	return strings.Join(out, ", ")
}

var dateToken = regexp.MustCompile(`\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\d{8}|\d{4}-\d{2}`)

// parseDate reads the dates registries write: 2007-03-13, 2008-08-14T14:54:30Z,
// 20001204, "hm-changed@apnic.net 20021025", 1993-05. Zero when none.
func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	ms := dateToken.FindAllString(s, -1)
	if len(ms) == 0 {
		return time.Time{}
	}
	m := ms[len(ms)-1]
	for _, v := range []string{m, m[:min(len(m), 10)]} {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02", "20060102", "2006-01"} {
			if t, err := time.Parse(layout, v); err == nil {
				if t.Year() < 1970 || t.Year() > 2200 {
					return time.Time{}
				}
				// The date the registry wrote, whatever its zone.
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			}
		}
	}
	return time.Time{}
}

// serverAddr reads a referral ("whois.apnic.net", "whois://whois.lacnic.net",
// "rwhois://rwhois.example.net:4321/auth-area=.") as host:port; "" for what
// is not a WHOIS server (an http:// link, garbage).
func serverAddr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.Index(s, "://"); i >= 0 {
		switch strings.ToLower(s[:i]) {
		case "whois", "rwhois":
		default:
			return ""
		}
		s = s[i+3:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	host, port := s, "43"
	if h, p, ok := strings.Cut(s, ":"); ok {
		host, port = h, p
		if port == "" {
			port = "43"
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !validHost(host) || !validPort(port) {
		return ""
	}
	return host + ":" + port
}

// validHost accepts a lower-case host name or IPv4 address: labels of
// letters, digits and hyphens.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n < 65536
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

// registryOf names the registry behind a well-known server.
func registryOf(server string) string {
	h := hostOf(server)
	switch {
	case strings.HasSuffix(h, "iana.org"):
		return "IANA"
	case strings.HasSuffix(h, "arin.net"):
		return "ARIN"
	case strings.HasSuffix(h, "ripe.net"):
		return "RIPE"
	case strings.HasSuffix(h, "apnic.net"):
		return "APNIC"
	case strings.HasSuffix(h, "afrinic.net"):
		return "AFRINIC"
	case strings.HasSuffix(h, "lacnic.net"):
		return "LACNIC"
	case strings.HasSuffix(h, "registro.br"):
		return "NIC.br"
	}
	return h
}

// hostOf is the host of host:port.
func hostOf(server string) string {
	if h, _, err := net.SplitHostPort(server); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(server)
}
