//! An admin's "send a gentle nudge now", from a course's report: the same nudge mail as the
//! scheduler's (discreet unless the learner chose otherwise, its one-click unsubscribe link,
//! `Auto-Submitted`), refused for the same reasons, delayed to the learner's send window
//! rather than refused outside it, and once a local day per enrolment (the
//! `manual:{enrollment}:{date}` key in `reminder_log` and the outbox, so a double click or
//! two admins at once queue one mail). Each queued nudge's audit entry is written in the
//! transaction of its outbox row. Logs carry ids and counts only.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::admin::Actor;
use crate::admin::audit::{self, Target};
use crate::content::Catalog;
use crate::db::models::enrollment;
use crate::db::models::reminder_log::{KIND_MANUAL, KIND_NUDGE};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::reminders::{self, Nudge, Skip};

use super::batch::{self, Learner};
use super::compose::{self, Outgoing};
use super::decide::{self, CourseInfo, Courses, Decided, Due, DueMail};
use super::{Mailing, ReminderError, write};

/// The most learners one request may nudge: a page of the report is 100.
const MAX_SELECTION: usize = 500;

/// The audit action of one queued nudge.
pub const AUDIT_ACTION: &str = "reminders.nudge_now";

/// Who an admin picked: enrolments (the report's checkboxes) or learners (scripts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NudgeTargets {
    /// Enrolment ids, in the course named.
    Enrollments(Vec<EnrollmentId>),
    /// Learner ids; each is nudged about their enrolment in the course named.
    Users(Vec<UserId>),
}

impl NudgeTargets {
    fn len(&self) -> usize {
        match self {
            Self::Enrollments(ids) => ids.len(),
            Self::Users(ids) => ids.len(),
        }
    }
}

/// Why a picked learner was not nudged, as a stable code (the API's keys, the flash's query)
/// and the words the page uses.
const SKIP_REASONS: &[(&str, &str)] = &[
    ("already_nudged_today", "already nudged today"),
    ("reminders_off", "reminders turned off"),
    ("paused", "taking a break"),
    ("completed", "finished the course"),
    ("revoked", "access withdrawn"),
    ("expired", "access ended"),
    ("unpublished", "course not published"),
    ("unconfirmed", "email address not confirmed"),
    ("deactivated", "account deactivated"),
    ("not_enrolled", "not enrolled in this course"),
];

/// The page's words for a skip code; `None` for anything that is not a reason Mend gives.
pub fn skip_text(code: &str) -> Option<&'static str> {
    SKIP_REASONS.iter().find(|(c, _)| *c == code).map(|(_, text)| *text)
}

/// The code of a refusal. The scheduler's timing refusals cannot come from an admin's nudge;
/// should one ever, it reads as "already nudged today", the closest true thing.
fn skip_code(skip: Skip) -> &'static str {
    match skip {
        Skip::TurnedOff => "reminders_off",
        Skip::Paused => "paused",
        Skip::Completed => "completed",
        Skip::Revoked => "revoked",
        Skip::Expired => "expired",
        Skip::Unpublished => "unpublished",
        Skip::Unconfirmed => "unconfirmed",
        Skip::Deactivated => "deactivated",
        Skip::AlreadySent
        | Skip::MaxNudges
        | Skip::AllTiersSent
        | Skip::NothingNew
        | Skip::NotYet { .. }
        | Skip::OutsideWindow { .. } => "already_nudged_today",
    }
}

/// What "send a nudge now" did: how many nudges were queued, and how many picked learners
/// were left alone, by reason code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NudgeOutcome {
    /// Nudges queued (each goes when the learner's send window is open).
    pub queued: usize,
    /// Of those, how many wait for the learner's send window to open.
    pub waiting_for_window: usize,
    /// Learners not nudged, by reason: `already_nudged_today`, `reminders_off`, `paused`,
    /// `completed`, `revoked`, `expired`, `unpublished`, `unconfirmed`, `deactivated`,
    /// `not_enrolled`.
    pub skipped: BTreeMap<String, usize>,
}

impl NudgeOutcome {
    fn skip(&mut self, code: &str) {
        *self.skipped.entry(code.to_owned()).or_default() += 1;
    }
}

/// One nudge decided, and when it may go.
struct Picked<'c> {
    due: Due<'c>,
    not_before: DateTime<Utc>,
}

