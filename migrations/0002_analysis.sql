-- Enrichment, reference data and analysis runs.

-- Cloud-provider range snapshots loaded into the case: one snapshot per provider
-- at a time, so the case answers the same way offline forever after.
CREATE SEQUENCE cidr_snapshot_id_seq START 1;
CREATE TABLE cidr_snapshots (
	id            INTEGER   PRIMARY KEY DEFAULT nextval('cidr_snapshot_id_seq'),
	provider      VARCHAR   NOT NULL,  -- aws | google | azure | oracle | cloudflare | digitalocean | linode | github | ...
	source        VARCHAR   NOT NULL,  -- file name or URL it came from
	sha256        VARCHAR   NOT NULL,  -- of the source file
	snapshot_date TIMESTAMP,           -- the date the file itself carries (AWS createDate ...), else when fetched
	loaded_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
	prefixes      INTEGER   NOT NULL
);

-- start_num/end_num are 128-bit numbers, IPv4 mapped into IPv6 (::ffff:a.b.c.d), like addresses.num.
CREATE TABLE cidr_ranges (
	snapshot_id INTEGER  NOT NULL,
	provider    VARCHAR  NOT NULL,
	service     VARCHAR,            -- AMAZON, S3, EC2, AzureCloud, ...
	region      VARCHAR,            -- us-east-1, europe-west1, ... (or a geofeed's country-region)
	prefix      VARCHAR  NOT NULL,  -- canonical CIDR
	family      UTINYINT NOT NULL,
	bits        UTINYINT NOT NULL,  -- prefix length within its family
	start_num   UHUGEINT NOT NULL,
	end_num     UHUGEINT NOT NULL
);

-- WHOIS answers, one row per network looked up (filled by enrichment).
CREATE TABLE whois (
	query_ip   VARCHAR   NOT NULL,
	network    VARCHAR,             -- CIDR(s) or range as the registry gave it
	start_num  UHUGEINT,
	end_num    UHUGEINT,
	org        VARCHAR,
	netname    VARCHAR,
	country    VARCHAR,
	asn        VARCHAR,
	registry   VARCHAR,
	server     VARCHAR,
	fetched_at TIMESTAMP NOT NULL,
	raw        VARCHAR
);

-- IANA protocol numbers.
CREATE TABLE ref_protocols (
	protocol SMALLINT PRIMARY KEY,
	name     VARCHAR NOT NULL
);
INSERT INTO ref_protocols VALUES
	(0, 'HOPOPT'), (1, 'ICMP'), (2, 'IGMP'), (4, 'IPv4'), (6, 'TCP'), (8, 'EGP'), (9, 'IGP'), (17, 'UDP'),
	(27, 'RDP'), (41, 'IPv6'), (43, 'IPv6-Route'), (44, 'IPv6-Frag'), (46, 'RSVP'), (47, 'GRE'), (50, 'ESP'),
	(51, 'AH'), (58, 'IPv6-ICMP'), (59, 'IPv6-NoNxt'), (60, 'IPv6-Opts'), (88, 'EIGRP'), (89, 'OSPF'),
	(94, 'IPIP'), (103, 'PIM'), (112, 'VRRP'), (115, 'L2TP'), (132, 'SCTP'), (136, 'UDPLite'), (137, 'MPLS-in-IP');

-- Well-known ports and their service names; sensitive marks the ports the
-- sensitive-ports analysis watches.
CREATE TABLE ref_ports (
	port      INTEGER PRIMARY KEY,
	service   VARCHAR NOT NULL,
	sensitive BOOLEAN NOT NULL
);
INSERT INTO ref_ports VALUES
	(21, 'FTP', true), (22, 'SSH', true), (23, 'Telnet', true), (25, 'SMTP', true), (53, 'DNS', true),
	(80, 'HTTP', false), (110, 'POP3', false), (111, 'RPCbind', false), (123, 'NTP', false),
	(135, 'RPC', true), (137, 'NetBIOS-NS', true), (138, 'NetBIOS-DGM', true), (139, 'NetBIOS-SSN', true),
	(143, 'IMAP', false), (161, 'SNMP', false), (389, 'LDAP', false), (443, 'HTTPS', false), (445, 'SMB', true),
	(465, 'SMTPS', false), (514, 'Syslog', false), (587, 'SMTP-submission', false), (636, 'LDAPS', false),
	(993, 'IMAPS', false), (995, 'POP3S', false), (1433, 'MSSQL', true), (1434, 'MSSQL-browser', true),
	(1521, 'Oracle', true), (2049, 'NFS', false), (2375, 'Docker', false), (2379, 'etcd', false),
	(3306, 'MySQL', true), (3389, 'RDP', true), (5432, 'PostgreSQL', true), (5900, 'VNC', true),
	(5984, 'CouchDB', true), (6379, 'Redis', true), (6443, 'Kubernetes-API', false), (8080, 'HTTP-alt', true),
	(8443, 'HTTPS-alt', false), (9092, 'Kafka', false), (9200, 'Elasticsearch', true), (11211, 'Memcached', true),
	(27017, 'MongoDB', true), (27018, 'MongoDB', true);

-- Every address of the case with what the analyses say about it, rebuilt when
-- its inputs change (flows, focus, VPC CIDRs, cloud ranges, WHOIS):
--   scope  focus (an address of the case's instances), internal (inside a VPC
--          CIDR of the case), private (special-purpose ranges: RFC 1918, CGNAT,
--          link-local, ULA, ...), public (everything else)
--   local  on the case's side of the boundary: focus or internal; when the case
--          knows no focus and no VPC CIDR, private addresses count as local
CREATE TABLE address_info (
	addr          VARCHAR  NOT NULL,
	family        UTINYINT NOT NULL,
	num           UHUGEINT NOT NULL,
	scope         VARCHAR  NOT NULL,
	local         BOOLEAN  NOT NULL,
	provider      VARCHAR,
	cloud_service VARCHAR,
	cloud_region  VARCHAR,
	cloud_prefix  VARCHAR,
	org           VARCHAR,
	asn           VARCHAR
);

-- What the derived tables (address_info, case_flows) were built from, so a
-- stale one is rebuilt before analyses use it.
CREATE TABLE enrichment_state (
	part       VARCHAR   PRIMARY KEY,
	built_from VARCHAR   NOT NULL,
	built_at   TIMESTAMP NOT NULL
);

-- Every analysis run, with its result: what the workbench shows as cached
-- results, and the audit trail from a finding to the exact SQL behind it.
CREATE SEQUENCE analysis_run_id_seq START 1;
CREATE TABLE analysis_runs (
	id           INTEGER   PRIMARY KEY DEFAULT nextval('analysis_run_id_seq'),
	run_id       VARCHAR   NOT NULL UNIQUE, -- printed with results, for audit
	analysis     VARCHAR   NOT NULL,
	version      INTEGER   NOT NULL,
	sha256       VARCHAR   NOT NULL,        -- of the analysis SQL
	params       JSON      NOT NULL,
	data_version VARCHAR   NOT NULL,        -- what the case held when it ran
	started_at   TIMESTAMP NOT NULL,
	finished_at  TIMESTAMP NOT NULL,
	row_count    BIGINT    NOT NULL,
	columns      JSON      NOT NULL,
	rows         JSON      NOT NULL,        -- the result, an array of arrays
	program      VARCHAR   NOT NULL
);

-- Flows seen from the case: the real endpoints (pkt-srcaddr/pkt-dstaddr where
-- present), their scopes, and the direction relative to the focus (or, in a case
-- without a focus, relative to the VPC: inbound, outbound, internal, transit).
-- Only records with both endpoints (NODATA/SKIPDATA have none); a case with a
-- focus sees only the flows that touch it. The analyses read the table
-- case_flows, which holds this view's rows, rebuilt when flows, focus or VPC
-- CIDRs change: a plain table is several times faster to aggregate.
CREATE VIEW case_flows_view AS
WITH has_focus AS (SELECT count(*) > 0 AS yes FROM focus_ips),
f AS (
	SELECT start, "end", interface_id, srcport, dstport, protocol, action, log_status, packets, bytes,
		tcp_flags, flow_direction, pkt_src_aws_service, pkt_dst_aws_service,
		coalesce(pkt_srcaddr, srcaddr) AS src_ip, coalesce(pkt_dstaddr, dstaddr) AS dst_ip
	FROM flow_records
),
d AS (
	SELECT f.*,
		s.scope AS src_scope, t.scope AS dst_scope,
		CASE WHEN (SELECT yes FROM has_focus) THEN
			CASE
				WHEN t.scope = 'focus' AND s.scope IS DISTINCT FROM 'focus' THEN 'inbound'
				WHEN s.scope = 'focus' AND t.scope IS DISTINCT FROM 'focus' THEN 'outbound'
				WHEN s.scope = 'focus' AND t.scope = 'focus' THEN 'internal'
			END
		ELSE
			CASE
				WHEN t.local AND NOT coalesce(s.local, false) THEN 'inbound'
				WHEN s.local AND NOT coalesce(t.local, false) THEN 'outbound'
				WHEN s.local AND t.local THEN 'internal'
				ELSE 'transit'
			END
		END AS direction
	FROM f
	LEFT JOIN address_info s ON s.addr = f.src_ip
	LEFT JOIN address_info t ON t.addr = f.dst_ip
)
SELECT d.*,
	CASE direction WHEN 'inbound' THEN src_ip WHEN 'outbound' THEN dst_ip END AS peer_ip,
	CASE direction WHEN 'inbound' THEN dst_ip WHEN 'outbound' THEN src_ip END AS local_ip
FROM d
WHERE direction IS NOT NULL AND src_ip IS NOT NULL AND dst_ip IS NOT NULL;

CREATE TABLE case_flows AS SELECT * FROM case_flows_view LIMIT 0;
