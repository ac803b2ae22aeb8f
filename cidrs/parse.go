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
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"sort"
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
		return fmt.Errorf("cidrs: %q is not a provider name: use lower-case letters, digits, '-' and '_' (e.g. cloudflare)", name)
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
		return Snapshot{}, fmt.Errorf("cidrs: %s: the file is empty", name)
	case trimmed[0] == '{':
		raw, err = parseJSONObject(&s, trimmed)
	case trimmed[0] == '[':
		raw, err = parseJSONArray(&s, trimmed)
	case trimmed[0] == '<':
		return Snapshot{}, fmt.Errorf("cidrs: %s: an HTML or XML page, not a range file (a download that went to an error or login page?)", name)
	case bytes.IndexByte(trimmed[:min(len(trimmed), 4096)], 0) >= 0:
		return Snapshot{}, fmt.Errorf("cidrs: %s: binary data, not a range file", name)
	default:
		raw, err = parseText(&s, body)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("cidrs: %s: %w", name, err)
	}
	switch s.Format {
	case FormatAWS, FormatGoogle, FormatAzure, FormatOracle, FormatGitHub:
		if provider != "" && provider != s.Provider {
			return Snapshot{}, fmt.Errorf("cidrs: %s: this is %s (provider %s), not %s: leave --provider out for it", name, describeFormat(s.Format), s.Provider, provider)
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
			return Snapshot{}, fmt.Errorf("cidrs: %s: a %s does not say whose ranges it holds: pass the provider with --provider NAME (e.g. --provider cloudflare)", name, describeFormat(s.Format))
		}
	}
	if len(raw) == 0 {
		return Snapshot{}, fmt.Errorf("cidrs: %s: %s holds no prefixes", name, describeFormat(s.Format))
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

// ---- JSON formats

func parseJSONObject(s *Snapshot, data []byte) ([]rawRange, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("prefixes") || has("ipv6_prefixes"):
		return parsePrefixesDoc(s, data)
	case has("values"):
		s.Format = FormatAzure
		return parseAzure(s, data)
	case has("regions"):
		s.Format = FormatOracle
		return parseOracle(s, data)
	case has("subnets"):
		s.Format = FormatInvestigator
		return parseInvestigator(s, data)
	case isGitHubMeta(top):
		s.Format = FormatGitHub
		s.Provider = "github"
		return parseGitHub(top)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	return nil, fmt.Errorf("a JSON document with keys %s is not a range file this program knows (AWS, Google, Azure, Oracle, GitHub /meta, investiGATOR cidrs/*.json)", strings.Join(keys, ", "))
}

// parseJSONArray reads a JSON array of prefix strings: a plain list.
func parseJSONArray(s *Snapshot, data []byte) ([]rawRange, error) {
	var items []string
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("a JSON array that is not a list of CIDR strings: %w", err)
	}
	s.Format = FormatList
	out := make([]rawRange, 0, len(items))
	for i, it := range items {
		p, err := ParsePrefix(it)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out = append(out, rawRange{prefix: p})
	}
	return out, nil
}

