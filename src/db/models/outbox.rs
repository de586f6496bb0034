//! The transactional outbox: mail is written here in the same transaction as the data that
//! caused it, and a worker claims, sends and records each message (see [`crate::mail`]).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{outbox, users};

/// Waiting to be sent (or re-sent after a failed attempt).
pub const STATUS_PENDING: &str = "pending";
/// Accepted by the transport.
pub const STATUS_SENT: &str = "sent";
/// Given up on after the last attempt.
pub const STATUS_FAILED: &str = "failed";
/// Withdrawn by an admin before it was sent: the worker never claims it.
pub const STATUS_CANCELLED: &str = "cancelled";
/// Every status a message can have, in the order the console offers them as filters.
pub const STATUSES: [&str; 4] = [STATUS_PENDING, STATUS_SENT, STATUS_FAILED, STATUS_CANCELLED];

/// Longest `last_error` kept, so a chatty server cannot bloat the table.
const MAX_ERROR_CHARS: usize = 1_000;

/// A stored message, as the worker reads it to send it.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The one-click unsubscribe URL (`List-Unsubscribe`, RFC 8058); `None` for essential mail.
    pub list_unsubscribe: Option<String>,
    /// Sent by a scheduler, not in reply to anything (`Auto-Submitted: auto-generated`).
    pub auto_submitted: bool,
    /// A reminder's facts (JSON), rendered into its subject and bodies when it is sent (see
    /// [`crate::mail::deferred`]); `None` for mail stored with its words.
    pub payload: Option<String>,
}

/// What a caller writes to send one email; the rest of the row is filled in by [`enqueue`].
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The template or event it came from (`verify_email`), the only part ever logged.
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// Makes enqueueing idempotent: a second message with the same key is dropped.
    pub dedupe_key: Option<&'a str>,
    /// Non-essential mail only: where one click unsubscribes (see [`OutboxMessage`]).
    pub list_unsubscribe: Option<&'a str>,
    /// Reminders and digests, which no person sent.
    pub auto_submitted: bool,
    /// Not before this instant (a learner's send window); `None` sends at once.
    pub not_before: Option<NaiveDateTime>,
    /// Facts to render the words from at send time, for mail queued in bulk (reminders).
    pub payload: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct OutboxRow<'a> {
    kind: &'a str,
    recipient: &'a str,
    subject: &'a str,
    body_text: &'a str,
    body_html: Option<&'a str>,
    status: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    dedupe_key: Option<&'a str>,
    created_at: NaiveDateTime,
    list_unsubscribe: Option<&'a str>,
    auto_submitted: bool,
    payload: Option<&'a str>,
}

/// Queues a message, due at once or at `new.not_before`. Call it inside the caller's own transaction so the mail is
/// stored if and only if the data that caused it is. Returns the new id, or `None` when a
/// message with the same `dedupe_key` already exists (not an error: the mail is already queued)
/// or when the recipient is a deactivated account, which gets no mail of any kind.
pub fn enqueue(
    conn: &mut DbConnection,
    new: &NewMessage<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    if crate::db::models::user::is_deactivated_address(conn, new.recipient)? {
        tracing::debug!(kind = new.kind, "mail to a deactivated account dropped");
        return Ok(None);
    }
    let row = OutboxRow {
        kind: new.kind,
        recipient: new.recipient,
        subject: new.subject,
        body_text: new.body_text,
        body_html: new.body_html,
        status: STATUS_PENDING,
        attempts: 0,
        next_attempt_at: new.not_before.map_or(now, |at| at.max(now)),
        dedupe_key: new.dedupe_key,
        created_at: now,
        list_unsubscribe: new.list_unsubscribe,
        auto_submitted: new.auto_submitted,
        payload: new.payload,
    };
    // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a failed
    // statement would abort the caller's whole transaction.
    crate::per_backend!(conn, |c| diesel::insert_into(outbox::table)
        .values(&row)
        .on_conflict(outbox::dedupe_key)
        .do_nothing()
        .returning(outbox::id)
        .get_result(c)
        .optional())
}

/// [`enqueue`] for many messages in one statement (bulk mail: the reminder scan, imports):
/// returns the id and `dedupe_key` of each row written; messages whose `dedupe_key` is already
/// queued are left out, so the unique key doubles as a claim.
pub fn enqueue_all(
    conn: &mut DbConnection,
    news: &[NewMessage<'_>],
    now: NaiveDateTime,
) -> QueryResult<Vec<(i64, Option<String>)>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<OutboxRow<'_>> = news.iter().map(|new| row(new, now)).collect();
    crate::per_backend!(conn, |c| diesel::insert_into(outbox::table)
        .values(&rows)
        .on_conflict(outbox::dedupe_key)
        .do_nothing()
        .returning((outbox::id, outbox::dedupe_key))
        .get_results(c))
}

/// Deletes the rows `ids` in the caller's transaction: mail queued by that transaction that
/// must not go out after all (see the reminder scan's writes).
pub fn delete_unsent(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(outbox::table.filter(outbox::id.eq_any(ids)).filter(outbox::sent_at.is_null()))
        .execute(conn)
}

fn row<'a>(new: &NewMessage<'a>, now: NaiveDateTime) -> OutboxRow<'a> {
    OutboxRow {
        kind: new.kind,
        recipient: new.recipient,
        subject: new.subject,
        body_text: new.body_text,
        body_html: new.body_html,
        status: STATUS_PENDING,
        attempts: 0,
        next_attempt_at: new.not_before.map_or(now, |at| at.max(now)),
        dedupe_key: new.dedupe_key,
        created_at: now,
        list_unsubscribe: new.list_unsubscribe,
        auto_submitted: new.auto_submitted,
        payload: new.payload,
    }
}

