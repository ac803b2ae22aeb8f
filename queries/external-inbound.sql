-- name: external-inbound
-- version: 2
-- title: External inbound
-- description: Traffic from outside the VPC to the focus, by source, action and the AWS service the source belongs to.
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.src_ip,
		f.action::VARCHAR AS action,
		f.pkt_src_aws_service AS aws_service,
		sum(f.flows)::BIGINT AS flows,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM flow_totals($start, $end) f
	WHERE f.direction = 'inbound' AND f.src_scope IN ('private', 'public')
	GROUP BY ALL
	ORDER BY flows DESC, src_ip, action, aws_service
	LIMIT $limit
)
SELECT g.*, a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.src_ip
ORDER BY g.flows DESC, g.src_ip, g.action, g.aws_service
LIMIT $limit
