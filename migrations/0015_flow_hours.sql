-- The case's flows rolled up per hour: what the analyses that count flows,
-- packets and bytes by peer, direction and action read instead of every
-- record (a peer seen a hundred times in an hour is one row). Ingest keeps
-- case_flow_hours like case_flows: the rows of a new file's records are
-- added to it, so an hour whose records came in several files has a row per
-- file, which the analyses sum as they sum the rows of several hours.
--
-- A client's port says nothing these analyses ask, and keeping it would keep
-- a row per connection: of two ports the greater, when it is 1024 or more,
-- is left out (NULL). Both stay when they are equal or both below 1024; a
-- record with one port only keeps neither. So a row with one port NULL is
-- a client's half (to dstport) or a server's (from srcport), as
-- srcport > dstport says of a record.

-- A window [lo, hi] over a table kept per unit of time (an hour, a minute,
-- half an hour) is read as its whole units, from the table, and the parts
-- of a unit it cuts at either end, from the records: whole_from(lo, unit)
-- is the first unit that starts in it, whole_until(hi, unit) the unit after
-- the last that ends in it; the first cut part is [lo, whole_from - 1µs],
-- the last [whole_until, hi] (empty where they are; a NULL bound: none).
CREATE MACRO whole_from(lo, unit) AS time_bucket(unit, lo::TIMESTAMP - INTERVAL 1 MICROSECOND) + unit;
CREATE MACRO whole_until(hi, unit) AS time_bucket(unit, hi::TIMESTAMP + INTERVAL 1 MICROSECOND);

