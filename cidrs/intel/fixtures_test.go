package intel

// Small lists in each format, written after the published shapes; the
// addresses are documentation ranges where the shape allows.

const plainList = `# Our blocklist
# Last updated: 2026-11-19 08:00:00 UTC
198.51.100.7          # phishing kit host
203.0.113.0/24 ; bulletproof hoster
2001:db8:bad::/48
10.9.0.1-10.9.0.6     # a range
::ffff:192.0.2.44
not-an-address
192.0.2.300
`

const spamhausDROP = `; Spamhaus DROP List 2026/11/20 - (c) 2026 The Spamhaus Project SLU
; https://www.spamhaus.org/drop/drop.txt
; Last-Modified: Fri, 20 Nov 2026 11:29:06 GMT
; Expires: Fri, 20 Nov 2026 13:17:42 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
2.56.192.0/22 ; SBL459831
`

const spamhausEDROP = "; Spamhaus EDROP List 2024/01/02 - (c) 2024 The Spamhaus Project SLU\r\n" +
	"; https://www.spamhaus.org/drop/edrop.txt\r\n" +
	"27.126.160.0/20 ; SBL186955\r\n"

const spamhausJSON = `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}
{"cidr":"1.19.0.0/33","sblid":"SBL1","rir":"apnic"}
not json at all
{"type":"metadata","timestamp":1763638146,"size":6521,"records":3,"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
`

const spamhausJSONv6 = `{"cidr":"2a06:1280::/32","sblid":"SBL303795","rir":"ripencc"}
{"type":"metadata","timestamp":1763638146,"size":70,"records":1,"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
`

const torExits = `ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2026-11-19 17:55:12
LastStatus 2026-11-20 08:00:00
ExitAddress 162.247.74.201 2026-11-20 08:11:35
ExitNode 0091174DE56EADB1E0B5D3E0A9C8D1F7C1E69A4F
Published 2026-11-19 23:01:43
LastStatus 2026-11-20 07:00:00
ExitAddress 185.220.101.1 2026-11-20 07:20:04
ExitAddress 2001:db8:7::1 2026-11-20 07:21:04
Bogus line here
ExitAddress 999.1.1.1 2026-11-20 07:22:04
`

const mispCSV = `uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c01,1234,Network activity,ip-dst,198.51.100.7,C2 server,1,1763596800,,,,,
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c02,1234,Network activity,ip-dst|port,203.0.113.9|8443,,1,1763596800,,,,,
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c03,1234,Network activity,domain,evil.example,,1,1763596800,,,,,
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c04,1234,Payload delivery,sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,,1,1763596800,,,,,
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c05,1234,Network activity,ip-src,"2001:db8::66",scanner,0,1763683200,ip,,9a2b,ip-port,network
5c1f6c5a-0f1c-4c1e-9b1a-4a1c0a0b0c06,1234,Network activity,ip-src,not-an-ip,,1,1763596800,,,,,
`

const mispJSON = `{
  "Event": {
    "id": "1234",
    "date": "2026-11-18",
    "info": "Campaign X infrastructure",
    "timestamp": "1763596800",
    "Attribute": [
      {"type": "ip-dst", "category": "Network activity", "value": "198.51.100.7", "comment": "C2 server", "to_ids": true},
      {"type": "domain", "category": "Network activity", "value": "evil.example"},
      {"type": "ip-src", "category": "Network activity", "value": "203.0.113.0/25", "deleted": true},
      {"type": "ip-dst", "category": "Network activity", "value": 42}
    ],
    "Object": [
      {
        "name": "ip-port",
        "Attribute": [
          {"type": "ip-dst", "object_relation": "ip", "value": "2001:db8::66"},
          {"type": "port", "object_relation": "dst-port", "value": "443"}
        ]
      }
    ]
  }
}
`

const stixBundle = `{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {
      "type": "identity", "spec_version": "2.1", "id": "identity--1", "name": "CERT X",
      "created": "2030-01-01T00:00:00.000Z", "modified": "2030-01-01T00:00:00.000Z"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--1",
      "created": "2026-11-17T10:00:00.000Z", "modified": "2026-11-19T12:30:00.000Z",
      "name": "C2 servers", "pattern_type": "stix", "valid_from": "2026-11-17T10:00:00Z",
      "pattern": "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '203.0.113.0/24']"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--2",
      "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z",
      "name": "IPv6 staging", "pattern_type": "stix",
      "pattern": "[ipv6-addr:value ISSUBSET '2001:db8:beef::/64'] OR [network-traffic:dst_ref.value = '192.0.2.10']"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--3", "name": "Phishing domain",
      "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z",
      "pattern_type": "stix", "pattern": "[domain-name:value = 'evil.example']"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--4", "name": "Not these",
      "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z",
      "pattern_type": "stix", "pattern": "[ipv4-addr:value != '192.0.2.1']"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--5", "name": "A set",
      "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z",
      "pattern_type": "stix", "pattern": "[ipv4-addr:value IN ('192.0.2.20', '192.0.2.21')]"
    },
    {
      "type": "indicator", "spec_version": "2.1", "id": "indicator--6", "name": "Withdrawn", "revoked": true,
      "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z",
      "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.99']"
    },
    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--1", "value": "192.0.2.30"},
    {"type": "relationship", "spec_version": "2.1", "id": "relationship--1", "relationship_type": "indicates",
     "source_ref": "indicator--1", "target_ref": "malware--1",
     "created": "2026-11-16T10:00:00.000Z", "modified": "2026-11-16T10:00:00.000Z"}
  ]
}
`

// feodoCSV is shaped like abuse.ch's Feodo Tracker CSV: a comment box with
// its date, then a quoted header.
const feodoCSV = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
# Last updated: 2026-11-20 11:06:03 UTC                        #
#                                                              #
# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #
################################################################
#
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2026-11-01 07:30:05","198.51.100.7","443","online","2026-11-20","QakBot"
"2026-11-02 07:44:46","203.0.113.9","4643","offline","2026-11-18","Emotet"
"2026-11-03 07:44:46","","4643","offline","2026-11-18","Emotet"
# end
`

const semicolonCSV = "Indicator;Type;Description\n198.51.100.7;ip;C2\n2001:db8::66;ip;staging\nexample.com;domain;phishing\n"
