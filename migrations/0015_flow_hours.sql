-- The case's flows rolled up per hour: what the analyses that count flows,
-- packets and bytes by peer, direction and action read instead of every
-- record (a peer seen a hundred times in an hour is one row). Ingest keeps
-- case_flow_hours like case_flows: the rows of a new file's records are
-- added to it, so an hour whose records came in several files has a row per
-- file, which the analyses sum as they sum the rows of several hours.
--
-- A client's port says nothing these analyses ask, and keeping it would keep
-- a row per connection: of two ports the greater, when it is 1024 or more,
-- is left out (NULL). Both stay when they are equal or both below 1024.

-- flow_hours_of(after, lo, hi): the records of case_flows of the files after
-- the file id after that start in [lo, hi] (a NULL bound: none; from
-- -infinity, the records without a start too), rolled up.
CREATE MACRO flow_hours_of(after, lo, hi) AS TABLE
SELECT date_trunc('hour', start) AS hour, direction, src_ip, dst_ip, peer_ip, local_ip, src_scope, dst_scope,
	protocol, action,
	CASE WHEN srcport > dstport AND srcport >= 1024 THEN NULL ELSE srcport END AS srcport,
	CASE WHEN dstport > srcport AND dstport >= 1024 THEN NULL ELSE dstport END AS dstport,
	pkt_src_aws_service, pkt_dst_aws_service,
	count(*) AS flows,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(start) AS first_seen,
	max("end") AS last_seen
FROM case_flows
WHERE file_id > after AND (start BETWEEN lo AND hi OR (start IS NULL AND lo = '-infinity'::TIMESTAMP))
GROUP BY ALL;

CREATE TABLE case_flow_hours AS SELECT * FROM flow_hours_of(-1, NULL, NULL) LIMIT 0;

-- flow_hours(lo, hi): the rolled-up flows of the records that start in
-- [lo, hi] (NULL: unbounded). The whole hours in it come from
-- case_flow_hours; its first and last parts of an hour (when it starts or
-- ends inside one) are rolled up from the records.
CREATE MACRO flow_hours(lo, hi) AS TABLE
SELECT * FROM case_flow_hours
WHERE (lo IS NULL OR hour >= date_trunc('hour', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR)
	AND (hi IS NULL OR hour < date_trunc('hour', hi::TIMESTAMP + INTERVAL 1 MICROSECOND))
UNION ALL
SELECT * FROM flow_hours_of(-1, lo::TIMESTAMP,
	least(hi::TIMESTAMP, date_trunc('hour', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR - INTERVAL 1 MICROSECOND))
UNION ALL
SELECT * FROM flow_hours_of(-1,
	greatest(date_trunc('hour', hi::TIMESTAMP + INTERVAL 1 MICROSECOND), date_trunc('hour', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR),
	hi::TIMESTAMP);

-- The records of every interface rolled up per minute: what the coverage
-- analyses (and the overview's gap count) look for silences in. Ingest
-- keeps case_interface_minutes as it keeps case_flow_hours.

-- interface_minutes_of(after, lo, hi): the records of the files after the
-- file id after that start in [lo, hi] (a NULL bound: none; from
-- -infinity, the records without a start too), rolled up.
CREATE MACRO interface_minutes_of(after, lo, hi) AS TABLE
SELECT interface_id, date_trunc('minute', start) AS minute,
	min(start) AS first_start, max("end") AS last_end,
	count(*) AS flows, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
	count(*) FILTER (log_status = 'NODATA') AS nodata, count(*) FILTER (log_status = 'SKIPDATA') AS skipdata
FROM flow_records
WHERE file_id > after AND interface_id IS NOT NULL
	AND (start BETWEEN lo AND hi OR (start IS NULL AND lo = '-infinity'::TIMESTAMP))
GROUP BY ALL;

CREATE TABLE case_interface_minutes AS SELECT * FROM interface_minutes_of(-1, NULL, NULL) LIMIT 0;

-- interface_minutes(lo, hi): the rolled-up records that start in [lo, hi]
-- (NULL: unbounded), whole minutes from case_interface_minutes, the parts
-- of a minute at either end from the records. A minute may have several
-- rows (one an ingest).
CREATE MACRO interface_minutes(lo, hi) AS TABLE
SELECT * FROM case_interface_minutes
WHERE (lo IS NULL OR minute >= date_trunc('minute', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 MINUTE)
	AND (hi IS NULL OR minute < date_trunc('minute', hi::TIMESTAMP + INTERVAL 1 MICROSECOND))
UNION ALL
SELECT * FROM interface_minutes_of(-1, lo::TIMESTAMP,
	least(hi::TIMESTAMP, date_trunc('minute', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 MINUTE - INTERVAL 1 MICROSECOND))
UNION ALL
SELECT * FROM interface_minutes_of(-1,
	greatest(date_trunc('minute', hi::TIMESTAMP + INTERVAL 1 MICROSECOND), date_trunc('minute', lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 MINUTE),
	hi::TIMESTAMP);
