-- Back to the first-cut tables (empty).
DROP TABLE signatures;
DROP TABLE worksheet_revisions;
DROP TABLE worksheets;

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

