-- name: host-sweep
-- version: 4
-- title: Host sweeps
-- description: Sources that touched one port on many hosts within an hour (a horizontal scan: looking for more of one service): on hosts of the case's network, or on public hosts that did not answer, with how many answered (accepted the connection: a reset is not an answer). High when the source is inside the case's network and swept it.
-- finding: Sweep of port {dstport} over {distinct_hosts} hosts from {src_ip}
-- severity: column severity
-- mitre: T1046
-- subjects: src_ip, dstport
-- param: min_hosts INTEGER = 20
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH h AS NOT MATERIALIZED (
	-- Every record of the case (a sweep need not touch the focus), the real
	-- endpoints, TCP and UDP, as ingest rolls them up per half hour
	-- (case_service_halves): requests to a service port and answers from one.
	SELECT * FROM service_halves($start, $end)
),
f AS NOT MATERIALIZED (
	SELECT src_ip, dst_ip, port AS dstport, protocol, action, flows, syn_only, fins, packets, bytes, first_seen, last_seen, half_hour
	FROM h
	WHERE half = 'request'
),
cand AS (
	-- The sources that touched the minimum of hosts on a port at all.
	SELECT src_ip, dstport FROM f GROUP BY ALL HAVING count(DISTINCT dst_ip) >= $min_hosts
),
fc AS MATERIALIZED (
	-- Their requests, with the hour each falls in on two grids half an hour
	-- apart: a burst shorter than half an hour lies within one hour of one.
	SELECT f.*, time_bucket(INTERVAL 1 HOUR, half_hour) AS hour_a, time_bucket(INTERVAL 1 HOUR, half_hour, INTERVAL 30 MINUTE) AS hour_b
	FROM f SEMI JOIN cand c ON c.src_ip = f.src_ip AND c.dstport = f.dstport
),
busy_a AS (
	-- The hours in which a source touched the minimum of hosts on a port,
	-- on each grid.
	SELECT src_ip, dstport, hour_a FROM fc GROUP BY ALL HAVING count(DISTINCT dst_ip) >= $min_hosts
),
busy_b AS (
	SELECT src_ip, dstport, hour_b FROM fc GROUP BY ALL HAVING count(DISTINCT dst_ip) >= $min_hosts
),
w AS MATERIALIZED (
	-- The requests of those hours (equality joins, one row per request:
	-- each grid has one row per source, port and hour).
	SELECT f.*
	FROM fc f
	LEFT JOIN busy_a a ON a.src_ip = f.src_ip AND a.dstport = f.dstport AND a.hour_a = f.hour_a
	LEFT JOIN busy_b b ON b.src_ip = f.src_ip AND b.dstport = f.dstport AND b.hour_b = f.hour_b
	WHERE a.src_ip IS NOT NULL OR b.src_ip IS NOT NULL
),
answers AS (
	-- A host answered when a record came back from the port to the source,
	-- accepted, and (where flow logs give TCP flags) it was not a reset
	-- alone: a closed port resets, a dead host says nothing, and a SYN
	-- retransmitted is no answer however many packets it makes. Only the
	-- hosts the sweeps touched are looked for.
	SELECT DISTINCT r.src_ip AS host, r.port, r.protocol, r.dst_ip AS client
	FROM h r
	SEMI JOIN (SELECT DISTINCT dst_ip, dstport, protocol, src_ip FROM w) p
		ON p.dst_ip = r.src_ip AND p.dstport = r.port AND p.protocol = r.protocol AND p.src_ip = r.dst_ip
	WHERE r.half = 'answer' AND r.action = 'ACCEPT' AND r.not_reset > 0
),
t AS (
	-- One row per source, port, host and protocol: the hosts are looked up
	-- and their answers joined once each.
	SELECT src_ip, dstport, dst_ip, protocol,
		-- Or, where the flow log carries tcp-flags (FIN 1, SYN 2, RST 4,
		-- SYN-ACK 18: flow logs report no bare ACK), a FIN on the source's
		-- half: it was closed, so it opened.
		bool_or(action = 'ACCEPT' AND fins > 0) AS closed,
		sum(syn_only) AS syn_only_flows,
		sum(flows) FILTER (action = 'REJECT') AS rejected_flows,
		sum(flows) AS flows,
		sum(packets) AS packets,
		sum(bytes) AS bytes,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM w
	GROUP BY ALL
),
g AS (
	SELECT t.src_ip, t.dstport,
		list(DISTINCT t.protocol ORDER BY t.protocol) AS protocols,
		count(DISTINCT t.dst_ip) AS distinct_hosts,
		count(DISTINCT t.dst_ip) FILTER (d.local) AS local_hosts,
		count(DISTINCT t.dst_ip) FILTER (a.host IS NOT NULL OR t.closed) AS answered_hosts,
		sum(t.syn_only_flows)::BIGINT AS syn_only_flows,
		coalesce(sum(t.rejected_flows), 0)::BIGINT AS rejected_flows,
		sum(t.flows)::BIGINT AS flows,
		sum(t.packets)::BIGINT AS packets,
		sum(t.bytes)::BIGINT AS bytes,
		min(t.first_seen) AS first_seen,
		max(t.last_seen) AS last_seen
	FROM t
	JOIN address_info d ON d.addr = t.dst_ip
	LEFT JOIN answers a ON a.host = t.dst_ip AND a.port = t.dstport AND a.protocol = t.protocol AND a.client = t.src_ip
	GROUP BY t.src_ip, t.dstport
)
SELECT g.*,
	CASE WHEN s.local AND g.local_hosts >= $min_hosts THEN 'high' ELSE 'medium' END AS severity,
	s.scope, s.org, s.asn, s.provider
FROM g
LEFT JOIN address_info s ON s.addr = g.src_ip
WHERE g.local_hosts >= $min_hosts
	-- Across the internet only an unanswered sweep is one: a client's
	-- HTTPS to many servers is not.
	OR (g.distinct_hosts >= $min_hosts AND g.answered_hosts * 4 < g.distinct_hosts)
ORDER BY g.distinct_hosts DESC, g.src_ip, g.dstport
LIMIT $limit
