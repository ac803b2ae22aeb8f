-- Amazon Security Lake's OCSF Network Activity records (shape ocsf): the OCSF
-- version their metadata.version names ("1.1.0"; several, comma-separated,
-- when the file mixes them). NULL for files of other shapes.
ALTER TABLE ingest_files ADD COLUMN ocsf_version VARCHAR;
