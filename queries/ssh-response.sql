-- name: ssh-response
-- version: 1
-- title: SSH responses
-- description: The focus answering on SSH (source port 22 unless told otherwise): the sessions that were actually served, by destination.
-- param: port INTEGER = 22
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.dst_ip,
		f.action::VARCHAR AS action,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	WHERE f.direction = 'outbound' AND f.srcport = $port AND f.protocol = 6
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
	ORDER BY flows DESC, dst_ip, action
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.dst_ip
ORDER BY g.flows DESC, g.dst_ip, g.action
LIMIT $limit
