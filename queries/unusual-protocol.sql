-- name: unusual-protocol
-- version: 1
-- title: Unusual protocols
-- description: Traffic between the focus and the outside in protocols other than TCP, UDP and ICMP (GRE, ESP, IP-in-IP, SCTP…): tunnels and VPNs, wanted or not.
-- finding: {protocol_name} ({protocol}) between {local_ip} and {peer_ip}: {flows} flows
-- severity: medium
-- mitre: T1095
-- subjects: local_ip, peer_ip, protocol_name
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
SELECT f.local_ip, f.peer_ip, f.protocol, coalesce(r.name, 'protocol ' || f.protocol::VARCHAR) AS protocol_name,
	count(*) AS flows,
	count(*) FILTER (f.action = 'ACCEPT') AS accepted,
	sum(f.packets)::BIGINT AS packets,
	sum(f.bytes)::BIGINT AS bytes,
	min(f.start) AS first_seen,
	max(f."end") AS last_seen,
	a.org, a.asn, a.provider
FROM case_flows f
LEFT JOIN ref_protocols r ON r.protocol = f.protocol
LEFT JOIN address_info a ON a.addr = f.peer_ip
WHERE f.protocol NOT IN (1, 6, 17, 58) AND (f.src_scope = 'public' OR f.dst_scope = 'public')
	AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
GROUP BY f.local_ip, f.peer_ip, f.protocol, r.name, a.org, a.asn, a.provider
ORDER BY flows DESC, f.local_ip, f.peer_ip
LIMIT $limit
