-- name: port-scan
-- version: 4
-- title: Port scans
-- description: Sources that touched many distinct ports of one host of the case within an hour (a vertical scan), with the share of their flows that was rejected and the ports that answered.
-- finding: Port scan of {dst_ip} from {src_ip}: {distinct_ports} ports, {answered_ports} answered
-- severity: column severity
-- mitre: T1046
-- subjects: src_ip, dst_ip
-- param: min_ports INTEGER = 20
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH replies AS (
	-- Answers to conversations the focus opened (from an ephemeral port of its
	-- own to a service port of the peer's) are not probes.
	-- Read from the rolled-up flows, where a client's port is left out (a
	-- row with its source port NULL is a client's half).
	SELECT DISTINCT dst_ip AS peer, dstport AS port, protocol
	FROM flow_totals($start, $end)
	WHERE direction = 'outbound' AND protocol IN (6, 17) AND ((srcport IS NULL AND dstport IS NOT NULL) OR srcport > dstport)
),
inbound AS NOT MATERIALIZED (
	SELECT f.*
	FROM case_flows f
	ANTI JOIN replies r ON r.peer = f.src_ip AND r.port = f.srcport AND r.protocol = f.protocol
	WHERE f.direction = 'inbound' AND f.protocol IN (6, 17)
		AND ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
),
p AS MATERIALIZED (
	-- The records of the pairs that touched the minimum of ports at all:
	-- only they can have touched it in an hour.
	SELECT i.*
	FROM inbound i
	SEMI JOIN (SELECT src_ip, dst_ip FROM inbound GROUP BY ALL HAVING count(DISTINCT dstport) >= $min_ports) c
		ON c.src_ip = i.src_ip AND c.dst_ip = i.dst_ip
),
g AS (
	SELECT
		src_ip,
		dst_ip,
		count(DISTINCT dstport) AS distinct_ports,
		-- A port answered when it was accepted and, where the flow log carries
		-- tcp-flags, the prober's half is more than a bare SYN (a FIN or RST
		-- after the SYN-ACK it got; flow logs report no bare ACK).
		count(DISTINCT dstport) FILTER (action = 'ACCEPT' AND (tcp_flags IS NULL OR protocol <> 6 OR tcp_flags <> 2)) AS answered_ports,
		count(*) FILTER (protocol = 6 AND tcp_flags = 2) AS syn_only_flows,
		count(*) FILTER (action = 'REJECT') AS rejected_flows,
		round(count(*) FILTER (action = 'REJECT') / count(*), 3)::DOUBLE AS rejected_share,
		count(*) AS flows,
		sum(packets)::BIGINT AS packets,
		sum(bytes)::BIGINT AS bytes,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM p
	GROUP BY src_ip, dst_ip
),
h AS (
	-- A scan is fast: the most distinct ports in one hour. The internet's
	-- slow background scanners (a port an hour) stay under it, and so does
	-- a peer whose answers reach many ports of the focus: answers are not
	-- counted here either.
	SELECT src_ip, dst_ip, max(n) AS peak_ports_per_hour
	FROM (
		SELECT src_ip, dst_ip, time_bucket(INTERVAL 1 HOUR, start) AS hour, count(DISTINCT dstport) AS n
		FROM p
		GROUP BY ALL
	)
	GROUP BY ALL
	HAVING max(n) >= $min_ports
)
SELECT g.*, h.peak_ports_per_hour,
	-- A scan that many ports answered found more than the web ports.
	CASE WHEN g.answered_ports > 5 THEN 'high' ELSE 'medium' END AS severity,
	a.org, a.asn, a.provider, a.cloud_service, a.cloud_region, a.scope
FROM g
JOIN h USING (src_ip, dst_ip)
LEFT JOIN address_info a ON a.addr = g.src_ip
ORDER BY g.distinct_ports DESC, g.src_ip, g.dst_ip
LIMIT $limit
