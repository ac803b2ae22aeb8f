-- name: external-outbound
-- version: 2
-- title: External outbound
-- description: Traffic from the focus to outside the VPC, by destination, action and the AWS service the destination belongs to.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.dst_ip,
		f.action::VARCHAR AS action,
		f.pkt_dst_aws_service AS aws_service,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.direction = 'outbound' AND f.dst_scope IN ('private', 'public')
	GROUP BY ALL
	ORDER BY flows DESC, dst_ip, action, aws_service
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.dst_ip
ORDER BY g.flows DESC, g.dst_ip, g.action, g.aws_service
LIMIT $limit