// jsonTime reads the dates the JSON formats carry; all are UTC.
func jsonTime(v string) time.Time {
	for _, layout := range []string{
		"2006-01-02-15-04-05",           // AWS createDate
		"2006-01-02T15:04:05.999999999", // Google creationTime, Oracle last_updated_timestamp (no zone: UTC)
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999",
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// prefixesDoc is AWS ip-ranges.json and Google cloud.json / goog.json.
type prefixesDoc struct {
	SyncToken    string        `json:"syncToken"`
	CreateDate   string        `json:"createDate"`
	CreationTime string        `json:"creationTime"`
	Prefixes     []prefixEntry `json:"prefixes"`
	IPv6Prefixes []prefixEntry `json:"ipv6_prefixes"`
}

type prefixEntry struct {
	AWS4    *string `json:"ip_prefix"`
	AWS6    *string `json:"ipv6_prefix"`
	Google4 *string `json:"ipv4Prefix"`
	Google6 *string `json:"ipv6Prefix"`
	Service string  `json:"service"`
	Region  string  `json:"region"`
	Scope   string  `json:"scope"`
}

func parsePrefixesDoc(s *Snapshot, data []byte) ([]rawRange, error) {
	var d prefixesDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("prefixes: %w", err)
	}
	google := d.CreationTime != ""
	aws := d.CreateDate != "" || len(d.IPv6Prefixes) > 0
	if !google && !aws && len(d.Prefixes) > 0 {
		e := d.Prefixes[0]
		google = e.Google4 != nil || e.Google6 != nil
		aws = !google
	}
	var out []rawRange
	if aws && !google {
		s.Format, s.Provider = FormatAWS, "aws"
		s.Date, s.Version = jsonTime(d.CreateDate), d.SyncToken
		for _, list := range []struct {
			key  string
			v6   bool
			list []prefixEntry
		}{{"prefixes", false, d.Prefixes}, {"ipv6_prefixes", true, d.IPv6Prefixes}} {
			field := "ip_prefix"
			if list.v6 {
				field = "ipv6_prefix"
			}
			for i, e := range list.list {
				v := e.AWS4
				if list.v6 {
					v = e.AWS6
				}
				if v == nil {
					return nil, fmt.Errorf("%s[%d]: no %s", list.key, i, field)
				}
				p, err := ParsePrefix(*v)
				if err != nil {
					return nil, fmt.Errorf("%s[%d].%s: %w", list.key, i, field, err)
				}
				out = append(out, rawRange{prefix: p, service: e.Service, region: e.Region})
			}
		}
		return out, nil
	}
	s.Format, s.Provider = FormatGoogle, "google-all"
	s.Date, s.Version = jsonTime(d.CreationTime), d.SyncToken
	for i, e := range d.Prefixes {
		if e.Service != "" || e.Scope != "" {
			s.Provider = "google"
		}
		var (
			v     *string
			field string
		)
		switch {
		case e.Google4 != nil:
			v, field = e.Google4, "ipv4Prefix"
		case e.Google6 != nil:
			v, field = e.Google6, "ipv6Prefix"
		default:
			return nil, fmt.Errorf("prefixes[%d]: neither ipv4Prefix nor ipv6Prefix", i)
		}
		p, err := ParsePrefix(*v)
		if err != nil {
			return nil, fmt.Errorf("prefixes[%d].%s: %w", i, field, err)
		}
		out = append(out, rawRange{prefix: p, service: e.Service, region: e.Scope})
	}
	return out, nil
}

type azureDoc struct {
	ChangeNumber json.Number `json:"changeNumber"`
	Cloud        string      `json:"cloud"`
	Values       []struct {
		Name       string `json:"name"`
		Properties struct {
			Region          string   `json:"region"`
			SystemService   string   `json:"systemService"`
			AddressPrefixes []string `json:"addressPrefixes"`
		} `json:"properties"`
	} `json:"values"`
}

// parseAzure reads a Service Tags file. The service is the tag's
// systemService; tags without one (AzureCloud.eastus, AzureFrontDoor.Frontend)
// use the tag name, less a ".region" suffix that only repeats the region.
func parseAzure(s *Snapshot, data []byte) ([]rawRange, error) {
	var d azureDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	s.Provider = "azure"
	if c := strings.ToLower(d.Cloud); c != "" && c != "public" {
		s.Provider = "azure-" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, c)
	}
	if d.ChangeNumber != "" {
		s.Version = d.ChangeNumber.String()
	}
	var out []rawRange
	for i, v := range d.Values {
		service := v.Properties.SystemService
		if service == "" {
			service = v.Name
			if r := v.Properties.Region; r != "" && strings.HasSuffix(strings.ToLower(service), "."+strings.ToLower(r)) {
				service = service[:len(service)-len(r)-1]
			}
		}
		for j, a := range v.Properties.AddressPrefixes {
			p, err := ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("values[%d] (%s).properties.addressPrefixes[%d]: %w", i, v.Name, j, err)
			}
			out = append(out, rawRange{prefix: p, service: service, region: v.Properties.Region})
		}
	}
	return out, nil
}

