-- name: external-summary
-- version: 2
-- title: External summary
-- description: Traffic between the focus and outside the VPC, by direction and action, with the number of distinct peers.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH per_peer AS (
	-- Two steps (per peer, then per direction and action) count distinct peers cheaply.
	SELECT
		f.direction,
		f.action::VARCHAR AS action,
		f.peer_ip,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets) AS packets,
		sum(f.bytes) AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.direction IN ('inbound', 'outbound')
		AND CASE f.direction WHEN 'inbound' THEN f.src_scope ELSE f.dst_scope END IN ('private', 'public')
	GROUP BY ALL
)
SELECT
	direction,
	action,
	count(*) AS peers,
	sum(flows)::BIGINT AS flows,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(first_seen) AS first_seen,
	max(last_seen) AS last_seen
FROM per_peer
GROUP BY ALL
ORDER BY direction, action
LIMIT $limit
