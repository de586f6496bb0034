-- A learner's track in a course with tracks (NULL: not chosen yet, or the course has none).
ALTER TABLE enrollments ADD COLUMN track TEXT;
