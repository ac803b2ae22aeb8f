-- name: traffic-summary
-- version: 1
-- title: Traffic summary
-- description: All traffic of the case by protocol and action: the shape of what was seen.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
SELECT
	f.protocol,
	coalesce(p.name, 'proto-' || f.protocol) AS protocol_name,
	f.action::VARCHAR AS action,
	count(*) AS flows,
	sum(f.packets)::BIGINT AS packets,
	sum(f.bytes)::BIGINT AS bytes,
	min(f.start) AS first_seen,
	max(f."end") AS last_seen
FROM case_flows f
LEFT JOIN ref_protocols p ON p.protocol = f.protocol
WHERE ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
GROUP BY ALL
ORDER BY flows DESC, f.protocol, action
LIMIT $limit
