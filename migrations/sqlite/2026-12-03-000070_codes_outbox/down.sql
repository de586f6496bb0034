-- Back to three statuses: a cancelled message is recorded as failed (it was never sent).
CREATE TEMP TABLE kept_reminder_outbox AS
    SELECT id, outbox_id FROM reminder_log WHERE outbox_id IS NOT NULL;

CREATE TABLE outbox_rebuilt (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
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
    SELECT id, kind, recipient, subject, body_text, body_html,
        CASE status WHEN 'cancelled' THEN 'failed' ELSE status END, attempts,
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

ALTER TABLE access_codes DROP COLUMN note;
