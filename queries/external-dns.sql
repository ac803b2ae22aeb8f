-- name: external-dns
-- version: 1
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
	count(*) AS flows,
	count(*) FILTER (f.action = 'ACCEPT') AS accepted,
	sum(f.packets)::BIGINT AS packets,
	sum(f.bytes)::BIGINT AS bytes,
	CASE WHEN f.dstport = 853 OR sum(f.bytes) >= 10000000 THEN 'medium' ELSE 'low' END AS severity,
	min(f.start) AS first_seen,
	max(f."end") AS last_seen,
	a.org, a.asn, a.provider
FROM case_flows f
LEFT JOIN ref_protocols r ON r.protocol = f.protocol
LEFT JOIN address_info a ON a.addr = f.peer_ip
WHERE f.direction = 'outbound' AND f.dst_scope = 'public' AND f.dstport IN (53, 853) AND f.srcport > f.dstport
	AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
GROUP BY f.local_ip, f.peer_ip, f.dstport, a.org, a.asn, a.provider
ORDER BY flows DESC, f.local_ip, f.peer_ip
LIMIT $limit
