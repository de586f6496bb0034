//! The admin's view of enrolments: many at once (a cohort import's batch, a filtered page, a
//! selection), with the learner's address and name beside each. Learner-side queries stay in
//! [`super::enrollment`].

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::db::DbConnection;
use crate::db::models::enrollment::Enrollment;
use crate::db::schema::{enrollments, lesson_progress, users};

/// An account as an import sees it: who the address belongs to.
#[derive(Debug, Clone, Queryable)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub display_name: String,
}

/// The accounts of any of `emails` (normalised), in one query.
pub fn accounts_by_email(conn: &mut DbConnection, emails: &[&str]) -> QueryResult<Vec<Account>> {
    users::table
        .filter(users::email.eq_any(emails))
        .select((users::id, users::email, users::display_name))
        .load(conn)
}

/// The enrolments of any of `user_ids`, in one query.
pub fn for_users(conn: &mut DbConnection, user_ids: &[i64]) -> QueryResult<Vec<Enrollment>> {
    enrollments::table
        .filter(enrollments::user_id.eq_any(user_ids))
        .select(Enrollment::as_select())
        .load(conn)
}

/// A new enrolment made by an admin, possibly with an expiry.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = enrollments)]
pub struct AdminEnrollment<'a> {
    pub user_id: i64,
    pub course_slug: &'a str,
    pub enrolled_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// Inserts enrolments, skipping any the learner already has (ON CONFLICT DO NOTHING, so a
/// concurrent enrol never aborts the batch); returns how many were new. One statement on
/// PostgreSQL, one per row on SQLite (no batch upsert there; a local write).
pub fn insert_many(conn: &mut DbConnection, rows: &[AdminEnrollment<'_>]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let target = (enrollments::user_id, enrollments::course_slug);
    match conn {
        DbConnection::Sqlite(c) => rows.iter().try_fold(0, |stored, row| {
            let one = diesel::insert_into(enrollments::table)
                .values(row)
                .on_conflict(target)
                .do_nothing()
                .execute(c)?;
            Ok(stored + one)
        }),
        DbConnection::Postgres(c) => diesel::insert_into(enrollments::table)
            .values(rows)
            .on_conflict(target)
            .do_nothing()
            .execute(c),
    }
}

/// Makes a lapsed (expired or revoked) enrolment active again with a new expiry, progress kept.
pub fn restore(
    conn: &mut DbConnection,
    id: i64,
    expires_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(enrollments::table.find(id))
        .set((
            enrollments::status.eq("active"),
            enrollments::expires_at.eq(expires_at),
            enrollments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Withdraws enrolments; those already revoked are left alone. Returns the ids changed.
pub fn revoke(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    let changed: Vec<i64> = enrollments::table
        .filter(enrollments::id.eq_any(ids))
        .filter(enrollments::status.ne("revoked"))
        .select(enrollments::id)
        .load(conn)?;
    diesel::update(enrollments::table.filter(enrollments::id.eq_any(&changed)))
        .set((enrollments::status.eq("revoked"), enrollments::updated_at.eq(now)))
        .execute(conn)?;
    Ok(changed)
}

/// Sets one enrolment's expiry (an extension).
pub fn set_expiry(
    conn: &mut DbConnection,
    id: i64,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(enrollments::table.find(id))
        .set((enrollments::expires_at.eq(expires_at), enrollments::updated_at.eq(now)))
        .execute(conn)
}

/// One listed enrolment with its learner.
#[derive(Debug, Clone, Queryable)]
pub struct Listed {
    pub enrollment: Enrollment,
    pub email: String,
    pub display_name: String,
}

/// Which enrolments a list shows; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub course: Option<String>,
    pub state: Option<State>,
    /// Lessons done, at least / at most (a percentage is turned into counts by the caller,
    /// who knows the course's lesson count).
    pub done_at_least: Option<i64>,
    pub done_at_most: Option<i64>,
    pub active_after: Option<NaiveDateTime>,
    pub active_before: Option<NaiveDateTime>,
    pub enrolled_from: Option<NaiveDateTime>,
    pub enrolled_until: Option<NaiveDateTime>,
    /// Only these ids (an exported selection).
    pub ids: Option<Vec<i64>>,
    pub now: NaiveDateTime,
}

/// An enrolment's state as the admin filters it (`paused` is an active enrolment on a break).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Active,
    Paused,
    Completed,
    Expired,
    Revoked,
}

/// The order of a list; each is a keyset on (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest enrolments first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Longest without activity first (never active counts from the enrolment).
    Inactive,
}

/// Where the previous page ended: its last row's sort key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: NaiveDateTime,
    pub id: i64,
}

