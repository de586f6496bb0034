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
    /// The latest recorded activity in the course (a completion change, a resume).
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
    /// An admin's latest nudge ("send a nudge now"): a scheduled nudge never lands on the
    /// same local day, so nobody hears from Mend twice in a day about the same course.
    pub last_manual: Option<DateTime<Utc>>,
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

/// When `days` without activity since `since` have passed; `None` past the end of time (an
/// absurd tier from content must not panic).
fn threshold(since: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    since.checked_add_signed(Duration::days(i64::from(days)))
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
    let passed =
        unsent.iter().take_while(|days| threshold(since, **days).is_some_and(|t| t <= now)).count();
    let window = learner.preferences.window;
    if passed == 0 {
        let first = unsent.first().and_then(|days| threshold(since, *days));
        let due_at = first.map_or(DateTime::<Utc>::MAX_UTC, |t| window.next_open(learner.zone, t));
        return Err(Skip::NotYet { due_at });
    }
    if !window.contains(learner.zone, now) {
        return Err(Skip::OutsideWindow { opens_at: window.next_open(learner.zone, now) });
    }
    if history.last_manual.is_some_and(|at| same_local_day(learner.zone, at, now)) {
        return Err(Skip::AlreadySent);
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

/// An admin's "send a nudge now": when it may go and the key that makes it once a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualNudge {
    /// The idempotency key ([`manual_nudge_key`]).
    pub key: String,
    /// When the mail may go: now inside the learner's send window, else its next opening.
    pub not_before: DateTime<Utc>,
    /// Whole days since the last activity, for the mail's wording.
    pub inactive_days: u32,
}

/// Decides an admin's nudge for one enrolment now. The same refusals as the scheduler's
/// (status, pause, unpublished course, address, the learner's switch), but no tiers and no
/// cap: an admin chose this learner. At most one nudge of any kind per local day
/// (`last_nudged` is the latest, scheduled or manual), and never outside the send window: a
/// closed window delays the mail instead of refusing it.
pub fn decide_manual_nudge(
    published: bool,
    learner: &LearnerFacts,
    e: &EnrollmentFacts,
    last_nudged: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<ManualNudge, Skip> {
    let course = CourseRules { published, tiers: &[], max_nudges: 0 };
    nudge_allowed(&course, learner, e, now)?;
    if last_nudged.is_some_and(|at| same_local_day(learner.zone, at, now)) {
        return Err(Skip::AlreadySent);
    }
    let today = now.with_timezone(&learner.zone).date_naive();
    Ok(ManualNudge {
        key: manual_nudge_key(e.id, today),
        not_before: learner.preferences.window.next_open(learner.zone, now),
        inactive_days: whole_days(now - active_since(e)),
    })
}

/// Whether `a` and `b` fall on the same calendar day in `zone` (the "once a day" of nudges).
fn same_local_day(zone: Tz, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.with_timezone(&zone).date_naive() == b.with_timezone(&zone).date_naive()
}

/// The idempotency key of an admin's nudge: `manual:{enrollment}:{YYYY-MM-DD}` (local date),
/// so a double click, or two admins at once, queue one mail a day.
pub fn manual_nudge_key(e: EnrollmentId, local_date: NaiveDate) -> String {
    format!("manual:{e}:{}", local_date.format("%Y-%m-%d"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::drip::parse_zone;
    use crate::domain::notifications::SendWindow;
    use proptest::strategy::Strategy;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A decision that yields an idempotency key.
    type Keyed = Result<String, Skip>;

    const TIERS: &[u32] = &[3, 7, 14];
    const COURSE: CourseRules<'static> =
        CourseRules { published: true, tiers: TIERS, max_nudges: 3 };

    fn learner(zone: &str) -> LearnerFacts {
        LearnerFacts {
            user: 7.into(),
            email_confirmed: true,
            deactivated: false,
            zone: parse_zone(zone),
            preferences: Preferences::default(),
        }
    }

    /// Enrolled Monday 2 March 2026 at 10:00 UTC, never active since.
    fn enrolment() -> EnrollmentFacts {
        EnrollmentFacts {
            id: 42.into(),
            status: EnrollmentStatus::Active,
            expires_at: None,
            paused: false,
            enrolled_at: utc("2026-03-02T10:00:00Z"),
            last_activity_at: None,
            reminders_enabled: true,
        }
    }

    fn history(total_sent: u32, highest: u32) -> NudgeHistory {
        NudgeHistory { total_sent, highest_tier_since_activity: highest, last_manual: None }
    }

    fn nudge(e: &EnrollmentFacts, h: NudgeHistory, now: &str) -> Result<Nudge, Skip> {
        decide_nudge(&COURSE, &learner("UTC"), e, &h, utc(now))
    }

    fn tier_of(result: Result<Nudge, Skip>) -> Result<u32, Skip> {
        result.map(|n| n.tier)
    }

    #[test]
    fn nobody_is_nudged_who_asked_for_quiet_or_cannot_be_reached() {
        let due = "2026-03-05T12:00:00Z"; // 3 days and 2 hours in, inside the window
        let base = enrolment();
        let unconfirmed = LearnerFacts { email_confirmed: false, ..learner("UTC") };
        let deactivated = LearnerFacts { deactivated: true, ..learner("UTC") };
        let unpublished = CourseRules { published: false, ..COURSE };
        let cases: Vec<(&str, CourseRules<'_>, LearnerFacts, EnrollmentFacts, Skip)> = vec![
            (
                "completed",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { status: EnrollmentStatus::Completed, ..base },
                Skip::Completed,
            ),
            (
                "paused",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { paused: true, ..base },
                Skip::Paused,
            ),
            (
                "revoked",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { status: EnrollmentStatus::Revoked, ..base },
                Skip::Revoked,
            ),
            (
                "expired by date, still stored active",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { expires_at: Some(utc("2026-03-05T11:59:59Z")), ..base },
                Skip::Expired,
            ),
            (
                "stored expired",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { status: EnrollmentStatus::Expired, ..base },
                Skip::Expired,
            ),
            ("unpublished", unpublished, learner("UTC"), base, Skip::Unpublished),
            ("unconfirmed", COURSE, unconfirmed, base, Skip::Unconfirmed),
            ("deactivated", COURSE, deactivated, base, Skip::Deactivated),
            (
                "reminders off for the course",
                COURSE,
                learner("UTC"),
                EnrollmentFacts { reminders_enabled: false, ..base },
                Skip::TurnedOff,
            ),
        ];
        for (name, course, who, e, skip) in cases {
            assert_eq!(
                decide_nudge(&course, &who, &e, &NudgeHistory::default(), utc(due)),
                Err(skip),
                "{name}"
            );
        }
        // The control: the same facts, nothing refused, is due.
        assert_eq!(tier_of(nudge(&base, history(0, 0), due)), Ok(1));
        // Expiring later does not matter.
        let later = EnrollmentFacts { expires_at: Some(utc("2026-04-01T00:00:00Z")), ..base };
        assert_eq!(tier_of(nudge(&later, history(0, 0), due)), Ok(1));
    }

    #[test]
    fn tiers_go_out_one_at_a_time_and_the_highest_passed_wins() {
        let e = enrolment();
        let cases = [
            // (now, history, expected)
            (
                "2026-03-05T09:59:59Z",
                history(0, 0),
                Err(Skip::NotYet { due_at: utc("2026-03-05T10:00:00Z") }),
            ),
            ("2026-03-05T10:00:00Z", history(0, 0), Ok(1)),
            (
                "2026-03-06T10:00:00Z",
                history(1, 1),
                Err(Skip::NotYet { due_at: utc("2026-03-09T10:00:00Z") }),
            ),
            ("2026-03-09T10:00:00Z", history(1, 1), Ok(2)),
            // The scan was down for the first two thresholds: only tier 2 goes, never two mails.
            ("2026-03-10T10:00:00Z", history(0, 0), Ok(2)),
            ("2026-03-16T10:00:00Z", history(2, 2), Ok(3)),
            ("2026-03-30T10:00:00Z", history(3, 3), Err(Skip::MaxNudges)),
            ("2026-03-30T10:00:00Z", history(2, 3), Err(Skip::AllTiersSent)),
        ];
        for (now, h, expected) in cases {
            assert_eq!(tier_of(nudge(&e, h, now)), expected, "{now} {h:?}");
        }
    }

    #[test]
    fn a_due_nudge_says_how_long_and_carries_its_epoch_in_the_key() {
        let e = enrolment();
        let n = nudge(&e, history(0, 0), "2026-03-10T12:00:00Z").unwrap();
        assert_eq!((n.tier, n.inactive_days), (2, 8));
        assert_eq!(n.active_since, e.enrolled_at);
        assert_eq!(n.key, format!("nudge:42:{}:2", e.enrolled_at.timestamp()));
    }

    #[test]
    fn max_nudges_caps_the_enrolment_across_activity_resets() {
        let course = CourseRules { max_nudges: 2, ..COURSE };
        let e =
            EnrollmentFacts { last_activity_at: Some(utc("2026-03-20T10:00:00Z")), ..enrolment() };
        let now = utc("2026-03-24T10:00:00Z");
        let who = learner("UTC");
        assert_eq!(decide_nudge(&course, &who, &e, &history(2, 0), now), Err(Skip::MaxNudges));
        assert_eq!(decide_nudge(&course, &who, &e, &history(1, 0), now).map(|n| n.tier), Ok(1));
        let none = CourseRules { max_nudges: 0, ..COURSE };
        assert_eq!(decide_nudge(&none, &who, &e, &history(0, 0), now), Err(Skip::MaxNudges));
        let no_tiers = CourseRules { tiers: &[], ..COURSE };
        assert_eq!(decide_nudge(&no_tiers, &who, &e, &history(0, 0), now), Err(Skip::AllTiersSent));
    }

    #[test]
    fn an_absurd_tier_never_comes_due_and_never_panics() {
        let far = CourseRules { tiers: &[u32::MAX], ..COURSE };
        let got = decide_nudge(
            &far,
            &learner("UTC"),
            &enrolment(),
            &history(0, 0),
            utc("2026-03-09T10:00:00Z"),
        );
        assert_eq!(got, Err(Skip::NotYet { due_at: DateTime::<Utc>::MAX_UTC }));
        let schedule = Schedule {
            enrolled_at: utc("2026-03-02T10:00:00Z"),
            zone: parse_zone("Europe/London"),
            paused_at: None,
            paused_seconds: 0,
        };
        let lessons =
            [LessonRule { slug: "never", unlock_after_days: Some(u32::MAX), requires: &[] }];
        let none =
            lessons_opened(&schedule, &lessons, schedule.enrolled_at, utc("2026-03-09T10:00:00Z"));
        assert!(none.is_empty());
    }

    #[test]
    fn activity_resets_the_tiers_and_gives_new_keys() {
        let before = enrolment();
        let first = nudge(&before, history(0, 0), "2026-03-05T12:00:00Z").unwrap();
        // The learner came back on the 6th (a resume records activity too) and went quiet again.
        let back =
            EnrollmentFacts { last_activity_at: Some(utc("2026-03-06T15:00:00Z")), ..before };
        assert_eq!(active_since(&back), utc("2026-03-06T15:00:00Z"));
        // The scan reports no tier sent since the new epoch: tier 1 counts again from the 6th.
        assert_eq!(
            nudge(&back, history(1, 0), "2026-03-09T10:00:00Z"),
            Err(Skip::NotYet { due_at: utc("2026-03-09T15:00:00Z") })
        );
        let again = nudge(&back, history(1, 0), "2026-03-09T15:00:00Z").unwrap();
        assert_eq!(again.tier, 1);
        assert_ne!(again.key, first.key);
        // Activity older than the enrolment (a re-enrolment) counts from the enrolment.
        let stale =
            EnrollmentFacts { last_activity_at: Some(utc("2026-01-01T00:00:00Z")), ..before };
        assert_eq!(active_since(&stale), before.enrolled_at);
    }

    #[test]
    fn resuming_after_a_pause_starts_a_fresh_epoch() {
        // Paused on the 3rd, resumed on the 20th: the resume is recorded as activity.
        let paused = EnrollmentFacts { paused: true, ..enrolment() };
        assert_eq!(nudge(&paused, history(0, 0), "2026-03-19T12:00:00Z"), Err(Skip::Paused));
        let resumed =
            EnrollmentFacts { last_activity_at: Some(utc("2026-03-20T11:00:00Z")), ..enrolment() };
        assert!(matches!(
            nudge(&resumed, history(0, 0), "2026-03-21T12:00:00Z"),
            Err(Skip::NotYet { .. })
        ));
        assert_eq!(tier_of(nudge(&resumed, history(0, 0), "2026-03-23T11:00:00Z")), Ok(1));
    }

    #[test]
    fn a_due_nudge_waits_for_the_window_and_says_when_it_opens() {
        let e = enrolment();
        let who = learner("UTC");
        // Due at 10:00 on the 5th; at 21:00 the window (09:00–20:00) is closed until 09:00.
        let late = utc("2026-03-05T21:00:00Z");
        assert_eq!(
            decide_nudge(&COURSE, &who, &e, &history(0, 0), late),
            Err(Skip::OutsideWindow { opens_at: utc("2026-03-06T09:00:00Z") })
        );
        // A threshold reached at night is announced for the next opening.
        let night = EnrollmentFacts { enrolled_at: utc("2026-03-02T23:00:00Z"), ..e };
        assert_eq!(
            decide_nudge(&COURSE, &who, &night, &history(0, 0), utc("2026-03-03T12:00:00Z")),
            Err(Skip::NotYet { due_at: utc("2026-03-06T09:00:00Z") })
        );
    }

    #[test]
    fn quiet_hours_follow_dst_in_london_and_new_york() {
        let w = SendWindow::DEFAULT;
        let london = parse_zone("Europe/London");
        let new_york = parse_zone("America/New_York");
        // (zone, now, inside?, next opening)
        let cases = [
            // London springs forward on Sunday 29 March 2026: 09:00 BST is 08:00 UTC.
            (london, "2026-03-29T07:59:00Z", false, "2026-03-29T08:00:00Z"),
            (london, "2026-03-29T08:00:00Z", true, "2026-03-29T08:00:00Z"),
            (london, "2026-03-29T18:59:59Z", true, "2026-03-29T18:59:59Z"),
            (london, "2026-03-29T19:00:00Z", false, "2026-03-30T08:00:00Z"),
            // The day before, still GMT: 09:00 is 09:00 UTC, and the next opening is in BST.
            (london, "2026-03-28T08:30:00Z", false, "2026-03-28T09:00:00Z"),
            (london, "2026-03-28T20:00:00Z", false, "2026-03-29T08:00:00Z"),
            // Back on Sunday 25 October 2026: 09:00 GMT is 09:00 UTC again.
            (london, "2026-10-24T19:00:00Z", false, "2026-10-25T09:00:00Z"),
            (london, "2026-10-25T08:30:00Z", false, "2026-10-25T09:00:00Z"),
            // New York springs forward on 8 March 2026 (EST -5 to EDT -4).
            (new_york, "2026-03-07T23:00:00Z", true, "2026-03-07T23:00:00Z"), // 18:00 EST
            (new_york, "2026-03-08T02:00:00Z", false, "2026-03-08T13:00:00Z"), // 21:00 EST
            (new_york, "2026-03-08T12:59:00Z", false, "2026-03-08T13:00:00Z"), // 08:59 EDT
            (new_york, "2026-03-08T23:59:00Z", true, "2026-03-08T23:59:00Z"), // 19:59 EDT
            // And falls back on 1 November 2026.
            (new_york, "2026-11-01T00:30:00Z", false, "2026-11-01T14:00:00Z"), // 20:30 EDT
            (new_york, "2026-11-01T13:59:00Z", false, "2026-11-01T14:00:00Z"), // 08:59 EST
            (new_york, "2026-11-02T00:59:00Z", true, "2026-11-02T00:59:00Z"),  // 19:59 EST
        ];
        for (zone, now, inside, next) in cases {
            assert_eq!(w.contains(zone, utc(now)), inside, "{zone} {now}");
            assert_eq!(w.next_open(zone, utc(now)), utc(next), "{zone} {now}");
        }
    }

    #[test]
    fn a_window_start_lost_to_a_gap_opens_at_the_first_minute_after_it() {
        let new_york = parse_zone("America/New_York");
        // 02:30 does not exist on 8 March 2026 in New York: the window opens at 03:00 EDT.
        let w = SendWindow::new(150, 240).unwrap();
        assert_eq!(w.next_open(new_york, utc("2026-03-08T06:00:00Z")), utc("2026-03-08T07:00:00Z"));
        // A window wholly inside the gap does not exist that day: the next day's opens.
        let gone = SendWindow::new(135, 165).unwrap();
        assert_eq!(
            gone.next_open(new_york, utc("2026-03-08T06:00:00Z")),
            utc("2026-03-09T06:15:00Z")
        );
        // 01:30 happens twice on 1 November; from between the passes, the second one is next.
        let w = SendWindow::new(90, 95).unwrap();
        assert_eq!(w.next_open(new_york, utc("2026-11-01T05:00:00Z")), utc("2026-11-01T05:30:00Z"));
        assert_eq!(w.next_open(new_york, utc("2026-11-01T05:40:00Z")), utc("2026-11-01T06:30:00Z"));
    }

    #[test]
    fn nudges_wait_for_the_local_window_across_dst() {
        // A London learner whose tier-1 threshold falls at 05:00 UTC on the DST Sunday.
        let who = learner("Europe/London");
        let e = EnrollmentFacts { enrolled_at: utc("2026-03-26T05:00:00Z"), ..enrolment() };
        assert_eq!(
            decide_nudge(&COURSE, &who, &e, &history(0, 0), utc("2026-03-29T05:00:00Z")),
            Err(Skip::OutsideWindow { opens_at: utc("2026-03-29T08:00:00Z") })
        );
        assert!(
            decide_nudge(&COURSE, &who, &e, &history(0, 0), utc("2026-03-29T08:00:00Z")).is_ok()
        );
        // New York on its fall-back day: 08:30 EST is 13:30 UTC, still closed.
        let who = learner("America/New_York");
        let e = EnrollmentFacts { enrolled_at: utc("2026-10-29T05:00:00Z"), ..enrolment() };
        assert_eq!(
            decide_nudge(&COURSE, &who, &e, &history(0, 0), utc("2026-11-01T13:30:00Z")),
            Err(Skip::OutsideWindow { opens_at: utc("2026-11-01T14:00:00Z") })
        );
    }

    #[test]
    fn new_lessons_go_once_per_local_day_inside_the_window() {
        let who = learner("Pacific/Auckland"); // UTC+13 in March
        let key = |date: &str| new_lessons_key(7.into(), date.parse().unwrap());
        let off = LearnerFacts {
            preferences: Preferences { new_lessons: false, ..Preferences::default() },
            ..who
        };
        let cases: Vec<(LearnerFacts, usize, Option<&str>, &str, Keyed)> = vec![
            (who, 0, None, "2026-03-03T00:00:00Z", Err(Skip::NothingNew)),
            (who, 3, None, "2026-03-03T00:00:00Z", Ok(key("2026-03-03"))), // 13:00 local
            (off, 3, None, "2026-03-03T00:00:00Z", Err(Skip::TurnedOff)),
            // Sent at 09:30 local this morning: nothing more today, however much opens.
            (who, 2, Some("2026-03-02T20:30:00Z"), "2026-03-03T05:00:00Z", Err(Skip::AlreadySent)),
            // Sent yesterday local (the same UTC date): today's may go.
            (who, 2, Some("2026-03-02T10:00:00Z"), "2026-03-02T20:30:00Z", Ok(key("2026-03-03"))),
            // 21:00 local: waits for 09:00 tomorrow.
            (
                who,
                1,
                None,
                "2026-03-03T08:00:00Z",
                Err(Skip::OutsideWindow { opens_at: utc("2026-03-03T20:00:00Z") }),
            ),
            (
                LearnerFacts { email_confirmed: false, ..who },
                1,
                None,
                "2026-03-03T00:00:00Z",
                Err(Skip::Unconfirmed),
            ),
            (
                LearnerFacts { deactivated: true, ..who },
                1,
                None,
                "2026-03-03T00:00:00Z",
                Err(Skip::Deactivated),
            ),
        ];
        for (learner, opened, last, now, expected) in cases {
            let got = decide_new_lessons(&learner, opened, last.map(utc), utc(now));
            assert_eq!(got, expected, "{opened} {last:?} {now}");
        }
    }

    #[test]
    fn drip_unlocks_are_batched_into_one_mail_per_local_day() {
        let schedule = Schedule {
            enrolled_at: utc("2026-03-02T10:00:00Z"),
            zone: parse_zone("UTC"),
            paused_at: None,
            paused_seconds: 0,
        };
        let rule = |slug, days| LessonRule { slug, unlock_after_days: days, requires: &[] };
        let lessons = [
            rule("welcome", None),
            rule("day-zero", Some(0)),
            rule("a", Some(2)),
            rule("b", Some(2)),
            rule("c", Some(3)),
            rule("later", Some(10)),
        ];
        let since = schedule.enrolled_at;
        // Days 2 and 3 both passed overnight: three lessons, one mail.
        let opened = lessons_opened(&schedule, &lessons, since, utc("2026-03-05T09:00:00Z"));
        assert_eq!(opened, ["a", "b", "c"]);
        let who = learner("UTC");
        let now = utc("2026-03-05T09:00:00Z");
        let key = decide_new_lessons(&who, opened.len(), None, now).unwrap();
        assert_eq!(key, "unlock:7:2026-03-05");
        // Later that day nothing new has opened since the mail; the day is spent anyway.
        let again = lessons_opened(&schedule, &lessons, now, utc("2026-03-05T18:00:00Z"));
        assert!(again.is_empty());
        assert_eq!(
            decide_new_lessons(&who, 1, Some(now), utc("2026-03-05T18:00:00Z")),
            Err(Skip::AlreadySent)
        );
        // The boundary is (since, now]: a lesson opening exactly at `since` was already told.
        let at_day_two = utc("2026-03-04T00:00:00Z");
        assert_eq!(lessons_opened(&schedule, &lessons, since, at_day_two), ["a", "b"]);
        assert!(lessons_opened(&schedule, &lessons, at_day_two, at_day_two).is_empty());
        // Nothing opens during a pause.
        let paused = Schedule { paused_at: Some(utc("2026-03-03T00:00:00Z")), ..schedule };
        assert!(lessons_opened(&paused, &lessons, since, utc("2026-03-20T00:00:00Z")).is_empty());
    }

    #[test]
    fn the_digest_goes_once_per_local_iso_week_from_monday_morning() {
        let who = LearnerFacts {
            preferences: Preferences { digest: true, ..Preferences::default() },
            ..learner("America/New_York")
        };
        let cases: Vec<(LearnerFacts, Option<&str>, &str, Keyed)> = vec![
            // Monday 7 December 2026, 09:00 EST = 14:00 UTC.
            (who, None, "2026-12-07T14:00:00Z", Ok("digest:7:2026-W50".to_owned())),
            // Monday 08:59 EST: waits for the window.
            (
                who,
                Some("2026-11-30T14:00:00Z"),
                "2026-12-07T13:59:00Z",
                Err(Skip::OutsideWindow { opens_at: utc("2026-12-07T14:00:00Z") }),
            ),
            // Already sent Monday; Thursday is the same week.
            (who, Some("2026-12-07T14:00:00Z"), "2026-12-10T15:00:00Z", Err(Skip::AlreadySent)),
            // Sunday 20:00 UTC of the previous week was still Sunday locally: Monday's may go.
            (
                who,
                Some("2026-12-06T20:00:00Z"),
                "2026-12-07T15:00:00Z",
                Ok("digest:7:2026-W50".into()),
            ),
            // Last sent Monday 00:30 UTC = Sunday 19:30 EST, week 49: this week's is due.
            (
                who,
                Some("2026-12-07T00:30:00Z"),
                "2026-12-08T15:00:00Z",
                Ok("digest:7:2026-W50".into()),
            ),
            // ISO years: 31 December 2026 is in 2026-W53; 4 January 2027 starts 2027-W01.
            (who, None, "2026-12-31T15:00:00Z", Ok("digest:7:2026-W53".into())),
            (
                who,
                Some("2026-12-31T15:00:00Z"),
                "2027-01-04T15:00:00Z",
                Ok("digest:7:2027-W01".into()),
            ),
            (learner("America/New_York"), None, "2026-12-07T14:00:00Z", Err(Skip::TurnedOff)),
            (
                LearnerFacts { email_confirmed: false, ..who },
                None,
                "2026-12-07T14:00:00Z",
                Err(Skip::Unconfirmed),
            ),
        ];
        for (learner, last, now, expected) in cases {
            assert_eq!(
                decide_digest(&learner, last.map(utc), utc(now)),
                expected,
                "{last:?} {now}"
            );
        }
    }

    const ZONES: [&str; 8] = [
        "Europe/London",
        "America/New_York",
        "America/Santiago",
        "America/Havana",
        "Pacific/Auckland",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "UTC",
    ];

    /// Around 2026's changes in [`ZONES`] (within the two days either side the test samples).
    const DST_CHANGES: [&str; 12] = [
        "2026-03-29T01:00:00Z",
        "2026-10-25T01:00:00Z",
        "2026-03-08T07:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-04-05T03:00:00Z",
        "2026-09-06T04:00:00Z",
        "2026-03-08T05:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-04-04T14:00:00Z",
        "2026-09-26T14:00:00Z",
        "2026-04-04T15:00:00Z",
        "2026-10-03T15:30:00Z",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Across every DST change of 2026 in zones with whole-hour, half-hour and midnight
        /// changes: the next opening is inside the window, not before now, and nothing in
        /// between is (checked minute by minute).
        #[test]
        fn next_open_is_the_first_instant_inside_the_window(
            zone in proptest::sample::select(ZONES.to_vec()),
            seconds in proptest::prop_oneof![
                1_767_225_600_i64..1_798_761_600,
                (proptest::sample::select(DST_CHANGES.to_vec()), -172_800_i64..172_800)
                    .prop_map(|(change, offset)| utc(change).timestamp() + offset),
            ],
            start in 0_u16..1439,
            length in 1_u16..1440,
        ) {
            let zone = parse_zone(zone);
            let window = SendWindow::new(start, (start + length).min(1440)).unwrap();
            let now = DateTime::from_timestamp(seconds, 0).unwrap();
            let open = window.next_open(zone, now);
            proptest::prop_assert!(open >= now);
            proptest::prop_assert!(window.contains(zone, open), "{open} not inside {window}");
            let mut at = now;
            while at < open {
                proptest::prop_assert!(!window.contains(zone, at), "{at} is inside {window} before {open}");
                // Minute steps from the next whole minute: the window's edges are whole minutes.
                at = DateTime::from_timestamp((at.timestamp() / 60 + 1) * 60, 0).unwrap();
            }
        }
    }

    #[test]
    fn keys_have_the_agreed_shapes() {
        let at = utc("2026-12-03T00:00:00Z");
        assert_eq!(nudge_key(5.into(), at, 2), format!("nudge:5:{}:2", at.timestamp()));
        assert_eq!(new_lessons_key(9.into(), "2026-01-05".parse().unwrap()), "unlock:9:2026-01-05");
        assert_eq!(digest_key(9.into(), 2027, 1), "digest:9:2027-W01");
    }

    #[test]
    fn skips_read_well_in_the_run_once_listing() {
        let at = utc("2026-12-09T09:00:00Z");
        assert_eq!(Skip::Paused.to_string(), "paused");
        assert_eq!(Skip::NotYet { due_at: at }.to_string(), "next nudge due 2026-12-09T09:00:00Z");
        assert_eq!(
            Skip::OutsideWindow { opens_at: at }.to_string(),
            "outside the send window until 2026-12-09T09:00:00Z"
        );
    }

    #[test]
    fn a_manual_nudge_goes_once_a_local_day_and_waits_for_the_window() {
        let zone = learner("Pacific/Auckland");
        let e = enrolment();
        // 01:00 UTC is 14:00 in Auckland: inside the default window, so it goes now.
        let now = utc("2026-03-20T01:00:00Z");
        let nudge = decide_manual_nudge(true, &zone, &e, None, now).unwrap();
        assert_eq!(nudge.key, "manual:42:2026-03-20");
        assert_eq!(nudge.not_before, now);
        assert_eq!(nudge.inactive_days, 17);
        // Earlier the same Auckland day (the previous UTC day) counts as today.
        let earlier = Some(utc("2026-03-19T20:00:00Z"));
        let again = decide_manual_nudge(true, &zone, &e, earlier, now);
        assert_eq!(again, Err(Skip::AlreadySent));
        // 11:00 UTC is midnight in Auckland: a new day, but the window is shut until it opens.
        let late = utc("2026-03-20T11:30:00Z");
        let waiting = decide_manual_nudge(true, &zone, &e, earlier, late).unwrap();
        assert!(waiting.not_before > late);
        assert!(Preferences::default().window.contains(zone.zone, waiting.not_before));
    }

    #[test]
    fn a_manual_nudge_respects_every_refusal_the_scheduler_has() {
        let now = utc("2026-03-20T12:00:00Z");
        let base = enrolment();
        let paused = EnrollmentFacts { paused: true, ..base };
        let off = EnrollmentFacts { reminders_enabled: false, ..base };
        let done = EnrollmentFacts { status: EnrollmentStatus::Completed, ..base };
        let unconfirmed = LearnerFacts { email_confirmed: false, ..learner("UTC") };
        let utc_learner = learner("UTC");
        let decide = |published, l: &LearnerFacts, e: &EnrollmentFacts| {
            decide_manual_nudge(published, l, e, None, now).err()
        };
        assert_eq!(decide(true, &utc_learner, &paused), Some(Skip::Paused));
        assert_eq!(decide(true, &utc_learner, &off), Some(Skip::TurnedOff));
        assert_eq!(decide(true, &utc_learner, &done), Some(Skip::Completed));
        assert_eq!(decide(true, &unconfirmed, &base), Some(Skip::Unconfirmed));
        assert_eq!(decide(false, &utc_learner, &base), Some(Skip::Unpublished));
        assert_eq!(decide(true, &utc_learner, &base), None);
    }
}
