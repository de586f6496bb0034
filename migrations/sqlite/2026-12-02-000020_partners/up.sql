-- Partners: an invitation that expires and can be withdrawn or declined, a link either partner
-- can end, at most one pending-or-active link per learner, and revocable progress shares.
--
-- `status` stays 'pending' | 'active' | 'ended'; how a link ended is `ended_reason`
-- ('withdrawn', 'declined', 'expired', 'ended', 'account_deleted'). An invitation past
-- `expires_at` is expired even while its row still says 'pending': reads never write.

ALTER TABLE partnerships ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE partnerships ADD COLUMN ended_reason TEXT
    CHECK (ended_reason IN ('withdrawn', 'declined', 'expired', 'ended', 'account_deleted'));
ALTER TABLE partnerships ADD COLUMN ended_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX partnerships_invite_email ON partnerships (invite_email, status);
CREATE INDEX partnerships_inviter ON partnerships (inviter_id, status);
CREATE INDEX partnerships_invitee ON partnerships (invitee_id, status);

-- One row per learner in a pending (as inviter) or active link: the primary key is what keeps
-- a learner to one link, on both databases, however many invitations race.
CREATE TABLE partnership_members (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL
);
CREATE INDEX partnership_members_partnership ON partnership_members (partnership_id);

-- A learner's progress in one course, shown to their partner in one link until revoked.
CREATE TABLE progress_shares (
    id INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_slug TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (partnership_id, owner_id, course_slug)
);
