//! A learner inside a course: the course page's lesson states and progress, reading,
//! completing, pausing and resuming, and the dashboard over all courses. Each function reads
//! in a fixed number of queries whatever the course size; the only per-lesson writes are the
//! one-time unlock records on SQLite (see [`lesson_progress::mark_unlocked`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::content::Catalog;
use crate::db::models::lesson_progress::LessonProgress;
use crate::db::models::{enrollment, lesson_progress};
use crate::db::{Database, DbConnection, DbError};
use crate::domain::drip::{LessonState, LockReason};
use crate::domain::enrolment::EnrollmentStatus;
use crate::domain::progress::{self, CourseProgress};

use super::LearnerCourse;
use super::plan::{Facts, Plan, load_facts};

/// Why a learner action on a course could not happen; messages are safe to show.
#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    #[error("there is no such course")]
    NoSuchCourse,
    #[error("there is no such lesson")]
    NoSuchLesson,
    #[error("you are not enrolled in this course")]
    NotEnrolled,
    #[error("your access to this course has ended")]
    NoAccess(EnrollmentStatus),
    #[error("this lesson is locked")]
    Locked(LockReason),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for LearningError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// One lesson on the course page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonEntry {
    /// Its module's slug.
    pub module: String,
    /// The lesson's slug.
    pub slug: String,
    /// Completed, open, or locked with the reason.
    pub state: LessonState,
}

/// Everything the course page shows about one learner, loaded in a fixed number of queries.
#[derive(Debug, Clone)]
pub struct CourseView {
    /// The enrolment's status now (expiry applied).
    pub status: EnrollmentStatus,
    /// When the learner enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// Whether the course is paused.
    pub paused: bool,
    /// The learner's zone, to show `OpensAt` instants in.
    pub zone: Tz,
    /// Non-draft lessons in course order.
    pub lessons: Vec<LessonEntry>,
    /// Per-module and course progress.
    pub progress: CourseProgress,
    /// The lesson to offer under "resume where you left off".
    pub resume: Option<String>,
    /// Whether any lesson has been opened or completed yet.
    pub started: bool,
}

/// Whether completing a lesson finished the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// Every non-draft lesson is now done.
    pub course_complete: bool,
}

/// A unit of work for one learner in one course, ready to move onto the blocking pool.
struct Work {
    plan: Plan,
    user_id: i64,
    now: DateTime<Utc>,
}

impl Work {
    fn new(at: LearnerCourse<'_>) -> Result<Self, LearningError> {
        let course = at.catalog.course(at.course_slug).ok_or(LearningError::NoSuchCourse)?;
        Ok(Self { plan: Plan::of(course), user_id: at.user_id, now: at.clock.now() })
    }

    fn facts(&self, conn: &mut DbConnection) -> Result<Facts, LearningError> {
        load_facts(conn, &self.plan, self.user_id)?.ok_or(LearningError::NotEnrolled)
    }

    /// The facts of an enrolment that still grants access.
    fn accessible_facts(&self, conn: &mut DbConnection) -> Result<Facts, LearningError> {
        let facts = self.facts(conn)?;
        match facts.status(self.now) {
            status if status.grants_access() => Ok(facts),
            status => Err(LearningError::NoAccess(status)),
        }
    }

    /// Records every lesson open for the first time as unlocked for good. Nothing to write on
    /// later visits; see [`lesson_progress::mark_unlocked`] for the statements.
    fn remember_unlocked(
        &self,
        conn: &mut DbConnection,
        facts: &Facts,
        states: &[LessonState],
    ) -> Result<(), LearningError> {
        let fresh: Vec<&str> = self
            .plan
            .lessons
            .iter()
            .zip(states)
            .filter(|(l, s)| {
                **s == LessonState::Open
                    && facts.records.get(&l.slug).is_none_or(|r| r.unlocked_at.is_none())
            })
            .map(|(l, _)| l.slug.as_str())
            .collect();
        let owner = self.plan.owner(self.user_id);
        Ok(lesson_progress::mark_unlocked(conn, owner, &fresh, self.now.naive_utc())?)
    }

