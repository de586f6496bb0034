//! The course report's aggregates: a handful of grouped queries per course (never one query per
//! learner), read without taking a write lock. Only counts and dates leave here, never answers.

use chrono::NaiveDateTime;
use diesel::dsl::{count, count_star};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{enrollments, lesson_progress, users};

/// The enrolment-level counts of one course at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnrollmentCounts {
    /// Every enrolment in the course, whatever its state now.
    pub enrolled: i64,
    /// Enrolments marked complete.
    pub completed: i64,
    /// Enrolments with activity since the 7-day cutoff.
    pub active_7: i64,
    /// Enrolments with activity since the 30-day cutoff.
    pub active_30: i64,
}

/// Counts the course's enrolments: all, completed, and active since each cutoff (four counts
/// on the `course_slug` index; one pass each).
pub fn enrollment_counts(
    conn: &mut DbConnection,
    course: &str,
    since_7: NaiveDateTime,
    since_30: NaiveDateTime,
) -> QueryResult<EnrollmentCounts> {
    let base = || enrollments::table.filter(enrollments::course_slug.eq(course.to_owned()));
    Ok(EnrollmentCounts {
        enrolled: base().select(count_star()).get_result(conn)?,
        completed: base()
            .filter(enrollments::completed_at.is_not_null())
            .select(count_star())
            .get_result(conn)?,
        active_7: base()
            .filter(enrollments::last_activity_at.ge(since_7))
            .select(count_star())
            .get_result(conn)?,
        active_30: base()
            .filter(enrollments::last_activity_at.ge(since_30))
            .select(count_star())
            .get_result(conn)?,
    })
}

/// For each learner enrolled in the course who opened or finished at least one of `lessons`,
/// how many of them they finished: the funnel's "started" (how many there are) and "halfway"
/// (how many finished enough) from one grouped pass over the progress rows, not one each.
pub fn lessons_finished_by_starters(
    conn: &mut DbConnection,
    course: &str,
    lessons: &[String],
) -> QueryResult<Vec<i64>> {
    lesson_progress::table
        .inner_join(
            enrollments::table.on(enrollments::user_id
                .eq(lesson_progress::user_id)
                .and(enrollments::course_slug.eq(lesson_progress::course_slug))),
        )
        .filter(lesson_progress::course_slug.eq(course.to_owned()))
        .filter(lesson_progress::lesson_slug.eq_any(lessons.to_vec()))
        .filter(
            lesson_progress::first_viewed_at
                .is_not_null()
                .or(lesson_progress::completed_at.is_not_null()),
        )
        .group_by(lesson_progress::user_id)
        .select(count(lesson_progress::completed_at))
        .load(conn)
}

/// Completions per lesson slug among enrolled learners (lessons nobody finished are absent).
pub fn completions_per_lesson(
    conn: &mut DbConnection,
    course: &str,
) -> QueryResult<Vec<(String, i64)>> {
    lesson_progress::table
        .inner_join(
            enrollments::table.on(enrollments::user_id
                .eq(lesson_progress::user_id)
                .and(enrollments::course_slug.eq(lesson_progress::course_slug))),
        )
        .filter(lesson_progress::course_slug.eq(course.to_owned()))
        .filter(lesson_progress::completed_at.is_not_null())
        .group_by(lesson_progress::lesson_slug)
        .select((lesson_progress::lesson_slug, count(lesson_progress::completed_at)))
        .load(conn)
}

/// `(enrolled_at, completed_at)` of every completed enrolment in the course: the median's
/// input (dates only; a median is not portable SQL across both backends).
pub fn completion_spans(
    conn: &mut DbConnection,
    course: &str,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = enrollments::table
        .filter(enrollments::course_slug.eq(course.to_owned()))
        .filter(enrollments::completed_at.is_not_null())
        .select((enrollments::enrolled_at, enrollments::completed_at))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(from, to)| Some((from, to?))).collect())
}

/// One learner who has gone quiet in a course: the row an admin can nudge.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Inactive {
    pub enrollment_id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub enrolled_at: NaiveDateTime,
    pub last_activity_at: Option<NaiveDateTime>,
}

/// Active (not completed, not paused) enrolments in the course with no activity since
/// `cutoff` (never-active ones count from their enrolment), by enrolment id after `after`
/// (keyset), at most `limit`.
pub fn inactive(
    conn: &mut DbConnection,
    course: &str,
    cutoff: NaiveDateTime,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Inactive>> {
    enrollments::table
        .inner_join(users::table)
        .filter(enrollments::course_slug.eq(course.to_owned()))
        .filter(enrollments::status.eq("active"))
        .filter(enrollments::paused_at.is_null())
        .filter(users::deactivated_at.is_null())
        .filter(enrollments::id.gt(after))
        .filter(
            enrollments::last_activity_at.lt(cutoff).or(enrollments::last_activity_at
                .is_null()
                .and(enrollments::enrolled_at.lt(cutoff))),
        )
        .order(enrollments::id)
        .limit(limit)
        .select((
            enrollments::id,
            enrollments::user_id,
            users::display_name,
            enrollments::enrolled_at,
            enrollments::last_activity_at,
        ))
        .load(conn)
}
