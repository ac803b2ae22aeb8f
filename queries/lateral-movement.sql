-- name: lateral-movement
-- version: 1
-- title: Lateral movement
-- description: Remote-access connections (SSH, RDP, SMB, WinRM, RPC) between hosts inside the case's network. High when they start within a day after a session from the internet reached the source host (an external compromise signal); a pair that talks so on three days or more, or over more than a day, without one (an administrator's routine) is left out.
-- finding: {service} from {src_ip} to {dst_ip}: {flows} flows, {accepted} accepted{signal_text}
-- severity: column severity
-- mitre: T1021
-- subjects: src_ip, dst_ip, port
-- param: session_bytes INTEGER = 50000
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH f AS (
	SELECT src_ip, dst_ip, dstport AS port, action, bytes, start, "end", interface_id
	FROM case_flows
	WHERE protocol = 6 AND dstport IN (22, 135, 445, 3389, 5985, 5986) AND srcport > dstport
		AND src_scope IN ('focus', 'internal') AND dst_scope IN ('focus', 'internal') AND src_ip <> dst_ip
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
),
g AS (
	SELECT src_ip, dst_ip, port,
		count(*) AS flows,
		count(*) FILTER (action = 'ACCEPT') AS accepted,
		sum(bytes)::BIGINT AS bytes,
		count(DISTINCT start::DATE) AS active_days,
		list(DISTINCT interface_id) AS interfaces,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM f
	GROUP BY ALL
),
c AS (
	-- Sessions from the internet to a remote-access port: an accepted
	-- connection (a client port's records) that moved data, on the network
	-- interface of the host it reached (whose public and private addresses
	-- differ).
	SELECT interface_id, min(start) AS signal_at
	FROM (
		SELECT interface_id, min(start) AS start
		FROM case_flows
		WHERE direction = 'inbound' AND src_scope = 'public' AND action = 'ACCEPT' AND protocol = 6
			AND dstport IN (22, 3389, 5985, 5986)
		GROUP BY src_ip, srcport, dst_ip, dstport, interface_id
		HAVING sum(bytes) >= $session_bytes
	)
	GROUP BY interface_id
),
gs AS (
	SELECT g.*, (SELECT min(c.signal_at) FROM c WHERE list_contains(g.interfaces, c.interface_id) AND c.signal_at <= g.last_seen) AS signal_at
	FROM g
)
SELECT g.src_ip, g.dst_ip, g.port, p.service, g.flows, g.accepted, g.bytes, g.active_days,
	g.signal_at,
	CASE WHEN g.first_seen <= g.signal_at + INTERVAL 24 HOUR THEN ', after a session from the internet' ELSE '' END AS signal_text,
	CASE WHEN g.first_seen <= g.signal_at + INTERVAL 24 HOUR THEN 'high' ELSE 'medium' END AS severity,
	g.first_seen, g.last_seen
FROM gs g
LEFT JOIN ref_ports p ON p.port = g.port
-- A pair that talks so on three days or more, or over more than a day,
-- without a signal is an administrator's routine (a bastion, configuration
-- management).
WHERE (g.active_days < 3 AND g.last_seen - g.first_seen <= INTERVAL 24 HOUR) OR g.first_seen <= g.signal_at + INTERVAL 24 HOUR
ORDER BY severity = 'high' DESC, g.bytes DESC, g.src_ip, g.dst_ip
LIMIT $limit
