// Package cidrs knows the address ranges that cloud providers and hosters
// publish: it parses their range files (AWS ip-ranges.json, Google cloud.json
// and goog.json, Azure Service Tags, Oracle public_ip_ranges.json, GitHub
// /meta, RFC 8805 geofeeds, plain CIDR lists such as Cloudflare's, and the
// JSON files the original investiGATOR shipped), keeps one current snapshot
// per provider in a home folder on disk (Home: import, download, list), and
// loads snapshots into a case's cidr_snapshots and cidr_ranges tables, so the
// case answers "whose address is this?" the same way offline forever after.
//
// The format of a file is decided by its content, never by its name. Files
// that say whose ranges they are (AWS, Google, Azure, Oracle, GitHub) name
// their provider themselves; plain lists and geofeeds do not, so their
// provider is given by the caller or recognised in the file's name
// (cloudflare-v4.txt is Cloudflare's).
package cidrs

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Range is one published prefix with what the provider says about it.
//
// A provider may publish the same prefix several times: AWS lists most
// prefixes once under the umbrella service AMAZON and again under the specific
// service (S3, EC2, ...); Azure lists a prefix under AzureCloud, under its
// regional AzureCloud tag and under service tags. Every distinct
// (prefix, service, region) is kept as its own Range. The analyses that
// attribute an address (queries' address enrichment) pick the most specific
// prefix that contains it and, among rows of the same prefix length, prefer a
// service other than AMAZON, the umbrella that repeats the others.
type Range struct {
	Prefix  netip.Prefix // canonical: masked, IPv4 as IPv4 (never IPv4-mapped IPv6)
	Service string       // AWS service, Azure tag or system service, GitHub key, ...; "" when the file says none
	Region  string       // AWS/Azure/Oracle region, Google scope, geofeed country or country-region; "" when none
}

// Snapshot is one provider's range file, parsed.
//
// Ranges are canonical prefixes, deduplicated on (prefix, service, region) and
// sorted (IPv4 before IPv6, then by address, prefix length, service, region).
// See Range for how overlapping rows are meant to be read.
type Snapshot struct {
	// Provider is aws, google (Google Cloud, cloud.json), google-all (every
	// Google prefix, goog.json), azure, oracle, github, or, for files that do
	// not say whose they are, the name given: cloudflare, digitalocean,
	// linode, constant, custom, ...
	Provider string
	// Format is the shape the content was read as: aws, google, azure, oracle,
	// github, investigator (the original tool's cidrs/*.json), geofeed, list.
	Format string
	// Source is the file name or URL the bytes came from.
	Source string
	// SHA256 is the hex SHA-256 of the raw bytes.
	SHA256 string
	// Date is the date the file carries (AWS createDate, Google creationTime,
	// Oracle last_updated_timestamp, a geofeed's "Last modified" comment, the
	// original tool's "updated"), in UTC; zero when the file carries none
	// (Azure, GitHub, Cloudflare).
	Date time.Time
	// Version is the file's own version marker when it has one: AWS and
	// Google syncToken, Azure changeNumber.
	Version string
	// FetchedAt is when the file entered the home folder; zero from Parse.
	FetchedAt time.Time
	// Ranges are the prefixes; never empty.
	Ranges []Range
	// Entries is how many prefix entries the file holds before deduplication
	// (AWS: len(prefixes) + len(ipv6_prefixes)).
	Entries int
	// Skipped is how many lines of a geofeed or plain list were not
	// prefixes and were skipped; SkippedLines describes the first few.
	Skipped      int
	SkippedLines []string
}

