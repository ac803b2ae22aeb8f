-- name: long-connection
-- version: 1
-- title: Long connections
-- description: One connection (the same addresses, ports and protocol) between the focus and an external peer in consecutive capture windows for longer than the given duration: a reverse shell, a tunnel, an implant's channel. Windows further apart than the gap start a new connection. High on ports other than HTTP(S).
-- finding: Connection {local_ip} ↔ {peer_ip}:{dstport} open for {hours} h
-- severity: column severity
-- mitre: T1571, T1572
-- subjects: local_ip, peer_ip, dstport
-- weight: records
-- param: min_duration INTERVAL = '4h'
-- param: max_gap INTERVAL = '15m'
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH r AS (
	-- The client's half of each conversation with a public peer.
	SELECT local_ip, peer_ip, src_ip, srcport, dst_ip, dstport, protocol, start, "end", bytes, packets
	FROM case_flows
	WHERE protocol IN (6, 17) AND srcport > dstport AND (src_scope = 'public' OR dst_scope = 'public')
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
),
i AS (
	SELECT *,
		CASE WHEN start - lag("end") OVER w <= $max_gap THEN 0 ELSE 1 END AS opens
	FROM r
	WINDOW w AS (PARTITION BY src_ip, srcport, dst_ip, dstport, protocol ORDER BY start)
),
k AS (
	SELECT *, sum(opens) OVER (PARTITION BY src_ip, srcport, dst_ip, dstport, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS conn
	FROM i
),
g AS (
	SELECT local_ip, peer_ip, src_ip, srcport, dst_ip, dstport, protocol, conn,
		count(*) AS records,
		count(*) AS flows,
		sum(bytes)::BIGINT AS bytes,
		sum(packets)::BIGINT AS packets,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM k
	GROUP BY ALL
	HAVING max("end") - min(start) >= $min_duration
)
SELECT g.local_ip, g.peer_ip, g.src_ip, g.srcport, g.dst_ip, g.dstport, g.protocol, g.records, g.flows, g.bytes, g.packets,
	round((epoch(g.last_seen) - epoch(g.first_seen)) / 3600, 1) AS hours,
	CASE WHEN g.dstport IN (80, 443) THEN 'medium' ELSE 'high' END AS severity,
	g.first_seen, g.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM g
LEFT JOIN address_info a ON a.addr = g.peer_ip
ORDER BY hours DESC, g.peer_ip, g.dstport
LIMIT $limit
