//! Turning one batch's facts into decisions: the stored rows become the domain's facts, the
//! domain decides, and every "no" is kept with its reason for the report. No I/O here.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::content::{Catalog, Course, Lesson};
use crate::db::models::enrollment::Enrollment;
use crate::db::models::reminder_log::{KIND_DIGEST, KIND_MANUAL, KIND_NUDGE, KIND_UNLOCK};
use crate::domain::drip::{self, LessonRecord, LessonRule, LessonState, Schedule};
use crate::domain::enrollment::EnrollmentStatus;
use crate::domain::ids::UserId;
use crate::domain::reminders::{
    self, CourseRules, EnrollmentFacts, Nudge, NudgeHistory, Skip, active_since,
};
use crate::domain::tracks::{self, Choice};

use super::batch::{Extras, Learner};
use super::report::{Outcome, ReminderKind, ScanLine};

/// How far back a new-lessons mail looks for openings when none was ever sent: a learner who
/// switches the mail on, or a fresh deployment, hears about the past week, not every drip
/// since they enrolled.
const UNLOCK_LOOKBACK: Duration = Duration::days(7);

/// A course with the lessons a learner on one track (or on none) sees, prepared once per scan.
#[derive(Debug)]
pub(super) struct CourseInfo<'c> {
    pub course: &'c Course,
    /// The track these lessons are for; `None`: every lesson (no track chosen).
    pub track: Option<&'c str>,
    pub lessons: Vec<&'c Lesson>,
    pub rules: Vec<LessonRule<'c>>,
}

/// Every course of the catalog by slug, once with every lesson and once per track.
#[derive(Debug)]
pub(super) struct Courses<'c>(HashMap<&'c str, Vec<CourseInfo<'c>>>);

impl<'c> Courses<'c> {
    /// Prepares every course in `catalog`, once for each of its tracks and once for none, so
    /// reminders name only lessons of the learner's track.
    pub fn of(catalog: &'c Catalog) -> Self {
        let courses = catalog.courses().iter().map(|course| {
            let ids = course.tracks.iter().map(|t| Some(t.id.as_str()));
            let infos = std::iter::once(None).chain(ids).map(|track| {
                let choice = Choice::of(course, track);
                let lessons: Vec<&Lesson> =
                    tracks::lessons(course, choice).map(|(_, l)| l).collect();
                let rules = lessons
                    .iter()
                    .map(|l| LessonRule {
                        slug: &l.slug,
                        unlock_after_days: l.unlock_after_days,
                        requires: &l.requires,
                    })
                    .collect();
                CourseInfo { course, track, lessons, rules }
            });
            (course.slug.as_str(), infos.collect())
        });
        Self(courses.collect())
    }

    /// A course by slug as a learner on `track` sees it (a track the course no longer has
    /// counts as none); `None` when the course is no longer in the content.
    pub fn get(&self, slug: &str, track: Option<&str>) -> Option<&CourseInfo<'c>> {
        let infos = self.0.get(slug)?;
        infos.iter().find(|info| info.track.is_some() && info.track == track).or(infos.first())
    }
}

/// The nudge tiers of a course.
fn tiers(course: &Course) -> &[u32] {
    &course.reminders.tiers
}

/// One reminder found due, waiting to be rendered and claimed.
#[derive(Debug)]
pub(super) struct Due<'c> {
    /// Index into the batch's learners.
    pub learner: usize,
    pub mail: DueMail<'c>,
}

/// Which reminder is due.
#[derive(Debug)]
pub(super) enum DueMail<'c> {
    /// An inactivity nudge for `learner.enrollments[enrollment]`.
    Nudge { enrollment: usize, course: &'c CourseInfo<'c>, nudge: Nudge },
    /// Lessons that opened, each with its course.
    NewLessons { key: String, opened: Vec<(&'c CourseInfo<'c>, &'c Lesson)> },
    /// This week's digest.
    Digest { key: String },
}

impl Due<'_> {
    /// The reminder's idempotency key.
    pub fn key(&self) -> &str {
        match &self.mail {
            DueMail::Nudge { nudge, .. } => &nudge.key,
            DueMail::NewLessons { key, .. } | DueMail::Digest { key } => key,
        }
    }

    /// The report line for this reminder, with `outcome`.
    pub fn line(&self, learners: &[Learner], outcome: impl FnOnce(String) -> Outcome) -> ScanLine {
        let learner = &learners[self.learner];
        let (kind, enrollment, course, detail) = match &self.mail {
            DueMail::Nudge { enrollment, course, nudge } => (
                ReminderKind::Nudge,
                learner.enrollments.get(*enrollment).map(|e| e.id),
                Some(course.course.slug.clone()),
                format!(
                    "tier {} after {} day(s) without activity",
                    nudge.tier, nudge.inactive_days
                ),
            ),
            DueMail::NewLessons { opened, .. } => {
                (ReminderKind::NewLessons, None, None, format!("{} new lesson(s)", opened.len()))
            }
            DueMail::Digest { .. } => {
                (ReminderKind::Digest, None, None, "this week's digest".to_owned())
            }
        };
        ScanLine { user: learner.id(), kind, enrollment, course, outcome: outcome(detail) }
    }
}

