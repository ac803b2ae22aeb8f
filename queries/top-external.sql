-- name: top-external
-- version: 1
-- title: Top external flows
-- description: The heaviest conversations between the focus and outside the VPC, by source, destination, destination port, protocol and action.
-- param: order VARCHAR = 'flows' [flows|bytes]
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.src_ip,
		f.dst_ip,
		f.dstport,
		f.protocol,
		f.action::VARCHAR AS action,
		f.peer_ip,
		count(*) AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen
	FROM case_flows f
	WHERE f.direction IN ('inbound', 'outbound')
		AND CASE f.direction WHEN 'inbound' THEN f.src_scope ELSE f.dst_scope END IN ('private', 'public')
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
	ORDER BY CASE WHEN $order = 'bytes' THEN sum(f.bytes) ELSE count(*) END DESC, flows DESC, src_ip, dst_ip, dstport, protocol, action
	LIMIT $limit
)
SELECT g.src_ip, g.dst_ip, g.dstport, g.protocol, coalesce(p.name, 'proto-' || g.protocol) AS protocol_name, g.action,
	g.flows, g.packets, g.bytes, g.first_seen, g.last_seen,
	g.peer_ip, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
ORDER BY CASE WHEN $order = 'bytes' THEN g.bytes ELSE g.flows END DESC, g.flows DESC, g.src_ip, g.dst_ip, g.dstport, g.protocol, g.action
LIMIT $limit
