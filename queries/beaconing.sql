-- name: beaconing
-- version: 1
-- title: Beaconing
-- description: The focus contacting an external peer at a regular interval with requests of a regular size, for hours: what malware calling its command-and-control server looks like. The score (0 to 1) weighs the regularity of the start times (twice), the regularity of the sizes and how long it lasted, after RITA; start times are taken per capture window, as flow logs round them, and peers in ranges of AWS services (not plain EC2) are left out.
-- finding: Beaconing from {local_ip} to {peer_ip}:{port} every {interval_s} s for {hours} h (score {score})
-- severity: column severity
-- mitre: T1071, T1573
-- subjects: local_ip, peer_ip, port
-- weight: connections
-- param: min_connections INTEGER = 24
-- param: min_score DOUBLE = 0.8
-- param: full_hours DOUBLE = 12
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH c AS (
	-- Connections the focus opened to public peers (from an ephemeral port),
	-- one row per pair and capture window.
	SELECT local_ip, peer_ip, dstport AS port, protocol, start, count(*) AS flows, sum(bytes) AS bytes, min(srcport) AS sport
	FROM case_flows
	WHERE direction = 'outbound' AND dst_scope = 'public' AND protocol IN (6, 17) AND srcport > dstport
		AND dstport NOT IN (53, 123) AND pkt_dst_aws_service IS NULL
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
	GROUP BY ALL
),
i AS (
	SELECT *, epoch(start) - epoch(lag(start) OVER (PARTITION BY local_ip, peer_ip, port, protocol ORDER BY start)) AS gap
	FROM c
),
s AS (
	SELECT local_ip, peer_ip, port, protocol,
		count(*) AS connections,
		sum(flows)::BIGINT AS flows,
		sum(bytes)::BIGINT AS bytes,
		median(gap) AS interval_median,
		mad(gap) AS interval_mad,
		median(bytes) AS size_median,
		mad(bytes) AS size_mad,
		min(start) AS first_seen,
		max(start) AS last_seen
	FROM i
	GROUP BY ALL
	-- Each check-in is a new connection (a new source port): one long
	-- connection seen in every capture window is not a beacon.
	HAVING count(*) >= $min_connections AND count(DISTINCT sport) >= $min_connections
),
scored AS (
	SELECT s.*,
		greatest(0, 1 - interval_mad / nullif(interval_median, 0)) AS interval_score,
		greatest(0, 1 - size_mad / nullif(size_median, 0)) AS size_score,
		least(1, (epoch(last_seen) - epoch(first_seen)) / 3600 / $full_hours) AS duration_score
	FROM s
)
SELECT x.local_ip, x.peer_ip, x.port, x.protocol, x.connections, x.flows, x.bytes,
	round(x.interval_median)::BIGINT AS interval_s,
	round((epoch(x.last_seen) - epoch(x.first_seen)) / 3600, 1) AS hours,
	round(x.interval_score, 3) AS interval_score, round(x.size_score, 3) AS size_score, round(x.duration_score, 3) AS duration_score,
	round((2 * x.interval_score + x.size_score + x.duration_score) / 4, 2) AS score,
	CASE WHEN (2 * x.interval_score + x.size_score + x.duration_score) / 4 >= 0.9 THEN 'high' ELSE 'medium' END AS severity,
	x.first_seen, x.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM scored x
LEFT JOIN address_info a ON a.addr = x.peer_ip
WHERE (2 * x.interval_score + x.size_score + x.duration_score) / 4 >= $min_score
	AND NOT (coalesce(a.provider, '') = 'AWS' AND coalesce(a.cloud_service, 'EC2') NOT IN ('AMAZON', 'EC2'))
ORDER BY score DESC, x.connections DESC, x.peer_ip
LIMIT $limit
