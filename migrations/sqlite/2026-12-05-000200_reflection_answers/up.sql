-- Learners' answers to the reflection prompts of lessons: one row per learner and prompt,
-- the answer stored only sealed (XChaCha20-Poly1305, bound to learner, course, lesson and
-- prompt) under the key named by key_id. `share`: shown to the partner once both answered
-- and both share.
CREATE TABLE reflection_answers (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_slug TEXT NOT NULL,
    lesson_slug TEXT NOT NULL,
    reflection_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    share BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, course_slug, lesson_slug, reflection_id)
);
CREATE INDEX reflection_answers_key_id ON reflection_answers (key_id);
