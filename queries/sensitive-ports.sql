-- name: sensitive-ports
-- version: 1
-- title: Sensitive ports
-- description: Inbound to the focus on a sensitive port (remote access, databases, file sharing) and outbound from the focus to one, by peer, port, service and action.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.direction,
		f.peer_ip,
		f.dstport AS port,
		s.service,
		f.action::VARCHAR AS action,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	JOIN ref_ports s ON s.port = f.dstport AND s.sensitive
	WHERE f.direction IN ('inbound', 'outbound') AND f.protocol IN (6, 17)
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
	ORDER BY flows DESC, direction, peer_ip, port, action
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
ORDER BY g.flows DESC, g.direction, g.peer_ip, g.port, g.action
LIMIT $limit
