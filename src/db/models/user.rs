//! Accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::users;

/// A stored account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub time_zone: String,
    pub locale: String,
    pub failed_logins: i32,
    pub last_failed_login_at: Option<NaiveDateTime>,
    pub deactivated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields needed to create an account.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub email_verified_at: Option<NaiveDateTime>,
    pub time_zone: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts an account and returns it with its new id.
pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table).values(new).get_result(conn)
}

/// Finds an account by its (normalised) email address.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).optional()
}

/// Finds an account by id.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

/// Stores what the learner calls themselves and the zone their lesson dates are shown in.
pub fn update_profile(
    conn: &mut DbConnection,
    id: i64,
    display_name: &str,
    time_zone: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name),
            users::time_zone.eq(time_zone),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Stores a new password hash.
pub fn set_password_hash(
    conn: &mut DbConnection,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Records that the owner confirmed their address (the first confirmation is kept).
pub fn mark_verified(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id).filter(users::email_verified_at.is_null()))
        .set((users::email_verified_at.eq(now), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Moves the account to a new, just-confirmed address.
pub fn set_email(
    conn: &mut DbConnection,
    id: i64,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::email.eq(email), users::email_verified_at.eq(now), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Changes an account's role (callers record it in the audit log in the same transaction).
pub fn set_role(
    conn: &mut DbConnection,
    id: i64,
    role: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// How many accounts hold `role`, deactivated ones left out: the admin overview's headcount.
pub fn count_active_by_role(conn: &mut DbConnection, role: &str) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::deactivated_at.is_null())
        .count()
        .get_result(conn)
}
