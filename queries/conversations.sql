-- name: conversations
-- version: 1
-- title: Conversations
-- description: Request and answer records paired into one row per client → server:port/protocol, with the bytes and packets each way, sessions (connections: distinct client ports; for protocols without ports, capture windows), flows (records), first and last seen, actions, both sides' scopes and what the case knows of the peer. Which side serves is read from the records: TCP flags (the SYN's sender is the client, the SYN-ACK's the server), then a rejected record (its sender knocked), then the ports (a well-known or service port over a registered one over an ephemeral one; then the port that meets more peer ports; then the lower), then who sent first. With addr, only the conversations of that address.
-- param: addr VARCHAR = null
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH r AS (
	-- The records in the window, with their real endpoints (case_flows reads
	-- pkt-srcaddr and pkt-dstaddr where present, so a NAT gateway's records
	-- name the host behind it). As in the other analyses, a session that two
	-- interfaces logged (both ends inside the VPC, or a host and its NAT
	-- gateway) counts once per interface. Protocols without ports (ICMP,
	-- GRE, ESP …) carry none: their conversations have no server port.
	SELECT src_ip, dst_ip, protocol, start, "end", packets, bytes, action, tcp_flags, direction,
		CASE WHEN protocol IN (6, 17, 132, 136) THEN srcport END AS sport,
		CASE WHEN protocol IN (6, 17, 132, 136) THEN dstport END AS dport
	FROM case_flows
	WHERE ($start IS NULL OR start >= $start) AND ($end IS NULL OR start <= $end)
		AND ($addr IS NULL OR src_ip = $addr OR dst_ip = $addr)
),
o AS (
	-- Each record's endpoints in a fixed order, a the lesser (address, port):
	-- ab says the record goes from a to b. A request and its answer land on
	-- the same a and b.
	SELECT *, src_ip < dst_ip OR (src_ip = dst_ip AND coalesce(sport, 0) <= coalesce(dport, 0)) AS ab
	FROM r
),
t AS (
	-- One row per session: the 5-tuple (a protocol without ports: the pair in
	-- one capture window), with what each side sent and the evidence of who
	-- opened it.
	SELECT
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
		CASE WHEN t.a_port IS NULL THEN NULL WHEN t.a_port < 1024 OR list_contains(known.ports, t.a_port) THEN 0 WHEN t.a_port < 32768 THEN 1 ELSE 2 END AS a_kind,
		CASE WHEN t.b_port IS NULL THEN NULL WHEN t.b_port < 1024 OR list_contains(known.ports, t.b_port) THEN 0 WHEN t.b_port < 32768 THEN 1 ELSE 2 END AS b_kind,
		-- Whether a is the focus's side (or, without a focus, the VPC's).
		CASE ab_direction WHEN 'outbound' THEN true WHEN 'inbound' THEN false END AS a_local
	FROM t, (SELECT list(port) AS ports FROM ref_ports) known
),
tied AS (
	-- The sessions whose ports are of one kind: which (address, port) meets
	-- more sessions decides them (a service meets many peer ports, a
	-- client's port few), counted among these sessions.
	SELECT * FROM k WHERE a_kind = b_kind
),
e AS (
	SELECT ip, port, protocol, count(*) AS sessions
	FROM (
		SELECT a_ip AS ip, a_port AS port, protocol FROM tied
		UNION ALL
		SELECT b_ip, b_port, protocol FROM tied
	)
	GROUP BY ALL
),
f AS (
	SELECT k.*, NULL::BIGINT AS a_fan, NULL::BIGINT AS b_fan FROM k WHERE a_kind IS NULL OR a_kind <> b_kind
	UNION ALL
	SELECT tied.*, ea.sessions, eb.sessions
	FROM tied
	JOIN e ea ON ea.ip = tied.a_ip AND ea.port = tied.a_port AND ea.protocol = tied.protocol
	JOIN e eb ON eb.ip = tied.b_ip AND eb.port = tied.b_port AND eb.protocol = tied.protocol
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
	SELECT
		CASE WHEN a_client THEN a_ip ELSE b_ip END AS client,
		CASE WHEN a_client THEN b_ip ELSE a_ip END AS server,
		CASE WHEN a_client THEN b_port ELSE a_port END AS server_port,
		protocol,
		CASE WHEN a_client THEN a_port ELSE b_port END AS client_port,
		-- The direction from the client to the server.
		CASE WHEN a_client OR ab_direction NOT IN ('inbound', 'outbound') THEN ab_direction WHEN ab_direction = 'inbound' THEN 'outbound' ELSE 'inbound' END AS direction,
		CASE WHEN a_client THEN ab_packets ELSE ba_packets END AS packets_to_server,
		CASE WHEN a_client THEN ab_bytes ELSE ba_bytes END AS bytes_to_server,
		CASE WHEN a_client THEN ba_packets ELSE ab_packets END AS packets_to_client,
		CASE WHEN a_client THEN ba_bytes ELSE ab_bytes END AS bytes_to_client,
		records, a_rejected + b_rejected AS rejected, least(ab_first, ba_first) AS first_seen, last_seen
	FROM c
),
g AS (
	SELECT client, server, server_port, protocol, direction,
		-- Sessions: the distinct client ports (each a connection), or for a
		-- protocol without ports the capture windows with traffic.
		count(*) AS sessions,
		sum(records)::BIGINT AS flows,
		sum(bytes_to_server + bytes_to_client)::BIGINT AS bytes,
		sum(bytes_to_server)::BIGINT AS bytes_to_server,
		sum(bytes_to_client)::BIGINT AS bytes_to_client,
		sum(packets_to_server)::BIGINT AS packets_to_server,
		sum(packets_to_client)::BIGINT AS packets_to_client,
		sum(records - rejected)::BIGINT AS accepted,
		sum(rejected)::BIGINT AS rejected,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM s
	GROUP BY client, server, server_port, protocol, direction
	ORDER BY bytes DESC, flows DESC, client, server, server_port, protocol, direction
	LIMIT $limit
)
SELECT g.client, g.server, g.server_port, coalesce(p.name, 'proto-' || g.protocol) AS protocol, sv.service,
	g.direction, g.sessions, g.flows, g.bytes, g.bytes_to_server, g.bytes_to_client, g.packets_to_server, g.packets_to_client,
	g.accepted, g.rejected,
	CASE WHEN g.rejected = 0 THEN 'ACCEPT' WHEN g.accepted = 0 THEN 'REJECT' ELSE 'ACCEPT+REJECT' END AS actions,
	g.first_seen, g.last_seen, cs.scope AS client_scope, ss.scope AS server_scope,
	-- The peer: the side outside the focus (the client of an inbound
	-- conversation, the server of an outbound one), and what the case knows
	-- of it.
	CASE WHEN g.direction = 'inbound' THEN g.client ELSE g.server END AS peer_ip,
	a.provider, a.cloud_service, a.org, a.asn, g.protocol AS protocol_number
FROM g
LEFT JOIN address_info a ON a.addr = CASE WHEN g.direction = 'inbound' THEN g.client ELSE g.server END
LEFT JOIN address_info cs ON cs.addr = g.client
LEFT JOIN address_info ss ON ss.addr = g.server
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
LEFT JOIN ref_ports sv ON sv.port = g.server_port AND g.protocol IN (6, 17)
ORDER BY g.bytes DESC, g.flows DESC, g.client, g.server, g.server_port, g.protocol, g.direction
LIMIT $limit
