-- name: external-dns
-- version: 2
-- title: DNS outside the VPC
-- description: The focus resolving names on resolvers outside the VPC (DNS on port 53, DNS over TLS on 853, to public addresses) instead of the VPC's resolver: a way to hide lookups, or a tunnel.
-- finding: {local_ip} resolves names on {peer_ip}:{port} ({flows} flows)
-- severity: column severity
-- mitre: T1071.004
-- subjects: local_ip, peer_ip, port
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
SELECT f.local_ip, f.peer_ip, f.dstport AS port,
	-- DNS over UDP and, for large answers, TCP: one row.
	string_agg(DISTINCT r.name, ', ' ORDER BY r.name) AS protocol_name,
	sum(f.flows)::BIGINT AS flows,
	coalesce(sum(f.flows) FILTER (f.action = 'ACCEPT'), 0)::BIGINT AS accepted,
	sum(f.packets)::BIGINT AS packets,
	sum(f.bytes)::BIGINT AS bytes,
	CASE WHEN f.dstport = 853 OR sum(f.bytes) >= 10000000 THEN 'medium' ELSE 'low' END AS severity,
	min(f.first_seen) AS first_seen,
	max(f.last_seen) AS last_seen,
	a.org, a.asn, a.provider
-- The rolled-up flows, where a client's port is left out: a row with its
-- source port NULL is a client's half.
FROM flow_totals($start, $end) f
LEFT JOIN ref_protocols r ON r.protocol = f.protocol
LEFT JOIN address_info a ON a.addr = f.peer_ip
WHERE f.direction = 'outbound' AND f.dst_scope = 'public' AND f.dstport IN (53, 853) AND (f.srcport IS NULL OR f.srcport > f.dstport)
GROUP BY f.local_ip, f.peer_ip, f.dstport, a.org, a.asn, a.provider
ORDER BY flows DESC, f.local_ip, f.peer_ip
LIMIT $limit
