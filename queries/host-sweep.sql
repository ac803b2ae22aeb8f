-- name: host-sweep
-- version: 1
-- title: Host sweeps
-- description: Sources that touched one port on many hosts of the case's network (a horizontal scan: looking for more of one service), or on many public hosts without answers, with how many answered.
-- finding: Sweep of port {dstport} over {distinct_hosts} hosts from {src_ip}
-- severity: column severity
-- mitre: T1046
-- subjects: src_ip, dstport
-- param: min_hosts INTEGER = 20
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH f AS (
	-- Every record of the case (a sweep need not touch the focus), the real
	-- endpoints, TCP and UDP to a service port.
	SELECT coalesce(pkt_srcaddr, srcaddr) AS src_ip, coalesce(pkt_dstaddr, dstaddr) AS dst_ip, srcport, dstport, protocol,
		action, packets, bytes, tcp_flags, start, "end"
	FROM flows
	WHERE protocol IN (6, 17) AND dstport IS NOT NULL AND dstport < srcport
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
),
g AS (
	SELECT f.src_ip, f.dstport, f.protocol,
		count(DISTINCT f.dst_ip) AS distinct_hosts,
		count(DISTINCT f.dst_ip) FILTER (d.local) AS local_hosts,
		-- A host answered when the connection went past its SYN: more packets
		-- than a SYN and its retransmission, or, where the flow log carries
		-- tcp-flags (FIN 1, SYN 2, RST 4, SYN-ACK 18: flow logs report no
		-- bare ACK), a FIN on the source's half: it was closed, so it opened.
		count(DISTINCT f.dst_ip) FILTER (f.action = 'ACCEPT' AND (f.packets > 2 OR coalesce(f.tcp_flags & 1 <> 0, false))) AS answered_hosts,
		count(*) FILTER (f.protocol = 6 AND f.tcp_flags = 2) AS syn_only_flows,
		count(*) FILTER (f.action = 'REJECT') AS rejected_flows,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM f
	JOIN address_info d ON d.addr = f.dst_ip
	GROUP BY f.src_ip, f.dstport, f.protocol
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