-- service_port(port, other): a record's port as the rolled-up tables keep
-- it, beside its other port: NULL when it is the greater and 1024 or more
-- (a client's), or when the other is missing.
CREATE MACRO service_port(port, other) AS CASE WHEN other IS NULL OR (port > other AND port >= 1024) THEN NULL ELSE port END;

-- A rolled-up table is kept only where it rolls up: where its rows would be
-- as many as the records (generated traffic, each record its own peer,
-- port and hour; a scan of every port) it would cost ingest as much as the
-- records and save the analyses nothing. Whether it is kept is a macro
-- that ingest redefines (flow_hours_kept(), service_halves_kept()), so that
-- the macros that read it fold the other way out; a rolled-up table not
-- kept is read from the records, the same rows.

-- flow_hours_of(after, lo, hi): the records of case_flows of the files after
-- the file id after that start in [lo, hi] (a NULL bound: none; from
-- -infinity to infinity, the records without a start too), rolled up.
CREATE MACRO flow_hours_of(after, lo, hi) AS TABLE
SELECT date_trunc('hour', start) AS hour, direction, src_ip, dst_ip, peer_ip, local_ip, src_scope, dst_scope,
	protocol, action,
	service_port(srcport, dstport) AS srcport, service_port(dstport, srcport) AS dstport,
	pkt_src_aws_service, pkt_dst_aws_service,
	count(*) AS flows,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(start) AS first_seen,
	max("end") AS last_seen
FROM case_flows
WHERE file_id > after AND (start BETWEEN lo AND hi OR (start IS NULL AND lo = '-infinity'::TIMESTAMP AND hi = 'infinity'::TIMESTAMP))
GROUP BY ALL;

CREATE TABLE case_flow_hours AS SELECT * FROM flow_hours_of(-1, NULL, NULL) LIMIT 0;

-- Whether ingest keeps case_flow_hours and case_flow_totals, and whether the
-- records of the files after after roll up to less than half their number.
CREATE MACRO flow_hours_kept() AS true;
CREATE MACRO flow_hours_worth(after) AS TABLE
SELECT count(*) > 2 * approx_count_distinct(hash(date_trunc('hour', start), direction, src_ip, dst_ip, protocol, action,
	service_port(srcport, dstport), service_port(dstport, srcport), pkt_src_aws_service, pkt_dst_aws_service)) AS worth
FROM case_flows WHERE file_id > after;

-- flow_hours(lo, hi): the rolled-up flows of the records that start in
-- [lo, hi] (NULL: unbounded). The whole hours in it come from
-- case_flow_hours; its first and last parts of an hour (when it starts or
-- ends inside one) are rolled up from the records.
CREATE MACRO flow_hours(lo, hi) AS TABLE
SELECT * FROM case_flow_hours
WHERE flow_hours_kept() AND (lo IS NULL OR hour >= whole_from(lo, INTERVAL 1 HOUR)) AND (hi IS NULL OR hour < whole_until(hi, INTERVAL 1 HOUR))
UNION ALL
-- The first part of an hour the window cuts; not kept, every record of it.
SELECT * FROM flow_hours_of(-1,
	CASE WHEN flow_hours_kept() THEN lo::TIMESTAMP ELSE coalesce(lo::TIMESTAMP, '-infinity'::TIMESTAMP) END,
	CASE WHEN flow_hours_kept() THEN least(hi::TIMESTAMP, whole_from(lo, INTERVAL 1 HOUR) - INTERVAL 1 MICROSECOND) ELSE coalesce(hi::TIMESTAMP, 'infinity'::TIMESTAMP) END)
UNION ALL
SELECT * FROM flow_hours_of(-1, greatest(whole_until(hi, INTERVAL 1 HOUR), whole_from(lo, INTERVAL 1 HOUR)), hi::TIMESTAMP)
WHERE flow_hours_kept();

-- The same without the hour, for the whole case: what those analyses read
-- when no window cuts the case. Ingest adds its files' rows as to
-- case_flow_hours (a peer's flows of several ingests have a row each), and
-- regroups the table once it holds more than twice the rows it needs.
CREATE TABLE case_flow_totals AS SELECT * EXCLUDE (hour) FROM case_flow_hours LIMIT 0;

-- flow_totals(lo, hi): the rolled-up flows of the records that start in
-- [lo, hi], without the hour: with no bounds, case_flow_totals; with any
-- (or where it is not kept), flow_hours(lo, hi).
CREATE MACRO flow_totals(lo, hi) AS TABLE
SELECT * FROM case_flow_totals WHERE flow_hours_kept() AND lo IS NULL AND hi IS NULL
UNION ALL
SELECT * EXCLUDE (hour) FROM flow_hours(lo, hi) WHERE NOT flow_hours_kept() OR lo IS NOT NULL OR hi IS NOT NULL;

-- The records of every interface rolled up per minute: what the coverage
-- analyses (and the overview's gap count) look for silences in. Ingest
-- keeps case_interface_minutes as it keeps case_flow_hours.

-- interface_minutes_of(after, lo, hi): the records of the files after the
-- file id after that start in [lo, hi] (a NULL bound: none; from
-- -infinity to infinity, the records without a start too), rolled up.
CREATE MACRO interface_minutes_of(after, lo, hi) AS TABLE
SELECT interface_id, date_trunc('minute', start) AS minute,
	min(start) AS first_start, max("end") AS last_end,
	count(*) AS flows, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
	count(*) FILTER (log_status = 'NODATA') AS nodata, count(*) FILTER (log_status = 'SKIPDATA') AS skipdata
FROM flow_records
WHERE file_id > after AND interface_id IS NOT NULL
	AND (start BETWEEN lo AND hi OR (start IS NULL AND lo = '-infinity'::TIMESTAMP AND hi = 'infinity'::TIMESTAMP))
GROUP BY ALL;

CREATE TABLE case_interface_minutes AS SELECT * FROM interface_minutes_of(-1, NULL, NULL) LIMIT 0;

-- interface_minutes(lo, hi): the rolled-up records that start in [lo, hi]
-- (NULL: unbounded), whole minutes from case_interface_minutes, the parts
-- of a minute at either end from the records. A minute may have several
-- rows (one an ingest).
CREATE MACRO interface_minutes(lo, hi) AS TABLE
SELECT * FROM case_interface_minutes
WHERE (lo IS NULL OR minute >= whole_from(lo, INTERVAL 1 MINUTE)) AND (hi IS NULL OR minute < whole_until(hi, INTERVAL 1 MINUTE))
UNION ALL
SELECT * FROM interface_minutes_of(-1, lo::TIMESTAMP, least(hi::TIMESTAMP, whole_from(lo, INTERVAL 1 MINUTE) - INTERVAL 1 MICROSECOND))
UNION ALL
SELECT * FROM interface_minutes_of(-1, greatest(whole_until(hi, INTERVAL 1 MINUTE), whole_from(lo, INTERVAL 1 MINUTE)), hi::TIMESTAMP);

-- Every TCP and UDP record of the case (the focus's or not: a sweep need
-- not touch the focus) rolled up per half hour, real endpoints, service
-- port, protocol and action, as one of a connection's halves: a request
-- (to the lesser port: port is its destination port) or an answer (from
-- it: port is its source port). Records with equal ports are neither. What
-- host-sweep reads, on hours of two grids half an hour apart. Ingest keeps
-- case_service_halves as it keeps case_flow_hours.

-- service_halves_of(after, lo, hi): the records of the files after the file
-- id after that start in [lo, hi] (a NULL bound: none; from -infinity to
-- infinity, the records without a start too), rolled up.
CREATE MACRO service_halves_of(after, lo, hi) AS TABLE
SELECT time_bucket(INTERVAL 30 MINUTE, start) AS half_hour,
	coalesce(pkt_srcaddr, srcaddr) AS src_ip, coalesce(pkt_dstaddr, dstaddr) AS dst_ip,
	CASE WHEN dstport < srcport THEN 'request' ELSE 'answer' END AS half,
	least(srcport, dstport) AS port, protocol, action,
	count(*) AS flows,
	-- TCP flags (FIN 1, SYN 2, RST 4, SYN-ACK 18): a bare SYN, a FIN, and a
	-- record that is not a reset alone.
	count(*) FILTER (protocol = 6 AND tcp_flags = 2) AS syn_only,
	count(*) FILTER (tcp_flags & 1 <> 0) AS fins,
	count(*) FILTER (protocol = 17 OR tcp_flags IS NULL OR tcp_flags & 4 = 0 OR tcp_flags & 18 = 18) AS not_reset,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(start) AS first_seen,
	max("end") AS last_seen
FROM flow_records
WHERE file_id > after AND protocol IN (6, 17) AND srcport <> dstport
	AND coalesce(pkt_srcaddr, srcaddr) IS NOT NULL AND coalesce(pkt_dstaddr, dstaddr) IS NOT NULL
	AND (start BETWEEN lo AND hi OR (start IS NULL AND lo = '-infinity'::TIMESTAMP AND hi = 'infinity'::TIMESTAMP))
GROUP BY ALL;

CREATE TABLE case_service_halves AS SELECT * FROM service_halves_of(-1, NULL, NULL) LIMIT 0;

CREATE MACRO service_halves_kept() AS true;
CREATE MACRO service_halves_worth(after) AS TABLE
SELECT count(*) > 2 * approx_count_distinct(hash(time_bucket(INTERVAL 30 MINUTE, start), coalesce(pkt_srcaddr, srcaddr),
	coalesce(pkt_dstaddr, dstaddr), dstport < srcport, least(srcport, dstport), protocol, action)) AS worth
FROM flow_records
WHERE file_id > after AND protocol IN (6, 17) AND srcport <> dstport;

-- service_halves(lo, hi): the rolled-up halves of the records that start in
-- [lo, hi] (NULL: unbounded), whole half hours from case_service_halves,
-- the parts at either end from the records.
CREATE MACRO service_halves(lo, hi) AS TABLE
SELECT * FROM case_service_halves
WHERE service_halves_kept() AND (lo IS NULL OR half_hour >= whole_from(lo, INTERVAL 30 MINUTE)) AND (hi IS NULL OR half_hour < whole_until(hi, INTERVAL 30 MINUTE))
UNION ALL
-- The first part of half an hour the window cuts; not kept, every record
-- of it.
SELECT * FROM service_halves_of(-1,
	CASE WHEN service_halves_kept() THEN lo::TIMESTAMP ELSE coalesce(lo::TIMESTAMP, '-infinity'::TIMESTAMP) END,
	CASE WHEN service_halves_kept() THEN least(hi::TIMESTAMP, whole_from(lo, INTERVAL 30 MINUTE) - INTERVAL 1 MICROSECOND) ELSE coalesce(hi::TIMESTAMP, 'infinity'::TIMESTAMP) END)
UNION ALL
SELECT * FROM service_halves_of(-1, greatest(whole_until(hi, INTERVAL 30 MINUTE), whole_from(lo, INTERVAL 30 MINUTE)), hi::TIMESTAMP)
WHERE service_halves_kept();
