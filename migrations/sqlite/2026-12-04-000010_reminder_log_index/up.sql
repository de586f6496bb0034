-- The scan reads each batch's reminder log by learner and time (`user_id IN (…) AND sent_at >=
-- …`), and erasure deletes by learner: one index on (user_id, sent_at) serves both. The two it
-- replaces overlapped (both led with user_id) and each cost a B-tree write per reminder queued.
DROP INDEX reminder_log_user_course;
DROP INDEX reminder_log_user_kind;
CREATE INDEX reminder_log_user_sent ON reminder_log (user_id, sent_at);