type oracleDoc struct {
	LastUpdated string `json:"last_updated_timestamp"`
	Regions     []struct {
		Region string `json:"region"`
		CIDRs  []struct {
			CIDR *string  `json:"cidr"`
			Tags []string `json:"tags"`
		} `json:"cidrs"`
	} `json:"regions"`
}

// parseOracle reads public_ip_ranges.json; a CIDR's tags, joined with ",",
// are its service (OCI, OSN, or OSN,OBJECT_STORAGE).
func parseOracle(s *Snapshot, data []byte) ([]rawRange, error) {
	var d oracleDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	s.Provider = "oracle"
	s.Date = jsonTime(d.LastUpdated)
	var out []rawRange
	for i, r := range d.Regions {
		for j, c := range r.CIDRs {
			if c.CIDR == nil {
				return nil, fmt.Errorf("regions[%d] (%s).cidrs[%d]: no cidr", i, r.Region, j)
			}
			p, err := ParsePrefix(*c.CIDR)
			if err != nil {
				return nil, fmt.Errorf("regions[%d] (%s).cidrs[%d].cidr: %w", i, r.Region, j, err)
			}
			out = append(out, rawRange{prefix: p, service: strings.Join(c.Tags, ","), region: r.Region})
		}
	}
	return out, nil
}

type investigatorDoc struct {
	Description string `json:"description"`
	Updated     string `json:"updated"`
	Subnets     []struct {
		IPPrefix *string `json:"ip_prefix"`
		Country  string  `json:"alpha2code"`
		Region   string  `json:"region"`
	} `json:"subnets"`
}

// parseInvestigator reads the original investiGATOR's cidrs/*.json: a
// geofeed as JSON ({"description", "updated", "subnets": [{"ip_prefix",
// "alpha2code", "region", "city", "postal_code"}]}). Its provider is the
// first word of the description ("Constant.com / Vultr.com GeoFeed" is
// constant) unless the caller names one.
func parseInvestigator(s *Snapshot, data []byte) ([]rawRange, error) {
	var d investigatorDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("subnets: %w", err)
	}
	s.Date = jsonTime(d.Updated)
	s.Provider = providerFromDescription(d.Description)
	var out []rawRange
	for i, sub := range d.Subnets {
		if sub.IPPrefix == nil {
			return nil, fmt.Errorf("subnets[%d]: no ip_prefix", i)
		}
		p, err := ParsePrefix(*sub.IPPrefix)
		if err != nil {
			return nil, fmt.Errorf("subnets[%d].ip_prefix: %w", i, err)
		}
		out = append(out, rawRange{prefix: p, region: geoRegion(sub.Country, sub.Region)})
	}
	return out, nil
}

func providerFromDescription(desc string) string {
	f := strings.Fields(strings.ToLower(desc))
	if len(f) == 0 {
		return ""
	}
	w := f[0]
	if i := strings.IndexByte(w, '.'); i > 0 {
		w = w[:i]
	}
	if ValidProvider(w) != nil {
		return ""
	}
	return w
}

// geoRegion is a geofeed's location: the ISO 3166-2 region (US-CA), or the
// country when there is none.
func geoRegion(country, region string) string {
	country = strings.ToUpper(strings.TrimSpace(country))
	region = strings.TrimSpace(region)
	switch {
	case region == "":
		return country
	case country != "" && !strings.HasPrefix(strings.ToUpper(region), country+"-"):
		return country + "-" + region
	}
	return region
}

// gitHubNotIP are the keys of GitHub's /meta that are not address lists.
func gitHubNotIP(key string) bool {
	switch key {
	case "ssh_keys", "ssh_key_fingerprints", "domains", "verifiable_password_authentication":
		return true
	}
	return false
}

