//! When Mend may write to a learner unprompted: inactivity nudges, "new lessons are open" mail
//! and the weekly digest. Pure: the scan gathers the facts, these functions decide, and every
//! "no" comes with a reason `mend reminders run-once` can print.
//!
//! Decisions the issue leaves open, decided here:
//! - A tier's threshold counts whole 24-hour days from [`active_since`], not calendar days:
//!   "three days without activity" means 72 hours, in any zone.
//! - When several tiers have passed at once (the scan was down, or the tiers are close), only
//!   the highest is sent: one mail, never a burst; the lower ones count as skipped.
//! - `max_nudges` caps nudges over the whole enrolment, across activity resets.
//! - Every mail waits for the learner's send window; a due nudge's `NotYet` names the instant
//!   it will really go, the first window opening at or after its threshold.
//! - Digest weeks are ISO weeks of the learner's local calendar.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::domain::drip::{LessonRule, Schedule};
use crate::domain::enrollment::EnrollmentStatus;
use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::notifications::Preferences;

/// The course's side: published, tiers (days without activity, strictly increasing), cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourseRules<'a> {
    /// Unpublished courses never write to anyone.
    pub published: bool,
    /// Days without activity before each nudge, strictly increasing (checked by `mend check`).
    pub tiers: &'a [u32],
    /// Most nudges one enrolment ever receives.
    pub max_nudges: u32,
}

/// The learner's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnerFacts {
    /// Who: the new-lessons and digest keys are per learner. (Added to the agreed shape: the
    /// key functions need it and the facts are where the scan already has it.)
    pub user: UserId,
    /// Mail only ever goes to a confirmed address.
    pub email_confirmed: bool,
    /// A deactivated account gets nothing.
    pub deactivated: bool,
    /// The learner's zone: windows, local days and weeks are theirs.
    pub zone: Tz,
    /// What they chose.
    pub preferences: Preferences,
}

/// One enrolment as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentFacts {
    /// The enrolment, for the nudge key.
    pub id: EnrollmentId,
    /// Stored status; read as of now with `expires_at`.
    pub status: EnrollmentStatus,
    /// When access ends, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// A learner on a break asked for quiet.
    pub paused: bool,
    /// When the learner enrolled: the first activity epoch.
    pub enrolled_at: DateTime<Utc>,
    /// The latest thing the learner did in the course (view, completion, worksheet, resume).
    pub last_activity_at: Option<DateTime<Utc>>,
    /// The learner's per-course reminder switch.
    pub reminders_enabled: bool,
}

/// What was already sent for this enrolment (from reminder_log).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NudgeHistory {
    /// Nudges ever sent for this enrolment, for `max_nudges`.
    pub total_sent: u32,
    /// Highest tier (1-based) sent since `active_since`; 0 when none.
    pub highest_tier_since_activity: u32,
}

/// A nudge to send: tier is 1-based into [`CourseRules::tiers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    /// Which tier (1-based).
    pub tier: u32,
    /// Whole days since the last activity (at least the tier's threshold).
    pub inactive_days: u32,
    /// The activity epoch this nudge belongs to.
    pub active_since: DateTime<Utc>,
    /// The idempotency key ([`nudge_key`]).
    pub key: String,
}

/// Why nothing is sent now. Printed by `mend reminders run-once`, so it reads as a short
/// phrase: "paused", "next nudge due 2026-12-09T09:00:00Z".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The learner finished the course.
    Completed,
    /// The learner is on a break.
    Paused,
    /// An admin withdrew the enrolment.
    Revoked,
    /// Access ended.
    Expired,
    /// The course is not published.
    Unpublished,
    /// The address was never confirmed.
    Unconfirmed,
    /// The account is deactivated.
    Deactivated,
    /// The learner turned this kind of mail off.
    TurnedOff,
    /// The enrolment had every nudge it may get.
    MaxNudges,
    /// Every tier was sent since the last activity (or the course has none).
    AllTiersSent,
    /// Nothing happened worth a mail.
    NothingNew,
    /// The next nudge goes at this instant (its threshold, moved into the send window).
    NotYet {
        /// When.
        due_at: DateTime<Utc>,
    },
    /// Due, but the learner's send window is closed until this instant.
    OutsideWindow {
        /// When the window opens next.
        opens_at: DateTime<Utc>,
    },
    /// This day's (or week's) mail already went.
    AlreadySent,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Completed => f.write_str("course completed"),
            Self::Paused => f.write_str("paused"),
            Self::Revoked => f.write_str("enrolment revoked"),
            Self::Expired => f.write_str("enrolment expired"),
            Self::Unpublished => f.write_str("course not published"),
            Self::Unconfirmed => f.write_str("address not confirmed"),
            Self::Deactivated => f.write_str("account deactivated"),
            Self::TurnedOff => f.write_str("turned off by the learner"),
            Self::MaxNudges => f.write_str("every nudge for this enrolment sent"),
            Self::AllTiersSent => f.write_str("every tier sent since the last activity"),
            Self::NothingNew => f.write_str("nothing new"),
            Self::NotYet { due_at } => write!(f, "next nudge due {}", stamp(*due_at)),
            Self::OutsideWindow { opens_at } => {
                write!(f, "outside the send window until {}", stamp(*opens_at))
            }
            Self::AlreadySent => f.write_str("already sent"),
        }
    }
}

