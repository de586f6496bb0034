ALTER TABLE enrollments DROP COLUMN track;
