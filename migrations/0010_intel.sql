-- Threat-intel lists loaded into the case (investigator intel load): one
-- snapshot per list at a time, so the case answers "which of its peers are on
-- a list?" the same way offline forever after. Loading a list again replaces
-- that list's snapshot.
CREATE SEQUENCE intel_snapshot_id_seq START 1;
CREATE TABLE intel_snapshots (
	id            INTEGER   PRIMARY KEY DEFAULT nextval('intel_snapshot_id_seq'),
	name          VARCHAR   NOT NULL,  -- the list: tor-exits, spamhaus-drop, a name given at import
	format        VARCHAR   NOT NULL,  -- list | tor | spamhaus | spamhaus-json | misp-csv | misp-json | stix | csv
	source        VARCHAR   NOT NULL,  -- file name or URL it came from
	sha256        VARCHAR   NOT NULL,  -- of the source file
	snapshot_date TIMESTAMP,           -- the date the file carries (Last-Modified, STIX created, MISP event date ...), else when imported
	loaded_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
	entries       INTEGER   NOT NULL
);

-- One row per entry of a list: the prefix it covers (a single address is a
-- /32 or /128), with start_num/end_num as 128-bit numbers, IPv4 mapped into
-- IPv6 (::ffff:a.b.c.d) like addresses.num, so an address's lists are
--   SELECT list FROM intel_entries WHERE num BETWEEN start_num AND end_num
CREATE TABLE intel_entries (
	snapshot_id INTEGER  NOT NULL,
	list        VARCHAR  NOT NULL,
	prefix      VARCHAR  NOT NULL,  -- canonical CIDR
	family      UTINYINT NOT NULL,
	bits        UTINYINT NOT NULL,  -- prefix length within its family
	start_num   UHUGEINT NOT NULL,
	end_num     UHUGEINT NOT NULL,
	entry       VARCHAR  NOT NULL,  -- the value as the list gives it (1.10.16.0/20, 198.51.100.7|443, ...)
	comment     VARCHAR,            -- what the list says about it (SBL id, exit node, MISP category and comment, STIX indicator name)
	line        INTEGER             -- where in the source file it is
);

-- Every address's lists: the names of the loaded lists holding it, sorted
-- (empty when none does).
ALTER TABLE address_info ADD COLUMN intel VARCHAR[];
