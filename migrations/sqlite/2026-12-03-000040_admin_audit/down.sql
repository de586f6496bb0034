DROP INDEX audit_log_actor;
DROP INDEX audit_log_target;
ALTER TABLE audit_log DROP COLUMN ip;
