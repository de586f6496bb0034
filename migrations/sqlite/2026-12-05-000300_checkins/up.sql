-- Daily check-ins: at most one per learner per local day (in the learner's zone when they
-- checked in). Mood, strength of urges or distress, triggers, what helped and the note are
-- stored only sealed (XChaCha20-Poly1305, bound to the learner and the day) under key_id.
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date DATE NOT NULL,
    -- The zone the day was counted in, so the time of day stays right after a move.
    time_zone TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, local_date)
);
CREATE INDEX checkins_key_id ON checkins (key_id);

-- A learner who lets their partner see "checked in today" and the weekly mood average, within
-- one link: a new link starts unshared.
CREATE TABLE checkin_shares (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