// Count returns the number of IPv4 and IPv6 ranges.
func (s Snapshot) Count() (v4, v6 int) {
	for _, r := range s.Ranges {
		if r.Prefix.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

// Formats a snapshot can have.
const (
	FormatAWS          = "aws"
	FormatGoogle       = "google"
	FormatAzure        = "azure"
	FormatOracle       = "oracle"
	FormatGitHub       = "github"
	FormatInvestigator = "investigator"
	FormatGeofeed      = "geofeed"
	FormatList         = "list"
)

// reportSkipped is how many skipped lines a Snapshot describes.
const reportSkipped = 5

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidProvider checks a provider name: lower-case letters, digits, '-' and
// '_', starting with a letter or digit (it names files in the home folder).
func ValidProvider(name string) error {
	if !providerName.MatchString(name) {
		return &Error{Msg: fmt.Sprintf("%q is not a provider name: use lower-case letters, digits, '-' and '_' (e.g. cloudflare)", name)}
	}
	return nil
}

// listProviders are the names recognised in the file name of a plain list or
// geofeed, whose content does not say whose it is.
func listProviders() []string {
	return []string{"akamai", "cloudflare", "constant", "digitalocean", "fastly", "hetzner", "linode", "ovh", "vultr"}
}

// Parse reads a range file. source is its file name or URL (kept in the
// snapshot, and used to recognise the provider of a plain list or geofeed);
// provider is "" to take the one the file names, or the provider of a plain
// list, geofeed or investiGATOR file. A provider that contradicts a
// self-describing file (an AWS file given as "google") is an error.
//
// An invalid prefix in a JSON file fails the whole file, naming where it is;
// in a geofeed or plain list the line is skipped and counted.
func Parse(source string, data []byte, provider string) (Snapshot, error) {
	name := path.Base(strings.ReplaceAll(source, "\\", "/"))
	if provider != "" {
		if err := ValidProvider(provider); err != nil {
			return Snapshot{}, err
		}
	}
	sum := sha256.Sum256(data)
	s := Snapshot{Source: source, SHA256: hex.EncodeToString(sum[:])}
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(body)
	var (
		raw []rawRange
		err error
	)
	switch {
	case len(trimmed) == 0:
		return Snapshot{}, &Error{Subject: name, Msg: "the file is empty"}
	case trimmed[0] == '{':
		raw, err = parseJSONObject(&s, trimmed)
	case trimmed[0] == '[':
		raw, err = parseJSONArray(&s, trimmed)
	case trimmed[0] == '<':
		return Snapshot{}, &Error{Subject: name, Msg: "an HTML or XML page, not a range file (a download that went to an error or login page?)"}
	case bytes.IndexByte(trimmed[:min(len(trimmed), 4096)], 0) >= 0:
		return Snapshot{}, &Error{Subject: name, Msg: "binary data, not a range file"}
	default:
		raw, err = parseText(&s, body)
	}
	if err != nil {
		return Snapshot{}, fileError(name, err)
	}
	switch s.Format {
	case FormatAWS, FormatGoogle, FormatAzure, FormatOracle, FormatGitHub:
		if provider != "" && provider != s.Provider {
			return Snapshot{}, &Error{Subject: name, Msg: fmt.Sprintf("this is %s (provider %s), not %s: leave --provider out for it", describeFormat(s.Format), s.Provider, provider)}
		}
	default:
		// The file does not say whose it is, or says it only loosely (the
		// original tool's description): the caller's name wins.
		if provider != "" {
			s.Provider = provider
		} else if s.Provider == "" {
			s.Provider = providerFromName(name)
		}
		if s.Provider == "" {
			return Snapshot{}, &Error{Subject: name, Msg: fmt.Sprintf("a %s does not say whose ranges it holds: pass the provider with --provider NAME (e.g. --provider cloudflare)", describeFormat(s.Format))}
		}
	}
	if len(raw) == 0 {
		return Snapshot{}, &Error{Subject: name, Msg: describeFormat(s.Format) + " holds no prefixes"}
	}
	s.Entries = len(raw)
	s.Ranges = canonical(raw)
	return s, nil
}

func describeFormat(f string) string {
	switch f {
	case FormatAWS:
		return "AWS ip-ranges.json"
	case FormatGoogle:
		return "Google ranges file"
	case FormatAzure:
		return "Azure Service Tags file"
	case FormatOracle:
		return "Oracle public_ip_ranges.json"
	case FormatGitHub:
		return "GitHub /meta document"
	case FormatInvestigator:
		return "investiGATOR CIDR file"
	case FormatGeofeed:
		return "geofeed"
	}
	return "plain list of CIDRs"
}

// providerFromName finds a known list provider in a file name.
func providerFromName(name string) string {
	lower := strings.ToLower(name)
	found := ""
	for _, p := range listProviders() {
		if strings.Contains(lower, p) {
			if found != "" {
				return "" // ambiguous
			}
			found = p
		}
	}
	return found
}

// rawRange is a prefix as the file gave it, before canonicalisation.
type rawRange struct {
	prefix          netip.Prefix
	service, region string
}

// canonical dedups and sorts.
func canonical(raw []rawRange) []Range {
	out := make([]Range, 0, len(raw))
	for _, r := range raw {
		out = append(out, Range{Prefix: r.prefix, Service: r.service, Region: r.region})
	}
	slices.SortFunc(out, compareRange)
	return slices.CompactFunc(out, func(a, b Range) bool { return compareRange(a, b) == 0 })
}

func compareRange(a, b Range) int {
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Service, b.Service); c != 0 {
		return c
	}
	return cmp.Compare(a.Region, b.Region)
}

// ParsePrefix reads a CIDR prefix, or a bare address as a single-host prefix,
// and returns it canonical: masked, IPv4-mapped IPv6 turned into IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}
