-- Conversations kept by ingest: the conversations analysis pairs request
-- and answer records into client → server:port/protocol rows, and the
-- connection graph draws them. Paired within the hour, they are kept per
-- hour in case_conversations, a derived table like case_flows: an ingest
-- recomputes the hours its files touched, so the cost of a new file is
-- proportional to its hours, and the analysis reads whole hours from the
-- table and only the parts of hours its window cuts from the records.

-- conversation_hours(lo, hi): the conversations of the records of
-- case_flows that start in [lo, hi] (NULL bounds: none), one row per hour
-- (of the records' start), client, server, server port, protocol and
-- direction. Which side serves is read from the records, by the first rule
-- that decides: TCP flags (the SYN's sender is the client, the SYN-ACK's
-- the server), then a rejected record (its sender knocked), then the
-- ports (a well-known or service port over a registered one over an
-- ephemeral one; then the port that meets more peer ports in the hour;
-- then the lower), then who sent first.
CREATE MACRO conversation_hours(lo, hi) AS TABLE
WITH r AS (
	-- The records, with their real endpoints (case_flows reads pkt-srcaddr
	-- and pkt-dstaddr where present, so a NAT gateway's records name the
	-- host behind it). As in the other analyses, a session that two
	-- interfaces logged (both ends inside the VPC, or a host and its NAT
	-- gateway) counts once per interface. Protocols without ports (ICMP,
	-- GRE, ESP …) carry none: their conversations have no server port.
	SELECT src_ip, dst_ip, protocol, start, "end", packets, bytes, action, tcp_flags, direction,
		date_trunc('hour', start) AS hour,
		CASE WHEN protocol IN (6, 17, 132, 136) THEN srcport END AS sport,
		CASE WHEN protocol IN (6, 17, 132, 136) THEN dstport END AS dport
	FROM case_flows
	WHERE start >= lo AND start <= hi
),
o AS (
	-- Each record's endpoints in a fixed order, a the lesser (address, port):
	-- ab says the record goes from a to b. A request and its answer land on
	-- the same a and b.
	SELECT *, src_ip < dst_ip OR (src_ip = dst_ip AND coalesce(sport, 0) <= coalesce(dport, 0)) AS ab
	FROM r
),
t AS (
	-- One row per session: the 5-tuple in the hour (a protocol without
	-- ports: the pair in one capture window), with what each side sent and
	-- the evidence of who opened it.
	SELECT
		hour,
		CASE WHEN ab THEN src_ip ELSE dst_ip END AS a_ip,
		CASE WHEN ab THEN sport ELSE dport END AS a_port,
		CASE WHEN ab THEN dst_ip ELSE src_ip END AS b_ip,
		CASE WHEN ab THEN dport ELSE sport END AS b_port,
		protocol,
		CASE WHEN sport IS NULL THEN start END AS capture,
		count(*) AS records,
		coalesce(sum(packets) FILTER (ab), 0) AS ab_packets,
		coalesce(sum(bytes) FILTER (ab), 0) AS ab_bytes,
		coalesce(sum(packets) FILTER (NOT ab), 0) AS ba_packets,
		coalesce(sum(bytes) FILTER (NOT ab), 0) AS ba_bytes,
		min(start) FILTER (ab) AS ab_first,
		min(start) FILTER (NOT ab) AS ba_first,
		max("end") AS last_seen,
		-- The direction from a to b, relative to the focus (a b-to-a
		-- record's turned round).
		any_value(CASE WHEN ab OR direction NOT IN ('inbound', 'outbound') THEN direction WHEN direction = 'inbound' THEN 'outbound' ELSE 'inbound' END) AS ab_direction,
		-- TCP flags, OR-ed over a capture window: a SYN without the ACK bit
		-- comes from the client, a SYN-ACK (18) from the server. Above 0, a
		-- opened it; below, b.
		sum(CASE tcp_flags & 18 WHEN 2 THEN 1 WHEN 18 THEN -1 ELSE 0 END * CASE WHEN ab THEN 1 ELSE -1 END) AS a_opens,
		-- A rejected record is a request that was refused: its sender knocked.
		count(*) FILTER (ab AND action = 'REJECT') AS a_rejected,
		count(*) FILTER (NOT ab AND action = 'REJECT') AS b_rejected
	FROM o
	GROUP BY ALL
),
k AS (
	-- The ports' kinds: 0 a well-known port (below 1024) or a service the
	-- case knows (ref_ports), 1 a registered port, 2 an ephemeral one
	-- (32768 and up).
	SELECT t.*,
		CASE WHEN t.a_port IS NULL THEN NULL WHEN t.a_port < 1024 OR ka.port IS NOT NULL THEN 0 WHEN t.a_port < 32768 THEN 1 ELSE 2 END AS a_kind,
		CASE WHEN t.b_port IS NULL THEN NULL WHEN t.b_port < 1024 OR kb.port IS NOT NULL THEN 0 WHEN t.b_port < 32768 THEN 1 ELSE 2 END AS b_kind,
		-- Whether a is the focus's side (or, without a focus, the VPC's).
		CASE ab_direction WHEN 'outbound' THEN true WHEN 'inbound' THEN false END AS a_local
	FROM t
	LEFT JOIN (SELECT DISTINCT port FROM ref_ports) ka ON ka.port = t.a_port
	LEFT JOIN (SELECT DISTINCT port FROM ref_ports) kb ON kb.port = t.b_port
),
tied AS (
	-- The sessions whose ports are of one kind: which (address, port) meets
	-- more sessions decides them (a service meets many peer ports, a
	-- client's port few), counted among the hour's.
	SELECT * FROM k WHERE a_kind = b_kind
),
e AS (
	SELECT hour, ip, port, protocol, count(*) AS sessions
	FROM (
		SELECT hour, a_ip AS ip, a_port AS port, protocol FROM tied
		UNION ALL
		SELECT hour, b_ip, b_port, protocol FROM tied
	)
	GROUP BY ALL
),
f AS (
	SELECT k.*, NULL::BIGINT AS a_fan, NULL::BIGINT AS b_fan FROM k WHERE a_kind IS NULL OR a_kind <> b_kind
	UNION ALL
	SELECT tied.*, ea.sessions, eb.sessions
	FROM tied
	JOIN e ea ON ea.hour = tied.hour AND ea.ip = tied.a_ip AND ea.port = tied.a_port AND ea.protocol = tied.protocol
	JOIN e eb ON eb.hour = tied.hour AND eb.ip = tied.b_ip AND eb.port = tied.b_port AND eb.protocol = tied.protocol
),
c AS (
	-- Whether a is the client, by the first rule that decides. When nothing
	-- does (the same port on both sides, or no ports, both sides sending
	-- first in the same second): with ports the focus's side is the client
	-- (its host polls NTP, asks DNS), without ports the peer (pings come
	-- in); between two addresses of the focus, the lesser address.
	SELECT f.*,
		CASE
			WHEN a_opens <> 0 THEN a_opens > 0
			WHEN (a_rejected > 0) <> (b_rejected > 0) THEN a_rejected > 0
			WHEN a_kind <> b_kind THEN a_kind > b_kind
			WHEN a_fan <> b_fan THEN a_fan < b_fan
			WHEN a_port <> b_port THEN a_port > b_port
			WHEN ab_first IS NULL OR ba_first IS NULL OR ab_first <> ba_first THEN coalesce(ab_first < ba_first, ab_first IS NOT NULL)
			WHEN a_local IS NOT NULL THEN a_local = (a_port IS NOT NULL)
			ELSE true
		END AS a_client
	FROM f
),
s AS (
	SELECT hour,
		CASE WHEN a_client THEN a_ip ELSE b_ip END AS client,
		CASE WHEN a_client THEN b_ip ELSE a_ip END AS server,
		CASE WHEN a_client THEN b_port ELSE a_port END AS server_port,
		protocol,
		-- The direction from the client to the server.
		CASE WHEN a_client OR ab_direction NOT IN ('inbound', 'outbound') THEN ab_direction WHEN ab_direction = 'inbound' THEN 'outbound' ELSE 'inbound' END AS direction,
		CASE WHEN a_client THEN ab_packets ELSE ba_packets END AS packets_to_server,
		CASE WHEN a_client THEN ab_bytes ELSE ba_bytes END AS bytes_to_server,
		CASE WHEN a_client THEN ba_packets ELSE ab_packets END AS packets_to_client,
		CASE WHEN a_client THEN ba_bytes ELSE ab_bytes END AS bytes_to_client,
		records, a_rejected + b_rejected AS rejected, least(ab_first, ba_first) AS first_seen, last_seen
	FROM c
)
SELECT hour, client, server, server_port, protocol, direction,
	-- Sessions: the distinct client ports in the hour (each a connection),
	-- or for a protocol without ports the capture windows with traffic.
	count(*) AS sessions,
	sum(records)::BIGINT AS flows,
	sum(bytes_to_server)::BIGINT AS bytes_to_server,
	sum(bytes_to_client)::BIGINT AS bytes_to_client,
	sum(packets_to_server)::BIGINT AS packets_to_server,
	sum(packets_to_client)::BIGINT AS packets_to_client,
	sum(rejected)::BIGINT AS rejected,
	min(first_seen) AS first_seen,
	max(last_seen) AS last_seen
FROM s
GROUP BY hour, client, server, server_port, protocol, direction;

CREATE TABLE case_conversations AS SELECT * FROM conversation_hours(NULL, NULL) LIMIT 0;