/// The start of the current activity epoch: the later of enrolment and the last activity.
/// Tiers count from here, so coming back resets them.
pub fn active_since(e: &EnrollmentFacts) -> DateTime<Utc> {
    e.last_activity_at.map_or(e.enrolled_at, |at| at.max(e.enrolled_at))
}

/// Whether this enrolment, this learner and this course may be nudged at all, before any
/// question of timing.
fn nudge_allowed(
    course: &CourseRules<'_>,
    learner: &LearnerFacts,
    e: &EnrollmentFacts,
    now: DateTime<Utc>,
) -> Result<(), Skip> {
    match e.status.as_of(e.expires_at, now) {
        EnrollmentStatus::Active => {}
        EnrollmentStatus::Completed => return Err(Skip::Completed),
        EnrollmentStatus::Expired => return Err(Skip::Expired),
        EnrollmentStatus::Revoked => return Err(Skip::Revoked),
    }
    let checks = [
        (e.paused, Skip::Paused),
        (!course.published, Skip::Unpublished),
        (learner.deactivated, Skip::Deactivated),
        (!learner.email_confirmed, Skip::Unconfirmed),
        (!e.reminders_enabled, Skip::TurnedOff),
    ];
    checks.into_iter().find(|(refused, _)| *refused).map_or(Ok(()), |(_, skip)| Err(skip))
}

fn threshold(since: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    since + Duration::days(i64::from(days))
}

/// Decides the inactivity nudge for one enrolment now: the highest passed tier not yet sent
/// since the last activity, inside the learner's send window, under the course's cap.
pub fn decide_nudge(
    course: &CourseRules<'_>,
    learner: &LearnerFacts,
    e: &EnrollmentFacts,
    history: &NudgeHistory,
    now: DateTime<Utc>,
) -> Result<Nudge, Skip> {
    nudge_allowed(course, learner, e, now)?;
    if history.total_sent >= course.max_nudges {
        return Err(Skip::MaxNudges);
    }
    let sent = usize::try_from(history.highest_tier_since_activity).unwrap_or(usize::MAX);
    let unsent = course.tiers.get(sent..).filter(|rest| !rest.is_empty());
    let Some(unsent) = unsent else {
        return Err(Skip::AllTiersSent);
    };
    let since = active_since(e);
    let passed = unsent.iter().take_while(|days| threshold(since, **days) <= now).count();
    let window = learner.preferences.window;
    if passed == 0 {
        let first = unsent.first().copied().unwrap_or_default();
        return Err(Skip::NotYet {
            due_at: window.next_open(learner.zone, threshold(since, first)),
        });
    }
    if !window.contains(learner.zone, now) {
        return Err(Skip::OutsideWindow { opens_at: window.next_open(learner.zone, now) });
    }
    let tier = history.highest_tier_since_activity.saturating_add(passed_u32(passed));
    Ok(Nudge {
        tier,
        inactive_days: whole_days(now - since),
        active_since: since,
        key: nudge_key(e.id, since, tier),
    })
}

fn passed_u32(passed: usize) -> u32 {
    u32::try_from(passed).unwrap_or(u32::MAX)
}

fn whole_days(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.num_days().max(0)).unwrap_or(u32::MAX)
}

