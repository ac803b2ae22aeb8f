-- Findings from detections: how much evidence the finding rests on (the
-- detection's weight column, e.g. its flows), so that triage reopens a
-- dismissed finding only when its evidence grows.
ALTER TABLE findings ADD COLUMN detection_weight BIGINT;
