//! A learner inside a course: the course page's lesson states and progress, reading,
//! completing, pausing and resuming, and the dashboard over all courses. Each function is one
//! blocking-pool hop that reads in a fixed number of queries whatever the course size. Pages
//! write only what their read found new (a first view, a first unlock), in the same hop; the
//! only per-lesson writes are those one-time unlock records on SQLite (see
//! [`lesson_progress::mark_unlocked`]).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::content::Catalog;
use crate::db::models::lesson_progress::LessonProgress;
use crate::db::models::{enrollment, lesson_progress};
use crate::db::{Database, DbConnection, DbError, write_transaction};
use crate::domain::drip::{LessonState, LockReason};
use crate::domain::enrollment::EnrollmentStatus;
use crate::domain::ids::UserId;
use crate::domain::progress::{self, CourseProgress};
use crate::domain::tracks::{self, UnknownTrack};

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
    #[error("this lesson is written for another track")]
    OtherTrack,
    #[error(transparent)]
    UnknownTrack(#[from] UnknownTrack),
    #[error("this lesson is locked")]
    Locked {
        /// When or what unlocks it.
        reason: LockReason,
        /// The next lesson open now (after this one in course order, wrapping round), so a
        /// refusal can offer something to read meanwhile.
        open_now: Option<String>,
    },
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
    /// The learner's track, when the course has tracks and one is chosen.
    pub track: Option<String>,
    /// The course has tracks and none is chosen yet: every lesson shows, and the page
    /// invites the learner to choose.
    pub invites_track: bool,
}

/// Whether completing a lesson finished the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// Every non-draft lesson is now done.
    pub course_complete: bool,
}

/// A unit of work for one learner in one course, ready to move onto the blocking pool. It
/// carries the shared catalog, so nothing of the course is copied per request.
struct Work {
    catalog: Arc<Catalog>,
    course_slug: String,
    user_id: UserId,
    now: DateTime<Utc>,
}

impl Work {
    fn new(at: LearnerCourse<'_>) -> Result<Self, LearningError> {
        at.catalog.course(at.course_slug).ok_or(LearningError::NoSuchCourse)?;
        Ok(Self {
            catalog: Arc::clone(at.catalog),
            course_slug: at.course_slug.to_owned(),
            user_id: at.user_id,
            now: at.clock.now(),
        })
    }

    /// The learner's side of the course, borrowed from the catalog on the blocking pool.
    fn learner(&self) -> Result<Learner<'_>, LearningError> {
        let course = self.catalog.course(&self.course_slug).ok_or(LearningError::NoSuchCourse)?;
        Ok(Learner { plan: Plan::of(course), user_id: self.user_id, now: self.now })
    }

    /// Runs `job` in one blocking-pool hop, outside a transaction: reads never take the SQLite
    /// write lock, and `job` opens a write transaction only when it has something to record.
    async fn read<T, F>(self, db: &Database, job: F) -> Result<T, LearningError>
    where
        T: Send + 'static,
        F: FnOnce(&Learner<'_>, &mut DbConnection) -> Result<T, LearningError> + Send + 'static,
    {
        db.run(move |conn| self.read_on(conn, job)).await
    }

    /// [`Work::read`] on a connection the caller already holds.
    fn read_on<T>(
        self,
        conn: &mut DbConnection,
        job: impl FnOnce(&Learner<'_>, &mut DbConnection) -> Result<T, LearningError>,
    ) -> Result<T, LearningError> {
        job(&self.learner()?, conn)
    }

    /// Runs `job` in one write transaction, for actions that always write.
    async fn write<T, F>(self, db: &Database, job: F) -> Result<T, LearningError>
    where
        T: Send + 'static,
        F: FnOnce(&Learner<'_>, &mut DbConnection) -> Result<T, LearningError> + Send + 'static,
    {
        db.transaction(move |conn| job(&self.learner()?, conn)).await
    }
}

/// One learner in one course, inside a unit of work.
struct Learner<'a> {
    plan: Plan<'a>,
    user_id: UserId,
    now: DateTime<Utc>,
}

/// What a read found that was never recorded: lessons open for the first time (they never lock
/// again once recorded) and the first view of the lesson being read.
struct News<'a> {
    unlocked: Vec<&'a str>,
    viewed: Option<&'a str>,
}

impl News<'_> {
    fn is_empty(&self) -> bool {
        self.unlocked.is_empty() && self.viewed.is_none()
    }
}