/// A batch's decisions: what is not due (and why), what is due, and the new-lesson candidates
/// still to be checked against progress.
#[derive(Debug, Default)]
pub(super) struct Decided<'c> {
    pub skipped: Vec<ScanLine>,
    pub due: Vec<Due<'c>>,
}

impl Decided<'_> {
    /// Learners whose progress the due reminders need (next lesson, lessons already open).
    pub fn needs_progress(&self, learners: &[Learner]) -> Vec<UserId> {
        let mut users: Vec<UserId> = self.due.iter().map(|d| learners[d.learner].id()).collect();
        users.dedup();
        users
    }

    /// Learners with a digest due.
    pub fn digests(&self, learners: &[Learner]) -> Vec<UserId> {
        let digests = self.due.iter().filter(|d| matches!(d.mail, DueMail::Digest { .. }));
        digests.map(|d| learners[d.learner].id()).collect()
    }
}

/// The schedule a drip counts from for one enrolment.
pub(super) fn schedule(learner: &Learner, e: &Enrollment) -> Schedule {
    Schedule {
        enrolled_at: e.enrolled_at.and_utc(),
        zone: learner.facts.zone,
        paused_at: e.paused_at.map(|at| at.and_utc()),
        paused_seconds: e.paused_seconds,
    }
}

/// The domain's view of a stored enrolment.
pub(super) fn enrollment_facts(e: &Enrollment) -> EnrollmentFacts {
    EnrollmentFacts {
        id: e.id,
        status: EnrollmentStatus::parse(&e.status),
        expires_at: e.expires_at.map(|at| at.and_utc()),
        paused: e.paused_at.is_some(),
        enrolled_at: e.enrolled_at.and_utc(),
        last_activity_at: e.last_activity_at.map(|at| at.and_utc()),
        reminders_enabled: e.reminders_enabled,
    }
}

/// What the log says was sent for one enrolment: the scheduler's nudges and an admin's.
fn nudge_history(learner: &Learner, facts: &EnrollmentFacts) -> NudgeHistory {
    let since = active_since(facts).naive_utc();
    let logged = learner.log.iter().filter(|l| l.enrollment_id == Some(facts.id.get()));
    let last_manual =
        logged.clone().filter(|l| l.kind == KIND_MANUAL).map(|l| l.sent_at.and_utc()).max();
    let mut history = NudgeHistory { last_manual, ..NudgeHistory::default() };
    for logged in logged.filter(|l| l.kind == KIND_NUDGE) {
        history.total_sent = history.total_sent.saturating_add(1);
        if logged.sent_at >= since {
            let tier = logged.tier.and_then(|t| u32::try_from(t).ok()).unwrap_or(0);
            history.highest_tier_since_activity = history.highest_tier_since_activity.max(tier);
        }
    }
    history
}

/// When the learner's last mail of `kind` was decided.
fn last_sent(learner: &Learner, kind: &str) -> Option<DateTime<Utc>> {
    learner.log.iter().filter(|l| l.kind == kind).map(|l| l.sent_at.and_utc()).max()
}

/// Decides every learner of the batch. New-lesson mail is only provisionally due here: its
/// candidates are checked against progress by [`settle`].
pub(super) fn decide<'c>(
    courses: &'c Courses<'c>,
    learners: &[Learner],
    now: DateTime<Utc>,
) -> Decided<'c> {
    let mut decided = Decided::default();
    for (index, learner) in learners.iter().enumerate() {
        decide_nudges(courses, learner, index, now, &mut decided);
        decide_unlock(courses, learner, index, now, &mut decided);
        decide_digest(courses, learner, index, now, &mut decided);
    }
    decided
}

fn skipped(learner: &Learner, kind: ReminderKind, skip: Skip) -> ScanLine {
    ScanLine {
        user: learner.id(),
        kind,
        enrollment: None,
        course: None,
        outcome: Outcome::NotDue(skip),
    }
}

fn decide_nudges<'c>(
    courses: &'c Courses<'c>,
    learner: &Learner,
    index: usize,
    now: DateTime<Utc>,
    decided: &mut Decided<'c>,
) {
    for (position, e) in learner.enrollments.iter().enumerate() {
        let info = courses.get(&e.course_slug, e.track.as_deref());
        let rules = CourseRules {
            published: info.is_some_and(|c| c.course.published),
            tiers: info.map_or(&[], |c| tiers(c.course)),
            max_nudges: info.map_or(0, |c| c.course.reminders.max_nudges),
        };
        let facts = enrollment_facts(e);
        let history = nudge_history(learner, &facts);
        match (reminders::decide_nudge(&rules, &learner.facts, &facts, &history, now), info) {
            (Ok(nudge), Some(course)) => decided.due.push(Due {
                learner: index,
                mail: DueMail::Nudge { enrollment: position, course, nudge },
            }),
            (result, _) => {
                let skip = result.err().unwrap_or(Skip::Unpublished);
                let mut line = skipped(learner, ReminderKind::Nudge, skip);
                line.enrollment = Some(e.id);
                line.course = Some(e.course_slug.clone());
                decided.skipped.push(line);
            }
        }
    }
}

