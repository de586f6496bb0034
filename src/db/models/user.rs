//! Accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::users;
use crate::domain::search;

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
    /// Page titles say only "Mend" (see `/account/discretion`).
    pub discreet_titles: bool,
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

/// Inserts an account and returns it with its new id; its search key is derived here, so no
/// caller can forget it.
pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<User> {
    let key = search::account_key(new.email, new.display_name);
    let id: i64 = diesel::insert_into(users::table)
        .values((new, users::search_key.eq(key)))
        .returning(users::id)
        .get_result(conn)?;
    users::table.find(id).select(User::as_select()).first(conn)
}

/// Recomputes the search key of one account after its address or name changed.
pub fn refresh_search_key(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let found: Option<(String, String)> =
        users::table.find(id).select((users::email, users::display_name)).first(conn).optional()?;
    let Some((email, name)) = found else { return Ok(()) };
    diesel::update(users::table.find(id))
        .set(users::search_key.eq(search::account_key(&email, &name)))
        .execute(conn)
        .map(drop)
}

/// How many keys [`backfill_search_keys`] computes per statement batch.
const BACKFILL_BATCH: i64 = 500;

/// Fills in the search key of accounts that have none (those that existed before the column,
/// which the migration cannot fold the way [`search::fold`] does); returns how many. Cheap when
/// there are none, so it runs after every migration.
pub fn backfill_search_keys(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut filled = 0;
    loop {
        let batch: Vec<(i64, String, String)> = users::table
            .filter(users::search_key.eq(""))
            .order(users::id)
            .limit(BACKFILL_BATCH)
            .select((users::id, users::email, users::display_name))
            .load(conn)?;
        if batch.is_empty() {
            return Ok(filled);
        }
        conn.transaction(|conn| {
            for (id, email, name) in &batch {
                diesel::update(users::table.find(*id))
                    .set(users::search_key.eq(search::account_key(email, name)))
                    .execute(conn)?;
            }
            QueryResult::Ok(())
        })?;
        filled += batch.len();
    }
}

/// Deactivates (`Some(at)`) or reactivates (`None`) an account; returns the rows changed, 0
/// when it was already in that state (callers answer "nothing changed" rather than failing).
pub fn set_deactivated(
    conn: &mut DbConnection,
    id: i64,
    at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = users::table.find(id);
    let changes = (users::deactivated_at.eq(at), users::updated_at.eq(now));
    match at {
        Some(_) => diesel::update(target.filter(users::deactivated_at.is_null()))
            .set(changes)
            .execute(conn),
        None => diesel::update(target.filter(users::deactivated_at.is_not_null()))
            .set(changes)
            .execute(conn),
    }
}

/// Whether `email` belongs to a deactivated account, which gets no mail at all.
pub fn is_deactivated_address(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)).filter(users::deactivated_at.is_not_null()),
    ))
    .get_result(conn)
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
        .execute(conn)?;
    refresh_search_key(conn, id)
}

/// Turns neutral page titles on or off; returns the rows changed, 0 when the account already
/// had that choice (so saving the same choice again writes nothing).
pub fn set_discreet_titles(
    conn: &mut DbConnection,
    id: i64,
    on: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::discreet_titles.ne(on)))
        .set((users::discreet_titles.eq(on), users::updated_at.eq(now)))
        .execute(conn)
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
        .execute(conn)?;
    refresh_search_key(conn, id)
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

/// What mail to a learner needs to know about them: where it goes, what to call them, and
/// whether they may be written to at all (confirmed, not deactivated).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct MailRecipient {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub time_zone: String,
    pub deactivated_at: Option<NaiveDateTime>,
}

/// [`MailRecipient`]s for several accounts in one query (the reminder scan's batches).
pub fn list_recipients(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<MailRecipient>> {
    users::table.filter(users::id.eq_any(ids)).select(MailRecipient::as_select()).load(conn)
}

/// How many accounts hold `role`, deactivated ones left out: the admin overview's headcount.
pub fn count_active_by_role(conn: &mut DbConnection, role: &str) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::deactivated_at.is_null())
        .count()
        .get_result(conn)
}

/// The address and name of each of `ids` that still exists, for listings that name the people
/// in them (the audit log's actors): one query however many rows the listing has.
pub fn names_by_ids(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email, users::display_name))
        .load(conn)
}
