-- name: cidr-connections
-- version: 2
-- title: Cloud-provider connections
-- description: Peers of the focus inside a cloud provider's published ranges, by provider, service, region, peer and action.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.peer_ip,
		f.direction,
		f.action::VARCHAR AS action,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.peer_ip IS NOT NULL
	GROUP BY ALL
)
SELECT a.provider, a.cloud_service, a.cloud_region, g.peer_ip, g.direction, g.action,
	g.flows, g.packets, g.bytes, g.first_seen, g.last_seen,
	a.cloud_prefix, a.org, a.asn, a.scope
FROM g
JOIN address_info a ON a.addr = g.peer_ip AND a.provider IS NOT NULL
ORDER BY g.flows DESC, a.provider, a.cloud_service, a.cloud_region, g.peer_ip, g.direction, g.action
LIMIT $limit