/// Enrolments whose drip can bring news: readable now, not on a break, in a published course.
pub(super) fn drip_enrollments<'l, 'a, 'c>(
    courses: &'a Courses<'c>,
    learner: &'l Learner,
    now: DateTime<Utc>,
) -> impl Iterator<Item = (&'l Enrollment, &'a CourseInfo<'c>)> {
    learner.enrollments.iter().filter_map(move |e| {
        let status =
            EnrollmentStatus::parse(&e.status).as_of(e.expires_at.map(|t| t.and_utc()), now);
        let info = courses.get(&e.course_slug, e.track.as_deref())?;
        let live =
            status == EnrollmentStatus::Active && e.paused_at.is_none() && info.course.published;
        live.then_some((e, info))
    })
}

fn decide_unlock<'c>(
    courses: &'c Courses<'c>,
    learner: &Learner,
    index: usize,
    now: DateTime<Utc>,
    decided: &mut Decided<'c>,
) {
    let last = last_sent(learner, KIND_UNLOCK);
    let since = last.map_or(now - UNLOCK_LOOKBACK, |at| at.max(now - UNLOCK_LOOKBACK));
    let mut opened = Vec::new();
    for (e, info) in drip_enrollments(courses, learner, now) {
        let slugs = reminders::lessons_opened(&schedule(learner, e), &info.rules, since, now);
        opened.extend(slugs.into_iter().filter_map(|slug| {
            info.lessons.iter().find(|l| l.slug == slug).map(|lesson| (info, *lesson))
        }));
    }
    match reminders::decide_new_lessons(&learner.facts, opened.len(), last, now) {
        Ok(key) => {
            decided.due.push(Due { learner: index, mail: DueMail::NewLessons { key, opened } })
        }
        Err(skip) => decided.skipped.push(skipped(learner, ReminderKind::NewLessons, skip)),
    }
}

/// The weekly digest, only for a learner with a course in progress: someone on a break asked
/// for quiet, and someone who has finished has nothing "next" to hear about.
fn decide_digest<'c>(
    courses: &'c Courses<'c>,
    learner: &Learner,
    index: usize,
    now: DateTime<Utc>,
    decided: &mut Decided<'c>,
) {
    let decision = reminders::decide_digest(&learner.facts, last_sent(learner, KIND_DIGEST), now)
        .and_then(|key| match drip_enrollments(courses, learner, now).next() {
            Some(_) => Ok(key),
            None if learner.enrollments.iter().any(|e| e.paused_at.is_some()) => Err(Skip::Paused),
            None => Err(Skip::NothingNew),
        });
    match decision {
        Ok(key) => decided.due.push(Due { learner: index, mail: DueMail::Digest { key } }),
        Err(skip) => decided.skipped.push(skipped(learner, ReminderKind::Digest, skip)),
    }
}

/// Drops from each new-lessons mail the lessons the learner already had open before the
/// openings counted (a lesson read early, or one whose schedule a resume moved); a mail left
/// with none is not due after all.
pub(super) fn settle(learners: &[Learner], extras: &Extras, decided: &mut Decided<'_>) {
    let mut kept = Vec::with_capacity(decided.due.len());
    for mut due in std::mem::take(&mut decided.due) {
        let learner = &learners[due.learner];
        if let DueMail::NewLessons { opened, .. } = &mut due.mail {
            opened.retain(|(info, lesson)| {
                let record = extras
                    .records(learner.id(), &info.course.slug)
                    .and_then(|r| r.get(&lesson.slug));
                record.is_none_or(|r| {
                    r.unlocked_at.is_none()
                        && r.completed_at.is_none()
                        && r.first_viewed_at.is_none()
                })
            });
            if opened.is_empty() {
                decided.skipped.push(skipped(learner, ReminderKind::NewLessons, Skip::NothingNew));
                continue;
            }
        }
        kept.push(due);
    }
    decided.due = kept;
}

/// The first lesson the learner can read and has not completed, in course order.
pub(super) fn next_lesson<'c>(
    info: &CourseInfo<'c>,
    learner: &Learner,
    e: &Enrollment,
    records: Option<&HashMap<String, LessonRecord>>,
    now: DateTime<Utc>,
) -> Option<&'c Lesson> {
    let empty = HashMap::new();
    let states =
        drip::lesson_states(&schedule(learner, e), &info.rules, records.unwrap_or(&empty), now);
    states
        .iter()
        .position(|state| *state == LessonState::Open)
        .and_then(|i| info.lessons.get(i).copied())
}
