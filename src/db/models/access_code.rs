//! Access codes for courses with `enrollment = "code"`: each has an optional use limit and
//! expiry, and is spent atomically when a learner enrols with it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::access_codes;
use crate::domain::ids::AccessCodeId;

/// A stored access code.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = access_codes)]
pub struct AccessCodeRow {
    #[diesel(deserialize_as = i64)]
    pub id: AccessCodeId,
    pub code: String,
    pub course_slug: String,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// What the code is for, as the admin who made it wrote it (shown only in the console).
    pub note: String,
}

/// The fields of a new code; it starts unused and unrevoked.
#[derive(Debug, Insertable)]
#[diesel(table_name = access_codes)]
pub struct NewAccessCode<'a> {
    /// Canonical form (see [`crate::domain::access_code::AccessCode`]).
    pub code: &'a str,
    pub course_slug: &'a str,
    pub max_uses: Option<i32>,
    pub expires_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub note: &'a str,
}

/// Inserts a code and returns it with its id.
pub fn insert(conn: &mut DbConnection, new: &NewAccessCode<'_>) -> QueryResult<AccessCodeRow> {
    diesel::insert_into(access_codes::table).values(new).get_result(conn)
}

/// A code by its canonical form.
pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<AccessCodeRow>> {
    access_codes::table
        .filter(access_codes::code.eq(code))
        .select(AccessCodeRow::as_select())
        .first(conn)
        .optional()
}

/// Spends one use of `code` for `course` if it is still valid at `now`, returning its id, or
/// `None` when it is unknown, for another course, revoked, expired or used up. The limit is
/// checked in the same UPDATE that counts the use, so two learners racing for the last use
/// cannot both win; call it inside the enrolment's transaction so a failed enrol gives it back.
pub fn redeem(
    conn: &mut DbConnection,
    code: &str,
    course: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<AccessCodeId>> {
    diesel::update(
        access_codes::table
            .filter(access_codes::code.eq(code))
            .filter(access_codes::course_slug.eq(course))
            .filter(
                access_codes::max_uses
                    .is_null()
                    .or(access_codes::uses.nullable().lt(access_codes::max_uses)),
            )
            .filter(access_codes::revoked_at.is_null())
            .filter(access_codes::expires_at.is_null().or(access_codes::expires_at.gt(now))),
    )
    .set(access_codes::uses.eq(access_codes::uses + 1))
    .returning(access_codes::id)
    .get_result::<i64>(conn)
    .optional()
    .map(|id| id.map(AccessCodeId::from))
}

/// Withdraws a code: it can no longer be redeemed (enrolments made with it stay).
pub fn revoke(conn: &mut DbConnection, id: AccessCodeId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(access_codes::table.find(id.get()).filter(access_codes::revoked_at.is_null()))
        .set(access_codes::revoked_at.eq(now))
        .execute(conn)
}

/// A code by id, for the admin console.
pub fn find(conn: &mut DbConnection, id: AccessCodeId) -> QueryResult<Option<AccessCodeRow>> {
    access_codes::table.find(id.get()).select(AccessCodeRow::as_select()).first(conn).optional()
}

/// One page of codes, newest first: those with an id below `before` (keyset, not OFFSET), at
/// most `limit`, optionally for one course.
pub fn list(
    conn: &mut DbConnection,
    course: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AccessCodeRow>> {
    let mut query = access_codes::table.select(AccessCodeRow::as_select()).into_boxed();
    if let Some(course) = course {
        query = query.filter(access_codes::course_slug.eq(course.to_owned()));
    }
    if let Some(before) = before {
        query = query.filter(access_codes::id.lt(before));
    }
    query.order(access_codes::id.desc()).limit(limit).load(conn)
}

/// Disables (`Some(now)`) or re-enables (`None`) a code; returns how many rows changed, 0 when
/// it was already in that state (so the caller audits only real changes).
pub fn set_revoked(
    conn: &mut DbConnection,
    id: AccessCodeId,
    revoked_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    let target = access_codes::table.find(id.get());
    match revoked_at {
        Some(at) => diesel::update(target.filter(access_codes::revoked_at.is_null()))
            .set(access_codes::revoked_at.eq(at))
            .execute(conn),
        None => diesel::update(target.filter(access_codes::revoked_at.is_not_null()))
            .set(access_codes::revoked_at.eq(None::<NaiveDateTime>))
            .execute(conn),
    }
}
