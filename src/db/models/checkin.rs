//! Daily check-ins: one row per learner per local day. Everything the learner wrote (mood,
//! strength, triggers, what helped, the note) is stored only sealed; nothing here opens it,
//! that is the check-in service's job with the keyring.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::checkins;
use crate::domain::ids::UserId;

/// A stored check-in.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = checkins)]
pub struct CheckinRow {
    pub id: i64,
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub local_date: NaiveDate,
    pub time_zone: String,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new check-in, already sealed.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = checkins)]
pub struct NewCheckin<'a> {
    #[diesel(serialize_as = i64)]
    pub user_id: UserId,
    pub local_date: NaiveDate,
    pub time_zone: &'a str,
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The learner's check-in of one local day.
pub fn find(
    conn: &mut DbConnection,
    user: UserId,
    day: NaiveDate,
) -> QueryResult<Option<CheckinRow>> {
    checkins::table
        .filter(checkins::user_id.eq(user.get()))
        .filter(checkins::local_date.eq(day))
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

/// The learner's check-ins from `from` to `to` (inclusive), oldest first.
pub fn list_between(
    conn: &mut DbConnection,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::user_id.eq(user.get()))
        .filter(checkins::local_date.ge(from))
        .filter(checkins::local_date.le(to))
        .order(checkins::local_date)
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Every check-in of the learner, oldest first (the data export).
pub fn list_for_user(conn: &mut DbConnection, user: UserId) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::user_id.eq(user.get()))
        .order(checkins::local_date)
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Stores a day's first check-in.
pub fn insert(conn: &mut DbConnection, new: &NewCheckin<'_>) -> QueryResult<usize> {
    diesel::insert_into(checkins::table).values(*new).execute(conn)
}

/// Replaces a check-in's sealed contents (an edit on the same day).
pub fn update_sealed(
    conn: &mut DbConnection,
    id: i64,
    sealed: (&str, &[u8], &[u8]),
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (key_id, nonce, ciphertext) = sealed;
    diesel::update(checkins::table.find(id))
        .set((
            checkins::key_id.eq(key_id),
            checkins::nonce.eq(nonce),
            checkins::ciphertext.eq(ciphertext),
            checkins::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Up to `limit` check-ins after id `after` sealed under a key other than `key_id` (rotation).
pub fn list_sealed_under_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::key_id.ne(key_id))
        .filter(checkins::id.gt(after))
        .order(checkins::id)
        .limit(limit)
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Replaces a check-in's ciphertext with one sealed under a newer key, only while it is still
/// sealed under `old_key_id`; `updated_at` stays, as the learner changed nothing.
pub fn reseal(
    conn: &mut DbConnection,
    id: i64,
    old_key_id: &str,
    sealed: (&str, &[u8], &[u8]),
) -> QueryResult<usize> {
    let (key_id, nonce, ciphertext) = sealed;
    diesel::update(checkins::table.find(id).filter(checkins::key_id.eq(old_key_id)))
        .set((
            checkins::key_id.eq(key_id),
            checkins::nonce.eq(nonce),
            checkins::ciphertext.eq(ciphertext),
        ))
        .execute(conn)
}
