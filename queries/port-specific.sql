-- name: port-specific
-- version: 1
-- title: Port-specific traffic
-- description: Every conversation of the focus on one port, as source or destination port, by source, destination, ports and action.
-- param: port INTEGER
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.src_ip,
		f.dst_ip,
		f.srcport,
		f.dstport,
		f.protocol,
		f.action::VARCHAR AS action,
		f.direction,
		f.peer_ip,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	WHERE (f.srcport = $port OR f.dstport = $port)
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
	ORDER BY flows DESC, src_ip, dst_ip, srcport, dstport, protocol, action
	LIMIT $limit
)
SELECT g.src_ip, g.dst_ip, g.srcport, g.dstport, g.protocol, coalesce(p.name, 'proto-' || g.protocol) AS protocol_name,
	g.action, g.direction, g.flows, g.packets, g.bytes, g.first_seen, g.last_seen,
	g.peer_ip, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
ORDER BY g.flows DESC, g.src_ip, g.dst_ip, g.srcport, g.dstport, g.protocol, g.action
LIMIT $limit
