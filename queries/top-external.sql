-- name: top-external
-- version: 2
-- title: Top external flows
-- description: The heaviest flows between the focus and outside the VPC, by source and destination with their ports, protocol and action. A client's port (of the two ports the greater, when 1024 or more) is left blank, so that the records of all a client's connections to a service make one row, and its answers another.
-- param: order VARCHAR = 'flows' [flows|bytes]
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.src_ip,
		f.srcport,
		f.dst_ip,
		f.dstport,
		f.protocol,
		f.action::VARCHAR AS action,
		f.peer_ip,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.direction IN ('inbound', 'outbound')
		AND CASE f.direction WHEN 'inbound' THEN f.src_scope ELSE f.dst_scope END IN ('private', 'public')
	GROUP BY ALL
	ORDER BY CASE WHEN $order = 'bytes' THEN sum(f.bytes) ELSE sum(f.flows) END DESC, flows DESC, src_ip, srcport, dst_ip, dstport, protocol, action
	LIMIT $limit
)
SELECT g.src_ip, g.srcport, g.dst_ip, g.dstport, g.protocol, coalesce(p.name, 'proto-' || g.protocol) AS protocol_name, g.action,
	g.flows, g.packets, g.bytes, g.first_seen, g.last_seen,
	g.peer_ip, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
ORDER BY CASE WHEN $order = 'bytes' THEN g.bytes ELSE g.flows END DESC, g.flows DESC, g.src_ip, g.srcport, g.dst_ip, g.dstport, g.protocol, g.action
LIMIT $limit
