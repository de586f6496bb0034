-- The weekly digest counts each learner's worksheet saves of the past week, a batch of
-- learners at a time: without this index every batch read the whole revisions table.
CREATE INDEX worksheet_revisions_author_created ON worksheet_revisions (author_id, created_at);
