-- Delimited exports with a header (shape csv-header: Athena, Glue and Spark
-- CSV or TSV): the separator the header line showed, "," or a tab. NULL for
-- files of other shapes.
ALTER TABLE ingest_files ADD COLUMN delimiter VARCHAR;
