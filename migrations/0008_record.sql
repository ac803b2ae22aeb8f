-- The investigation record: what the analyst concluded (findings, with the
-- evidence behind each), notes, tags and stars, and the case log of every
-- change to them. Nothing here is updated without a case_log row saying
-- what changed, when, by whom, and the value before.

-- Findings: F-1, F-2, … in the order they were made; num is never reused.
CREATE SEQUENCE finding_num_seq START 1;
CREATE TABLE findings (
	id                VARCHAR   PRIMARY KEY,  -- F-<num>
	num               INTEGER   NOT NULL UNIQUE,
	title             VARCHAR   NOT NULL,
	severity          VARCHAR   NOT NULL,     -- info | low | medium | high | critical
	status            VARCHAR   NOT NULL,     -- open | confirmed | dismissed
	reason            VARCHAR,                -- why it was dismissed (or confirmed)
	source            VARCHAR   NOT NULL,     -- analyst | detection
	detection         VARCHAR,                -- the detection's name, version and subject key,
	detection_version INTEGER,                -- for source = detection
	detection_key     VARCHAR,
	mitre             VARCHAR[] NOT NULL,     -- ATT&CK technique ids: T1110, T1071.001
	addresses         VARCHAR[] NOT NULL,     -- subjects
	ports             INTEGER[] NOT NULL,
	interfaces        VARCHAR[] NOT NULL,
	instances         VARCHAR[] NOT NULL,
	first_seen        TIMESTAMP,              -- the window the finding is about (UTC)
	last_seen         TIMESTAMP,
	created_at        TIMESTAMP NOT NULL,
	created_by        VARCHAR   NOT NULL,
	updated_at        TIMESTAMP NOT NULL,
	updated_by        VARCHAR   NOT NULL
);

-- The evidence of a finding: a stored analysis run and the rows of its
-- result that matter (1-based row numbers; empty: the whole result), or a
-- saved flows filter that reproduces the records.
CREATE TABLE finding_evidence (
	finding_id VARCHAR   NOT NULL,
	seq        INTEGER   NOT NULL,           -- order within the finding, from 1
	run_id     VARCHAR,
	analysis   VARCHAR,
	version    INTEGER,
	sha256     VARCHAR,                      -- of the analysis SQL that ran
	row_nums   INTEGER[],
	filter     JSON,                         -- {addresses, ports, protocol, action, start, end}
	added_at   TIMESTAMP NOT NULL,
	added_by   VARCHAR   NOT NULL,
	PRIMARY KEY (finding_id, seq)
);

-- Notes (Markdown) on the case (target ''), a finding (its id), an address,
-- an analysis run (its run id), a result row (RUN_ID#N) or a flows filter
-- (its JSON). An edited note keeps its earlier text in the case log; a
-- removed one is marked, not deleted.
CREATE SEQUENCE note_id_seq START 1;
CREATE TABLE notes (
	id          INTEGER   PRIMARY KEY DEFAULT nextval('note_id_seq'),
	target_kind VARCHAR   NOT NULL,          -- case | finding | address | run | row | flows
	target      VARCHAR   NOT NULL,
	text        VARCHAR   NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	created_by  VARCHAR   NOT NULL,
	updated_at  TIMESTAMP NOT NULL,
	updated_by  VARCHAR   NOT NULL,
	removed_at  TIMESTAMP,
	removed_by  VARCHAR
);

-- Tags (free labels: attacker, benign, c2) on an address or a finding.
CREATE TABLE tags (
	target_kind VARCHAR   NOT NULL,          -- address | finding
	target      VARCHAR   NOT NULL,
	tag         VARCHAR   NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	created_by  VARCHAR   NOT NULL,
	PRIMARY KEY (target_kind, target, tag)
);

-- Stars on an address, a result row (RUN_ID#N) or a flows filter (its JSON).
CREATE TABLE stars (
	target_kind VARCHAR   NOT NULL,          -- address | row | flows
	target      VARCHAR   NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	created_by  VARCHAR   NOT NULL,
	PRIMARY KEY (target_kind, target)
);

-- The case log: one row per change to the record, appended and never
-- changed. old and new are the values before and after (JSON for whole
-- entities, text for one field); entity_id names what changed (F-3, N-7,
-- address:10.0.0.5#attacker).
CREATE SEQUENCE case_log_seq START 1;
CREATE TABLE case_log (
	seq       BIGINT    PRIMARY KEY DEFAULT nextval('case_log_seq'),
	logged_at TIMESTAMP NOT NULL,
	analyst   VARCHAR   NOT NULL,
	action    VARCHAR   NOT NULL,            -- finding.add, finding.set, evidence.add, note.add, note.edit, note.rm, tag.add, tag.rm, star.add, star.rm
	entity_id VARCHAR   NOT NULL,
	field     VARCHAR,                       -- for finding.set: title, severity, status, …
	old       VARCHAR,
	new       VARCHAR
);