    /// Checks the lesson exists for learners and is readable now.
    fn open_lesson(&self, conn: &mut DbConnection, lesson: &str) -> Result<Facts, LearningError> {
        let index = self.plan.position(lesson).ok_or(LearningError::NoSuchLesson)?;
        let facts = self.accessible_facts(conn)?;
        let states = facts.states(&self.plan, self.now);
        self.remember_unlocked(conn, &facts, &states)?;
        match states.get(index) {
            Some(LessonState::Locked(reason)) => Err(LearningError::Locked(reason.clone())),
            Some(LessonState::Open | LessonState::Completed) => Ok(facts),
            None => Err(LearningError::NoSuchLesson),
        }
    }
}

/// The course page for an enrolled learner: lesson states, progress and where to resume.
/// Lessons seen open for the first time are recorded so they never lock again.
pub async fn course_view(at: LearnerCourse<'_>) -> Result<CourseView, LearningError> {
    let work = Work::new(at)?;
    at.db
        .run(move |conn| {
            let facts = work.facts(conn)?;
            let status = facts.status(work.now);
            let states = facts.states(&work.plan, work.now);
            if status.grants_access() {
                work.remember_unlocked(conn, &facts, &states)?;
            }
            Ok(build_view(&work.plan, &facts, status, states))
        })
        .await
}

fn build_view(
    plan: &Plan,
    facts: &Facts,
    status: EnrollmentStatus,
    states: Vec<LessonState>,
) -> CourseView {
    let progress = progress::course_progress(&plan.module_lessons(), &facts.records);
    let ordered: Vec<(&str, &LessonState)> =
        plan.lessons.iter().map(|l| l.slug.as_str()).zip(&states).collect();
    let resume = progress::resume_target(&ordered, &facts.records).map(str::to_owned);
    let started = progress::started(&ordered, &facts.records);
    let lessons = plan
        .lessons
        .iter()
        .zip(states)
        .map(|(l, state)| LessonEntry { module: l.module.clone(), slug: l.slug.clone(), state })
        .collect();
    CourseView {
        status,
        enrolled_at: facts.schedule.enrolled_at,
        paused: facts.schedule.paused_at.is_some(),
        zone: facts.schedule.zone,
        lessons,
        progress,
        resume,
        started,
    }
}

/// A learner opens a lesson: refused while locked; otherwise the first view is recorded.
pub async fn view_lesson(at: LearnerCourse<'_>, lesson: &str) -> Result<(), LearningError> {
    let work = Work::new(at)?;
    let lesson = lesson.to_owned();
    at.db
        .run(move |conn| {
            work.open_lesson(conn, &lesson)?;
            let owner = work.plan.owner(work.user_id);
            Ok(lesson_progress::mark_viewed(conn, owner, &lesson, work.now.naive_utc())?)
        })
        .await
}

