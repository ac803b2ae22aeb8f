-- name: sensitive-port-probe
-- version: 3
-- title: Probes of sensitive ports
-- description: External sources on the focus's databases, remote desktop, file sharing and other services that should not face the internet (the sensitive ports of ref_ports; SSH and RDP aside, which ssh-brute-force looks at), by source and target. High when the security group accepted one. Of the sources all rejected, only those that aim at these ports are kept: at least the minimum of flows, and most of what they sent the target (the share) on sensitive ports; the internet's scanners, which touch every port, are left out (port-scan looks at them).
-- finding: Sensitive ports probed on {dst_ip} from {src_ip} ({services}): {flows} flows, {accepted} accepted
-- severity: column severity
-- mitre: T1046, T1190
-- subjects: src_ip, dst_ip
-- param: min_flows INTEGER = 10
-- param: min_share DOUBLE = 0.8
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH i AS (
	-- What external sources sent the focus, from a client port of theirs:
	-- the rolled-up flows, where a client's port is left out (a row with
	-- its source port NULL is a client's half).
	SELECT f.src_ip, f.dst_ip, f.dstport AS port, f.protocol, f.action, f.flows, f.packets, f.bytes, f.first_seen, f.last_seen, p.service
	FROM flow_totals($start, $end) f
	-- (An equality join: a condition on the record's port alone in it would
	-- make it a nested loop.)
	LEFT JOIN (SELECT port, service FROM ref_ports WHERE sensitive AND port NOT IN (22, 53, 3389)) p ON p.port = f.dstport
	WHERE f.direction = 'inbound' AND f.src_scope NOT IN ('focus', 'internal')
		AND f.protocol IN (6, 17) AND ((f.srcport IS NULL AND f.dstport IS NOT NULL) OR f.srcport > f.dstport)
),
t AS (
	SELECT src_ip, dst_ip, sum(flows) AS all_flows FROM i GROUP BY ALL
),
g AS (
	SELECT f.src_ip, f.dst_ip,
		-- The first four services by name, and how many more.
		array_to_string(list_slice(list(DISTINCT f.service ORDER BY f.service), 1, 4), ', ')
			|| CASE WHEN count(DISTINCT f.service) > 4 THEN ' and ' || (count(DISTINCT f.service) - 4)::VARCHAR || ' more' ELSE '' END AS services,
		list(DISTINCT f.port ORDER BY f.port) AS ports,
		sum(f.flows)::BIGINT AS flows,
		coalesce(sum(f.flows) FILTER (f.action = 'ACCEPT'), 0)::BIGINT AS accepted,
		coalesce(sum(f.flows) FILTER (f.action = 'REJECT'), 0)::BIGINT AS rejected,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.first_seen) AS first_seen,
		max(f.last_seen) AS last_seen
	FROM i f
	WHERE f.service IS NOT NULL
	GROUP BY f.src_ip, f.dst_ip
)
SELECT g.src_ip, g.dst_ip, g.services, g.ports, g.flows, g.accepted, g.rejected, g.packets, g.bytes,
	round(g.flows / t.all_flows, 3)::DOUBLE AS share,
	CASE WHEN g.accepted > 0 THEN 'high' ELSE 'low' END AS severity,
	g.first_seen, g.last_seen,
	a.org, a.asn, a.provider, a.scope
FROM g
JOIN t USING (src_ip, dst_ip)
LEFT JOIN address_info a ON a.addr = g.src_ip
WHERE g.accepted > 0 OR (g.flows >= $min_flows AND g.flows >= $min_share * t.all_flows)
ORDER BY g.accepted DESC, g.flows DESC, g.src_ip
LIMIT $limit
