-- name: exfiltration
-- version: 3
-- title: Exfiltration
-- description: A focus address sending far more to one external peer, over connections it opened, than it receives back, and, in its busiest hour with that peer, far more than the focus usually sends to a peer in an hour (the median over the hours with traffic of every peer of all its addresses, IPv4 and IPv6): data leaving. By the hour, so that neither a long case nor busy peers, whose totals grow with the case, hide an upload of an hour. Peers in ranges of AWS's own services (S3 backups, CloudWatch; not EC2, where anyone can rent a server) are left out; top-talkers shows everything.
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
WITH c AS (
	-- Conversations the focus opened (from an ephemeral port of its own): what
	-- it sent and what came back, by the hour. A server's answers to its
	-- clients are not counted.
	-- From the rolled-up flows of each hour, where a client's port is left
	-- out (a row with one port NULL is a client's half, to dstport, or a
	-- server's, from srcport).
	SELECT local_ip, peer_ip, hour,
		coalesce(sum(bytes) FILTER (direction = 'outbound'), 0)::BIGINT AS sent,
		coalesce(sum(bytes) FILTER (direction = 'inbound'), 0)::BIGINT AS received,
		sum(flows) AS flows,
		list(DISTINCT dstport) FILTER (direction = 'outbound') AS ports,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM flow_hours($start, $end)
	WHERE (src_scope = 'public' OR dst_scope = 'public') AND coalesce(pkt_dst_aws_service, pkt_src_aws_service) IS NULL
		AND ((direction = 'outbound' AND ((srcport IS NULL AND dstport IS NOT NULL) OR srcport > dstport))
			OR (direction = 'inbound' AND ((dstport IS NULL AND srcport IS NOT NULL) OR dstport > srcport)))
	GROUP BY local_ip, peer_ip, hour
),
p AS (
	SELECT local_ip, peer_ip, sum(sent)::BIGINT AS sent, sum(received)::BIGINT AS received, sum(flows)::BIGINT AS flows,
		list_sort(list_distinct(flatten(list(ports)))) AS ports, max(sent) AS peak, min(first_seen) AS first_seen, max(last_seen) AS last_seen
	FROM c
	GROUP BY local_ip, peer_ip
),
u AS (
	-- What the focus usually sends to a peer in an hour: one address of a
	-- dual-stack host may have few peers of its own.
	SELECT median(sent) AS usual
	FROM c WHERE sent > 0
)
SELECT p.local_ip, p.peer_ip, p.sent, p.received, p.flows, p.ports,
	round(p.sent / greatest(p.received, 1), 1) AS ratio,
	round(p.peak / greatest(u.usual, 1), 1) AS factor,
	format_bytes(p.sent) AS sent_text,
	CASE WHEN p.sent >= 1000000000 THEN 'critical' ELSE 'high' END AS severity,
	p.first_seen, p.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM p
CROSS JOIN u
LEFT JOIN address_info a ON a.addr = p.peer_ip
WHERE p.sent >= $min_bytes AND p.sent >= $min_ratio * p.received AND p.peak >= $min_factor * u.usual
	-- AWS's own services; cidr_ranges names the provider in lower case.
	AND NOT (lower(coalesce(a.provider, '')) = 'aws' AND coalesce(a.cloud_service, 'EC2') <> 'EC2')
ORDER BY p.sent DESC, p.peer_ip
LIMIT $limit
