-- name: coverage-gaps
-- version: 2
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
	SELECT DISTINCT interface_id FROM case_interface_minutes WHERE NOT EXISTS (SELECT 1 FROM focus_ips)
),
minutes AS (
	SELECT m.interface_id, m.minute, min(m.first_start) AS first_start, max(m.last_end) AS last_end
	FROM interface_minutes($start, $end) m JOIN ifaces USING (interface_id)
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
