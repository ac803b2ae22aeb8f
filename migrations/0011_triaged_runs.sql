-- The detection runs whose rows triage has recorded as findings: a stored
-- run triaged once is not gone through again.
CREATE TABLE triaged_runs (
	run_id     VARCHAR   PRIMARY KEY,
	triaged_at TIMESTAMP NOT NULL,
	analyst    VARCHAR   NOT NULL
);
