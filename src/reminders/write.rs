//! The writes of one batch: for each due reminder, claim its key in `reminder_log`, queue its
//! outbox row and link the two, all in one transaction with the claim (multi-row statements:
//! one round trip per statement, not per reminder). A key already taken
//! (a rerun, a second instance, a scan that crashed after committing) writes nothing more.
//!
//! A batch's reminders are written in chunks of [`WRITE_CHUNK`], one short transaction each,
//! so no transaction holds SQLite's write lock for long whatever the batch's size; each chunk
//! stands alone, so a crash between chunks loses nothing (the next scan decides the rest again).

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::db::models::outbox::{self, NewMessage};
use crate::db::models::reminder_log::{self, NewReminder};
use crate::db::{DbConnection, DbError, write_transaction};

use super::ReminderError;
use super::compose::Outgoing;
use super::report::ScanReport;

/// Reminders per write transaction: three multi-row statements, a few milliseconds.
const WRITE_CHUNK: usize = 250;

/// Claims and queues `outgoing`; `claimed[i]` says whether this scan queued `outgoing[i]`.
pub(super) fn enqueue_all(
    conn: &mut DbConnection,
    outgoing: &[Outgoing],
    now: DateTime<Utc>,
    report: &mut ScanReport,
) -> Result<Vec<bool>, ReminderError> {
    let mut claimed = Vec::with_capacity(outgoing.len());
    for chunk in outgoing.chunks(WRITE_CHUNK) {
        let started = Instant::now();
        let done = write_transaction(conn, |conn| enqueue_chunk(conn, chunk, now))?;
        report.max_write = report.max_write.max(started.elapsed());
        report.write_transactions += 1;
        claimed.extend(done);
    }
    Ok(claimed)
}

/// One chunk in three statements: claim every key, queue the mail of the keys this call
/// claimed, link the two. Runs in the caller's transaction (an admin's nudge writes its audit
/// entry in the same one).
pub(super) fn enqueue_chunk(
    conn: &mut DbConnection,
    chunk: &[Outgoing],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, DbError> {
    let decided_at = now.naive_utc();
    let claims: Vec<NewReminder<'_>> = chunk
        .iter()
        .map(|mail| NewReminder {
            user_id: mail.user,
            course_slug: &mail.course_slug,
            kind: mail.log_kind,
            enrollment_id: mail.enrollment,
            tier: mail.tier,
            dedupe_key: &mail.key,
            decided_at,
        })
        .collect();
    let taken: HashSet<String> = reminder_log::claim_all(conn, &claims)?.into_iter().collect();
    let claimed: Vec<bool> = chunk.iter().map(|mail| taken.contains(&mail.key)).collect();
    let messages: Vec<NewMessage<'_>> = chunk
        .iter()
        .zip(&claimed)
        .filter(|(_, claimed)| **claimed)
        .map(|(mail, _)| message(mail))
        .collect();
    outbox::enqueue_all(conn, &messages, decided_at)?;
    let keys: Vec<&str> = messages.iter().filter_map(|m| m.dedupe_key).collect();
    reminder_log::link_outbox(conn, &keys)?;
    Ok(claimed)
}

/// The outbox row of one reminder: auto-generated, with its one-click unsubscribe URL.
fn message(mail: &Outgoing) -> NewMessage<'_> {
    let mut message = mail.email.to_message(&mail.recipient, Some(&mail.key));
    message.list_unsubscribe = Some(&mail.unsubscribe);
    message.auto_submitted = true;
    message.not_before = mail.not_before.map(|at| at.naive_utc());
    message
}
