// Package intel reads threat-intel lists of addresses and networks, keeps
// one current snapshot of each list in the home folder (Home: import,
// download, list), and loads snapshots into a case's intel_snapshots and
// intel_entries tables, so the case can tell which of its peers are on a
// list, offline and the same way forever after.
//
// The format of a file is decided by its content, never by its name:
//
//   - plain lists: one address, CIDR prefix or range (a-b) a line; '#' and
//     ';' start a comment, on a line of its own or after the value (the
//     text after the value is the entry's comment);
//   - the Tor Project's exit-addresses (ExitNode, Published, LastStatus and
//     ExitAddress lines);
//   - Spamhaus DROP and EDROP, the text form ("1.10.16.0/20 ; SBL256894")
//     and the JSON lines of drop_v4.json and drop_v6.json
//     ({"cidr":…,"sblid":…,"rir":…} and a closing metadata line);
//   - MISP CSV exports (uuid,event_id,category,type,value,…) and MISP JSON
//     events (Event.Attribute[] and Event.Object[].Attribute[]): the
//     attributes of type ip-src, ip-dst, ip-src|port, ip-dst|port and
//     domain|ip;
//   - STIX 2.1 bundles: indicators whose pattern compares ipv4-addr:value or
//     ipv6-addr:value (=, ISSUBSET, IN, OR-ed), and ipv4-addr / ipv6-addr
//     objects;
//   - CSV (comma, tab or semicolon) with a header naming an address column
//     (ip, ip_address, address, indicator, value, src_ip, dst_ip, …).
//
// A line (or record) that cannot be read is skipped and counted with its
// line number and the reason; records that are about something other than
// addresses (a MISP domain, a STIX file hash) are passed over and counted. A
// file that holds no address at all is refused.
package intel

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Entry is one address or network on a list.
type Entry struct {
	// Prefix is canonical: masked, IPv4 as IPv4 (never IPv4-mapped IPv6).
	// A single address is a /32 or /128.
	Prefix netip.Prefix
	// Value is the entry as the list gives it ("1.10.16.0/20",
	// "198.51.100.7|443", "10.0.0.1-10.0.0.9"): a range that is not one
	// prefix is several entries of the same value.
	Value string
	// Comment is what the list says about it: a Spamhaus SBL id, a Tor exit
	// node's fingerprint, a MISP attribute's type, category and comment, a
	// STIX indicator's name; "" when nothing.
	Comment string
	// Line is the 1-based line of the file it is on (in JSON documents, the
	// line where its record begins).
	Line int
}

// Snapshot is one list file, parsed.
type Snapshot struct {
	// Name is the list's name: given at import, else the one its format
	// implies (tor-exits, spamhaus-drop, spamhaus-edrop, spamhaus-drop-v6),
	// else made from the file's name (bad-hosts.txt is bad-hosts).
	Name string
	// Format is the shape the content was read as (FormatList, ...).
	Format string
	// Source is the file name or URL the bytes came from.
	Source string
	// SHA256 is the hex SHA-256 of the raw bytes.
	SHA256 string
	// Date is the date the file carries, in UTC: Spamhaus's Last-Modified
	// (text) or metadata timestamp (JSON), a "Last updated:" comment, the
	// newest ExitAddress time of Tor's list, the newest STIX indicator's
	// created or modified, the newest MISP event date; zero when it carries
	// none.
	Date time.Time
	// FetchedAt is when the file entered the home folder; zero from Parse.
	FetchedAt time.Time
	// Entries are sorted (IPv4 before IPv6, then by address, prefix length,
	// value, comment) with exact repeats removed; never empty.
	Entries []Entry
	// Skipped is how many lines or records could not be read and were
	// skipped; SkippedLines describes the first few ("line 7: ...").
	Skipped      int
	SkippedLines []string
	// Ignored is how many records are about something other than addresses
	// (MISP attributes of other types, STIX indicators of other objects) and
	// were passed over; IgnoredKinds counts them by kind (domain, sha256).
	Ignored      int
	IgnoredKinds map[string]int
}

