-- WHOIS answers in full, and offline ASN data.

ALTER TABLE whois ADD COLUMN handle VARCHAR;       -- the registry's id of the network (NET-74-125-0-0-1, ...)
ALTER TABLE whois ADD COLUMN org_handle VARCHAR;   -- the organisation's id (GOGL, ORG-...)
ALTER TABLE whois ADD COLUMN abuse VARCHAR;        -- abuse contact e-mail(s)
ALTER TABLE whois ADD COLUMN created DATE;
ALTER TABLE whois ADD COLUMN updated DATE;
ALTER TABLE whois ADD COLUMN referral VARCHAR;     -- the chain of servers asked: whois.iana.org -> whois.arin.net

-- ASN data imported from files (iptoasn TSV, MaxMind GeoLite2-ASN): every
-- address gets an ASN and AS name with no query at all.
CREATE TABLE asn_snapshots (
	id            INTEGER   PRIMARY KEY,
	source        VARCHAR   NOT NULL,  -- file name
	format        VARCHAR   NOT NULL,  -- iptoasn | mmdb
	sha256        VARCHAR   NOT NULL,
	snapshot_date TIMESTAMP,
	loaded_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
	ranges        BIGINT    NOT NULL
);

CREATE TABLE asn_ranges (
	snapshot_id INTEGER  NOT NULL,
	family      UTINYINT NOT NULL,
	start_num   UHUGEINT NOT NULL,
	end_num     UHUGEINT NOT NULL,
	asn         BIGINT   NOT NULL,
	as_name     VARCHAR,
	country     VARCHAR
);