/// A lesson read: the learner's plan (their track applied) and facts, every lesson's state,
/// and what is new to record.
struct LessonRead<'a> {
    plan: Plan<'a>,
    facts: Facts,
    states: Vec<LessonState>,
    index: usize,
    news: News<'a>,
}

impl LessonRead<'_> {
    /// Refuses the lesson while it is locked, naming the next lesson of the plan open now.
    fn refuse_locked(&self) -> Result<(), LearningError> {
        match self.states.get(self.index) {
            Some(LessonState::Locked(reason)) => {
                let ordered: Vec<(&str, &LessonState)> =
                    self.plan.slugs().zip(&self.states).collect();
                let open_now = progress::next_open(&ordered, self.index + 1).map(str::to_owned);
                Err(LearningError::Locked { reason: reason.clone(), open_now })
            }
            Some(LessonState::Open | LessonState::Completed) => Ok(()),
            None => Err(LearningError::NoSuchLesson),
        }
    }
}

impl<'a> Learner<'a> {
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

    /// Lessons of `plan` open now that were never recorded as unlocked.
    fn fresh_unlocks(plan: &Plan<'a>, facts: &Facts, states: &[LessonState]) -> Vec<&'a str> {
        plan.slugs()
            .zip(states)
            .filter(|(slug, state)| {
                **state == LessonState::Open
                    && facts.records.get(*slug).is_none_or(|r| r.unlocked_at.is_none())
            })
            .map(|(slug, _)| slug)
            .collect()
    }

    /// Reads what a visit to `lesson` needs, in two queries: an unknown lesson, an enrolment
    /// without access or a lesson of another track is refused; `view` asks to record the
    /// lesson's first view when it is readable and was never viewed.
    fn read_lesson(
        &self,
        conn: &mut DbConnection,
        lesson: &str,
        view: bool,
    ) -> Result<LessonRead<'a>, LearningError> {
        self.plan.position(lesson).ok_or(LearningError::NoSuchLesson)?;
        let facts = self.accessible_facts(conn)?;
        let plan = self.plan.for_learner(&facts);
        let index = plan.position(lesson).ok_or(LearningError::OtherTrack)?;
        let states = facts.states(&plan, self.now);
        let readable = !matches!(states.get(index), Some(LessonState::Locked(_)) | None);
        let unseen = facts.records.get(lesson).is_none_or(|r| r.first_viewed_at.is_none());
        let viewed = (view && readable && unseen).then(|| plan.lessons[index].1.slug.as_str());
        let news = News { unlocked: Self::fresh_unlocks(&plan, &facts, &states), viewed };
        Ok(LessonRead { plan, facts, states, index, news })
    }

    /// Writes `news` (no statement at all when there is none) and notes it in `facts`, so the
    /// page shows what was just recorded without reading it again. Call inside a transaction.
    fn record(
        &self,
        conn: &mut DbConnection,
        facts: &mut Facts,
        news: &News<'_>,
    ) -> Result<(), LearningError> {
        let owner = self.plan.owner(self.user_id);
        let now = self.now.naive_utc();
        lesson_progress::mark_unlocked(conn, owner, &news.unlocked, now)?;
        for slug in &news.unlocked {
            facts.record_mut(slug).unlocked_at.get_or_insert(self.now);
        }
        if let Some(lesson) = news.viewed {
            lesson_progress::mark_viewed(conn, owner, lesson, now)?;
            facts.record_mut(lesson).first_viewed_at.get_or_insert(self.now);
        }
        Ok(())
    }

    /// Reads a lesson for the learner, recording a first view or unlock; refused while locked.
    fn open(&self, conn: &mut DbConnection, lesson: &str) -> Result<CourseView, LearningError> {
        let mut read = self.read_lesson(conn, lesson, true)?;
        self.record_news(conn, &mut read.facts, &read.news)?;
        read.refuse_locked()?;
        let status = read.facts.status(self.now);
        Ok(build_view(&read.plan, &read.facts, status, read.states))
    }

    /// [`Learner::record`] after a plain read: a write transaction only when there is news.
    fn record_news(
        &self,
        conn: &mut DbConnection,
        facts: &mut Facts,
        news: &News<'_>,
    ) -> Result<(), LearningError> {
        if news.is_empty() {
            return Ok(());
        }
        write_transaction(conn, |conn| self.record(conn, facts, news))
    }

