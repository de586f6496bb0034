-- Reminders: what each learner chose about the mail Mend sends them, a per-course switch for
-- inactivity nudges, the headers a reminder carries, and a reminder log whose unique key is
-- what makes every reminder go out once however many scans or instances decide it.

-- One row per learner who changed anything; no row means the defaults below. Discreet mode is
-- on by default. The send window is in minutes after local midnight, in users.time_zone.
CREATE TABLE notification_preferences (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    new_lessons BOOLEAN NOT NULL DEFAULT TRUE,
    partner_updates BOOLEAN NOT NULL DEFAULT TRUE,
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    discreet BOOLEAN NOT NULL DEFAULT TRUE,
    window_start_minute INTEGER NOT NULL DEFAULT 540
        CHECK (window_start_minute BETWEEN 0 AND 1439),
    window_end_minute INTEGER NOT NULL DEFAULT 1200
        CHECK (window_end_minute BETWEEN 1 AND 1440),
    updated_at TIMESTAMP NOT NULL,
    CHECK (window_start_minute < window_end_minute)
);

-- Inactivity nudges on or off for one course (the Notifications page and the unsubscribe link).
ALTER TABLE enrollments ADD COLUMN reminders_enabled BOOLEAN NOT NULL DEFAULT TRUE;
-- The keyset scan walks active enrolments by id.
CREATE INDEX enrollments_status_id ON enrollments (status, id);

-- Non-essential mail names its one-click unsubscribe URL (RFC 8058); reminders are
-- auto-generated (RFC 3834).
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
ALTER TABLE outbox ADD COLUMN auto_submitted BOOLEAN NOT NULL DEFAULT FALSE;

-- Every reminder decided: `dedupe_key` ('nudge:…', 'unlock:…', 'digest:…') is unique, and the
-- scan writes the log row and its outbox row in one transaction. `enrollment_id` and `tier` are
-- set for nudges; `course_slug` is '' for mail about no single course.
ALTER TABLE reminder_log ADD COLUMN enrollment_id BIGINT;
ALTER TABLE reminder_log ADD COLUMN tier INTEGER;
ALTER TABLE reminder_log ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX reminder_log_dedupe_key ON reminder_log (dedupe_key);
CREATE INDEX reminder_log_user_kind ON reminder_log (user_id, kind, sent_at);
