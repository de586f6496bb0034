DROP INDEX enrollments_activity;
DROP INDEX enrollments_enrolled;
DROP INDEX enrollments_course_enrolled;
DROP INDEX enrollment_invitations_course;
DROP TABLE enrollment_invitations;