/// The idempotency key of one nudge: `nudge:{enrollment}:{active_since unix seconds}:{tier}`.
/// The activity epoch is part of it because activity resets the tiers: the issue's
/// `nudge:{enrollment}:{tier}` could never nudge a learner again after they came back.
pub fn nudge_key(e: EnrollmentId, active_since: DateTime<Utc>, tier: u32) -> String {
    format!("nudge:{e}:{}:{tier}", active_since.timestamp())
}

/// Checks shared by the per-learner mails: an address we may write to, a live account.
fn learner_reachable(learner: &LearnerFacts) -> Result<(), Skip> {
    if learner.deactivated {
        return Err(Skip::Deactivated);
    }
    if !learner.email_confirmed {
        return Err(Skip::Unconfirmed);
    }
    Ok(())
}

fn window_open(learner: &LearnerFacts, now: DateTime<Utc>) -> Result<(), Skip> {
    let window = learner.preferences.window;
    if window.contains(learner.zone, now) {
        Ok(())
    } else {
        Err(Skip::OutsideWindow { opens_at: window.next_open(learner.zone, now) })
    }
}

/// Decides the "new lessons are open" mail: `opened` lessons opened since the last one, at most
/// one mail per learner per local day, inside the window. Returns the idempotency key.
/// Lessons that open while the window is closed wait and go together in the next opening.
pub fn decide_new_lessons(
    learner: &LearnerFacts,
    opened: usize,
    last_sent: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, Skip> {
    if !learner.preferences.new_lessons {
        return Err(Skip::TurnedOff);
    }
    learner_reachable(learner)?;
    if opened == 0 {
        return Err(Skip::NothingNew);
    }
    let today = now.with_timezone(&learner.zone).date_naive();
    if last_sent.is_some_and(|at| at.with_timezone(&learner.zone).date_naive() == today) {
        return Err(Skip::AlreadySent);
    }
    window_open(learner, now)?;
    Ok(new_lessons_key(learner.user, today))
}

/// The idempotency key of one day's new-lessons mail: `unlock:{user}:{YYYY-MM-DD}` (local date).
pub fn new_lessons_key(user: UserId, local_date: NaiveDate) -> String {
    format!("unlock:{user}:{}", local_date.format("%Y-%m-%d"))
}

/// The lessons whose time-based opening falls in `(since, now]`: what a new-lessons mail
/// announces. Lessons open from the first day (no drip, or 0 days) are not news, and
/// `requires` is ignored (completing a lesson is the learner's own doing, not a surprise).
/// Nothing opens during a pause. The caller passes only lessons the learner did not already
/// have open before `since` (a resume shifts the schedule of lessons already read).
pub fn lessons_opened<'a>(
    schedule: &Schedule,
    lessons: &[LessonRule<'a>],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<&'a str> {
    let as_of = schedule.paused_at.map_or(now, |paused| paused.min(now));
    lessons
        .iter()
        .filter_map(|lesson| {
            let days = lesson.unlock_after_days.filter(|days| *days > 0)?;
            let at = schedule.opens_at(days);
            (at > since && at <= as_of).then_some(lesson.slug)
        })
        .collect()
}

/// Decides the opt-in weekly digest: once per ISO week of the learner's local calendar, from
/// Monday's window opening on. Returns the idempotency key.
pub fn decide_digest(
    learner: &LearnerFacts,
    last_sent: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, Skip> {
    if !learner.preferences.digest {
        return Err(Skip::TurnedOff);
    }
    learner_reachable(learner)?;
    let week = now.with_timezone(&learner.zone).date_naive().iso_week();
    let week_of = |at: DateTime<Utc>| at.with_timezone(&learner.zone).date_naive().iso_week();
    if last_sent.is_some_and(|at| week_of(at) == week) {
        return Err(Skip::AlreadySent);
    }
    // Inside any window of the week is on or after Monday's opening, so the window is the
    // only gate left.
    window_open(learner, now)?;
    Ok(digest_key(learner.user, week.year(), week.week()))
}

/// The idempotency key of one week's digest: `digest:{user}:{YYYY}-W{ww}` (ISO week, local).
pub fn digest_key(user: UserId, iso_year: i32, iso_week: u32) -> String {
    format!("digest:{user}:{iso_year:04}-W{iso_week:02}")
}