/// The completed-lesson count of the enrolment's learner in its course.
const DONE: &str = "(SELECT COUNT(*) FROM lesson_progress p WHERE p.user_id = enrollments.user_id \
     AND p.course_slug = enrollments.course_slug AND p.completed_at IS NOT NULL)";

/// When the learner was last active, or enrolled if never.
const ACTIVITY: &str = "COALESCE(enrollments.last_activity_at, enrollments.enrolled_at)";

/// One page of enrolments matching `filter`, after `cursor`, in `sort` order (keyset: fast on
/// any page, stable while rows are added).
pub fn list(
    conn: &mut DbConnection,
    filter: &ListFilter,
    sort: Sort,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let mut query = enrollments::table
        .inner_join(users::table)
        .select((Enrollment::as_select(), users::email, users::display_name))
        .into_boxed();
    if let Some(course) = &filter.course {
        query = query.filter(enrollments::course_slug.eq(course.clone()));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(enrollments::id.eq_any(ids.clone()));
    }
    let now = filter.now;
    let lapsed = enrollments::expires_at.le(now);
    let running = enrollments::expires_at.is_null().or(enrollments::expires_at.gt(now));
    query = match filter.state {
        None => query,
        Some(State::Active) => query
            .filter(enrollments::status.eq("active"))
            .filter(enrollments::paused_at.is_null())
            .filter(running),
        Some(State::Paused) => query
            .filter(enrollments::status.eq("active"))
            .filter(enrollments::paused_at.is_not_null())
            .filter(running),
        Some(State::Completed) => query.filter(enrollments::status.eq("completed")).filter(running),
        Some(State::Expired) => query.filter(
            enrollments::status
                .eq("expired")
                .or(enrollments::status.eq_any(["active", "completed"]).and(lapsed)),
        ),
        Some(State::Revoked) => query.filter(enrollments::status.eq("revoked")),
    };
    if let Some(at_least) = filter.done_at_least {
        query = query.filter(sql::<BigInt>(DONE).ge(at_least));
    }
    if let Some(at_most) = filter.done_at_most {
        query = query.filter(sql::<BigInt>(DONE).le(at_most));
    }
    if let Some(after) = filter.active_after {
        query = query.filter(sql::<Timestamp>(ACTIVITY).ge(after));
    }
    if let Some(before) = filter.active_before {
        query = query.filter(sql::<Timestamp>(ACTIVITY).lt(before));
    }
    if let Some(from) = filter.enrolled_from {
        query = query.filter(enrollments::enrolled_at.ge(from));
    }
    if let Some(until) = filter.enrolled_until {
        query = query.filter(enrollments::enrolled_at.lt(until));
    }
    query = match (sort, cursor) {
        (Sort::Newest, Some(c)) => query.filter(
            enrollments::enrolled_at
                .lt(c.key)
                .or(enrollments::enrolled_at.eq(c.key).and(enrollments::id.lt(c.id))),
        ),
        (Sort::Oldest, Some(c)) => query.filter(
            enrollments::enrolled_at
                .gt(c.key)
                .or(enrollments::enrolled_at.eq(c.key).and(enrollments::id.gt(c.id))),
        ),
        (Sort::Inactive, Some(c)) => query.filter(
            sql::<Timestamp>(ACTIVITY)
                .gt(c.key)
                .or(sql::<Timestamp>(ACTIVITY).eq(c.key).and(enrollments::id.gt(c.id))),
        ),
        (_, None) => query,
    };
    query = match sort {
        Sort::Newest => query.order((enrollments::enrolled_at.desc(), enrollments::id.desc())),
        Sort::Oldest => query.order((enrollments::enrolled_at.asc(), enrollments::id.asc())),
        Sort::Inactive => query.order((sql::<Timestamp>(ACTIVITY).asc(), enrollments::id.asc())),
    };
    query.limit(limit).load(conn)
}

/// Completed-lesson counts and the last completion of `(user, course)` pairs, in one query:
/// the progress columns of a page or an export batch.
pub fn completed_counts(
    conn: &mut DbConnection,
    user_ids: &[i64],
) -> QueryResult<Vec<(i64, String, String)>> {
    lesson_progress::table
        .filter(lesson_progress::user_id.eq_any(user_ids))
        .filter(lesson_progress::completed_at.is_not_null())
        .select((
            lesson_progress::user_id,
            lesson_progress::course_slug,
            lesson_progress::lesson_slug,
        ))
        .load(conn)
}

/// The enrolments with these ids (a selection).
pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Enrollment>> {
    enrollments::table
        .filter(enrollments::id.eq_any(ids))
        .order(enrollments::id)
        .select(Enrollment::as_select())
        .load(conn)
}
