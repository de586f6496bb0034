ALTER TABLE outbox DROP COLUMN payload;
