-- Worksheets as they are filled in: one row per learner (private) or per couple (shared), a
-- numbered, encrypted revision per save, and signatures on revisions. The first-cut tables held
-- no rows worth keeping, so they are recreated.
DROP TABLE signatures;
DROP TABLE worksheet_revisions;
DROP TABLE worksheets;

CREATE TABLE worksheets (
    id INTEGER PRIMARY KEY,
    -- Who created the row; for a couple's worksheet, whichever partner saved first.
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Set for a shared worksheet: one row per couple, both partners edit it.
    partnership_id BIGINT REFERENCES partnerships (id) ON DELETE SET NULL,
    course_slug TEXT NOT NULL,
    worksheet_slug TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'finished')),
    -- The newest revision's number (0 before the first save).
    revision INTEGER NOT NULL DEFAULT 0,
    -- A private worksheet its owner lets the partner read.
    shared_with_partner BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX worksheets_private ON worksheets (owner_id, course_slug, worksheet_slug)
    WHERE partnership_id IS NULL;
CREATE UNIQUE INDEX worksheets_couple ON worksheets (partnership_id, course_slug, worksheet_slug)
    WHERE partnership_id IS NOT NULL;

-- Answers are stored only sealed (XChaCha20-Poly1305, bound to worksheet id and number) under
-- the key named by key_id.
CREATE TABLE worksheet_revisions (
    id INTEGER PRIMARY KEY,
    worksheet_id BIGINT NOT NULL REFERENCES worksheets (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- Content hash of the catalog worksheet the answers were written against.
    template_hash TEXT NOT NULL,
    -- SHA-256 of the revision's canonical answers: what a signature signs.
    content_hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (worksheet_id, number)
);
CREATE INDEX worksheet_revisions_key_id ON worksheet_revisions (key_id);

CREATE TABLE signatures (
    id INTEGER PRIMARY KEY,
    worksheet_id BIGINT NOT NULL REFERENCES worksheets (id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    full_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    UNIQUE (worksheet_id, revision, user_id)
);
