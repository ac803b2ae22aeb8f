-- name: coverage-gaps
-- version: 1
-- title: Coverage gaps
-- description: Every silence longer than the gap given (15 minutes by default) between the records of one interface, as the coverage analysis counts them: when the interface went quiet, when it was heard again, and for how long. What the case did not see.
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
minutes AS (
	SELECT f.interface_id, time_bucket(INTERVAL 1 MINUTE, f.start) AS minute,
		min(f.start) AS first_start, max(f."end") AS last_end
	FROM flows f JOIN ifaces USING (interface_id)
	WHERE ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY ALL
),
r AS (
	SELECT *, max(last_end) OVER (PARTITION BY interface_id ORDER BY minute ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen_until
	FROM minutes
)
SELECT interface_id, seen_until AS silent_from, first_start AS heard_again, first_start - seen_until AS silence
FROM r
WHERE first_start - seen_until > $gap
ORDER BY silent_from, interface_id
LIMIT $limit
