-- name: intel-match
-- version: 1
-- title: Threat-intel matches
-- description: Peers on a loaded threat-intel list (investigator intel load), one row per peer and list, with the most specific entry holding it: high when a flow with it was accepted, else medium.
-- finding: {peer_ip} is on threat-intel list {list} ({entry}): {flows} flows, {accepted} accepted
-- severity: column severity
-- mitre: T1071
-- subjects: peer_ip, list
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH g AS (
	SELECT
		f.peer_ip,
		count(*) AS flows,
		count(*) FILTER (WHERE f.action = 'ACCEPT') AS accepted,
		sum(f.packets)::BIGINT AS packets,
		sum(f.bytes)::BIGINT AS bytes,
		min(f.start) AS first_seen,
		max(f."end") AS last_seen,
		string_agg(DISTINCT f.direction, ', ' ORDER BY f.direction) AS directions
	FROM case_flows f
	JOIN address_info a ON a.addr = f.peer_ip AND len(a.intel) > 0
	WHERE ($start IS NULL OR f.start >= $start) AND ($end IS NULL OR f.start <= $end)
	GROUP BY f.peer_ip
),
p AS (
	SELECT g.*, a.family, a.num, a.org, a.asn, a.scope
	FROM g JOIN address_info a ON a.addr = g.peer_ip
),
-- The entries holding each peer: its network at every prefix length the
-- lists use, looked up directly (as address_info finds its lists).
lengths AS (SELECT DISTINCT family, bits, CASE family WHEN 4 THEN 32 - bits ELSE 128 - bits END AS host_bits FROM intel_entries),
nets AS (
	SELECT p.peer_ip, p.family, l.bits,
		CASE WHEN l.host_bits >= 128 THEN 0::UHUGEINT ELSE (p.num >> l.host_bits::UTINYINT) << l.host_bits::UTINYINT END AS net
	FROM p JOIN lengths l ON l.family = p.family
),
m AS (
	SELECT n.peer_ip, e.list,
		first({'entry': e.entry, 'prefix': e.prefix, 'comment': e.comment} ORDER BY e.bits DESC, e.entry, e.comment) AS best,
		count(*) AS entries
	FROM nets n
	JOIN intel_entries e ON e.family = n.family AND e.bits = n.bits AND e.start_num = n.net
	GROUP BY n.peer_ip, e.list
)
SELECT m.list, p.peer_ip, m.best.entry AS entry, m.best.prefix AS prefix, m.best.comment AS comment,
	CASE WHEN p.accepted > 0 THEN 'high' ELSE 'medium' END AS severity,
	p.directions, p.flows, p.accepted, p.packets, p.bytes, p.first_seen, p.last_seen,
	m.entries, s.snapshot_date AS list_date, p.org, p.asn, p.scope
FROM m
JOIN p ON p.peer_ip = m.peer_ip
LEFT JOIN intel_snapshots s ON s.name = m.list
ORDER BY p.accepted > 0 DESC, p.flows DESC, p.peer_ip, m.list
LIMIT $limit
