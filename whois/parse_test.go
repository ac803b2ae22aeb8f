package whois

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// arinTwoNets is ARIN's "n + 8.8.8.8": the parent network and the
// reassignment, each with its organisation.
const arinTwoNets = `
#
# ARIN WHOIS data and services are subject to the Terms of Use
# available at: https://www.arin.net/resources/registry/whois/tou/
#

NetRange:       8.0.0.0 - 8.127.255.255
CIDR:           8.0.0.0/9
NetName:        LVLT-ORG-8-8
NetHandle:      NET-8-0-0-0-1
Parent:         NET8 (NET-8-0-0-0-0)
NetType:        Direct Allocation
OriginAS:
Organization:   Level 3 Parent, LLC (LPL-141)
RegDate:        1992-12-01
Updated:        2018-04-23
Ref:            https://rdap.arin.net/registry/ip/8.0.0.0

OrgName:        Level 3 Parent, LLC
OrgId:          LPL-141
Country:        US
RegDate:        2018-02-06
Updated:        2024-01-02

OrgAbuseHandle: IPADD5-ARIN
OrgAbuseEmail:  ipaddressing@lumen.com

#
# ARIN WHOIS data and services are subject to the Terms of Use
#

NetRange:       8.8.8.0 - 8.8.8.255
CIDR:           8.8.8.0/24
NetName:        GOGL
NetHandle:      NET-8-8-8-0-2
Parent:         LVLT-ORG-8-8 (NET-8-0-0-0-1)
NetType:        Direct Allocation
OriginAS:
Organization:   Google LLC (GOGL)
RegDate:        2023-12-28
Updated:        2023-12-28
Ref:            https://rdap.arin.net/registry/ip/8.8.8.0

OrgName:        Google LLC
OrgId:          GOGL
Address:        1600 Amphitheatre Parkway
City:           Mountain View
Country:        US
RegDate:        2000-03-30
Updated:        2019-10-31

OrgAbuseHandle: ABUSE5250-ARIN
OrgAbuseEmail:  network-abuse@google.com

#
# ARIN WHOIS data and services are subject to the Terms of Use
#
`

// arinCustomer is a reassignment to a customer, with two CIDRs.
const arinCustomer = "NetRange:       23.32.0.0 - 23.67.255.255\r\n" +
	"CIDR:           23.64.0.0/14, 23.32.0.0/11\r\n" +
	"NetName:        EXAMPLE-CUST\r\n" +
	"NetHandle:      NET-23-32-0-0-1\r\n" +
	"NetType:        Reassigned\r\n" +
	"OriginAS:       AS20940, 16625\r\n" +
	"Customer:       Example Customer Inc. (C01234567)\r\n" +
	"RegDate:        2015-01-05\r\n" +
	"Updated:        2016-02-06\r\n" +
	"\r\n" +
	"CustName:       Example Customer Inc.\r\n" +
	"Country:        us\r\n" +
	"\r\n" +
	"RAbuseEmail:    abuse@customer.example\r\n" +
	"OrgAbuseEmail:  abuse@parent.example\r\n"

const arinSummaryList = `
#
# ARIN WHOIS data and services are subject to the Terms of Use
#

Amazon Technologies Inc. AMAZON-4 (NET-54-160-0-0-1) 54.160.0.0 - 54.175.255.255
Amazon Data Services NoVa AMAZON-IAD (NET-54-174-0-0-1) 54.174.0.0 - 54.175.255.255

#
# ARIN WHOIS data and services are subject to the Terms of Use
#
`

