//! The writes of one batch: for each due reminder, claim its key in `reminder_log`, queue its
//! outbox row and link the two, all in one transaction with the claim. A key already taken
//! (a rerun, a second instance, a scan that crashed after committing) writes nothing more.
//!
//! A batch's reminders are written in chunks of [`WRITE_CHUNK`], one short transaction each,
//! so no transaction holds SQLite's write lock for long whatever the batch's size; each chunk
//! stands alone, so a crash between chunks loses nothing (the next scan decides the rest again).

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::db::models::outbox;
use crate::db::models::reminder_log::{self, NewReminder};
use crate::db::{DbConnection, DbError, write_transaction};

use super::ReminderError;
use super::compose::Outgoing;
use super::report::ScanReport;

/// Reminders per write transaction: about three small statements each.
const WRITE_CHUNK: usize = 100;

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
        let done = write_transaction(conn, |conn| {
            chunk.iter().map(|mail| enqueue(conn, mail, now)).collect::<Result<Vec<_>, DbError>>()
        })?;
        report.max_write = report.max_write.max(started.elapsed());
        report.write_transactions += 1;
        claimed.extend(done);
    }
    Ok(claimed)
}

/// One reminder: `true` when this call claimed it and queued its mail.
fn enqueue(conn: &mut DbConnection, mail: &Outgoing, now: DateTime<Utc>) -> Result<bool, DbError> {
    let decided_at = now.naive_utc();
    let claim = NewReminder {
        user_id: mail.user,
        course_slug: &mail.course_slug,
        kind: mail.log_kind,
        enrollment_id: mail.enrollment,
        tier: mail.tier,
        dedupe_key: &mail.key,
        decided_at,
    };
    if !reminder_log::claim(conn, &claim)? {
        return Ok(false);
    }
    let mut message = mail.email.to_message(&mail.recipient, Some(&mail.key));
    message.list_unsubscribe = Some(&mail.unsubscribe);
    message.auto_submitted = true;
    if let Some(id) = outbox::enqueue(conn, &message, decided_at)? {
        reminder_log::set_outbox_id(conn, &mail.key, id)?;
    }
    Ok(true)
}
