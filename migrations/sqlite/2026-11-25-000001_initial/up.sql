-- The first cut of every table Mend keeps. Times are UTC (TIMESTAMP without zone, by convention).
-- Course content lives in content/, not here: rows refer to courses and lessons by their slugs,
-- which are the stable ids authors keep when they reorder or rename folders.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'learner' CHECK (role IN ('learner', 'author', 'admin')),
    email_verified_at TIMESTAMP,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    locale TEXT NOT NULL DEFAULT 'en',
    failed_logins INTEGER NOT NULL DEFAULT 0,
    last_failed_login_at TIMESTAMP,
    deactivated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent TEXT NOT NULL DEFAULT '',
    remember BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE email_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash TEXT NOT NULL UNIQUE,
    new_email TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id, purpose);

CREATE TABLE access_codes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    course_slug TEXT NOT NULL,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE enrollments (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_slug TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'completed', 'expired', 'revoked')),
    access_code_id BIGINT REFERENCES access_codes (id) ON DELETE SET NULL,
    enrolled_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    paused_at TIMESTAMP,
    paused_seconds BIGINT NOT NULL DEFAULT 0,
    completed_at TIMESTAMP,
    last_activity_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, course_slug)
);

CREATE TABLE lesson_progress (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_slug TEXT NOT NULL,
    lesson_slug TEXT NOT NULL,
    first_viewed_at TIMESTAMP,
    unlocked_at TIMESTAMP,
    completed_at TIMESTAMP,
    content_hash TEXT,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, course_slug, lesson_slug)
);

CREATE TABLE partnerships (
    id INTEGER PRIMARY KEY,
    inviter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invitee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    invite_email TEXT,
    invite_token_hash TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'ended')),
    created_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    ended_at TIMESTAMP
);

CREATE TABLE worksheets (
    id INTEGER PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    partnership_id BIGINT REFERENCES partnerships (id) ON DELETE SET NULL,
    course_slug TEXT NOT NULL,
    worksheet_slug TEXT NOT NULL,
    template_hash TEXT NOT NULL,
    shared BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, course_slug, worksheet_slug)
);

-- Answers are stored only encrypted (AEAD): nonce + ciphertext, and the id of the key used.
CREATE TABLE worksheet_revisions (
    id INTEGER PRIMARY KEY,
    worksheet_id BIGINT NOT NULL REFERENCES worksheets (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX worksheet_revisions_worksheet_id ON worksheet_revisions (worksheet_id);

CREATE TABLE signatures (
    id INTEGER PRIMARY KEY,
    worksheet_id BIGINT NOT NULL REFERENCES worksheets (id) ON DELETE CASCADE,
    revision_id BIGINT NOT NULL REFERENCES worksheet_revisions (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    signed_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    UNIQUE (revision_id, user_id)
);

CREATE TABLE outbox (
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
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE reminder_log (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX reminder_log_user_course ON reminder_log (user_id, course_slug);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created_at ON audit_log (created_at);