    /// Stores activity and the course's completion after a lesson changed state.
    fn record_completion(
        &self,
        conn: &mut DbConnection,
        facts: &Facts,
    ) -> Result<Completion, LearningError> {
        let plan = self.plan.for_learner(facts);
        let progress = progress::course_progress(&plan.module_lessons(), &facts.records);
        let completed_at = progress
            .complete
            .then(|| facts.enrollment.completed_at.unwrap_or(self.now.naive_utc()));
        enrollment::record_activity(conn, facts.enrollment.id, completed_at, self.now.naive_utc())?;
        Ok(Completion { course_complete: progress.complete })
    }
}

/// The course page for an enrolled learner: lesson states, progress and where to resume.
/// Lessons seen open for the first time are recorded so they never lock again.
pub async fn course_view(at: LearnerCourse<'_>) -> Result<CourseView, LearningError> {
    Work::new(at)?
        .read(at.db, |learner, conn| {
            let mut facts = learner.facts(conn)?;
            let plan = learner.plan.for_learner(&facts);
            let status = facts.status(learner.now);
            let states = facts.states(&plan, learner.now);
            if status.grants_access() {
                let unlocked = Learner::fresh_unlocks(&plan, &facts, &states);
                learner.record_news(conn, &mut facts, &News { unlocked, viewed: None })?;
            }
            Ok(build_view(&plan, &facts, status, states))
        })
        .await
}

fn build_view(
    plan: &Plan<'_>,
    facts: &Facts,
    status: EnrollmentStatus,
    states: Vec<LessonState>,
) -> CourseView {
    let progress = progress::course_progress(&plan.module_lessons(), &facts.records);
    let ordered: Vec<(&str, &LessonState)> = plan.slugs().zip(&states).collect();
    let resume = progress::resume_target(&ordered, &facts.records).map(str::to_owned);
    let started = progress::started(&ordered, &facts.records);
    let lessons = plan
        .lessons
        .iter()
        .zip(states)
        .map(|((m, l), state)| LessonEntry { module: m.slug.clone(), slug: l.slug.clone(), state })
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
        track: plan.choice.track().map(|t| t.id.clone()),
        invites_track: plan.choice.invites_choosing(),
    }
}

/// Whether the learner's enrolment in the course grants access now (active or completed, not
/// expired or withdrawn): what course files ask of a learner. One read; writes nothing.
pub async fn has_access(at: LearnerCourse<'_>) -> Result<bool, LearningError> {
    let work = Work::new(at)?;
    at.db
        .run(move |conn| {
            let found = enrollment::find(conn, work.user_id, &work.course_slug)?;
            Ok(found.is_some_and(|e| {
                let status = EnrollmentStatus::parse(&e.status);
                status.as_of(e.expires_at.map(super::utc), work.now).grants_access()
            }))
        })
        .await
}

/// A learner opens a lesson: refused while locked; otherwise the course view the lesson page
/// shows beside it. One blocking-pool hop and one read; the first view and first unlocks are
/// written in the same hop, and a repeat view writes nothing.
pub async fn view_lesson(at: LearnerCourse<'_>, lesson: &str) -> Result<CourseView, LearningError> {
    let lesson = lesson.to_owned();
    Work::new(at)?.read(at.db, move |learner, conn| learner.open(conn, &lesson)).await
}

