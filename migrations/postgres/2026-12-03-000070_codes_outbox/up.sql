-- The admin console's access codes and outbox: a note on each code (who it was for, which
-- campaign), and a `cancelled` outbox status for a queued message an admin withdraws.
ALTER TABLE access_codes ADD COLUMN note TEXT NOT NULL DEFAULT '';

ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'cancelled'));
