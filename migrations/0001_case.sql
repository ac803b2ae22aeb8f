-- The case: what it is about, where its flow records came from, and the records.

CREATE TYPE flow_action    AS ENUM ('ACCEPT', 'REJECT');
CREATE TYPE log_status     AS ENUM ('OK', 'NODATA', 'SKIPDATA');
CREATE TYPE flow_direction AS ENUM ('ingress', 'egress');

-- One row: the case itself.
CREATE TABLE case_info (
	name        VARCHAR   NOT NULL,
	description VARCHAR,
	created_at  TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
	created_by  VARCHAR            -- program and version that created the file
);

-- Instances the case is about (from --instance-id or EC2 discovery).
CREATE TABLE case_instances (
	instance_id VARCHAR PRIMARY KEY,
	account_id  VARCHAR,
	region      VARCHAR,
	vpc_id      VARCHAR,
	subnet_id   VARCHAR,
	name        VARCHAR,
	source      VARCHAR   NOT NULL, -- flag | ec2 | demo
	added_at    TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- The focus: every address of the case's instances.
-- num is the address as a 128-bit number; IPv4 is IPv4-mapped (::ffff:a.b.c.d).
CREATE TABLE focus_ips (
	addr         VARCHAR   PRIMARY KEY,
	family       UTINYINT  NOT NULL, -- 4 or 6
	num          UHUGEINT  NOT NULL,
	kind         VARCHAR,            -- private | secondary | public | ipv6 | given
	instance_id  VARCHAR,
	interface_id VARCHAR,
	source       VARCHAR   NOT NULL,
	added_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- Every CIDR block of the case's VPC(s): what "internal" means.
CREATE TABLE vpc_cidrs (
	cidr      VARCHAR   PRIMARY KEY,
	family    UTINYINT  NOT NULL,
	start_num UHUGEINT  NOT NULL,
	end_num   UHUGEINT  NOT NULL,
	vpc_id    VARCHAR,
	source    VARCHAR   NOT NULL,
	added_at  TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- The manifest: one row per ingest command, one per file (or object, or slice) it loaded.
CREATE SEQUENCE ingest_id_seq START 1;
CREATE TABLE ingests (
	id          INTEGER   PRIMARY KEY DEFAULT nextval('ingest_id_seq'),
	started_at  TIMESTAMP NOT NULL,
	finished_at TIMESTAMP,
	command     VARCHAR   NOT NULL,  -- the command line, for provenance
	program     VARCHAR   NOT NULL,  -- program and version
	window_start TIMESTAMP,          -- --start, when given
	window_end   TIMESTAMP           -- --end, when given
);

CREATE SEQUENCE file_id_seq START 1;
CREATE TABLE ingest_files (
	id             INTEGER   PRIMARY KEY DEFAULT nextval('file_id_seq'),
	ingest_id      INTEGER   NOT NULL,
	source         VARCHAR   NOT NULL,  -- absolute path, s3://bucket/key, log group/stream/slice
	dedup_key      VARCHAR   NOT NULL UNIQUE, -- sha256:<hex> for files
	size           BIGINT,
	sha256         VARCHAR,
	compression    VARCHAR   NOT NULL,  -- none | gzip
	shape          VARCHAR   NOT NULL,  -- text-header | text | cloudwatch-export | json-message | parquet
	fields         VARCHAR[] NOT NULL,  -- AWS field names, in file order
	records        BIGINT    NOT NULL,  -- flow records stored
	rejected       BIGINT    NOT NULL,  -- lines that did not parse (in rejects)
	outside_window BIGINT    NOT NULL,  -- records dropped by --start/--end
	nodata         BIGINT    NOT NULL,
	skipdata       BIGINT    NOT NULL,
	first_start    TIMESTAMP,
	last_end       TIMESTAMP,
	loaded_at      TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
	load_ms        BIGINT
);

-- Lines that could not be parsed. line is the 1-based physical line (a header is line 1),
-- or the 1-based row for Parquet.
CREATE TABLE rejects (
	file_id INTEGER NOT NULL,
	line    BIGINT  NOT NULL,
	reason  VARCHAR NOT NULL,
	raw     VARCHAR               -- truncated to 1000 bytes
);

-- Flow records. The fields of versions 2 to 5 and reject-reason have columns of
-- their own; the rarer ones (ECS, versions 9 to 11, transit gateway) and unknown
-- fields kept with --lenient live in the extra map, keyed by column name. Each
-- column costs ingest time even when empty, so only common fields get one.
-- Query the flows view, which presents every field as a typed column.
CREATE TABLE flow_records (
	version             INTEGER,
	account_id          VARCHAR,
	interface_id        VARCHAR,
	srcaddr             VARCHAR,
	dstaddr             VARCHAR,
	srcport             INTEGER,
	dstport             INTEGER,
	protocol            SMALLINT,
	packets             BIGINT,
	bytes               BIGINT,
	start               TIMESTAMP,
	"end"               TIMESTAMP,
	action              flow_action,
	log_status          log_status,
	vpc_id              VARCHAR,
	subnet_id           VARCHAR,
	instance_id         VARCHAR,
	tcp_flags           INTEGER,
	type                VARCHAR,
	pkt_srcaddr         VARCHAR,
	pkt_dstaddr         VARCHAR,
	region              VARCHAR,
	az_id               VARCHAR,
	sublocation_type    VARCHAR,
	sublocation_id      VARCHAR,
	pkt_src_aws_service VARCHAR,
	pkt_dst_aws_service VARCHAR,
	flow_direction      flow_direction,
	traffic_path        INTEGER,
	reject_reason       VARCHAR,
	extra               MAP(VARCHAR, VARCHAR),
	file_id             INTEGER NOT NULL
);

-- Every field of versions 2 to 11 and of transit gateway flow logs, NULL where
-- absent or '-'. Names are the AWS field names with '-' -> '_' (as in AWS's
-- Parquet and Athena schema).
CREATE VIEW flows AS SELECT
	version,
	account_id,
	interface_id,
	srcaddr,
	dstaddr,
	srcport,
	dstport,
	protocol,
	packets,
	bytes,
	start,
	"end",
	action,
	log_status,
	vpc_id,
	subnet_id,
	instance_id,
	tcp_flags,
	type,
	pkt_srcaddr,
	pkt_dstaddr,
	region,
	az_id,
	sublocation_type,
	sublocation_id,
	pkt_src_aws_service,
	pkt_dst_aws_service,
	flow_direction,
	traffic_path,
	extra['ecs_cluster_arn'] AS ecs_cluster_arn,
	extra['ecs_cluster_name'] AS ecs_cluster_name,
	extra['ecs_container_instance_arn'] AS ecs_container_instance_arn,
	extra['ecs_container_instance_id'] AS ecs_container_instance_id,
	extra['ecs_container_id'] AS ecs_container_id,
	extra['ecs_second_container_id'] AS ecs_second_container_id,
	extra['ecs_service_name'] AS ecs_service_name,
	extra['ecs_task_definition_arn'] AS ecs_task_definition_arn,
	extra['ecs_task_arn'] AS ecs_task_arn,
	extra['ecs_task_id'] AS ecs_task_id,
	reject_reason,
	extra['resource_id'] AS resource_id,
	TRY_CAST(extra['encryption_status'] AS INTEGER) AS encryption_status,
	extra['instance_tag'] AS instance_tag,
	extra['instance_tag_2'] AS instance_tag_2,
	extra['interface_tag'] AS interface_tag,
	extra['interface_tag_2'] AS interface_tag_2,
	extra['asg_tag'] AS asg_tag,
	extra['asg_tag_2'] AS asg_tag_2,
	extra['interface_type'] AS interface_type,
	extra['next_hop_interface_id'] AS next_hop_interface_id,
	extra['next_hop_subnet_id'] AS next_hop_subnet_id,
	extra['next_hop_az_id'] AS next_hop_az_id,
	extra['next_hop_vpc_id'] AS next_hop_vpc_id,
	extra['next_hop_interface_type'] AS next_hop_interface_type,
	extra['resource_type'] AS resource_type,
	extra['tgw_id'] AS tgw_id,
	extra['tgw_attachment_id'] AS tgw_attachment_id,
	extra['tgw_src_vpc_account_id'] AS tgw_src_vpc_account_id,
	extra['tgw_dst_vpc_account_id'] AS tgw_dst_vpc_account_id,
	extra['tgw_src_vpc_id'] AS tgw_src_vpc_id,
	extra['tgw_dst_vpc_id'] AS tgw_dst_vpc_id,
	extra['tgw_src_subnet_id'] AS tgw_src_subnet_id,
	extra['tgw_dst_subnet_id'] AS tgw_dst_subnet_id,
	extra['tgw_src_eni'] AS tgw_src_eni,
	extra['tgw_dst_eni'] AS tgw_dst_eni,
	extra['tgw_src_az_id'] AS tgw_src_az_id,
	extra['tgw_dst_az_id'] AS tgw_dst_az_id,
	extra['tgw_pair_attachment_id'] AS tgw_pair_attachment_id,
	TRY_CAST(extra['packets_lost_no_route'] AS BIGINT) AS packets_lost_no_route,
	TRY_CAST(extra['packets_lost_blackhole'] AS BIGINT) AS packets_lost_blackhole,
	TRY_CAST(extra['packets_lost_mtu_exceeded'] AS BIGINT) AS packets_lost_mtu_exceeded,
	TRY_CAST(extra['packets_lost_ttl_expired'] AS BIGINT) AS packets_lost_ttl_expired,
	extra,
	file_id
FROM flow_records;

-- Every distinct address seen in flows, with its numeric form for range joins.
-- Unique by construction (ingest adds only addresses not yet present); no index to maintain.
CREATE TABLE addresses (
	addr   VARCHAR  NOT NULL,
	family UTINYINT NOT NULL,
	num    UHUGEINT NOT NULL
);
