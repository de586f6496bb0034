DROP INDEX reminder_log_user_sent;
CREATE INDEX reminder_log_user_kind ON reminder_log (user_id, kind, sent_at);
CREATE INDEX reminder_log_user_course ON reminder_log (user_id, course_slug);
