-- name: beaconing
-- version: 1
-- title: Beaconing
-- description: The focus opening connections to an external peer at a regular interval with requests of a regular size, for hours: what malware calling its command-and-control server looks like. The score (0 to 1) weighs the regularity of the start times (twice), the regularity of the sizes and how long it lasted, after RITA. Connections are counted where they open (a TCP SYN, or a client port heard again after a silence), not per record, so one long connection is not a beacon; their start times are taken per capture window, as flow logs round them, and when consecutive windows each hold several, the interval is the windows' spacing divided by the connections in one. Peers in ranges of AWS's own services (S3, DynamoDB, the AMAZON ranges of CloudWatch and SSM; not EC2, where anyone can rent a server) are left out.
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
WITH r AS (
	-- The records of connections the focus opened to public peers (from an
	-- ephemeral port of its own).
	SELECT local_ip, peer_ip, dstport AS port, protocol, srcport, start, "end", bytes, tcp_flags,
		lag("end") OVER (PARTITION BY local_ip, peer_ip, dstport, protocol, srcport ORDER BY start) AS previous_end
	FROM case_flows
	WHERE direction = 'outbound' AND dst_scope = 'public' AND protocol IN (6, 17) AND srcport > dstport
		AND dstport NOT IN (53, 123) AND pkt_dst_aws_service IS NULL
		AND ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
),
k AS (
	-- A record opens a connection when it carries the SYN (where flow logs
	-- give TCP flags), or else when its client port was silent for a quarter
	-- of an hour; the later records of a long connection do not.
	SELECT *,
		sum(CASE
			WHEN previous_end IS NULL THEN 1
			WHEN protocol = 6 AND tcp_flags IS NOT NULL THEN (tcp_flags & 2 = 2)::INTEGER
			WHEN start - previous_end > INTERVAL 15 MINUTE THEN 1
			ELSE 0
		END) OVER (PARTITION BY local_ip, peer_ip, port, protocol, srcport ORDER BY start ROWS UNBOUNDED PRECEDING) AS conn
	FROM r
),
n AS (
	SELECT local_ip, peer_ip, port, protocol, min(start) AS start, sum(bytes) AS bytes, count(*) AS records
	FROM k
	GROUP BY local_ip, peer_ip, port, protocol, srcport, conn
),
c AS (
	-- One row per pair and capture window that connections opened in.
	SELECT local_ip, peer_ip, port, protocol, start,
		count(*) AS opened, sum(records) AS flows, sum(bytes) AS bytes, sum(bytes) / count(*) AS size
	FROM n
	GROUP BY ALL
),
i AS (
	SELECT *, epoch(start) - epoch(lag(start) OVER (PARTITION BY local_ip, peer_ip, port, protocol ORDER BY start)) AS gap
	FROM c
),
s AS (
	SELECT local_ip, peer_ip, port, protocol,
		sum(opened)::BIGINT AS connections,
		count(*) AS windows,
		sum(flows)::BIGINT AS flows,
		sum(bytes)::BIGINT AS bytes,
		median(gap) AS gap_median,
		mad(gap) AS gap_mad,
		quantile_disc(opened, 0.5) AS per_window,
		median(size) AS size_median,
		mad(size) AS size_mad,
		min(start) AS first_seen,
		max(start) AS last_seen
	FROM i
	GROUP BY ALL
	HAVING sum(opened) >= $min_connections AND count(*) >= 3
),
scored AS (
	SELECT s.*,
		-- Windows at most 600 s apart (the longest capture window) are
		-- consecutive: several connections in each are spread across it.
		CASE WHEN gap_median <= 600 THEN gap_median / per_window ELSE gap_median END AS interval,
		greatest(0, 1 - gap_mad / nullif(gap_median, 0)) AS interval_score,
		greatest(0, 1 - size_mad / nullif(size_median, 0)) AS size_score,
		least(1, (epoch(last_seen) - epoch(first_seen)) / 3600 / $full_hours) AS duration_score
	FROM s
)
SELECT x.local_ip, x.peer_ip, x.port, x.protocol, x.connections, x.windows, x.flows, x.bytes,
	round(x.interval)::BIGINT AS interval_s,
	round((epoch(x.last_seen) - epoch(x.first_seen)) / 3600, 1) AS hours,
	round(x.interval_score, 3) AS interval_score, round(x.size_score, 3) AS size_score, round(x.duration_score, 3) AS duration_score,
	round((2 * x.interval_score + x.size_score + x.duration_score) / 4, 2) AS score,
	CASE WHEN (2 * x.interval_score + x.size_score + x.duration_score) / 4 >= 0.9 THEN 'high' ELSE 'medium' END AS severity,
	x.first_seen, x.last_seen,
	a.org, a.asn, a.provider, a.cloud_service, a.scope
FROM scored x
LEFT JOIN address_info a ON a.addr = x.peer_ip
WHERE (2 * x.interval_score + x.size_score + x.duration_score) / 4 >= $min_score
	-- AWS's own services; cidr_ranges names the provider in lower case.
	AND NOT (lower(coalesce(a.provider, '')) = 'aws' AND coalesce(a.cloud_service, 'EC2') <> 'EC2')
ORDER BY score DESC, x.connections DESC, x.peer_ip
LIMIT $limit
