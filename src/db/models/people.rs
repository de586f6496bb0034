//! The admin People queries: searching accounts with filters (keyset-paginated, newest account
//! first), and what a person's page shows about their sessions and mail. Pure reads.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, max, not};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::user::User;
use crate::db::schema::{outbox, sessions, users};

/// Which accounts a People listing wants; every field narrows it, `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// Already folded (see [`crate::domain::search::fold`]); matched anywhere in the key.
    pub text: Option<String>,
    pub role: Option<String>,
    /// `true`: address confirmed; `false`: not yet.
    pub confirmed: Option<bool>,
    /// `true`: deactivated accounts only; `false`: active ones only.
    pub deactivated: Option<bool>,
    /// Has a session used at or after this instant.
    pub seen_since: Option<NaiveDateTime>,
    /// Has no session used at or after this instant (including never signed in).
    pub not_seen_since: Option<NaiveDateTime>,
}

/// Up to `limit` accounts matching `filter`, newest (highest id) first, strictly before the
/// account id `before` (keyset pagination on the primary key: stable while accounts are added,
/// and as fast on the last page as on the first).
pub fn search(
    conn: &mut DbConnection,
    filter: &PeopleFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).into_boxed();
    if let Some(text) = &filter.text {
        query = query.filter(users::search_key.like(contains(text)).escape('\\'));
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    match filter.confirmed {
        Some(true) => query = query.filter(users::email_verified_at.is_not_null()),
        Some(false) => query = query.filter(users::email_verified_at.is_null()),
        None => {}
    }
    match filter.deactivated {
        Some(true) => query = query.filter(users::deactivated_at.is_not_null()),
        Some(false) => query = query.filter(users::deactivated_at.is_null()),
        None => {}
    }
    if let Some(since) = filter.seen_since {
        query = query.filter(exists(seen_at_or_after(since)));
    }
    if let Some(since) = filter.not_seen_since {
        query = query.filter(not(exists(seen_at_or_after(since))));
    }
    if let Some(before) = before {
        query = query.filter(users::id.lt(before));
    }
    query.order(users::id.desc()).limit(limit).load(conn)
}

/// The sessions of the outer query's account used at or after `since`.
#[diesel::dsl::auto_type]
fn seen_at_or_after(since: NaiveDateTime) -> _ {
    sessions::table
        .filter(sessions::user_id.eq(users::id))
        .filter(sessions::last_seen_at.ge(since))
        .select(sessions::id)
}

/// `%text%` with the `LIKE` wildcards in `text` escaped (with `\`, named in the query's
/// `ESCAPE`, which both databases honour).
fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// When each of `ids` last used any session (signed out or not); absent when never.
pub fn last_seen(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<Vec<(i64, Option<NaiveDateTime>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sessions::table
        .filter(sessions::user_id.eq_any(ids))
        .group_by(sessions::user_id)
        .select((sessions::user_id, max(sessions::last_seen_at)))
        .load(conn)
}

/// A person's sessions, most recently used first, live or not (the page marks which).
pub fn sessions_of(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<crate::db::models::session::Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order((sessions::last_seen_at.desc(), sessions::id))
        .limit(limit)
        .select(crate::db::models::session::Session::as_select())
        .load(conn)
}

/// What the person page shows of one message: never its body.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct MailSummary {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// The newest messages to `email`.
pub fn mail_to(conn: &mut DbConnection, email: &str, limit: i64) -> QueryResult<Vec<MailSummary>> {
    outbox::table
        .filter(outbox::recipient.eq(email))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit)
        .select(MailSummary::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn like_wildcards_in_the_text_are_escaped() {
        assert_eq!(contains("ana"), "%ana%");
        assert_eq!(contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
