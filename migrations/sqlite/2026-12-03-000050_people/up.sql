-- The admin People search: one lower-cased, accent-free key per account (email and display
-- name), computed by the application so both databases match the same way; filled in for
-- existing accounts by the application after this migration (rows where it is empty).
ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
-- "Last seen" filters and the person page read a user's sessions by recency.
CREATE INDEX sessions_user_last_seen ON sessions (user_id, last_seen_at);
-- The person page lists the mail sent to an address, newest first.
CREATE INDEX outbox_recipient_created ON outbox (recipient, created_at);
