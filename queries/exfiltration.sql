-- name: exfiltration
-- version: 1
-- title: Exfiltration
-- description: A focus address sending far more to one external peer, over connections it opened, than it receives back, and far more than it usually sends to a peer (the median over its peers): data leaving. Peers in ranges of AWS services other than plain EC2 (S3 backups, CloudWatch) are left out; top-talkers shows everything.
-- finding: {sent_text} sent from {local_ip} to {peer_ip} ({ratio}× what came back)
-- severity: column severity
-- mitre: T1041, T1048
-- subjects: local_ip, peer_ip
-- weight: sent
-- param: min_bytes INTEGER = 100000000
-- param: min_ratio DOUBLE = 10
-- param: min_factor DOUBLE = 50
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH p AS (
	-- Conversations the focus opened (from an ephemeral port of its own): what
	-- it sent and what came back. A server's answers to its clients are not
	-- counted.
	SELECT local_ip, peer_ip,
		coalesce(sum(bytes) FILTER (direction = 'outbound'), 0)::BIGINT AS sent,
		coalesce(sum(bytes) FILTER (direction = 'inbound'), 0)::BIGINT AS received,
		count(*) AS flows,
		list(DISTINCT dstport ORDER BY dstport) FILTER (direction = 'outbound') AS ports,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM case_flows
	WHERE (src_scope = 'public' OR dst_scope = 'public') AND pkt_dst_aws_service IS NULL
		AND ((direction = 'outbound' AND srcport > dstport) OR (direction = 'inbound' AND dstport > srcport))
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
	GROUP BY local_ip, peer_ip
),
u AS (
	SELECT local_ip, median(sent) AS usual
	FROM p WHERE sent > 0
	GROUP BY local_ip
)
SELECT p.local_ip, p.peer_ip, p.sent, p.received, p.flows, p.ports,
	round(p.sent / greatest(p.received, 1), 1) AS ratio,
	round(p.sent / greatest(u.usual, 1), 1) AS factor,
	format_bytes(p.sent) AS sent_text,
	CASE WHEN p.sent >= 1000000000 THEN 'critical' ELSE 'high' END AS severity,
	p.first_seen, p.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM p
JOIN u USING (local_ip)
LEFT JOIN address_info a ON a.addr = p.peer_ip
WHERE p.sent >= $min_bytes AND p.sent >= $min_ratio * p.received AND p.sent >= $min_factor * u.usual
	AND NOT (coalesce(a.provider, '') = 'AWS' AND coalesce(a.cloud_service, 'EC2') NOT IN ('AMAZON', 'EC2'))
ORDER BY p.sent DESC, p.peer_ip
LIMIT $limit
