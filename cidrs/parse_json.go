package cidrs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

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
