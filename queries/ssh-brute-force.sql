-- name: ssh-brute-force
-- version: 1
-- title: SSH and RDP brute force
-- description: Sources outside the case's network with many short or rejected SSH or RDP connections to one host of the focus: password guessing. High when the security group let the attempts through, critical when the same source then held a session that moved real data (a brute force that got in).
-- finding: {service} brute force on {dst_ip} from {src_ip}: {attempts} attempts, {outcome}
-- severity: column severity
-- mitre: T1110, T1021.004
-- subjects: src_ip, dst_ip, port
-- window: first_seen last_seen
-- weight: attempts
-- param: min_attempts INTEGER = 20
-- param: session_bytes INTEGER = 50000
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH c AS (
	-- Connections from outside the case's network to SSH or RDP: a client
	-- port's records (a connection longer than the capture window has several).
	SELECT src_ip, dst_ip, dstport AS port, srcport,
		bool_or(action = 'ACCEPT') AS accepted,
		sum(bytes)::BIGINT AS bytes,
		min(start) AS start,
		max("end") AS "end"
	FROM case_flows
	WHERE direction = 'inbound' AND protocol = 6 AND dstport IN (22, 3389) AND src_scope NOT IN ('focus', 'internal')
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
	GROUP BY ALL
),
k AS (
	-- An attempt is a rejected connection or an accepted one too small and
	-- short to be a session (a failed login); a session moved data or lasted.
	SELECT *, NOT accepted OR (bytes < $session_bytes AND "end" - start < INTERVAL 5 MINUTE) AS attempt
	FROM c
),
g AS (
	SELECT src_ip, dst_ip, port,
		count(*) FILTER (attempt) AS attempts,
		count(*) FILTER (NOT accepted) AS rejected,
		count(*) FILTER (attempt AND accepted) AS accepted_attempts,
		min(start) FILTER (attempt) AS first_attempt,
		count(*) AS flows,
		sum(bytes)::BIGINT AS bytes,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM k
	GROUP BY ALL
	HAVING count(*) FILTER (attempt) >= $min_attempts
),
s AS (
	-- Sessions after the first attempt.
	SELECT g.src_ip, g.dst_ip, g.port, min(k.start) AS session_start, max(k."end") AS session_end, sum(k.bytes)::BIGINT AS session_bytes
	FROM g JOIN k USING (src_ip, dst_ip, port)
	WHERE NOT k.attempt AND k.start >= g.first_attempt
	GROUP BY ALL
)
SELECT g.src_ip, g.dst_ip, g.port,
	CASE g.port WHEN 22 THEN 'SSH' ELSE 'RDP' END AS service,
	g.attempts, g.rejected, g.accepted_attempts,
	s.session_start IS NOT NULL AS got_in, s.session_start, s.session_end, s.session_bytes,
	CASE
		WHEN s.session_start IS NOT NULL THEN 'then a ' || ((epoch(s.session_end) - epoch(s.session_start)) // 60)::BIGINT::VARCHAR
			|| '-minute session of ' || format_bytes(s.session_bytes) || ': it got in'
		WHEN g.accepted_attempts > 0 THEN 'the security group let them through'
		ELSE 'all rejected'
	END AS outcome,
	CASE
		WHEN s.session_start IS NOT NULL THEN 'critical'
		WHEN g.accepted_attempts > 0 THEN 'high'
		WHEN g.attempts >= 100 THEN 'medium'
		ELSE 'low'
	END AS severity,
	g.flows, g.bytes, g.first_seen, greatest(g.last_seen, s.session_end) AS last_seen,
	a.org, a.asn, a.provider, a.scope
FROM g
LEFT JOIN s USING (src_ip, dst_ip, port)
LEFT JOIN address_info a ON a.addr = g.src_ip
ORDER BY got_in DESC, g.accepted_attempts > 0 DESC, g.attempts DESC, g.src_ip
LIMIT $limit
