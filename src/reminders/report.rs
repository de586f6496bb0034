//! What a scan did, per learner id and in total: what `mend reminders run-once` prints and what
//! the scheduler logs (counts only). Lines name learners, enrolments and courses by id and
//! slug, never an address or a name.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::reminders::Skip;

use super::ScanMode;
use super::batch::Learner;
use super::decide::Decided;

/// The three kinds of reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderKind {
    /// An inactivity nudge for one enrolment.
    Nudge,
    /// "New lessons are open".
    NewLessons,
    /// The weekly digest.
    Digest,
}

impl ReminderKind {
    /// The name printed and logged (also the outbox `kind` of the mail).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nudge => "nudge",
            Self::NewLessons => "new_lessons",
            Self::Digest => "digest",
        }
    }
}

/// What happened to one possible reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Due, and queued by this scan.
    Sent(String),
    /// Due, and a dry run: nothing was written.
    WouldSend(String),
    /// Not sent now, and why (including "already sent" when another scan claimed it first).
    NotDue(Skip),
}

/// One learner's one possible reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLine {
    pub user: UserId,
    pub kind: ReminderKind,
    /// For nudges: the enrolment, and its course's slug.
    pub enrollment: Option<EnrollmentId>,
    pub course: Option<String>,
    pub outcome: Outcome,
}

impl fmt::Display for ScanLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "learner {}: {}", self.user, self.kind.as_str())?;
        if let (Some(enrollment), Some(course)) = (self.enrollment, &self.course) {
            write!(f, " (enrolment {enrollment}, {course})")?;
        }
        match &self.outcome {
            Outcome::Sent(detail) => write!(f, ": queued, {detail}"),
            Outcome::WouldSend(detail) => write!(f, ": would send, {detail}"),
            Outcome::NotDue(skip) => write!(f, ": not due, {skip}"),
        }
    }
}

/// The outcome of one scan.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// The instant the scan decided as of.
    pub now: DateTime<Utc>,
    pub mode: ScanMode,
    /// Another instance held the scan lock, so this one did nothing.
    pub locked_elsewhere: bool,
    /// Every decision, learner by learner.
    pub lines: Vec<ScanLine>,
    /// Learners read.
    pub learners: usize,
    /// Read batches.
    pub batches: usize,
    /// Write transactions committed.
    pub write_transactions: usize,
    /// The longest write transaction (how long one batch held SQLite's write lock).
    pub max_write: Duration,
    /// Wall time of the whole scan.
    pub elapsed: Duration,
}

impl ScanReport {
    /// An empty report for a scan as of `now`.
    pub fn new(now: DateTime<Utc>, mode: ScanMode) -> Self {
        Self {
            now,
            mode,
            locked_elsewhere: false,
            lines: Vec::new(),
            learners: 0,
            batches: 0,
            write_transactions: 0,
            max_write: Duration::ZERO,
            elapsed: Duration::ZERO,
        }
    }

    /// The report of a scan that found another instance scanning.
    pub fn skipped_for_lock(now: DateTime<Utc>, mode: ScanMode) -> Self {
        Self { locked_elsewhere: true, ..Self::new(now, mode) }
    }

    /// Reminders queued by this scan.
    pub fn sent(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Sent(_)))
    }

    /// Reminders a dry run would have queued.
    pub fn would_send(&self) -> usize {
        self.count(|o| matches!(o, Outcome::WouldSend(_)))
    }

    /// Possible reminders not due now.
    pub fn not_due(&self) -> usize {
        self.count(|o| matches!(o, Outcome::NotDue(_)))
    }

    fn count(&self, which: impl Fn(&Outcome) -> bool) -> usize {
        self.lines.iter().filter(|line| which(&line.outcome)).count()
    }

    /// Records a dry run's decisions for one batch.
    pub(super) fn add_dry_run(&mut self, decided: Decided<'_>, learners: &[Learner]) {
        let due = decided.due.iter().map(|d| d.line(learners, Outcome::WouldSend));
        let lines: Vec<ScanLine> = due.collect();
        self.add_lines(decided.skipped, lines);
    }

    /// Records one batch after its writes: `claimed[i]` says whether `decided.due[i]` was
    /// queued by this scan (otherwise another scan had claimed it first).
    pub(super) fn add_sent(
        &mut self,
        decided: Decided<'_>,
        learners: &[Learner],
        claimed: &[bool],
    ) {
        let due = decided.due.iter().zip(claimed).map(|(d, claimed)| {
            if *claimed {
                d.line(learners, Outcome::Sent)
            } else {
                d.line(learners, |_| Outcome::NotDue(Skip::AlreadySent))
            }
        });
        let lines: Vec<ScanLine> = due.collect();
        self.add_lines(decided.skipped, lines);
    }

    /// Keeps each learner's lines together, nudges first, as the batch decided them.
    fn add_lines(&mut self, skipped: Vec<ScanLine>, due: Vec<ScanLine>) {
        let mut lines: Vec<ScanLine> = skipped.into_iter().chain(due).collect();
        lines.sort_by_key(|line| (line.user, kind_order(line.kind), line.enrollment));
        self.lines.extend(lines);
    }

    /// Counts, ids and kinds only.
    pub(super) fn log(&self) {
        if self.locked_elsewhere {
            tracing::debug!("reminder scan skipped: another instance holds the lock");
            return;
        }
        tracing::info!(
            mode = ?self.mode,
            learners = self.learners,
            queued = self.sent(),
            would_send = self.would_send(),
            not_due = self.not_due(),
            batches = self.batches,
            write_transactions = self.write_transactions,
            max_write_ms = self.max_write.as_secs_f64() * 1000.0,
            elapsed_ms = self.elapsed.as_secs_f64() * 1000.0,
            "reminder scan finished"
        );
    }

    /// The closing totals line of `mend reminders run-once`.
    pub fn summary(&self) -> String {
        if self.locked_elsewhere {
            return "another instance is scanning right now; nothing was done".to_owned();
        }
        let at = self.now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let due = match self.mode {
            ScanMode::Send => format!("{} queued", self.sent()),
            ScanMode::DryRun => {
                format!("{} would be sent (dry run, nothing written)", self.would_send())
            }
        };
        format!(
            "as of {at}: {} learner(s), {due}, {} not due; {} batch(es), longest write {:.1} ms, {:.0} ms in all",
            self.learners,
            self.not_due(),
            self.batches,
            self.max_write.as_secs_f64() * 1000.0,
            self.elapsed.as_secs_f64() * 1000.0,
        )
    }
}

fn kind_order(kind: ReminderKind) -> u8 {
    match kind {
        ReminderKind::Nudge => 0,
        ReminderKind::NewLessons => 1,
        ReminderKind::Digest => 2,
    }
}
