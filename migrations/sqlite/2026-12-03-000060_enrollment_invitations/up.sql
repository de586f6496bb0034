-- Admin enrolment by email for people without an account yet: the enrolment waits here until
-- they follow the single-use sign-up link (only its SHA-256 hash is stored). One open
-- invitation per address and course: inviting again (a resend) replaces the token and the
-- link's expiry. `enrollment_expires_at` is the expiry the enrolment will get, if any.
CREATE TABLE enrollment_invitations (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    course_slug TEXT NOT NULL,
    enrollment_expires_at TIMESTAMP,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    link_expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    accepted_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at TIMESTAMP,
    UNIQUE (email, course_slug)
);
CREATE INDEX enrollment_invitations_course ON enrollment_invitations (course_slug, created_at);

-- The admin list filters and sorts enrolments by course and these columns.
CREATE INDEX enrollments_course_enrolled ON enrollments (course_slug, enrolled_at, id);
CREATE INDEX enrollments_enrolled ON enrollments (enrolled_at, id);
CREATE INDEX enrollments_activity ON enrollments (last_activity_at, id);
