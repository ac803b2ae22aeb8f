-- The conversations of the whole case, without the hour: what the
-- conversations analysis, the address pivot and the connection graph read
-- when no window cuts the case. Ingest keeps it with case_conversations
-- (store/derived.go), regrouping only the conversations of the hours it
-- recomputed; a new schema version rebuilds both.
CREATE TABLE case_conversation_totals (
	client            VARCHAR,
	server            VARCHAR,
	server_port       INTEGER,
	protocol          SMALLINT,
	direction         VARCHAR,
	sessions          BIGINT,
	flows             BIGINT,
	bytes_to_server   BIGINT,
	bytes_to_client   BIGINT,
	packets_to_server BIGINT,
	packets_to_client BIGINT,
	rejected          BIGINT,
	first_seen        TIMESTAMP,
	last_seen         TIMESTAMP
);
