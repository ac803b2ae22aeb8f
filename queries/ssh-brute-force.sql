-- name: ssh-brute-force
-- version: 1
-- title: SSH and RDP brute force
-- description: Sources outside the case's network with many short or rejected SSH or RDP connections to one host of the focus (at least the minimum in one day): password guessing. High when the security group let the attempts through, critical when the same source then held a session that moved data or lasted longer than a capture window (a brute force that got in).
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
	-- Connections from outside the case's network to SSH or RDP, with the
	-- server's answers: a client port's records (a connection longer than the
	-- capture window has several in each direction).
	SELECT peer_ip AS src_ip, local_ip AS dst_ip,
		CASE direction WHEN 'inbound' THEN dstport ELSE srcport END AS port,
		CASE direction WHEN 'inbound' THEN srcport ELSE dstport END AS client_port,
		bool_or(direction = 'inbound' AND action = 'ACCEPT') AS accepted,
		sum(bytes)::BIGINT AS bytes,
		count(DISTINCT start) AS windows,
		min(start) AS start,
		max("end") AS "end"
	FROM case_flows
	WHERE protocol = 6 AND CASE direction WHEN 'inbound' THEN src_scope ELSE dst_scope END NOT IN ('focus', 'internal')
		AND ((direction = 'inbound' AND dstport IN (22, 3389)) OR (direction = 'outbound' AND srcport IN (22, 3389) AND dstport > srcport))
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
	GROUP BY ALL
	HAVING bool_or(direction = 'inbound')
),
k AS (
	-- An attempt is a rejected connection or an accepted one too small and
	-- short to be a session (a failed login). A session moved data (both
	-- ways) or lasted longer than a capture window: a connection shorter
	-- than one is seen in one window, or two when it crosses a boundary. (A
	-- record's start is rounded to its window, and its end is the last
	-- packet in it, so with 10-minute windows end - start says little.)
	SELECT *, NOT accepted OR (bytes < $session_bytes AND windows < 3) AS attempt
	FROM c
),
d AS (
	-- Password guessing is fast: the most attempts in a day, on two grids
	-- half a day apart (a burst across midnight lies within one). The
	-- internet's slow scanners, which knock on SSH a few times a day, stay
	-- under the minimum.
	SELECT src_ip, dst_ip, port, max(n) AS peak_attempts_per_day
	FROM (
		SELECT src_ip, dst_ip, port, time_bucket(INTERVAL 1 DAY, start) AS day, count(*) AS n FROM k WHERE attempt GROUP BY ALL
		UNION ALL
		SELECT src_ip, dst_ip, port, time_bucket(INTERVAL 1 DAY, start, INTERVAL 12 HOUR) AS day, count(*) AS n FROM k WHERE attempt GROUP BY ALL
	)
	GROUP BY ALL
	HAVING max(n) >= $min_attempts
),
g AS (
	SELECT k.src_ip, k.dst_ip, k.port,
		count(*) FILTER (attempt) AS attempts,
		any_value(d.peak_attempts_per_day) AS peak_attempts_per_day,
		count(*) FILTER (NOT accepted) AS rejected,
		count(*) FILTER (attempt AND accepted) AS accepted_attempts,
		min(start) FILTER (attempt) AS first_attempt,
		count(*) AS flows,
		sum(bytes)::BIGINT AS bytes,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM k
	JOIN d USING (src_ip, dst_ip, port)
	GROUP BY ALL
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
	g.attempts, g.peak_attempts_per_day, g.rejected, g.accepted_attempts,
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
