-- The admin console's audit log: the client address of each action (NULL when the action did
-- not come over HTTP, e.g. the CLI), and indexes for "what happened to this record" and
-- "what did this person do", both newest first.
ALTER TABLE audit_log ADD COLUMN ip TEXT;
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, created_at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at);
