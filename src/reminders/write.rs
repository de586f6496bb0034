//! The writes of one batch: each due reminder's outbox row (its facts, not a rendered mail: see
//! [`super::words`]) and its `reminder_log` entry, in multi-row statements, one short
//! transaction per chunk. The outbox's unique `dedupe_key` is the claim: a key already queued
//! (a rerun, a second instance, a scan that crashed after committing) writes nothing more, and
//! the log refuses a key it already holds, in which case the row just queued is withdrawn in the
//! same transaction. So each reminder is queued once and logged once, whatever happens.
//!
//! Chunks are sized by time ([`ChunkSize`]): small enough that no transaction holds SQLite's
//! write lock for long (a lesson page waits behind it), large enough that commits do not set
//! the pace. Each chunk stands alone, so a crash between chunks loses nothing: the next scan
//! decides the rest again.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::db::models::outbox::{self, NewMessage};
use crate::db::models::reminder_log::{self, NewReminder};
use crate::db::{DbConnection, DbError, write_transaction};

use super::ReminderError;
use super::compose::Outgoing;
use super::report::ScanReport;

/// Queues and logs `outgoing`; `claimed[i]` says whether this scan queued `outgoing[i]`.
pub(super) fn enqueue_all(
    conn: &mut DbConnection,
    outgoing: &[Outgoing],
    now: DateTime<Utc>,
    size: &mut ChunkSize,
    report: &mut ScanReport,
) -> Result<Vec<bool>, ReminderError> {
    let mut claimed = Vec::with_capacity(outgoing.len());
    let mut rest = outgoing;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(size.get().min(rest.len()));
        let started = Instant::now();
        let done = write_transaction(conn, |conn| enqueue_chunk(conn, chunk, now))?;
        let took = started.elapsed();
        size.adjust(took);
        report.max_write = report.max_write.max(took);
        report.write_transactions += 1;
        claimed.extend(done);
        rest = after;
    }
    Ok(claimed)
}

/// One chunk in two statements (three when the log already held a key), in the caller's
/// transaction (an admin's nudge writes its audit entry in the same one).
pub(super) fn enqueue_chunk(
    conn: &mut DbConnection,
    chunk: &[Outgoing],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, DbError> {
    let decided_at = now.naive_utc();
    let messages: Vec<NewMessage<'_>> = chunk.iter().map(message).collect();
    let queued: HashMap<String, i64> = outbox::enqueue_all(conn, &messages, decided_at)?
        .into_iter()
        .filter_map(|(id, key)| Some((key?, id)))
        .collect();
    let entries: Vec<NewReminder<'_>> = chunk
        .iter()
        .filter_map(|mail| {
            let outbox_id = *queued.get(&mail.key)?;
            Some(NewReminder {
                user_id: mail.user,
                course_slug: &mail.course_slug,
                kind: mail.log_kind,
                enrollment_id: mail.enrollment,
                tier: mail.tier,
                dedupe_key: &mail.key,
                outbox_id: Some(outbox_id),
                decided_at,
            })
        })
        .collect();
    let logged: HashSet<String> = reminder_log::record_all(conn, &entries)?.into_iter().collect();
    let withdrawn: Vec<i64> =
        queued.iter().filter(|(key, _)| !logged.contains(*key)).map(|(_, id)| *id).collect();
    outbox::delete_unsent(conn, &withdrawn)?;
    Ok(chunk.iter().map(|mail| logged.contains(&mail.key)).collect())
}

/// The outbox row of one reminder: auto-generated, with its one-click unsubscribe URL, its
/// words left to be written from its payload when it is sent.
fn message(mail: &Outgoing) -> NewMessage<'_> {
    NewMessage {
        kind: mail.mail_kind,
        recipient: &mail.recipient,
        subject: "",
        body_text: "",
        body_html: None,
        dedupe_key: Some(&mail.key),
        list_unsubscribe: Some(&mail.unsubscribe),
        auto_submitted: true,
        not_before: mail.not_before.map(|at| at.naive_utc()),
        payload: Some(&mail.payload),
    }
}

/// How many reminders go in one write transaction, adjusted after each from how long it took,
/// so each stays near [`ChunkSize::TARGET`] whatever the machine, the database or the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ChunkSize(usize);

impl ChunkSize {
    /// What a write transaction should take: well inside the 50 ms a reader may wait.
    pub const TARGET: Duration = Duration::from_millis(20);
    const MIN: usize = 16;
    const MAX: usize = 2_048;

    /// Where a scan starts: a few milliseconds of writing on any machine.
    pub fn start() -> Self {
        Self(128)
    }

    /// The size of the next chunk.
    pub fn get(self) -> usize {
        self.0
    }

    /// Halves after a transaction over the target, doubles after one under half of it.
    fn adjust(&mut self, took: Duration) {
        if took > Self::TARGET {
            self.0 = (self.0 / 2).max(Self::MIN);
        } else if took < Self::TARGET / 2 {
            self.0 = (self.0 * 2).min(Self::MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_chunk_halves_the_next_and_a_fast_one_doubles_it_within_bounds() {
        let mut size = ChunkSize::start();
        size.adjust(Duration::from_millis(45));
        assert_eq!(size.get(), 64);
        size.adjust(Duration::from_millis(15));
        assert_eq!(size.get(), 64, "near the target: unchanged");
        size.adjust(Duration::from_millis(2));
        assert_eq!(size.get(), 128);
        for _ in 0..20 {
            size.adjust(Duration::from_millis(500));
        }
        assert_eq!(size.get(), ChunkSize::MIN);
        for _ in 0..20 {
            size.adjust(Duration::ZERO);
        }
        assert_eq!(size.get(), ChunkSize::MAX);
    }
}
