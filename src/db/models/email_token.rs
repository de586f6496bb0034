//! One-time tokens sent by email (verify an address, reset a password). Only the SHA-256 of a
//! token is stored; a token is usable once, until it expires or a newer one replaces it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::email_tokens;

/// Confirms the address an account was registered with.
pub const PURPOSE_VERIFY: &str = "verify_email";
/// Lets the owner of an address choose a new password.
pub const PURPOSE_RESET: &str = "reset_password";
/// Confirms a new address for an account (sent to the new address).
pub const PURPOSE_CHANGE_EMAIL: &str = "change_email";

/// A stored token.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub id: i64,
    pub user_id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub new_email: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// A token about to be stored.
#[derive(Debug, Insertable)]
#[diesel(table_name = email_tokens)]
pub struct NewEmailToken<'a> {
    pub user_id: i64,
    pub purpose: &'a str,
    pub token_hash: &'a str,
    /// For [`PURPOSE_CHANGE_EMAIL`]: the address being confirmed.
    pub new_email: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a token after voiding the user's older unused ones of the same purpose.
pub fn replace(conn: &mut DbConnection, new: &NewEmailToken<'_>) -> QueryResult<()> {
    void_unused(conn, new.user_id, new.purpose, new.created_at)?;
    diesel::insert_into(email_tokens::table).values(new).execute(conn).map(drop)
}

/// Marks every unused token of `purpose` for `user_id` as used (a newer token or a password
/// change voids them).
pub fn void_unused(
    conn: &mut DbConnection,
    user_id: i64,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
}

/// Consumes the unused, unexpired token with this hash and purpose, returning it; `None` when
/// it does not exist, was used, or expired.
pub fn consume(
    conn: &mut DbConnection,
    token_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailToken>> {
    let found = email_tokens::table
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select(EmailToken::as_select())
        .first(conn)
        .optional()?;
    if let Some(token) = &found {
        diesel::update(email_tokens::table.find(token.id))
            .set(email_tokens::used_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}