/// Nudges `targets` in `course` now, on one connection (see the module's comment).
pub(super) fn nudge_on(
    conn: &mut DbConnection,
    catalog: &Catalog,
    mailing: &Mailing,
    actor: &Actor,
    course: &str,
    targets: &NudgeTargets,
    now: DateTime<Utc>,
) -> Result<NudgeOutcome, ReminderError> {
    check_selection(targets)?;
    let courses = Courses::of(catalog);
    // An admin's nudge names lessons from the whole course, whatever each learner's track.
    let info = courses.get(course, None).ok_or(ReminderError::NoSuchCourse)?;
    let users = match targets {
        NudgeTargets::Enrollments(ids) => enrollment::list_users_of(conn, course, ids)?,
        NudgeTargets::Users(ids) => sorted(ids),
    };
    let learners = batch::load(conn, &users)?;
    let mut outcome = NudgeOutcome::default();
    let (due, not_before): (Vec<Due<'_>>, Vec<DateTime<Utc>>) =
        pick(&learners, info, targets, now, &mut outcome)
            .into_iter()
            .map(|picked| (picked.due, picked.not_before))
            .unzip();
    let decided = Decided { skipped: Vec::new(), due };
    let progress_of = decided.needs_progress(&learners);
    let extras = batch::load_extras(conn, &progress_of, &[], now)?;
    let outgoing = compose::compose_all(&courses, &learners, &extras, mailing, &decided, now);
    queue_all(conn, actor, outgoing, not_before, now, &mut outcome)?;
    let skipped: usize = outcome.skipped.values().sum();
    tracing::info!(course, queued = outcome.queued, skipped, "admin nudges queued");
    Ok(outcome)
}

/// Queues each rendered nudge as an admin's (its own log kind, no tier, `not_before[i]`),
/// counting the ones another click queued first as already nudged today.
fn queue_all(
    conn: &mut DbConnection,
    actor: &Actor,
    outgoing: Vec<Outgoing>,
    not_before: Vec<DateTime<Utc>>,
    now: DateTime<Utc>,
    outcome: &mut NudgeOutcome,
) -> Result<(), DbError> {
    for (mut mail, not_before) in outgoing.into_iter().zip(not_before) {
        mail.log_kind = KIND_MANUAL;
        mail.tier = None;
        mail.not_before = Some(not_before);
        if queue(conn, actor, &mail, now)? {
            outcome.queued += 1;
            outcome.waiting_for_window += usize::from(not_before > now);
        } else {
            outcome.skip("already_nudged_today");
        }
    }
    Ok(())
}

fn check_selection(targets: &NudgeTargets) -> Result<(), ReminderError> {
    match targets.len() {
        0 => Err(ReminderError::Selection("Select at least one learner first.".into())),
        n if n > MAX_SELECTION => Err(ReminderError::Selection(format!(
            "Select at most {MAX_SELECTION} learners at a time."
        ))),
        _ => Ok(()),
    }
}

fn sorted<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Finds each picked enrolment in the batch and decides it; every one not nudged is counted
/// in `outcome` with its reason.
fn pick<'c>(
    learners: &[Learner],
    info: &'c CourseInfo<'c>,
    targets: &NudgeTargets,
    now: DateTime<Utc>,
    outcome: &mut NudgeOutcome,
) -> Vec<Picked<'c>> {
    let slug = info.course.slug.as_str();
    let found: Vec<Option<(usize, usize)>> = match targets {
        NudgeTargets::Enrollments(ids) => sorted(ids)
            .into_iter()
            .map(|id| position(learners, |_, e| e.id == id && e.course_slug == slug))
            .collect(),
        NudgeTargets::Users(ids) => sorted(ids)
            .into_iter()
            .map(|user| position(learners, |l, e| l.id() == user && e.course_slug == slug))
            .collect(),
    };
    let mut picked = Vec::new();
    for place in found {
        let Some((learner, enrollment)) = place else {
            outcome.skip("not_enrolled");
            continue;
        };
        match decide_one(&learners[learner], learner, enrollment, info, now) {
            Ok(one) => picked.push(one),
            Err(skip) => outcome.skip(skip_code(skip)),
        }
    }
    picked
}

/// The (learner, enrolment) indices of the first enrolment matching `wanted`.
fn position(
    learners: &[Learner],
    wanted: impl Fn(&Learner, &enrollment::Enrollment) -> bool,
) -> Option<(usize, usize)> {
    learners.iter().enumerate().find_map(|(i, learner)| {
        learner.enrollments.iter().position(|e| wanted(learner, e)).map(|p| (i, p))
    })
}

fn decide_one<'c>(
    learner: &Learner,
    index: usize,
    position: usize,
    info: &'c CourseInfo<'c>,
    now: DateTime<Utc>,
) -> Result<Picked<'c>, Skip> {
    // `position` came from this learner's own list; a miss would mean no such enrolment.
    let e = learner.enrollments.get(position).ok_or(Skip::Revoked)?;
    let facts = decide::enrollment_facts(e);
    let last = last_nudged(learner, e.id);
    let manual =
        reminders::decide_manual_nudge(info.course.published, &learner.facts, &facts, last, now)?;
    // The gentlest wording: the first tier's.
    let nudge = Nudge {
        tier: 1,
        inactive_days: manual.inactive_days,
        active_since: reminders::active_since(&facts),
        key: manual.key,
    };
    let mail = DueMail::Nudge { enrollment: position, course: info, nudge };
    Ok(Picked { due: Due { learner: index, mail }, not_before: manual.not_before })
}

/// When the enrolment was last nudged, by the scheduler or an admin.
fn last_nudged(learner: &Learner, id: EnrollmentId) -> Option<DateTime<Utc>> {
    learner
        .log
        .iter()
        .filter(|l| l.enrollment_id == Some(id.get()))
        .filter(|l| l.kind == KIND_NUDGE || l.kind == KIND_MANUAL)
        .map(|l| l.sent_at.and_utc())
        .max()
}

/// Claims and queues one nudge with its audit entry, in one transaction; `false` when its
/// key was already taken (another click, another admin, this same day).
fn queue(
    conn: &mut DbConnection,
    actor: &Actor,
    mail: &Outgoing,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        let claimed = write::enqueue_chunk(conn, std::slice::from_ref(mail), now)?;
        if !claimed.first().copied().unwrap_or(false) {
            return Ok(false);
        }
        let target = mail.enrollment.map(|e| e.to_string()).unwrap_or_default();
        let detail = serde_json::json!({
            "course": mail.course_slug,
            "delayed_to_window": mail.not_before.is_some_and(|at| at > now),
        });
        let target = Target { kind: "enrollment", id: &target };
        audit::record(conn, actor, AUDIT_ACTION, target, &detail, now)?;
        Ok(true)
    })
}