// Count returns the number of IPv4 and IPv6 entries.
func (s Snapshot) Count() (v4, v6 int) {
	for _, e := range s.Entries {
		if e.Prefix.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

// Formats a snapshot can have.
const (
	FormatList         = "list"          // plain list of addresses and prefixes
	FormatTor          = "tor"           // the Tor Project's exit-addresses
	FormatSpamhaus     = "spamhaus"      // Spamhaus DROP/EDROP text
	FormatSpamhausJSON = "spamhaus-json" // Spamhaus drop_v4.json / drop_v6.json
	FormatMISPCSV      = "misp-csv"      // a MISP CSV export
	FormatMISPJSON     = "misp-json"     // a MISP JSON event export
	FormatSTIX         = "stix"          // a STIX 2.1 bundle
	FormatCSV          = "csv"           // CSV with an address column
)

// Describe names a format for people.
func Describe(format string) string {
	switch format {
	case FormatTor:
		return "Tor exit-addresses list"
	case FormatSpamhaus:
		return "Spamhaus DROP list"
	case FormatSpamhausJSON:
		return "Spamhaus DROP JSON list"
	case FormatMISPCSV:
		return "MISP CSV export"
	case FormatMISPJSON:
		return "MISP JSON event"
	case FormatSTIX:
		return "STIX 2.1 bundle"
	case FormatCSV:
		return "CSV with an address column"
	}
	return "plain list of addresses"
}

// reportSkipped is how many skipped lines a Snapshot describes.
const reportSkipped = 5

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName checks a list name: lower-case letters, digits, '-' and '_',
// starting with a letter or digit, at most 64 (it names files in the home
// folder and is what address_info.intel holds).
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return &Error{Msg: fmt.Sprintf("%q is not a list name: use lower-case letters, digits, '-' and '_' (e.g. tor-exits)", name)}
	}
	return nil
}