/// Marks an open lesson done (idempotent: the first completion time is kept) and the course
/// completed when it was the last one.
pub async fn complete_lesson(
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<Completion, LearningError> {
    let work = Work::new(at)?;
    let lesson = lesson.to_owned();
    at.db
        .transaction(move |conn| {
            let mut facts = work.open_lesson(conn, &lesson)?;
            let hash = work
                .plan
                .lessons
                .iter()
                .find(|l| l.slug == lesson)
                .map(|l| l.content_hash.as_str())
                .unwrap_or_default();
            lesson_progress::complete(
                conn,
                work.plan.owner(work.user_id),
                &lesson,
                hash,
                work.now.naive_utc(),
            )?;
            let record = facts.records.entry(lesson).or_default();
            record.completed_at = record.completed_at.or(Some(work.now));
            work.record_completion(conn, &facts)
        })
        .await
}

/// Marks a lesson not done again; a completed course becomes active again.
pub async fn uncomplete_lesson(
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<Completion, LearningError> {
    let work = Work::new(at)?;
    let lesson = lesson.to_owned();
    at.db
        .transaction(move |conn| {
            work.plan.position(&lesson).ok_or(LearningError::NoSuchLesson)?;
            let mut facts = work.accessible_facts(conn)?;
            lesson_progress::uncomplete(
                conn,
                work.plan.owner(work.user_id),
                &lesson,
                work.now.naive_utc(),
            )?;
            if let Some(record) = facts.records.get_mut(&lesson) {
                record.completed_at = None;
            }
            work.record_completion(conn, &facts)
        })
        .await
}

impl Work {
    /// Stores activity and the course's completion after a lesson changed state.
    fn record_completion(
        &self,
        conn: &mut DbConnection,
        facts: &Facts,
    ) -> Result<Completion, LearningError> {
        let progress = progress::course_progress(&self.plan.module_lessons(), &facts.records);
        let completed_at = progress
            .complete
            .then(|| facts.enrollment.completed_at.unwrap_or(self.now.naive_utc()));
        enrollment::record_activity(conn, facts.enrollment.id, completed_at, self.now.naive_utc())?;
        Ok(Completion { course_complete: progress.complete })
    }
}

/// Pauses the course: nothing new unlocks until [`resume`]. Pausing a paused course is a no-op.
pub async fn pause(at: LearnerCourse<'_>) -> Result<(), LearningError> {
    let work = Work::new(at)?;
    at.db
        .transaction(move |conn| {
            let facts = work.accessible_facts(conn)?;
            enrollment::pause(conn, facts.enrollment.id, work.now.naive_utc())?;
            Ok(())
        })
        .await
}

/// Resumes a paused course: the drip schedule shifts by the length of the pause. Resuming a
/// course that is not paused is a no-op.
pub async fn resume(at: LearnerCourse<'_>) -> Result<(), LearningError> {
    let work = Work::new(at)?;
    at.db
        .transaction(move |conn| {
            let facts = work.facts(conn)?;
            let total = facts.schedule.paused_seconds_after_resume(work.now);
            enrollment::resume(conn, facts.enrollment.id, total, work.now.naive_utc())?;
            Ok(())
        })
        .await
}

/// One enrolled course on the learner's dashboard.
#[derive(Debug, Clone)]
pub struct DashboardEntry {
    /// The course's slug.
    pub course_slug: String,
    /// Its lessons, progress and resume target, as on the course page.
    pub view: CourseView,
}

/// Every course the learner is enrolled in, oldest enrolment first, with progress: two queries
/// whatever the number of courses and lessons. Courses no longer in the content are left out.
/// Read-only: unlocks are recorded when the course or a lesson is opened.
pub async fn dashboard(
    db: &Database,
    clock: &dyn Clock,
    catalog: &Catalog,
    user_id: i64,
) -> Result<Vec<DashboardEntry>, LearningError> {
    let now = clock.now();
    let (enrolments, rows) = db
        .run(move |conn| {
            let enrolments = enrollment::list_with_time_zone(conn, user_id)?;
            let rows = lesson_progress::load_user_progress(conn, user_id)?;
            Ok::<_, LearningError>((enrolments, rows))
        })
        .await?;
    let mut by_course: HashMap<String, Vec<LessonProgress>> = HashMap::new();
    for row in rows {
        by_course.entry(row.course_slug.clone()).or_default().push(row);
    }
    let entries = enrolments.into_iter().filter_map(|(enrolment, zone)| {
        let plan = Plan::of(catalog.course(&enrolment.course_slug)?);
        let rows = by_course.remove(&plan.course_slug).unwrap_or_default();
        let facts = Facts::new(enrolment, &zone, rows);
        let view = build_view(&plan, &facts, facts.status(now), facts.states(&plan, now));
        Some(DashboardEntry { course_slug: plan.course_slug, view })
    });
    Ok(entries.collect())
}
