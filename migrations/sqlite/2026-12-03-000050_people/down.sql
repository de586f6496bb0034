DROP INDEX outbox_recipient_created;
DROP INDEX sessions_user_last_seen;
ALTER TABLE users DROP COLUMN search_key;
