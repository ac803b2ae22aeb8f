-- name: traffic-summary
-- version: 2
-- title: Traffic summary
-- description: All traffic of the case by protocol and action: the shape of what was seen.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.protocol,
		f.action::VARCHAR AS action,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	GROUP BY ALL
)
SELECT g.protocol, coalesce(p.name, 'proto-' || g.protocol) AS protocol_name, g.action,
	g.flows, g.packets, g.bytes, g.first_seen, g.last_seen
FROM g
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
ORDER BY g.flows DESC, g.protocol, g.action
LIMIT $limit
