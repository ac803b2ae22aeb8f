-- name: external-summary
-- version: 1
-- title: External summary
-- description: Traffic between the focus and outside the VPC, by direction and action, with the number of distinct peers.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
SELECT
	f.direction,
	f.action::VARCHAR AS action,
	count(DISTINCT f.peer_ip) AS peers,
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
ORDER BY f.direction, action
LIMIT $limit