func isGitHubMeta(top map[string]json.RawMessage) bool {
	for _, k := range []string{"verifiable_password_authentication", "hooks", "web", "api", "git", "actions"} {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}

// parseGitHub reads GitHub's /meta: every key whose value is a list of
// prefixes (hooks, web, api, git, actions, ...) is a service. Keys that are
// not address lists (ssh_keys, domains, ...) are passed over; a list with
// some prefixes and some non-prefixes is an error.
func parseGitHub(top map[string]json.RawMessage) ([]rawRange, error) {
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []rawRange
	for _, k := range keys {
		if gitHubNotIP(k) {
			continue
		}
		var items []string
		if json.Unmarshal(top[k], &items) != nil || len(items) == 0 {
			continue // not a list of strings
		}
		var (
			good []rawRange
			bad  = -1
		)
		for i, it := range items {
			p, err := ParsePrefix(it)
			if err != nil {
				if bad < 0 {
					bad = i
				}
				continue
			}
			good = append(good, rawRange{prefix: p, service: k})
		}
		switch {
		case len(good) == 0:
			continue // a list of something else
		case bad >= 0:
			_, err := ParsePrefix(items[bad])
			return nil, fmt.Errorf("%s[%d]: %w", k, bad, err)
		}
		out = append(out, good...)
	}
	return out, nil
}

// ---- text formats

// parseText reads a plain list (one prefix per line) or an RFC 8805 geofeed
// (prefix,country,region,city,postal). '#' starts a comment line; a plain
// list may also end a line with "# comment". Blank lines, CRLF and a missing
// final newline are fine. A line that is not a prefix is skipped and counted;
// a file where most lines are not prefixes is not a list at all.
func parseText(s *Snapshot, data []byte) ([]rawRange, error) {
	var (
		out          []rawRange
		lines, csvs  int
		firstBad     string
		lineNo       int
		lastModified time.Time
	)
	rest := data
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		lineNo++
		text := strings.TrimSpace(string(line))
		if text == "" {
			continue
		}
		if text[0] == '#' {
			if v, ok := strings.CutPrefix(strings.TrimSpace(text[1:]), "Last modified:"); ok && lastModified.IsZero() {
				lastModified = jsonTime(v)
			}
			continue
		}
		lines++
		var (
			p      netip.Prefix
			region string
			err    error
		)
		if strings.IndexByte(text, ',') >= 0 {
			csvs++
			var f []string
			f, err = csvFields(text)
			if err == nil {
				p, err = ParsePrefix(f[0])
				if len(f) > 2 {
					region = geoRegion(f[1], f[2])
				} else if len(f) > 1 {
					region = geoRegion(f[1], "")
				}
			}
		} else {
			if i := strings.Index(text, "#"); i > 0 {
				text = strings.TrimSpace(text[:i])
			}
			p, err = ParsePrefix(text)
		}
		if err != nil {
			s.Skipped++
			if firstBad == "" {
				firstBad = fmt.Sprintf("line %d: %v", lineNo, err)
			}
			if len(s.SkippedLines) < reportSkipped {
				s.SkippedLines = append(s.SkippedLines, fmt.Sprintf("line %d: %v", lineNo, err))
			}
			continue
		}
		out = append(out, rawRange{prefix: p, region: region})
	}
	s.Format = FormatList
	if csvs*2 > lines {
		s.Format = FormatGeofeed
	}
	s.Date = lastModified
	if lines == 0 {
		return nil, errors.New("no prefixes, only comments or blank lines")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("not a range file: no line is a CIDR prefix (%s)", firstBad)
	}
	if s.Skipped > len(out) {
		return nil, fmt.Errorf("not a range file: %d of %d lines are not CIDR prefixes (first: %s)", s.Skipped, lines, firstBad)
	}
	return out, nil
}

// csvFields splits one geofeed line; fields may be quoted.
func csvFields(line string) ([]string, error) {
	if !strings.Contains(line, `"`) {
		return strings.Split(line, ","), nil
	}
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	f, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%q is not a CSV line: %w", line, err)
	}
	return f, nil
}
