-- Back to three statuses: a cancelled message is recorded as failed (it was never sent).
UPDATE outbox SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sent', 'failed'));

ALTER TABLE access_codes DROP COLUMN note;
