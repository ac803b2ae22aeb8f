-- name: port-scan
-- version: 1
-- title: Port scans
-- description: Sources that touched many distinct ports or hosts of the focus (or the VPC) in the window, with the share of their flows that was rejected.
-- param: min_ports INTEGER = 20
-- param: min_hosts INTEGER = 10
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH replies AS (
	-- Answers to conversations the focus opened (from an ephemeral port of its
	-- own to a service port of the peer's) are not probes.
	SELECT DISTINCT dst_ip AS peer, dstport AS port, protocol
	FROM case_flows
	WHERE direction = 'outbound' AND srcport > dstport
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
),
g AS (
	SELECT
		f.src_ip,
		count(DISTINCT f.dstport) AS distinct_ports,
		count(DISTINCT f.dst_ip) AS distinct_hosts,
		count(*) FILTER (f.action = 'REJECT') AS rejected_flows,
		round(count(*) FILTER (f.action = 'REJECT') / count(*), 3)::DOUBLE AS rejected_share,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	ANTI JOIN replies r ON r.peer = f.src_ip AND r.port = f.srcport AND r.protocol = f.protocol
	WHERE f.direction = 'inbound' AND f.protocol IN (6, 17)
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY f.src_ip
	HAVING count(DISTINCT f.dstport) >= $min_ports OR count(DISTINCT f.dst_ip) >= $min_hosts
	ORDER BY distinct_ports DESC, distinct_hosts DESC, src_ip
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.src_ip
ORDER BY g.distinct_ports DESC, g.distinct_hosts DESC, g.src_ip
LIMIT $limit
