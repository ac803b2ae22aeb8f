-- name: lateral-movement
-- version: 2
-- title: Lateral movement
-- description: Remote-access connections (SSH, RDP, SMB, WinRM, RPC) between hosts inside the case's network. High when the pair first talks within a day after a session from the internet reached the source host (an external compromise signal: an accepted remote-access connection that moved data or lasted longer than a capture window, to any address of the source's network interface, from a source that does not come on three days or more, as an administrators' office does); a pair that talks so on three days or more, or over more than a day, without one (an administrator's routine: a bastion, a deploy job) is left out.
-- finding: {service} from {src_ip} to {dst_ip}: {flows} flows, {accepted} accepted{signal_text}
-- severity: column severity
-- mitre: T1021
-- subjects: src_ip, dst_ip, port
-- param: session_bytes INTEGER = 50000
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH f AS (
	-- The clients' halves to a remote-access port, from the rolled-up flows
	-- of each hour, where a client's port is left out (a row with its source
	-- port NULL is a client's half).
	SELECT src_ip, dst_ip, dstport AS port, action, flows, bytes, hour, first_seen, last_seen
	FROM flow_hours($start, $end)
	WHERE protocol = 6 AND dstport IN (22, 135, 445, 3389, 5985, 5986) AND (srcport IS NULL OR srcport > dstport)
		AND src_scope IN ('focus', 'internal') AND dst_scope IN ('focus', 'internal') AND src_ip <> dst_ip
),
g AS (
	SELECT src_ip, dst_ip, port,
		sum(flows)::BIGINT AS flows,
		coalesce(sum(flows) FILTER (action = 'ACCEPT'), 0)::BIGINT AS accepted,
		sum(bytes)::BIGINT AS bytes,
		count(DISTINCT hour::DATE) AS active_days,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM f
	GROUP BY ALL
),
sessions AS (
	-- Sessions from the internet to a remote-access port: an accepted
	-- connection (a client port's records, with the server's answers) that
	-- moved data or was seen in three capture windows or more, on the
	-- network interface it reached.
	SELECT peer_ip AS source, interface_id, min(start) AS start
	FROM case_flows
	WHERE protocol = 6 AND CASE direction WHEN 'inbound' THEN src_scope ELSE dst_scope END = 'public'
		AND ((direction = 'inbound' AND dstport IN (22, 3389, 5985, 5986)) OR (direction = 'outbound' AND srcport IN (22, 3389, 5985, 5986) AND dstport > srcport))
	GROUP BY peer_ip, local_ip, CASE direction WHEN 'inbound' THEN srcport ELSE dstport END, interface_id
	HAVING bool_or(direction = 'inbound' AND action = 'ACCEPT') AND (sum(bytes) >= $session_bytes OR count(DISTINCT start) >= 3)
),
hosts AS (
	-- The addresses of an interface: the local ends of its traffic with the
	-- internet (a host's IPv4 and IPv6 addresses share its interface).
	SELECT DISTINCT interface_id, local_ip AS host
	FROM case_flows
	WHERE local_ip IS NOT NULL AND CASE direction WHEN 'inbound' THEN src_scope ELSE dst_scope END = 'public'
),
signals AS (
	-- Sessions from sources that come on fewer than three days: the
	-- administrators' office that logs in every day is no signal.
	SELECT h.host, s.start AS signal_at
	FROM sessions s
	JOIN hosts h USING (interface_id)
	WHERE s.source IN (SELECT source FROM sessions GROUP BY source HAVING count(DISTINCT start::DATE) < 3)
),
gs AS (
	-- The latest signal on the source host in the day before the pair first talked.
	SELECT g.*,
		(SELECT max(x.signal_at) FROM signals x
			WHERE x.host = g.src_ip AND x.signal_at <= g.first_seen AND g.first_seen <= x.signal_at + INTERVAL 24 HOUR) AS signal_at
	FROM g
)
SELECT g.src_ip, g.dst_ip, g.port, p.service, g.flows, g.accepted, g.bytes, g.active_days,
	g.signal_at,
	CASE WHEN g.signal_at IS NOT NULL THEN ', after a session from the internet' ELSE '' END AS signal_text,
	CASE WHEN g.signal_at IS NOT NULL THEN 'high' ELSE 'medium' END AS severity,
	g.first_seen, g.last_seen
FROM gs g
LEFT JOIN ref_ports p ON p.port = g.port
-- A pair that talks so on three days or more, or over more than a day,
-- without a signal is an administrator's routine (a bastion, configuration
-- management).
WHERE (g.active_days < 3 AND g.last_seen - g.first_seen <= INTERVAL 24 HOUR) OR g.signal_at IS NOT NULL
ORDER BY severity = 'high' DESC, g.bytes DESC, g.src_ip, g.dst_ip
LIMIT $limit
