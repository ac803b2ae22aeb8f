-- The derived tables are kept up to date incrementally: an ingest extends
-- them with the records of the files it added, so the cost of a new file is
-- proportional to that file, not to the case. A derived table is rebuilt in
-- full only when something else it is built from changed (the focus, the VPC
-- blocks, the enrichment snapshots, its own definition) or records went away.

-- What each derived table was built from: built_from fingerprints all of it;
-- context is the part that is not the flow records; file_id and records say
-- up to which file, and how many records those files held, it is built.
DROP TABLE enrichment_state;
CREATE TABLE enrichment_state (
	part       VARCHAR   PRIMARY KEY,
	built_from VARCHAR   NOT NULL,
	built_at   TIMESTAMP NOT NULL,
	context    VARCHAR   NOT NULL,
	file_id    BIGINT    NOT NULL,
	records    BIGINT    NOT NULL
);

-- case_flows says which file each record came from, so that the records of
-- new files can be added to it alone.
CREATE OR REPLACE VIEW case_flows_view AS
WITH has_focus AS (SELECT count(*) > 0 AS yes FROM focus_ips),
f AS (
	SELECT start, "end", interface_id, srcport, dstport, protocol, action, log_status, packets, bytes,
		tcp_flags, flow_direction, pkt_src_aws_service, pkt_dst_aws_service,
		coalesce(pkt_srcaddr, srcaddr) AS src_ip, coalesce(pkt_dstaddr, dstaddr) AS dst_ip, file_id
	FROM flow_records
),
d AS (
	SELECT f.*,
		s.scope AS src_scope, t.scope AS dst_scope,
		CASE WHEN (SELECT yes FROM has_focus) THEN
			CASE
				WHEN t.scope = 'focus' AND s.scope IS DISTINCT FROM 'focus' THEN 'inbound'
				WHEN s.scope = 'focus' AND t.scope IS DISTINCT FROM 'focus' THEN 'outbound'
				WHEN s.scope = 'focus' AND t.scope = 'focus' THEN 'internal'
			END
		ELSE
			CASE
				WHEN t.local AND NOT coalesce(s.local, false) THEN 'inbound'
				WHEN s.local AND NOT coalesce(t.local, false) THEN 'outbound'
				WHEN s.local AND t.local THEN 'internal'
				ELSE 'transit'
			END
		END AS direction
	FROM f
	LEFT JOIN address_info s ON s.addr = f.src_ip
	LEFT JOIN address_info t ON t.addr = f.dst_ip
)
SELECT d.*,
	CASE direction WHEN 'inbound' THEN src_ip WHEN 'outbound' THEN dst_ip END AS peer_ip,
	CASE direction WHEN 'inbound' THEN dst_ip WHEN 'outbound' THEN src_ip END AS local_ip
FROM d
WHERE direction IS NOT NULL AND src_ip IS NOT NULL AND dst_ip IS NOT NULL;

DROP TABLE case_flows;
CREATE TABLE case_flows AS SELECT * FROM case_flows_view LIMIT 0;
