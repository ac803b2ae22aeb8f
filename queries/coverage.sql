-- name: coverage
-- version: 1
-- title: Coverage
-- description: Per interface, what the case saw and did not: first and last record, NODATA and SKIPDATA windows, and gaps longer than $gap between records.
-- param: gap INTERVAL = '15m'
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH ifaces AS (
	-- With a focus, the interfaces that carried its traffic; without one, all.
	SELECT DISTINCT interface_id FROM case_flows WHERE interface_id IS NOT NULL
	UNION
	SELECT DISTINCT interface_id FROM flows WHERE interface_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM focus_ips)
),
r AS (
	SELECT f.interface_id, f.start, f."end", f.log_status, f.packets, f.bytes,
		max(f."end") OVER (PARTITION BY f.interface_id ORDER BY f.start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen_until
	FROM flows f JOIN ifaces USING (interface_id)
	WHERE ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
)
SELECT
	interface_id,
	count(*) AS flows,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(start) AS first_seen,
	max("end") AS last_seen,
	count(*) FILTER (log_status = 'NODATA') AS nodata,
	count(*) FILTER (log_status = 'SKIPDATA') AS skipdata,
	count(*) FILTER (start - seen_until > $gap) AS gaps,
	max(start - seen_until) FILTER (start - seen_until > $gap) AS longest_gap
FROM r
GROUP BY interface_id
ORDER BY skipdata DESC, gaps DESC, interface_id
LIMIT $limit
