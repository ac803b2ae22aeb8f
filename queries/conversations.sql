-- name: conversations
-- version: 2
-- title: Conversations
-- description: Request and answer records paired within the hour into one row per client → server:port/protocol, with the bytes and packets each way, sessions (connections: distinct client ports; for protocols without ports, capture windows), flows (records), first and last seen, actions, both sides' scopes and what the case knows of the peer. Which side serves is read from the records: TCP flags (the SYN's sender is the client, the SYN-ACK's the server), then a rejected record (its sender knocked), then the ports (a well-known or service port over a registered one over an ephemeral one; then the port that meets more peer ports in the hour; then the lower), then who sent first. Ingest keeps them per hour (case_conversations) and for the whole case (case_conversation_totals): a window reads its whole hours from the first and pairs only the parts of hours it cuts from the records. With addr, only the conversations of that address.
-- param: addr VARCHAR = null
-- param: start TIMESTAMP = null
-- param: end TIMESTAMP = null
-- param: limit INTEGER = 1000
WITH h AS (
	-- A window (or a case whose conversations mostly last an hour, where
	-- ingest keeps no totals): whole hours from what ingest keeps, from the
	-- first hour that starts in it to the end of the last that ends in it;
	-- and its first and last parts of an hour (when it starts or ends
	-- inside one) paired from the records: conversation_hours is how both
	-- are made.
	SELECT * FROM case_conversations
	WHERE ($start IS NOT NULL OR $end IS NOT NULL OR NOT EXISTS (SELECT 1 FROM case_conversation_totals))
		AND ($start IS NULL OR hour >= date_trunc('hour', $start::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR)
		AND ($end IS NULL OR hour < date_trunc('hour', $end::TIMESTAMP + INTERVAL 1 MICROSECOND))
	UNION ALL
	SELECT * FROM conversation_hours($start::TIMESTAMP,
		least($end::TIMESTAMP, date_trunc('hour', $start::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR - INTERVAL 1 MICROSECOND))
	UNION ALL
	SELECT * FROM conversation_hours(
		greatest(date_trunc('hour', $end::TIMESTAMP + INTERVAL 1 MICROSECOND), date_trunc('hour', $start::TIMESTAMP - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR),
		$end::TIMESTAMP)
),
g AS (
	-- No window: the whole case's conversations, as ingest keeps them too.
	SELECT client, server, server_port, protocol, direction, sessions, flows,
		bytes_to_server + bytes_to_client AS bytes, bytes_to_server, bytes_to_client, packets_to_server, packets_to_client,
		flows - rejected AS accepted, rejected, first_seen, last_seen
	FROM case_conversation_totals
	WHERE $start IS NULL AND $end IS NULL AND ($addr IS NULL OR client = $addr OR server = $addr)
	UNION ALL
	SELECT client, server, server_port, protocol, direction,
		-- Sessions: the distinct client ports of each hour (each a
		-- connection), or for a protocol without ports the capture windows
		-- with traffic.
		sum(sessions)::BIGINT AS sessions,
		sum(flows)::BIGINT AS flows,
		sum(bytes_to_server + bytes_to_client)::BIGINT AS bytes,
		sum(bytes_to_server)::BIGINT AS bytes_to_server,
		sum(bytes_to_client)::BIGINT AS bytes_to_client,
		sum(packets_to_server)::BIGINT AS packets_to_server,
		sum(packets_to_client)::BIGINT AS packets_to_client,
		sum(flows - rejected)::BIGINT AS accepted,
		sum(rejected)::BIGINT AS rejected,
		min(first_seen) AS first_seen,
		max(last_seen) AS last_seen
	FROM h
	WHERE $addr IS NULL OR client = $addr OR server = $addr
	GROUP BY client, server, server_port, protocol, direction
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
	CASE WHEN g.direction = 'inbound' THEN cs.provider ELSE ss.provider END AS provider,
	CASE WHEN g.direction = 'inbound' THEN cs.cloud_service ELSE ss.cloud_service END AS cloud_service,
	CASE WHEN g.direction = 'inbound' THEN cs.org ELSE ss.org END AS org,
	CASE WHEN g.direction = 'inbound' THEN cs.asn ELSE ss.asn END AS asn,
	g.protocol AS protocol_number
FROM g
LEFT JOIN address_info cs ON cs.addr = g.client
LEFT JOIN address_info ss ON ss.addr = g.server
LEFT JOIN ref_protocols p ON p.protocol = g.protocol
LEFT JOIN ref_ports sv ON sv.port = CASE WHEN g.protocol IN (6, 17) THEN g.server_port END
ORDER BY g.bytes DESC, g.flows DESC, g.client, g.server, g.server_port, g.protocol, g.direction
LIMIT $limit
