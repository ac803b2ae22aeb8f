-- name: sensitive-port-probe
-- version: 1
-- title: Probes of sensitive ports
-- description: External sources on the focus's databases, remote desktop, file sharing and other services that should not face the internet (the sensitive ports of ref_ports; SSH and RDP aside, which ssh-brute-force looks at), by source and target. High when the security group accepted one; sources with fewer flows than the minimum, all rejected, are left out.
-- finding: Sensitive ports probed on {dst_ip} from {src_ip} ({services}): {flows} flows, {accepted} accepted
-- severity: column severity
-- mitre: T1046, T1190
-- subjects: src_ip, dst_ip
-- param: min_flows INTEGER = 10
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH f AS (
	SELECT f.src_ip, f.dst_ip, f.dstport AS port, f.protocol, f.action, f.packets, f.bytes, f.start, f."end", p.service
	FROM case_flows f
	JOIN ref_ports p ON p.port = f.dstport AND p.sensitive
	WHERE f.direction = 'inbound' AND f.src_scope NOT IN ('focus', 'internal') AND f.dstport NOT IN (22, 53, 3389)
		AND f.protocol IN (6, 17) AND f.srcport > f.dstport
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
)
SELECT f.src_ip, f.dst_ip,
	-- The first four services by name, and how many more.
	array_to_string(list_slice(list(DISTINCT f.service ORDER BY f.service), 1, 4), ', ')
		|| CASE WHEN count(DISTINCT f.service) > 4 THEN ' and ' || (count(DISTINCT f.service) - 4)::VARCHAR || ' more' ELSE '' END AS services,
	list(DISTINCT f.port ORDER BY f.port) AS ports,
	count(*) AS flows,
	count(*) FILTER (f.action = 'ACCEPT') AS accepted,
	count(*) FILTER (f.action = 'REJECT') AS rejected,
	sum(f.packets)::BIGINT AS packets,
	sum(f.bytes)::BIGINT AS bytes,
	CASE WHEN count(*) FILTER (f.action = 'ACCEPT') > 0 THEN 'high' ELSE 'low' END AS severity,
	min(f.start) AS first_seen,
	max(f."end") AS last_seen,
	a.org, a.asn, a.provider, a.scope
FROM f
LEFT JOIN address_info a ON a.addr = f.src_ip
GROUP BY f.src_ip, f.dst_ip, a.org, a.asn, a.provider, a.scope
HAVING count(*) >= $min_flows OR count(*) FILTER (f.action = 'ACCEPT') > 0
ORDER BY accepted DESC, flows DESC, f.src_ip
LIMIT $limit
