-- A reminder is queued as the few facts it needs (JSON) and rendered when it is sent, so a
-- scan that queues tens of thousands of reminders writes a small row each, not a rendered
-- mail. Rows with a payload keep empty subject and body columns until then.
ALTER TABLE outbox ADD COLUMN payload TEXT;
