DROP TABLE progress_shares;
DROP TABLE partnership_members;
DROP INDEX partnerships_invitee;
DROP INDEX partnerships_inviter;
DROP INDEX partnerships_invite_email;
ALTER TABLE partnerships DROP COLUMN ended_by;
ALTER TABLE partnerships DROP COLUMN ended_reason;
ALTER TABLE partnerships DROP COLUMN expires_at;