// NameFromFile makes a list name of a file name: its base without
// extensions, lower-case, other characters as '-' ("Bad Hosts.txt" is
// bad-hosts); "" when nothing is left.
func NameFromFile(source string) string {
	base := path.Base(strings.ReplaceAll(source, "\\", "/"))
	if i := strings.IndexAny(base, "?#"); i >= 0 && strings.Contains(source, "://") {
		base = base[:i]
	}
	// One compression suffix, then one extension of letters (the digits
	// of misp.event.1234 are part of the name).
	for _, z := range []string{".gz", ".bz2", ".xz", ".zst", ".zip"} {
		if b, ok := strings.CutSuffix(strings.ToLower(base), z); ok && b != "" {
			base = base[:len(b)]
			break
		}
	}
	if ext := path.Ext(base); ext != "" && ext != base && len(ext) <= 8 && letters(ext[1:]) {
		base = strings.TrimSuffix(base, ext)
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	n := strings.TrimRight(b.String(), "-_")
	if len(n) > 64 {
		n = strings.TrimRight(n[:64], "-_")
	}
	if ValidName(n) != nil {
		return ""
	}
	return n
}

// Parse reads a list file. source is its file name or URL (kept in the
// snapshot, and made into the list's name when its format implies none);
// name is "" for that default, or the list's name.
func Parse(source string, data []byte, name string) (Snapshot, error) {
	file := path.Base(strings.ReplaceAll(source, "\\", "/"))
	if name != "" {
		if err := ValidName(name); err != nil {
			return Snapshot{}, err
		}
	}
	sum := sha256.Sum256(data)
	p := &parser{s: Snapshot{Source: source, SHA256: hex.EncodeToString(sum[:])}}
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(body)
	var err error
	switch {
	case len(trimmed) == 0:
		return Snapshot{}, &Error{Subject: file, Msg: "the file is empty"}
	case bytes.IndexByte(trimmed[:min(len(trimmed), 4096)], 0) >= 0:
		return Snapshot{}, &Error{Subject: file, Msg: "binary data, not a list of addresses (a compressed file? decompress it first)"}
	case trimmed[0] == '<':
		return Snapshot{}, &Error{Subject: file, Msg: "an HTML or XML page, not a list of addresses (a download that went to an error or login page?)"}
	case trimmed[0] == '{' || trimmed[0] == '[':
		if isJSONLines(body) {
			err = p.spamhausJSON(body)
		} else {
			err = p.jsonDocument(body)
		}
	case isTor(body):
		err = p.tor(body)
	default:
		if h, ok := csvHeader(body); ok {
			err = p.csv(body, h)
		} else {
			err = p.text(body)
		}
	}
	if err != nil {
		return Snapshot{}, fileError(file, err)
	}
	s := p.s
	if len(p.entries) == 0 {
		return Snapshot{}, &Error{Subject: file, Msg: p.nothing()}
	}
	switch {
	case name != "":
		s.Name = name
	case p.name != "":
		s.Name = p.name
		if p.allV6() && strings.HasPrefix(p.name, "spamhaus-") {
			s.Name += "-v6"
		}
	default:
		s.Name = NameFromFile(source)
	}
	if s.Name == "" {
		return Snapshot{}, &Error{Subject: file, Msg: fmt.Sprintf("a %s does not say which list it is and its file name makes no list name: name it with --name NAME", Describe(s.Format))}
	}
	s.Entries = canonical(p.entries)
	s.Date = s.Date.UTC()
	return s, nil
}

// parser collects what a format reader finds.
type parser struct {
	s       Snapshot
	entries []Entry
	name    string // the name the format implies
	// lines counts the lines (records) that could have held an address.
	lines int
}

// skip records a line that could not be read.
func (p *parser) skip(line int, format string, args ...any) {
	p.s.Skipped++
	if len(p.s.SkippedLines) < reportSkipped {
		msg := fmt.Sprintf(format, args...)
		if line > 0 {
			msg = fmt.Sprintf("line %d: %s", line, msg)
		}
		p.s.SkippedLines = append(p.s.SkippedLines, msg)
	}
}

// ignore records a record about something other than addresses.
func (p *parser) ignore(kind string) {
	p.s.Ignored++
	if p.s.IgnoredKinds == nil {
		p.s.IgnoredKinds = map[string]int{}
	}
	if kind == "" {
		kind = "other"
	}
	if len(kind) > 40 {
		kind = kind[:40]
	}
	p.s.IgnoredKinds[kind]++
}

// add reads value as an address, prefix or range and adds its entries; the
// error says what value is not.
func (p *parser) add(value, comment string, line int) error {
	ps, err := ParseValue(value)
	if err != nil {
		return err
	}
	for _, pr := range ps {
		p.entries = append(p.entries, Entry{Prefix: pr, Value: value, Comment: comment, Line: line})
	}
	return nil
}

// date keeps the newest of the dates the file carries.
func (p *parser) date(t time.Time) {
	if !t.IsZero() && t.After(p.s.Date) {
		p.s.Date = t
	}
}

func (p *parser) allV6() bool {
	for _, e := range p.entries {
		if e.Prefix.Addr().Is4() {
			return false
		}
	}
	return len(p.entries) > 0
}

// nothing is why a file with no entries is refused.
func (p *parser) nothing() string {
	what := "no address or network in it"
	switch {
	case p.s.Skipped > 0 && len(p.s.SkippedLines) > 0:
		what += fmt.Sprintf(" (%d %s skipped; first: %s)", p.s.Skipped, plural(p.s.Skipped, "line", "lines"), p.s.SkippedLines[0])
	case p.s.Ignored > 0:
		what += fmt.Sprintf(" (%d %s about other things: %s)", p.s.Ignored, plural(p.s.Ignored, "record", "records"), p.s.KindsText())
	case p.lines == 0:
		what += " (only comments or blank lines)"
	}
	return fmt.Sprintf("%s: %s", Describe(p.s.Format), what)
}

// KindsText is IgnoredKinds for people: "domain 5, sha256 2".
func (s Snapshot) KindsText() string {
	kinds := make([]string, 0, len(s.IgnoredKinds))
	for k := range s.IgnoredKinds {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		return cmp.Or(cmp.Compare(s.IgnoredKinds[b], s.IgnoredKinds[a]), cmp.Compare(a, b))
	})
	var parts []string
	for i, k := range kinds {
		if i == 5 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", k, s.IgnoredKinds[k]))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// canonical sorts and removes exact repeats.
func canonical(es []Entry) []Entry {
	slices.SortStableFunc(es, compareEntry)
	return slices.CompactFunc(es, func(a, b Entry) bool {
		return a.Prefix == b.Prefix && a.Value == b.Value && a.Comment == b.Comment
	})
}

func compareEntry(a, b Entry) int {
	return cmp.Or(
		a.Prefix.Addr().Compare(b.Prefix.Addr()),
		cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()),
		cmp.Compare(a.Value, b.Value),
		cmp.Compare(a.Comment, b.Comment),
	)
}

func letters(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return s != ""
}

// ParseValue reads an address, a CIDR prefix or a range of addresses
// ("a-b", "a - b") as canonical prefixes: masked, IPv4-mapped IPv6 as IPv4.
// A range that is not one prefix becomes the fewest prefixes that cover it
// exactly (at most 62 for IPv4, 254 for IPv6).
func ParseValue(s string) ([]netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if lo, hi, ok := strings.Cut(s, "-"); ok && !strings.Contains(s, "/") {
		a, err1 := parseAddr(strings.TrimSpace(lo))
		b, err2 := parseAddr(strings.TrimSpace(hi))
		switch {
		case err1 != nil && err2 != nil:
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", clip(s))
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("%q is not an address range (want FIRST-LAST)", clip(s))
		case a.Is4() != b.Is4():
			return nil, fmt.Errorf("%q mixes IPv4 and IPv6", clip(s))
		case b.Less(a):
			return nil, fmt.Errorf("%q ends before it starts", clip(s))
		}
		return rangePrefixes(a, b), nil
	}
	p, err := ParsePrefix(s)
	if err != nil {
		return nil, err
	}
	return []netip.Prefix{p}, nil
}

// ParsePrefix reads a CIDR prefix, or a bare address as a single-host
// prefix, canonical: masked, IPv4-mapped IPv6 turned into IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", clip(s))
		}
	} else {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address or CIDR prefix", clip(s))
	}
	return a.Unmap(), nil
}

// rangePrefixes covers first..last exactly with the fewest prefixes.
func rangePrefixes(first, last netip.Addr) []netip.Prefix {
	bitLen := first.BitLen()
	toInt := func(a netip.Addr) *big.Int {
		b := a.AsSlice()
		return new(big.Int).SetBytes(b)
	}
	lo, hi := toInt(first), toInt(last)
	one := big.NewInt(1)
	var out []netip.Prefix
	for lo.Cmp(hi) <= 0 {
		// The largest block that starts at lo and ends at or before hi.
		host := 0
		for host < bitLen {
			if lo.Bit(host) != 0 {
				break
			}
			end := new(big.Int).Lsh(one, uint(host+1))
			end.Sub(end, one).Add(end, lo)
			if end.Cmp(hi) > 0 {
				break
			}
			host++
		}
		b := lo.FillBytes(make([]byte, bitLen/8))
		a, _ := netip.AddrFromSlice(b)
		out = append(out, netip.PrefixFrom(a, bitLen-host))
		lo.Add(lo, new(big.Int).Lsh(one, uint(host)))
	}
	return out
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
