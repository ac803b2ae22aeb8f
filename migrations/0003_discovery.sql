-- What EC2 discovery learns about a case beyond its addresses: the network
-- interfaces, and the flow logs that cover them (where they deliver, in which
-- format), so ingest can pull from the right place without guessing.

ALTER TABLE case_instances ADD COLUMN tags JSON;

CREATE TABLE case_interfaces (
	interface_id VARCHAR   PRIMARY KEY,
	instance_id  VARCHAR,
	subnet_id    VARCHAR,
	vpc_id       VARCHAR,
	description  VARCHAR,
	source       VARCHAR   NOT NULL,
	added_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

CREATE TABLE case_flow_logs (
	flow_log_id       VARCHAR   PRIMARY KEY,
	resource_id       VARCHAR   NOT NULL, -- the ENI, subnet or VPC it is attached to
	destination_type  VARCHAR   NOT NULL, -- cloud-watch-logs | s3 | kinesis-data-firehose
	log_group         VARCHAR,            -- for cloud-watch-logs
	destination       VARCHAR,            -- the destination ARN or s3://bucket/prefix
	log_format        VARCHAR,            -- ${version} ${account-id} ...
	file_format       VARCHAR,            -- plain-text | parquet (S3)
	hive_partitions   BOOLEAN,
	per_hour          BOOLEAN,
	max_aggregation   INTEGER,            -- seconds
	account_id        VARCHAR,
	region            VARCHAR,
	status            VARCHAR,
	traffic_type      VARCHAR,            -- ALL | ACCEPT | REJECT
	source            VARCHAR   NOT NULL,
	added_at          TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);