/// Pending messages that are due and whose lease is free (never claimed, or its worker died),
/// leaving aside mail to a deactivated account: queued before it was deactivated, it waits
/// (and goes out if the account is reactivated). `pending` is a parameter because `auto_type`
/// cannot take a constant inside the query.
#[diesel::dsl::auto_type]
fn due_ids(pending: &'static str, now: NaiveDateTime, limit: i64) -> _ {
    outbox::table
        .filter(outbox::status.eq(pending))
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::locked_until.is_null().or(outbox::locked_until.le(now)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            users::table
                .filter(users::email.eq(outbox::recipient))
                .filter(users::deactivated_at.is_not_null()),
        )))
        .order((outbox::next_attempt_at, outbox::id))
        .limit(limit)
        .select(outbox::id)
}

/// Claims up to `limit` due messages for `lease`: no other worker claims them until it ends.
/// Must run in a write transaction. On PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`
/// so concurrent workers on other instances pass over each other's rows instead of waiting; on
/// SQLite the `BEGIN IMMEDIATE` write transaction already admits one claimer at a time.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<OutboxMessage>> {
    let ids: Vec<i64> = match conn {
        DbConnection::Sqlite(c) => due_ids(STATUS_PENDING, now, limit).load(c)?,
        DbConnection::Postgres(c) => {
            due_ids(STATUS_PENDING, now, limit).for_update().skip_locked().load(c)?
        }
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set(outbox::locked_until.eq(now + lease))
        .execute(conn)?;
    outbox::table
        .filter(outbox::id.eq_any(&ids))
        .order((outbox::next_attempt_at, outbox::id))
        .select(OutboxMessage::as_select())
        .load(conn)
}

/// Records a delivered message and releases its lease.
pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(STATUS_SENT),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::sent_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// Records failed attempt number `attempt` with its `error` and releases the lease: the message
/// is tried again at `retry_at`, or marked failed for good when that is `None`.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    attempt: i32,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let status = if retry_at.is_some() { STATUS_PENDING } else { STATUS_FAILED };
    let target = outbox::table.find(id);
    let changes = (
        outbox::status.eq(status),
        outbox::attempts.eq(attempt),
        outbox::last_error.eq(error),
        outbox::locked_until.eq(None::<NaiveDateTime>),
    );
    match retry_at {
        Some(at) => {
            diesel::update(target).set((changes, outbox::next_attempt_at.eq(at))).execute(conn)
        }
        None => diesel::update(target).set(changes).execute(conn),
    }
}

/// Finds one message by id, for tests and the admin view.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<OutboxMessage> {
    outbox::table.find(id).select(OutboxMessage::as_select()).first(conn)
}

/// How many messages have the given status; used by health reports and tests.
pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq(status)).count().get_result(conn)
}

/// Which messages an admin listing wants; every field narrows it, `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An exact kind (`verify_email`).
    pub kind: Option<String>,
    /// One of [`STATUSES`].
    pub status: Option<String>,
    /// Queued at or after this instant.
    pub since: Option<NaiveDateTime>,
    /// Queued before this instant.
    pub until: Option<NaiveDateTime>,
    /// Part of the recipient's address, in any case (compared lower-cased on both backends).
    pub recipient_contains: Option<String>,
}

/// Up to `limit` messages matching `filter`, newest first, with an id below `before` (keyset
/// pagination on the id, which grows with the queueing time: stable while mail is queued).
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    let mut query = outbox::table.select(OutboxMessage::as_select()).into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(outbox::kind.eq(kind.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(outbox::status.eq(status.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(outbox::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(outbox::created_at.lt(until));
    }
    if let Some(needle) = &filter.recipient_contains {
        // Lower-cased on both sides: LIKE ignores ASCII case on SQLite but not on PostgreSQL.
        let pattern = lower(contains_pattern(needle));
        query = query.filter(lower(outbox::recipient).like(pattern).escape('\\'));
    }
    if let Some(before) = before {
        query = query.filter(outbox::id.lt(before));
    }
    query.order(outbox::id.desc()).limit(limit).load(conn)
}

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQL `lower(text)`, the same on SQLite and PostgreSQL for ASCII letters.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `%needle%` with `\`, `%` and `_` escaped, so the needle matches only itself.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One message by id, or `None`: the admin detail page.
pub fn find_optional(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OutboxMessage>> {
    outbox::table.find(id).select(OutboxMessage::as_select()).first(conn).optional()
}

/// Puts a failed message back in the queue, due at `now`, with its attempt count reset to 0 so
/// it gets the worker's full series of attempts again (its `last_error` is kept until the next
/// attempt replaces it). Returns 0 unless the message was `failed`.
pub fn retry(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.eq(STATUS_FAILED)))
        .set((
            outbox::status.eq(STATUS_PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Withdraws the queued messages among `ids` that no worker holds at `now`, returning how many.
/// Only `pending` rows with their lease free change, checked in the same UPDATE so a worker
/// claiming one meanwhile wins.
pub fn cancel_all(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(STATUS_PENDING))
            .filter(outbox::locked_until.is_null().or(outbox::locked_until.le(now))),
    )
    .set((outbox::status.eq(STATUS_CANCELLED), outbox::locked_until.eq(None::<NaiveDateTime>)))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn contains_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
