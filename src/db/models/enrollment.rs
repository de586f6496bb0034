//! Enrolments: one row per learner and course (unique), keeping its status, schedule and pauses.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::enrollments;
use crate::domain::ids::{AccessCodeId, EnrollmentId, UserId};

/// A stored enrolment (which code admitted it is written, never read back here).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enrollments)]
pub struct Enrollment {
    #[diesel(deserialize_as = i64)]
    pub id: EnrollmentId,
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: String,
    pub status: String,
    pub enrolled_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub completed_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// Inactivity nudges for this course (the learner's per-course switch).
    pub reminders_enabled: bool,
    /// The learner's track, in a course with tracks; `None` until they choose.
    pub track: Option<String>,
}

/// The fields of a new enrolment; the rest take their defaults (active, never paused, no code
/// until [`set_access_code`]).
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = enrollments)]
pub struct NewEnrollment<'a> {
    #[diesel(serialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: &'a str,
    pub enrolled_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The learner's enrolment in a course, if any.
pub fn find(
    conn: &mut DbConnection,
    user_id: UserId,
    course: &str,
) -> QueryResult<Option<Enrollment>> {
    enrollments::table
        .filter(enrollments::user_id.eq(user_id.get()))
        .filter(enrollments::course_slug.eq(course))
        .select(Enrollment::as_select())
        .first(conn)
        .optional()
}

