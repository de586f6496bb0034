//! Every reminder the scan decided to send (`reminder_log`). The unique `dedupe_key` is what
//! makes each reminder go out once: a rerun, a crash mid-scan or a second instance that decides
//! the same reminder finds the key taken and writes nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::outbox;
use crate::db::schema::reminder_log;
use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::notifications::Topic;

/// `kind` of an inactivity nudge.
pub const KIND_NUDGE: &str = "nudge";
/// `kind` of a "new lessons are open" mail.
pub const KIND_UNLOCK: &str = "unlock";
/// `kind` of a weekly digest.
pub const KIND_DIGEST: &str = "digest";
/// `kind` of a nudge an admin sent from a course's report (its own kind, so the scheduler's
/// tiers and cap count only its own nudges).
pub const KIND_MANUAL: &str = "manual";

/// A logged reminder, as the scan reads it back to know what was already sent.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reminder_log)]
pub struct LoggedReminder {
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: String,
    pub kind: String,
    pub enrollment_id: Option<i64>,
    pub tier: Option<i32>,
    pub dedupe_key: Option<String>,
    pub outbox_id: Option<i64>,
    pub sent_at: NaiveDateTime,
}

/// A reminder about to be logged.
#[derive(Debug, Clone, Copy)]
pub struct NewReminder<'a> {
    pub user_id: UserId,
    /// `""` for mail about no single course (unlock batches, digests).
    pub course_slug: &'a str,
    pub kind: &'a str,
    pub enrollment_id: Option<EnrollmentId>,
    pub tier: Option<i32>,
    pub dedupe_key: &'a str,
    /// The mail queued for it.
    pub outbox_id: Option<i64>,
    pub decided_at: NaiveDateTime,
}

/// Everything logged for these learners since `since` (the scan's look-back), oldest first.
pub fn list_for(
    conn: &mut DbConnection,
    users: &[UserId],
    since: NaiveDateTime,
) -> QueryResult<Vec<LoggedReminder>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    reminder_log::table
        .filter(reminder_log::user_id.eq_any(ids))
        .filter(reminder_log::sent_at.ge(since))
        .order((reminder_log::sent_at, reminder_log::id))
        .select(LoggedReminder::as_select())
        .load(conn)
}

/// Withdraws the reminders of `topic` still waiting in the outbox for `user`, so mail the scan
/// (or an admin's nudge) queued before the learner turned it off does not go out after all.
/// Mail a worker holds at `now` is past recall. Partner updates are never logged here: they
/// are checked against the learner's choice when queued and go out at once.
pub fn withdraw_queued(
    conn: &mut DbConnection,
    user: UserId,
    topic: Topic,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let logged = reminder_log::table
        .filter(reminder_log::user_id.eq(user.get()))
        .select(reminder_log::outbox_id)
        .into_boxed();
    let logged = match topic {
        Topic::Reminders(enrollment) => logged
            .filter(reminder_log::enrollment_id.eq(enrollment.get()))
            .filter(reminder_log::kind.eq_any([KIND_NUDGE, KIND_MANUAL])),
        Topic::NewLessons => logged.filter(reminder_log::kind.eq(KIND_UNLOCK)),
        Topic::Digest => logged.filter(reminder_log::kind.eq(KIND_DIGEST)),
        Topic::PartnerUpdates => return Ok(0),
    };
    let queued: Vec<i64> = logged.load::<Option<i64>>(conn)?.into_iter().flatten().collect();
    outbox::cancel_all(conn, &queued, now)
}

#[derive(Insertable)]
#[diesel(table_name = reminder_log)]
struct LogRow<'a> {
    user_id: i64,
    course_slug: &'a str,
    kind: &'a str,
    enrollment_id: Option<i64>,
    tier: Option<i32>,
    dedupe_key: &'a str,
    outbox_id: Option<i64>,
    sent_at: NaiveDateTime,
}

/// Logs every reminder in one statement (the scan's batches), in the caller's transaction:
/// returns the keys logged; keys already logged (a rerun, another instance) are left out.
/// ON CONFLICT DO NOTHING, so a duplicate never aborts a PostgreSQL transaction.
pub fn record_all(conn: &mut DbConnection, news: &[NewReminder<'_>]) -> QueryResult<Vec<String>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<LogRow<'_>> = news
        .iter()
        .map(|new| LogRow {
            user_id: new.user_id.get(),
            course_slug: new.course_slug,
            kind: new.kind,
            enrollment_id: new.enrollment_id.map(EnrollmentId::get),
            tier: new.tier,
            dedupe_key: new.dedupe_key,
            outbox_id: new.outbox_id,
            sent_at: new.decided_at,
        })
        .collect();
    let keys: Vec<Option<String>> =
        crate::per_backend!(conn, |c| diesel::insert_into(reminder_log::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .returning(reminder_log::dedupe_key)
            .get_results(c))?;
    Ok(keys.into_iter().flatten().collect())
}
