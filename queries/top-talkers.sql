-- name: top-talkers
-- version: 2
-- title: Top talkers
-- description: The focus's peers by bytes, in each direction: the exfiltration view.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.peer_ip,
		f.direction,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.direction IN ('inbound', 'outbound') AND f.action = 'ACCEPT'
	GROUP BY ALL
	ORDER BY bytes DESC NULLS LAST, peer_ip, direction
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
ORDER BY g.bytes DESC NULLS LAST, g.peer_ip, g.direction
LIMIT $limit