/// Inserts the enrolment unless the learner already has one in the course; `true` when this
/// call created it. ON CONFLICT DO NOTHING keeps two concurrent enrols to one row without
/// aborting a PostgreSQL transaction on a unique violation.
pub fn insert_if_absent(conn: &mut DbConnection, new: &NewEnrollment<'_>) -> QueryResult<bool> {
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(enrollments::table)
        .values(*new)
        .on_conflict((enrollments::user_id, enrollments::course_slug))
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Makes an expired or revoked enrolment active again, keeping its schedule and progress.
/// Returns 0 when it is already valid at `now`, e.g. renewed by a concurrent request: the
/// check and the write are one statement.
pub fn reactivate(
    conn: &mut DbConnection,
    id: EnrollmentId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let lapsed =
        enrollments::status.ne_all(["active", "completed"]).or(enrollments::expires_at.le(now));
    diesel::update(enrollments::table.find(id.get()).filter(lapsed))
        .set((
            enrollments::status.eq("active"),
            enrollments::expires_at.eq(None::<NaiveDateTime>),
            enrollments::access_code_id.eq(None::<i64>),
            enrollments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Starts a pause; a second call while paused changes nothing (returns 0).
pub fn pause(conn: &mut DbConnection, id: EnrollmentId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(enrollments::table.find(id.get()).filter(enrollments::paused_at.is_null()))
        .set((enrollments::paused_at.eq(now), enrollments::updated_at.eq(now)))
        .execute(conn)
}

/// Ends the running pause, storing the new pause total; only while paused (else returns 0).
/// Coming back counts as activity, so inactivity nudges count from the return, not the pause.
pub fn resume(
    conn: &mut DbConnection,
    id: EnrollmentId,
    paused_seconds: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(enrollments::table.find(id.get()).filter(enrollments::paused_at.is_not_null()))
        .set((
            enrollments::paused_at.eq(None::<NaiveDateTime>),
            enrollments::paused_seconds.eq(paused_seconds),
            enrollments::last_activity_at.eq(now),
            enrollments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records learner activity (for reminders) and whether the course is now finished: `status`
/// becomes completed with `completed_at`, or active again when a lesson was un-completed.
pub fn record_activity(
    conn: &mut DbConnection,
    id: EnrollmentId,
    completed_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let status = if completed_at.is_some() { "completed" } else { "active" };
    diesel::update(enrollments::table.find(id.get()))
        .set((
            enrollments::status.eq(status),
            enrollments::completed_at.eq(completed_at),
            enrollments::last_activity_at.eq(now),
            enrollments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Stores the learner's track (`None`: not chosen); progress rows are untouched, so changing
/// track keeps every lesson done.
pub fn set_track(
    conn: &mut DbConnection,
    id: EnrollmentId,
    track: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(enrollments::table.find(id.get()))
        .set((enrollments::track.eq(track), enrollments::updated_at.eq(now)))
        .execute(conn)
}

/// The learner's enrolment with their time zone, in one query: everything a drip schedule
/// needs besides the progress rows.
pub fn find_with_time_zone(
    conn: &mut DbConnection,
    user_id: UserId,
    course: &str,
) -> QueryResult<Option<(Enrollment, String)>> {
    enrollments::table
        .inner_join(crate::db::schema::users::table)
        .filter(enrollments::user_id.eq(user_id.get()))
        .filter(enrollments::course_slug.eq(course))
        .select((Enrollment::as_select(), crate::db::schema::users::time_zone))
        .first(conn)
        .optional()
}

/// The slugs of every course the learner has an enrolment in, whatever its status.
pub fn list_course_slugs(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<String>> {
    enrollments::table
        .filter(enrollments::user_id.eq(user_id.get()))
        .select(enrollments::course_slug)
        .load(conn)
}

/// Turns inactivity nudges for one enrolment on or off; `true` when the value changed (a
/// repeated unsubscribe writes nothing).
pub fn set_reminders_enabled(
    conn: &mut DbConnection,
    id: EnrollmentId,
    enabled: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        enrollments::table.find(id.get()).filter(enrollments::reminders_enabled.ne(enabled)),
    )
    .set((enrollments::reminders_enabled.eq(enabled), enrollments::updated_at.eq(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Records which access code admitted the learner.
pub fn set_access_code(
    conn: &mut DbConnection,
    user_id: UserId,
    course: &str,
    access_code_id: AccessCodeId,
) -> QueryResult<usize> {
    diesel::update(
        enrollments::table
            .filter(enrollments::user_id.eq(user_id.get()))
            .filter(enrollments::course_slug.eq(course)),
    )
    .set(enrollments::access_code_id.eq(access_code_id.get()))
    .execute(conn)
}

/// Every enrolment of a learner with their time zone, in one query (the dashboard).
pub fn list_with_time_zone(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Vec<(Enrollment, String)>> {
    enrollments::table
        .inner_join(crate::db::schema::users::table)
        .filter(enrollments::user_id.eq(user_id.get()))
        .order((enrollments::enrolled_at, enrollments::id))
        .select((Enrollment::as_select(), crate::db::schema::users::time_zone))
        .load(conn)
}

/// How many enrolments are active at `now` (not completed, withdrawn or expired): the admin
/// overview's count.
pub fn count_active(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<i64> {
    enrollments::table
        .filter(enrollments::status.eq("active"))
        .filter(enrollments::expires_at.is_null().or(enrollments::expires_at.gt(now)))
        .count()
        .get_result(conn)
}

/// One enrolment by id, whoever holds it (callers check it is the learner's own).
pub fn find_by_id(conn: &mut DbConnection, id: EnrollmentId) -> QueryResult<Option<Enrollment>> {
    enrollments::table.find(id.get()).select(Enrollment::as_select()).first(conn).optional()
}

/// Every enrolment of a learner, oldest first (the Notifications page's per-course switches).
pub fn list_for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<Enrollment>> {
    enrollments::table
        .filter(enrollments::user_id.eq(user_id.get()))
        .order((enrollments::enrolled_at, enrollments::id))
        .select(Enrollment::as_select())
        .load(conn)
}

/// The next `limit` learners with any enrolment, after `after` in id order: the reminder scan's
/// keyset page, by learner so that one learner's enrolments are always decided together.
pub fn next_learner_ids(
    conn: &mut DbConnection,
    after: Option<UserId>,
    limit: i64,
) -> QueryResult<Vec<UserId>> {
    let after = after.map_or(i64::MIN, UserId::get);
    let ids: Vec<i64> = enrollments::table
        .filter(enrollments::user_id.gt(after))
        .select(enrollments::user_id)
        .distinct()
        .order(enrollments::user_id)
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(UserId::from).collect())
}

/// The learners holding the enrolments `ids` in `course` (ids elsewhere or unknown are left
/// out), in id order: an admin's selection on a course's report, resolved to its learners.
pub fn list_users_of(
    conn: &mut DbConnection,
    course: &str,
    ids: &[EnrollmentId],
) -> QueryResult<Vec<UserId>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let users: Vec<i64> = enrollments::table
        .filter(enrollments::id.eq_any(ids))
        .filter(enrollments::course_slug.eq(course))
        .select(enrollments::user_id)
        .distinct()
        .order(enrollments::user_id)
        .load(conn)?;
    Ok(users.into_iter().map(UserId::from).collect())
}

/// Every enrolment of these learners, whatever its status, by learner then id.
pub fn list_for_users(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<Vec<Enrollment>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    enrollments::table
        .filter(enrollments::user_id.eq_any(ids))
        .order((enrollments::user_id, enrollments::id))
        .select(Enrollment::as_select())
        .load(conn)
}
