package whois

import (
	"errors"
	"fmt"
	"net/netip"
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
