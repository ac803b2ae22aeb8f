-- CloudWatch Logs subscription payloads (shape cloudwatch-subscription): the
-- objects a subscription filter sends to Lambda, Kinesis or Firehose name the
-- log group and stream of their records, which the file's path does not.
-- NULL for files of other shapes.
ALTER TABLE ingest_files ADD COLUMN log_groups VARCHAR[];    -- the payloads' logGroup values, sorted, distinct
ALTER TABLE ingest_files ADD COLUMN log_streams VARCHAR[];   -- their logStream values (eni-...-all), sorted, distinct
ALTER TABLE ingest_files ADD COLUMN control_messages BIGINT; -- CONTROL_MESSAGE objects (health checks) skipped

-- For this shape, rejects.line is the event's 1-based position among the
-- file's log events (an object that could not be read: where reading stopped),
-- and the reason names the object and the event id.
