-- name: coverage
-- version: 2
-- title: Coverage
-- description: Per interface, what the case saw and did not: first and last record, NODATA and SKIPDATA windows, and silences longer than the gap given (15 minutes by default, a minute at least) between records.
-- param: gap INTERVAL = '15m'
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH ifaces AS (
	-- With a focus, the interfaces that carried its traffic; without one, all.
	SELECT DISTINCT interface_id FROM case_flows WHERE interface_id IS NOT NULL
	UNION
	SELECT DISTINCT interface_id FROM case_interface_minutes WHERE NOT EXISTS (SELECT 1 FROM focus_ips)
),
minutes AS (
	-- Records reduced to one row per interface and minute (which ingest
	-- keeps): gaps are looked for between minutes, which keeps this fast on
	-- millions of records.
	SELECT m.interface_id, m.minute,
		min(m.first_start) AS first_start, max(m.last_end) AS last_end, sum(m.flows) AS flows,
		sum(m.packets) AS packets, sum(m.bytes) AS bytes, sum(m.nodata) AS nodata, sum(m.skipdata) AS skipdata
	FROM interface_minutes($start, $end) m JOIN ifaces USING (interface_id)
	GROUP BY ALL
),
r AS (
	SELECT *, max(last_end) OVER (PARTITION BY interface_id ORDER BY minute ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen_until
	FROM minutes
)
SELECT
	interface_id,
	sum(flows)::BIGINT AS flows,
	sum(packets)::BIGINT AS packets,
	sum(bytes)::BIGINT AS bytes,
	min(first_start) AS first_seen,
	max(last_end) AS last_seen,
	sum(nodata)::BIGINT AS nodata,
	sum(skipdata)::BIGINT AS skipdata,
	count(*) FILTER (first_start - seen_until > $gap) AS gaps,
	max(first_start - seen_until) FILTER (first_start - seen_until > $gap) AS longest_gap
FROM r
GROUP BY interface_id
ORDER BY skipdata DESC, gaps DESC, interface_id
LIMIT $limit