/// [`view_lesson`] on a connection the caller holds, for a page that folds it into the same
/// hop as its session check.
pub fn view_lesson_on(
    conn: &mut DbConnection,
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<CourseView, LearningError> {
    Work::new(at)?.read_on(conn, |learner, conn| learner.open(conn, lesson))
}

/// Checks the learner may work in a lesson now (enrolled with access, the lesson open), as
/// answering its reflection prompts needs; a plain read that records nothing.
pub fn check_open_on(
    conn: &mut DbConnection,
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<(), LearningError> {
    Work::new(at)?
        .read_on(conn, |learner, conn| learner.read_lesson(conn, lesson, false)?.refuse_locked())
}

/// Marks an open lesson done (idempotent: the first completion time is kept) and the course
/// completed when it was the last one.
pub async fn complete_lesson(
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<Completion, LearningError> {
    let lesson = lesson.to_owned();
    Work::new(at)?
        .write(at.db, move |learner, conn| {
            let mut read = learner.read_lesson(conn, &lesson, false)?;
            learner.record(conn, &mut read.facts, &read.news)?;
            read.refuse_locked()?;
            let hash = read.plan.lesson(&lesson).map(|l| l.content_hash.as_str());
            let owner = learner.plan.owner(learner.user_id);
            let now = learner.now.naive_utc();
            lesson_progress::complete(conn, owner, &lesson, hash.unwrap_or_default(), now)?;
            read.facts.record_mut(&lesson).completed_at.get_or_insert(learner.now);
            learner.record_completion(conn, &read.facts)
        })
        .await
}

/// Marks a lesson not done again; a completed course becomes active again.
pub async fn uncomplete_lesson(
    at: LearnerCourse<'_>,
    lesson: &str,
) -> Result<Completion, LearningError> {
    let lesson = lesson.to_owned();
    Work::new(at)?
        .write(at.db, move |learner, conn| {
            learner.plan.position(&lesson).ok_or(LearningError::NoSuchLesson)?;
            let mut facts = learner.accessible_facts(conn)?;
            let owner = learner.plan.owner(learner.user_id);
            lesson_progress::uncomplete(conn, owner, &lesson, learner.now.naive_utc())?;
            if let Some(record) = facts.records.get_mut(&lesson) {
                record.completed_at = None;
            }
            learner.record_completion(conn, &facts)
        })
        .await
}

/// Pauses the course: nothing new unlocks until [`resume`]. Pausing a paused course is a no-op.
pub async fn pause(at: LearnerCourse<'_>) -> Result<(), LearningError> {
    Work::new(at)?
        .write(at.db, |learner, conn| {
            let facts = learner.accessible_facts(conn)?;
            enrollment::pause(conn, facts.enrollment.id, learner.now.naive_utc())?;
            Ok(())
        })
        .await
}

/// Resumes a paused course: the drip schedule shifts by the length of the pause. Resuming a
/// course that is not paused is a no-op.
pub async fn resume(at: LearnerCourse<'_>) -> Result<(), LearningError> {
    Work::new(at)?
        .write(at.db, |learner, conn| {
            let facts = learner.facts(conn)?;
            let total = facts.schedule.paused_seconds_after_resume(learner.now);
            enrollment::resume(conn, facts.enrollment.id, total, learner.now.naive_utc())?;
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
    user_id: UserId,
) -> Result<Vec<DashboardEntry>, LearningError> {
    let now = clock.now();
    let (enrollments, rows) = db
        .run(move |conn| {
            let enrollments = enrollment::list_with_time_zone(conn, user_id)?;
            let rows = lesson_progress::load_user_progress(conn, user_id)?;
            Ok::<_, LearningError>((enrollments, rows))
        })
        .await?;
    let mut by_course: HashMap<String, Vec<LessonProgress>> = HashMap::new();
    for row in rows {
        by_course.entry(row.course_slug.clone()).or_default().push(row);
    }
    let entries = enrollments.into_iter().filter_map(|(enrollment, zone)| {
        let course = catalog.course(&enrollment.course_slug)?;
        let rows = by_course.remove(&course.slug).unwrap_or_default();
        let facts = Facts::new(enrollment, &zone, rows);
        let plan = Plan::of(course).for_learner(&facts);
        let view = build_view(&plan, &facts, facts.status(now), facts.states(&plan, now));
        Some(DashboardEntry { course_slug: plan.course.slug.clone(), view })
    });
    Ok(entries.collect())
}

/// The learner's track in the course: `None` when the course has no tracks or none is chosen
/// (a track since removed from the content counts as none). One read; writes nothing.
pub async fn current_track(at: LearnerCourse<'_>) -> Result<Option<String>, LearningError> {
    Work::new(at)?
        .read(at.db, |learner, conn| {
            let facts = learner.facts(conn)?;
            Ok(learner.plan.for_learner(&facts).choice.track().map(|t| t.id.clone()))
        })
        .await
}

/// Sets (or with `None` clears) the learner's track. Progress is kept: it is stored per
/// lesson, and the course's completion is recounted over the new track's lessons. Choosing
/// the track already chosen writes nothing.
pub async fn choose_track(
    at: LearnerCourse<'_>,
    requested: Option<String>,
) -> Result<Option<String>, LearningError> {
    Work::new(at)?
        .read(at.db, move |learner, conn| {
            let mut facts = learner.accessible_facts(conn)?;
            let chosen = tracks::parse_choice(learner.plan.course, requested.as_deref())?;
            let track = chosen.map(|t| t.id.clone());
            if facts.enrollment.track == track {
                return Ok(track);
            }
            write_transaction(conn, |conn| {
                let now = learner.now.naive_utc();
                enrollment::set_track(conn, facts.enrollment.id, track.as_deref(), now)?;
                facts.enrollment.track.clone_from(&track);
                learner.record_completion(conn, &facts)
            })?;
            Ok(track)
        })
        .await
}
