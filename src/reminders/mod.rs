//! Deciding and queueing reminders: inactivity nudges, "new lessons are open" mail and the
//! weekly digest. A scan walks every learner with an enrolment in keyset batches, reads what
//! the rules need outside any transaction, asks [`crate::domain::reminders`] what is due, and
//! writes each batch's reminders (a `reminder_log` claim, its outbox row, the link between
//! them) in short write transactions. The unique `dedupe_key` of both tables is what makes
//! every reminder go out once however often, or on however many instances, a scan runs.
//!
//! On PostgreSQL one instance scans at a time ([`lock`]); the others skip that tick. Logs
//! carry counts, ids and kinds only.

mod batch;
mod compose;
mod decide;
mod lock;
mod manual;
mod report;
mod scheduler;
mod words;
mod write;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::admin::Actor;
use crate::auth::unsubscribe::UnsubscribeKey;
use crate::content::{Catalog, CatalogStore};
use crate::db::models::enrollment;
use crate::db::{Database, DbConnection, DbError};
use crate::domain::ids::UserId;
use crate::templates::EmailTemplates;

pub use lock::SCAN_LOCK_KEY;
pub use manual::{NudgeOutcome, NudgeTargets, skip_text};
pub use report::{Outcome, ReminderKind, ScanLine, ScanReport};
pub use scheduler::{ReminderScheduler, SchedulerHandle};
pub use words::ReminderWords;

/// Learners read per batch. Each batch's reads are a handful of queries whatever its size;
/// its writes are split further (see [`write`]) so no transaction holds SQLite's write lock
/// for long.
const BATCH_LEARNERS: i64 = 1_000;

/// Whether a scan queues what is due or only reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Claim and queue every due reminder.
    Send,
    /// Decide and report, writing nothing (`mend reminders run-once --dry-run`).
    DryRun,
}

/// Why a scan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("no course catalog is loaded (the content has errors)")]
    NoCatalog,
    /// An admin's nudge for a course not in the catalog.
    #[error("no such course")]
    NoSuchCourse,
    /// An admin's selection of learners to nudge that cannot be used (none, or too many).
    #[error("{0}")]
    Selection(String),
}

impl From<diesel::result::Error> for ReminderError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

/// What rendering a reminder needs besides the learner: templates, the unsubscribe signer and
/// the public address links point at.
#[derive(Clone)]
pub struct Mailing {
    templates: Arc<EmailTemplates>,
    unsubscribe: UnsubscribeKey,
    base_url: String,
}

impl std::fmt::Debug for Mailing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailing").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Mailing {
    /// Reminder mail rendered with `templates`, unsubscribe links signed with `unsubscribe`,
    /// every link under `base_url`.
    pub fn new(
        templates: Arc<EmailTemplates>,
        unsubscribe: UnsubscribeKey,
        base_url: &url::Url,
    ) -> Self {
        let base_url = base_url.as_str().trim_end_matches('/').to_owned();
        Self { templates, unsubscribe, base_url }
    }
}

/// The reminder service: one per process, shared by the scheduler (and tests).
#[derive(Debug, Clone)]
pub struct Reminders {
    db: Database,
    catalog: Arc<CatalogStore>,
    mailing: Mailing,
}

impl Reminders {
    /// A service scanning `db` against the live catalog in `catalog`.
    pub fn new(db: Database, catalog: Arc<CatalogStore>, mailing: Mailing) -> Self {
        Self { db, catalog, mailing }
    }

    /// One scan as of `now`, on one pooled connection on the blocking pool (the advisory lock
    /// on PostgreSQL is that connection's for the whole scan).
    pub async fn scan(
        &self,
        now: DateTime<Utc>,
        mode: ScanMode,
    ) -> Result<ScanReport, ReminderError> {
        let catalog = self.catalog.current().ok_or(ReminderError::NoCatalog)?;
        let mailing = self.mailing.clone();
        self.db.run(move |conn| scan_on(conn, &catalog, &mailing, now, mode)).await
    }

    /// An admin's "send a gentle nudge now" for `targets` in `course` as of `now`: queues the
    /// scheduler's nudge mail for each learner it may go to, once a day, each with its audit
    /// entry by `actor`, and says who was left alone and why.
    pub async fn nudge_now(
        &self,
        actor: Actor,
        course: String,
        targets: NudgeTargets,
        now: DateTime<Utc>,
    ) -> Result<NudgeOutcome, ReminderError> {
        let catalog = self.catalog.current().ok_or(ReminderError::NoCatalog)?;
        let mailing = self.mailing.clone();
        self.db
            .run(move |conn| {
                manual::nudge_on(conn, &catalog, &mailing, &actor, &course, &targets, now)
            })
            .await
    }
}

/// One scan on a connection already open (the CLI uses its own, not a pool). On PostgreSQL,
/// when another instance holds the scan lock, returns at once with
/// [`ScanReport::locked_elsewhere`] set.
pub fn scan_on(
    conn: &mut DbConnection,
    catalog: &Catalog,
    mailing: &Mailing,
    now: DateTime<Utc>,
    mode: ScanMode,
) -> Result<ScanReport, ReminderError> {
    let started = std::time::Instant::now();
    let scanned =
        lock::with_scan_lock(conn, |conn| scan_batches(conn, catalog, mailing, now, mode))?;
    let mut report = scanned.unwrap_or_else(|| ScanReport::skipped_for_lock(now, mode));
    report.elapsed = started.elapsed();
    report.log();
    Ok(report)
}

fn scan_batches(
    conn: &mut DbConnection,
    catalog: &Catalog,
    mailing: &Mailing,
    now: DateTime<Utc>,
    mode: ScanMode,
) -> Result<ScanReport, ReminderError> {
    let courses = decide::Courses::of(catalog);
    let mut report = ScanReport::new(now, mode);
    let mut chunk = write::ChunkSize::start();
    let mut after: Option<UserId> = None;
    loop {
        let users = enrollment::next_learner_ids(conn, after, BATCH_LEARNERS)?;
        let Some(last) = users.last().copied() else { break };
        after = Some(last);
        let batch = Batch { courses: &courses, mailing, users: &users, now, mode };
        scan_batch(conn, &batch, &mut chunk, &mut report)?;
    }
    Ok(report)
}

/// One batch of learners to scan, and what the scan is for.
struct Batch<'a, 'c> {
    courses: &'a decide::Courses<'c>,
    mailing: &'a Mailing,
    users: &'a [UserId],
    now: DateTime<Utc>,
    mode: ScanMode,
}

/// Reads one batch, decides it, and (sending) queues what is due.
fn scan_batch(
    conn: &mut DbConnection,
    batch: &Batch<'_, '_>,
    chunk: &mut write::ChunkSize,
    report: &mut ScanReport,
) -> Result<(), ReminderError> {
    let Batch { courses, mailing, users, now, mode } = *batch;
    let learners = batch::load(conn, users)?;
    let mut decided = decide::decide(courses, &learners, now);
    let progress_of = decided.needs_progress(&learners);
    let extras = batch::load_extras(conn, &progress_of, &decided.digests(&learners), now)?;
    decide::settle(&learners, &extras, &mut decided);
    report.batches += 1;
    report.learners += learners.len();
    match mode {
        ScanMode::DryRun => report.add_dry_run(decided, &learners),
        ScanMode::Send => {
            let outgoing =
                compose::compose_all(courses, &learners, &extras, mailing, &decided, now);
            let claimed = write::enqueue_all(conn, &outgoing, now, chunk, report)?;
            report.add_sent(decided, &learners, &claimed);
        }
    }
    Ok(())
}
