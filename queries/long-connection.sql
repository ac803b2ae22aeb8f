-- name: long-connection
-- version: 3
-- title: Long connections
-- description: One connection (the same addresses, ports and protocol) between the focus and an external peer in consecutive capture windows for longer than the given duration: a reverse shell, a tunnel, an implant's channel. Windows further apart than the gap start a new connection. One row per focus address, peer and port, with how many such connections and the longest. High on ports other than HTTP(S).
-- finding: Connection {local_ip} ↔ {peer_ip}:{dstport} open for {hours} h{more}
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
long AS (
	-- A connection lasts no longer than its 5-tuple is seen: only the
	-- 5-tuples seen for the minimum duration are cut into connections.
	-- Grouped by the 5-tuple's hash, which is much cheaper than by its five
	-- columns: two 5-tuples that share a hash only make a candidate more,
	-- which the connections' own duration then leaves out.
	SELECT hash(src_ip, srcport, dst_ip, dstport, protocol) AS h
	FROM r
	GROUP BY h
	HAVING max("end") - min(start) >= $min_duration
),
i AS (
	SELECT *,
		CASE WHEN start - lag("end") OVER w <= $max_gap THEN 0 ELSE 1 END AS opens
	FROM r
	SEMI JOIN long ON long.h = hash(r.src_ip, r.srcport, r.dst_ip, r.dstport, r.protocol)
	WINDOW w AS (PARTITION BY src_ip, srcport, dst_ip, dstport, protocol ORDER BY start)
),
k AS (
	SELECT *, sum(opens) OVER (PARTITION BY src_ip, srcport, dst_ip, dstport, protocol ORDER BY start ROWS UNBOUNDED PRECEDING) AS conn
	FROM i
),
g AS (
	SELECT local_ip, peer_ip, src_ip, srcport, dst_ip, dstport, protocol, conn,
		count(*) AS records,
		sum(bytes)::BIGINT AS bytes,
		sum(packets)::BIGINT AS packets,
		min(start) AS first_seen,
		max("end") AS last_seen
	FROM k
	GROUP BY ALL
	HAVING max("end") - min(start) >= $min_duration
),
l AS (
	-- The connections of one focus address to one peer's port (a tunnel
	-- that reconnects has several): one finding, the longest its client.
	SELECT local_ip, peer_ip, dstport,
		count(*) AS connections,
		arg_max(src_ip, last_seen - first_seen) AS src_ip,
		arg_max(srcport, last_seen - first_seen) AS srcport,
		arg_max(dst_ip, last_seen - first_seen) AS dst_ip,
		arg_max(protocol, last_seen - first_seen) AS protocol,
		max(epoch(last_seen) - epoch(first_seen)) AS longest,
		sum(records)::BIGINT AS records,
		sum(bytes)::BIGINT AS bytes,
		sum(packets)::BIGINT AS packets,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM g
	GROUP BY local_ip, peer_ip, dstport
)
SELECT l.local_ip, l.peer_ip, l.src_ip, l.srcport, l.dst_ip, l.dstport, l.protocol, l.connections, l.records, l.records AS flows, l.bytes, l.packets,
	round(l.longest / 3600, 1) AS hours,
	CASE WHEN l.connections > 1 THEN ' (the longest of ' || l.connections::VARCHAR || ')' ELSE '' END AS more,
	CASE WHEN l.dstport IN (80, 443) THEN 'medium' ELSE 'high' END AS severity,
	l.first_seen, l.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM l
LEFT JOIN address_info a ON a.addr = l.peer_ip
ORDER BY hours DESC, l.peer_ip, l.dstport
LIMIT $limit
