//! Enrolments waiting for a person without an account: one row per address and course, holding
//! the hash of the single-use sign-up link (the token itself is only ever in the mail).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::enrollment_invitations as inv;

/// A stored invitation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inv)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub course_slug: String,
    pub enrollment_expires_at: Option<NaiveDateTime>,
    pub invited_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub link_expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl Invitation {
    /// Still waiting for its person: neither accepted nor withdrawn (the link may have lapsed).
    pub fn is_open(&self) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none()
    }
}

/// The fields of a new (or renewed) invitation.
#[derive(Debug, Clone, Copy, Insertable, AsChangeset)]
#[diesel(table_name = inv)]
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub course_slug: &'a str,
    pub enrollment_expires_at: Option<NaiveDateTime>,
    pub token_hash: &'a str,
    pub invited_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub link_expires_at: NaiveDateTime,
}

/// Stores invitations for their address and course, or renews the one there (new token, new
/// link expiry, open again), in one statement on PostgreSQL (`excluded` values) and one per
/// row on SQLite (no batch upsert there): a second admin inviting the same person at the same
/// moment cannot abort the transaction on the unique key.
pub fn upsert_many(conn: &mut DbConnection, rows: &[NewInvitation<'_>]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    if rows.is_empty() {
        return Ok(());
    }
    let reopen = (
        inv::accepted_at.eq(None::<NaiveDateTime>),
        inv::accepted_by.eq(None::<i64>),
        inv::revoked_at.eq(None::<NaiveDateTime>),
    );
    match conn {
        DbConnection::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(inv::table)
                    .values(row)
                    .on_conflict((inv::email, inv::course_slug))
                    .do_update()
                    .set((row, reopen))
                    .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Postgres(c) => diesel::insert_into(inv::table)
            .values(rows)
            .on_conflict((inv::email, inv::course_slug))
            .do_update()
            .set((
                inv::display_name.eq(excluded(inv::display_name)),
                inv::enrollment_expires_at.eq(excluded(inv::enrollment_expires_at)),
                inv::token_hash.eq(excluded(inv::token_hash)),
                inv::invited_by.eq(excluded(inv::invited_by)),
                inv::created_at.eq(excluded(inv::created_at)),
                inv::link_expires_at.eq(excluded(inv::link_expires_at)),
                reopen,
            ))
            .execute(c)
            .map(drop),
    }
}

/// The ids of the invitations carrying these token hashes (just written), by hash.
pub fn ids_by_hash(
    conn: &mut DbConnection,
    hashes: &[String],
) -> QueryResult<std::collections::HashMap<String, i64>> {
    let found: Vec<(String, i64)> = inv::table
        .filter(inv::token_hash.eq_any(hashes))
        .select((inv::token_hash, inv::id))
        .load(conn)?;
    Ok(found.into_iter().collect())
}

/// Withdraws open invitations; returns the ids changed.
pub fn revoke(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    let open: Vec<i64> = inv::table
        .filter(inv::id.eq_any(ids))
        .filter(inv::accepted_at.is_null())
        .filter(inv::revoked_at.is_null())
        .select(inv::id)
        .load(conn)?;
    diesel::update(inv::table.filter(inv::id.eq_any(&open)))
        .set(inv::revoked_at.eq(now))
        .execute(conn)?;
    Ok(open)
}

/// The invitations to any of `emails` (already normalised), for an import's dry run.
pub fn list_for_emails(conn: &mut DbConnection, emails: &[&str]) -> QueryResult<Vec<Invitation>> {
    inv::table.filter(inv::email.eq_any(emails)).select(Invitation::as_select()).load(conn)
}

/// The invitation whose link carries the token with this hash, whatever its state (the page
/// says kindly whether it was used or has expired).
pub fn find_by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Invitation>> {
    inv::table
        .filter(inv::token_hash.eq(hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// One invitation by id.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Invitation>> {
    inv::table.find(id).select(Invitation::as_select()).first(conn).optional()
}

/// Every open invitation to this address: signing up through one link enrols in all of them,
/// the link having proved the address.
pub fn list_open_for_email(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<Invitation>> {
    inv::table
        .filter(inv::email.eq(email))
        .filter(inv::accepted_at.is_null())
        .filter(inv::revoked_at.is_null())
        .order(inv::id)
        .select(Invitation::as_select())
        .load(conn)
}

/// Marks an open invitation accepted by `user_id`; 0 when it was not open any more.
pub fn accept(
    conn: &mut DbConnection,
    id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(inv::table.find(id).filter(inv::accepted_at.is_null()))
        .set((inv::accepted_at.eq(now), inv::accepted_by.eq(user_id)))
        .execute(conn)
}

/// The open invitations of a course, newest first, for the admin list (at most `limit`).
pub fn list_open_for_course(
    conn: &mut DbConnection,
    course: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Invitation>> {
    let mut query = inv::table
        .filter(inv::accepted_at.is_null())
        .filter(inv::revoked_at.is_null())
        .into_boxed();
    if let Some(course) = course {
        query = query.filter(inv::course_slug.eq(course.to_owned()));
    }
    query
        .order((inv::created_at.desc(), inv::id.desc()))
        .limit(limit)
        .select(Invitation::as_select())
        .load(conn)
}
