-- name: ssh-inbound
-- version: 1
-- title: SSH inbound
-- description: Who tried SSH (port 22 unless told otherwise) on the focus, accepted or rejected, by source.
-- param: port INTEGER = 22
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.src_ip,
		f.action::VARCHAR AS action,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	WHERE f.direction = 'inbound' AND f.dstport = $port AND f.protocol = 6
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
	ORDER BY flows DESC, src_ip, action
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.src_ip
ORDER BY g.flows DESC, g.src_ip, g.action
LIMIT $limit