func TestParse(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tc := range []struct {
		name, server, raw string
		want              Answer
	}{
		{"ARIN: the most specific of two networks", "whois.arin.net:43", arinTwoNets, Answer{
			First: netip.MustParseAddr("8.8.8.0"), Last: netip.MustParseAddr("8.8.8.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("8.8.8.0/24")},
			Org:      "Google LLC", OrgHandle: "GOGL", NetName: "GOGL", Handle: "NET-8-8-8-0-2", Country: "US",
			Abuse: "network-abuse@google.com", Registry: "ARIN", Created: d("2023-12-28"), Updated: d("2023-12-28"),
		}},
		{"ARIN: customer, several CIDRs, CRLF, several origin ASes", "whois.arin.net", arinCustomer, Answer{
			First: netip.MustParseAddr("23.32.0.0"), Last: netip.MustParseAddr("23.67.255.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("23.64.0.0/14"), netip.MustParsePrefix("23.32.0.0/11")},
			Org:      "Example Customer Inc.", OrgHandle: "C01234567", NetName: "EXAMPLE-CUST", Handle: "NET-23-32-0-0-1",
			Country: "US", ASN: "AS20940, AS16625", Abuse: "abuse@customer.example", Registry: "ARIN",
			Created: d("2015-01-05"), Updated: d("2016-02-06"),
		}},
		{"ARIN: one-line summaries", "whois.arin.net:43", arinSummaryList, Answer{
			First: netip.MustParseAddr("54.174.0.0"), Last: netip.MustParseAddr("54.175.255.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("54.174.0.0/15")},
			Org:      "Amazon Data Services NoVa", NetName: "AMAZON-IAD", Handle: "NET-54-174-0-0-1", Registry: "ARIN",
		}},
		{"ARIN: transferred to LACNIC, referral without a newline", "whois.arin.net:43", referralNoNewline, Answer{
			First: netip.MustParseAddr("179.0.0.0"), Last: netip.MustParseAddr("179.0.255.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("179.0.0.0/16")},
			Org:      "Latin American and Caribbean IP address Regional Registry", NetName: "LACNIC-179",
			Registry: "ARIN", Refer: "whois.lacnic.net:43", Pointer: true,
		}},
		{"ARIN: allocated to RIPE without a referral server", "whois.arin.net:43",
			"NetRange: 62.0.0.0 - 62.255.255.255\nNetName: RIPE-62\nNetType: Allocated to RIPE NCC\nOrgName: RIPE Network Coordination Centre\n", Answer{
				First: netip.MustParseAddr("62.0.0.0"), Last: netip.MustParseAddr("62.255.255.255"),
				Prefixes: []netip.Prefix{netip.MustParsePrefix("62.0.0.0/8")},
				Org:      "RIPE Network Coordination Centre", NetName: "RIPE-62", Registry: "ARIN",
				Refer: "whois.ripe.net:43", Pointer: true,
			}},
		{"ARIN: an http referral is no WHOIS server", "whois.arin.net:43",
			"NetRange: 63.0.0.0 - 63.0.0.255\nNetName: X\nOrgName: X Corp\nReferralServer: https://rdap.example.net/\n", Answer{
				First: netip.MustParseAddr("63.0.0.0"), Last: netip.MustParseAddr("63.0.0.255"),
				Prefixes: []netip.Prefix{netip.MustParsePrefix("63.0.0.0/24")},
				Org:      "X Corp", NetName: "X", Registry: "ARIN",
			}},
		{"RIPE: organisation object, the most specific of two inetnums, route origin", "whois.ripe.net:43", inlineRIPEOrg, Answer{
			First: netip.MustParseAddr("193.0.0.0"), Last: netip.MustParseAddr("193.0.7.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("193.0.0.0/21")},
			Org:      "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)", OrgHandle: "ORG-RIEN1-RIPE",
			NetName: "RIPE-NCC", Country: "NL", ASN: "AS3333", Abuse: "abuse@ripe.net", Registry: "RIPE",
			Created: d("2003-03-17"), Updated: d("2017-12-04"),
		}},
		{"RIPE: abuse-c role, IPv6, no organisation", "whois.ripe.net:43", `
inet6num:       2a01:4f8::/29
netname:        DE-HETZNER-20070427
descr:          Hetzner Online GmbH
country:        DE
abuse-c:        HOAC1-RIPE
source:         RIPE

role:           Hetzner Online GmbH - Abuse Contact
nic-hdl:        HOAC1-RIPE
abuse-mailbox:  abuse@hetzner.com
source:         RIPE
`, Answer{
			First: netip.MustParseAddr("2a01:4f8::"), Last: netip.MustParseAddr("2a01:4ff:ffff:ffff:ffff:ffff:ffff:ffff"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("2a01:4f8::/29")},
			Org:      "Hetzner Online GmbH", NetName: "DE-HETZNER-20070427", Country: "DE", Abuse: "abuse@hetzner.com", Registry: "RIPE",
		}},
		{"APNIC: continuation lines, changed dates, irt", "whois.apnic.net:43", `% [whois.apnic.net]

inetnum:        1.1.1.0 - 1.1.1.255
netname:        APNIC-LABS
descr:          APNIC and Cloudflare DNS Resolver project
                Routed globally by AS13335/Cloudflare
country:        AU
mnt-irt:        IRT-APNICRANDNET-AU
changed:        hm-changed@apnic.net 20110405
changed:        hm-changed@apnic.net 20200723
source:         APNIC

irt:            IRT-APNICRANDNET-AU
abuse-mailbox:  helpdesk@apnic.net
source:         APNIC
`, Answer{
			First: netip.MustParseAddr("1.1.1.0"), Last: netip.MustParseAddr("1.1.1.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("1.1.1.0/24")},
			Org:      "APNIC and Cloudflare DNS Resolver project Routed globally by AS13335/Cloudflare",
			NetName:  "APNIC-LABS", Country: "AU", Abuse: "helpdesk@apnic.net", Registry: "APNIC",
			Created: d("2011-04-05"), Updated: d("2020-07-23"),
		}},
		{"LACNIC: abbreviated CIDR, CRLF, Latin-1", "whois.lacnic.net:43",
			"% Joint Whois - whois.lacnic.net\r\n\r\ninetnum:     177.12/14\r\naut-num:     AS28573\r\nowner:       Telef\xf4nica Brasil S.A.\r\nownerid:     02.558.157/0001-62\r\ncountry:     BR\r\nabuse-c:     GRSVI\r\ncreated:     20110309\r\nchanged:     20190725\r\n\r\nnic-hdl-br:  GRSVI\r\ne-mail:      abuse@telefonica.example\r\n", Answer{
				First: netip.MustParseAddr("177.12.0.0"), Last: netip.MustParseAddr("177.15.255.255"),
				Prefixes: []netip.Prefix{netip.MustParsePrefix("177.12.0.0/14")},
				Org:      "Telefônica Brasil S.A.", OrgHandle: "02.558.157/0001-62", Country: "BR", ASN: "AS28573",
				Abuse: "abuse@telefonica.example", Registry: "LACNIC", Created: d("2011-03-09"), Updated: d("2019-07-25"),
			}},
		{"rwhois", "rwhois.example.net:4321", `%rwhois V-1.5:003fff:00 rwhois.example.net (by Network Solutions, Inc. V-1.5.9.6)
network:Class-Name:network
network:ID:NET-174-0-0-0-1
network:Network-Name:SHAW-COMM
network:IP-Network:174.0.0.0/13
network:Org-Name:Shaw Communications
network:Country-Code:ca
network:Created:20080101

network:Class-Name:network
network:ID:NET-174-0-12-0-1
network:Network-Name:CUSTOMER-12
network:IP-Network-Block:174.0.12.0 - 174.0.12.127
network:Organization;I:Example Widgets Ltd (EXW-1)

%ok
`, Answer{
			First: netip.MustParseAddr("174.0.12.0"), Last: netip.MustParseAddr("174.0.12.127"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("174.0.12.0/25")},
			Org:      "Example Widgets Ltd", OrgHandle: "EXW-1", NetName: "CUSTOMER-12", Handle: "NET-174-0-12-0-1", Registry: "rwhois",
		}},
		{"IANA: IPv6 referral", "whois.iana.org:43", ianaAnswer(netip.MustParsePrefix("2a00::/12"), "ripe"), Answer{
			First: netip.MustParseAddr("2a00::"), Last: netip.MustParseAddr("2a0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("2a00::/12")},
			Org:      "Administered by RIPE", NetName: "ALLOCATED", Registry: "IANA", Refer: "whois.ripe.net:43", Pointer: true,
			Created: d("1993-05-01"), Updated: d("1993-05-01"),
		}},
		{"IANA: reserved block, no referral", "whois.iana.org:43", `% IANA WHOIS server

inetnum:      240.0.0.0 - 255.255.255.255
organisation: Future use
status:       RESERVED

remarks:      Reserved for future use
changed:      1981-09
source:       IANA
`, Answer{
			First: netip.MustParseAddr("240.0.0.0"), Last: netip.MustParseAddr("255.255.255.255"),
			Prefixes: []netip.Prefix{netip.MustParsePrefix("240.0.0.0/4")},
			Org:      "Future use", NetName: "RESERVED", Registry: "IANA", Created: d("1981-09-01"), Updated: d("1981-09-01"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.server, tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !equalAnswer(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func equalAnswer(a, b Answer) bool {
	type flat struct {
		First, Last                                                    netip.Addr
		Org, OrgHandle, NetName, Handle, Country, ASN, Abuse, Registry string
		Created, Updated                                               time.Time
		Refer                                                          string
		Pointer                                                        bool
	}
	fa := flat{a.First, a.Last, a.Org, a.OrgHandle, a.NetName, a.Handle, a.Country, a.ASN, a.Abuse, a.Registry, a.Created, a.Updated, a.Refer, a.Pointer}
	fb := flat{b.First, b.Last, b.Org, b.OrgHandle, b.NetName, b.Handle, b.Country, b.ASN, b.Abuse, b.Registry, b.Created, b.Updated, b.Refer, b.Pointer}
	return fa == fb && slices.Equal(a.Prefixes, b.Prefixes)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, server, raw string
		refused           bool
		says              string
	}{
		{"RIPE access denied", "whois.ripe.net:43", ripeRefusal, true, "ERROR:201: access denied"},
		{"APNIC access denied", "whois.apnic.net:43", apnicRefusal, true, "access denied"},
		{"ARIN rate limit", "whois.arin.net:43", arinRefusal, true, "Query rate limit exceeded"},
		{"LACNIC rate limit", "whois.lacnic.net:43", lacnicRefusal, true, "rate limit exceeded"},
		{"rwhois limit", "rwhois.example.net:4321", rwhoisRefusal, true, "Query limit exceeded"},
		{"ARIN no match", "whois.arin.net:43", "\n#\n# ARIN WHOIS data\n#\n\nNo match found for n + 1.2.3.4.\n", false, "No match found for n + 1.2.3.4."},
		{"RIPE no entries", "whois.ripe.net:43", "% This is the RIPE Database query service.\n\n%ERROR:101: no entries found\n", false, "ERROR:101: no entries found"},
		{"RIPE: the whole address space", "whois.ripe.net:43", "inetnum: 0.0.0.0 - 255.255.255.255\nnetname: IANA-BLK\ndescr: The whole IPv4 address space\nsource: RIPE\n", false, "whole address space"},
		{"RIPE: not managed by the RIPE NCC", "whois.ripe.net:43", "inetnum: 8.0.0.0 - 8.255.255.255\nnetname: NON-RIPE-NCC-MANAGED-ADDRESS-BLOCK\nsource: RIPE\n", false, "does not manage"},
		{"rwhois root referral only", "rwhois.shawcable.net:4321", inlineRWhois174, false, "referral rwhois://root.rwhois.net:4321"},
		{"garbage", "whois.example.net:43", "<html><body>Bad gateway</body></html>", false, "<html><body>Bad gateway</body></html>"},
		{"empty", "whois.example.net:43", "\r\n\r\n", false, "answered nothing"},
		{"a range backwards", "whois.ripe.net:43", "inetnum: 10.0.0.9 - 10.0.0.1\nnetname: X\n", false, "inetnum: 10.0.0.9 - 10.0.0.1"},
		{"mixed families", "whois.ripe.net:43", "inetnum: 10.0.0.0 - ::1\n", false, "inetnum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.server, tc.raw)
			if err == nil {
				t.Fatal("no error")
			}
			var re *RefusedError
			if errors.As(err, &re) != tc.refused {
				t.Errorf("refused = %v, want %v: %v", !tc.refused, tc.refused, err)
			}
			if !tc.refused && !errors.Is(err, ErrNoNetwork) {
				t.Errorf("%v does not wrap ErrNoNetwork", err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%v does not say %q", err, tc.says)
			}
			if !strings.Contains(err.Error(), hostOf(tc.server)) {
				t.Errorf("%v does not name the server", err)
			}
		})
	}
}

func TestRangePrefixes(t *testing.T) {
	for _, tc := range []struct {
		first, last string
		want        []string
	}{
		{"196.11.239.0", "196.11.246.255", []string{"196.11.239.0/24", "196.11.240.0/22", "196.11.244.0/23", "196.11.246.0/24"}},
		{"0.0.0.0", "255.255.255.255", []string{"0.0.0.0/0"}},
		{"10.0.0.7", "10.0.0.7", []string{"10.0.0.7/32"}},
		{"255.255.255.254", "255.255.255.255", []string{"255.255.255.254/31"}},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}},
		{"2001:db8::1", "2001:db8::2", []string{"2001:db8::1/128", "2001:db8::2/128"}},
		{"10.0.0.1", "10.0.0.0", nil},
	} {
		var got []string
		for _, p := range rangePrefixes(netip.MustParseAddr(tc.first), netip.MustParseAddr(tc.last)) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s - %s: %v, want %v", tc.first, tc.last, got, tc.want)
		}
		if len(got) > 0 && !covers(rangePrefixes(netip.MustParseAddr(tc.first), netip.MustParseAddr(tc.last)), netip.MustParseAddr(tc.first), netip.MustParseAddr(tc.last)) {
			t.Errorf("%s - %s: prefixes do not cover the range", tc.first, tc.last)
		}
	}
}

func TestValues(t *testing.T) {
	for in, want := range map[string]string{
		"whois.apnic.net":                         "whois.apnic.net:43",
		"whois://whois.lacnic.net":                "whois.lacnic.net:43",
		"rwhois://rwhois.shawcable.net:4321":      "rwhois.shawcable.net:4321",
		"rwhois://root.rwhois.net:4321/auth-area": "root.rwhois.net:4321",
		"WHOIS.RIPE.NET:43/":                      "whois.ripe.net:43",
		"https://rdap.arin.net/registry":          "",
		"whois.example.net:99999":                 "",
		"bad host!":                               "",
	} {
		if got := serverAddr(in); got != want {
			t.Errorf("serverAddr(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"AS15169": "AS15169", "15169": "AS15169", "AS1, AS2 AS1": "AS1, AS2", "N/A": "", "": "", "as007": "AS7",
	} {
		if got := normalizeASN(in); got != want {
			t.Errorf("normalizeASN(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"2007-03-13": "2007-03-13", "2008-08-14T14:54:30Z": "2008-08-14", "20001204": "2000-12-04",
		"hm-changed@apnic.net 20021025": "2002-10-25", "1993-05": "1993-05-01", "soon": "0001-01-01",
		"2024-10-08T04:08:21-03:00": "2024-10-08",
	} {
		if got := parseDate(in).Format(time.DateOnly); got != want {
			t.Errorf("parseDate(%q) = %s, want %s", in, got, want)
		}
	}
}
