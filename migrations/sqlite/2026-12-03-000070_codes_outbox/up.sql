-- The admin console's access codes and outbox: a note on each code (who it was for, which
-- campaign), and a `cancelled` outbox status for a queued message an admin withdraws.
ALTER TABLE access_codes ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- SQLite cannot change a CHECK constraint, so the outbox is rebuilt with the same ids, columns
-- and indexes. Dropping the old table would set `reminder_log.outbox_id` to NULL (ON DELETE SET
-- NULL fires for the implicit delete), so those links are kept aside and put back.
CREATE TEMP TABLE kept_reminder_outbox AS
    SELECT id, outbox_id FROM reminder_log WHERE outbox_id IS NOT NULL;

CREATE TABLE outbox_rebuilt (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    list_unsubscribe TEXT,
    auto_submitted BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO outbox_rebuilt (id, kind, recipient, subject, body_text, body_html, status, attempts,
        next_attempt_at, locked_until, last_error, dedupe_key, created_at, sent_at,
        list_unsubscribe, auto_submitted)
    SELECT id, kind, recipient, subject, body_text, body_html, status, attempts,
        next_attempt_at, locked_until, last_error, dedupe_key, created_at, sent_at,
        list_unsubscribe, auto_submitted
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

UPDATE reminder_log
    SET outbox_id = (SELECT k.outbox_id FROM kept_reminder_outbox k WHERE k.id = reminder_log.id)
    WHERE id IN (SELECT id FROM kept_reminder_outbox);
DROP TABLE kept_reminder_outbox;
