//! A learner's progress shaped for pages: lesson states with the words to show, progress bars
//! per module and course, where to resume. Templates print these; they do not decide.

use std::collections::HashMap;

use chrono_tz::Tz;
use serde::Serialize;

use crate::content::{Catalog, Course, Enrollment};
use crate::domain::drip::{LessonState, LockReason};
use crate::error::{AppError, ProblemLink};
use crate::learning::{CourseView, DashboardEntry, LearningError};
use crate::web::views::{CourseSummary, course_url, lesson_url, reading_time, track_url};

impl From<LearningError> for AppError {
    /// Lock times are shown in UTC here and lessons by slug, with no link; pages that know the
    /// learner and the course use [`AppError::from_learning`].
    fn from(error: LearningError) -> Self {
        Self::from_learning(error, Tz::UTC, None)
    }
}

impl AppError {
    /// The one mapping of learner refusals to HTTP: a locked lesson says when it opens (in
    /// `zone`) or which lessons it needs (titled from `course`), and links the way on.
    pub fn from_learning(error: LearningError, zone: Tz, course: Option<&Course>) -> Self {
        match error {
            LearningError::NoSuchCourse | LearningError::NoSuchLesson => Self::NotFound,
            LearningError::NotEnrolled => Self::NotEnrolled,
            LearningError::NoAccess(_) => Self::AccessEnded,
            LearningError::Locked { reason, open_now } => {
                let titled =
                    |slug: &str| course.map_or_else(|| slug.to_owned(), |c| title_of(c, slug));
                Self::Locked {
                    detail: lock_detail(&reason, zone, titled),
                    next: course.and_then(|c| way_on(&reason, open_now.as_deref(), c)),
                }
            }
            LearningError::OtherTrack => Self::OtherTrack {
                next: course.map(|c| ProblemLink {
                    label: "See your track".to_owned(),
                    href: track_url(&c.slug),
                }),
            },
            error @ LearningError::UnknownTrack(_) => {
                Self::InvalidField { field: "track", message: error.to_string() }
            }
            LearningError::Db(error) => Self::Database(error),
        }
    }
}

/// A lesson's title, or its slug when the catalog no longer has it.
pub fn title_of(course: &Course, slug: &str) -> String {
    course.lesson(slug).map_or_else(|| slug.to_owned(), |v| v.lesson.title.clone())
}

/// Where a locked lesson's page sends the learner: the first required lesson not yet done, a
/// lesson open now while the date comes round, or the course page to resume a break.
fn way_on(reason: &LockReason, open_now: Option<&str>, course: &Course) -> Option<ProblemLink> {
    let lesson = |slug: &str, words: &str| ProblemLink {
        label: format!("Read “{}” {words}", title_of(course, slug)),
        href: lesson_url(&course.slug, slug),
    };
    match reason {
        LockReason::Requires(slugs) => slugs.first().map(|slug| lesson(slug, "first")),
        LockReason::OpensAt(_) => open_now.map(|slug| lesson(slug, "while you wait")),
        LockReason::Paused => Some(ProblemLink {
            label: "Resume on the course page".to_owned(),
            href: course_url(&course.slug),
        }),
    }
}

/// Says, warmly, when or why a lesson opens: page wording, so it lives with the pages.
fn lock_detail(reason: &LockReason, zone: Tz, title_of: impl Fn(&str) -> String) -> String {
    match reason {
        LockReason::OpensAt(at) => format!(
            "It opens on {} ({zone}). Lessons arrive one step at a time so there is room to take each in.",
            at.with_timezone(&zone).format("%A %-d %B %Y at %H:%M")
        ),
        LockReason::Requires(slugs) => {
            let titles: Vec<String> = slugs.iter().map(|s| title_of(s)).collect();
            format!("It opens once you have completed: {}.", titles.join(", "))
        }
        LockReason::Paused => {
            "Your course is paused while you take a break. Resume it from the course page and \
             your lessons will be waiting."
                .to_owned()
        }
    }
}

/// One lesson in the enrolled outline.
#[derive(Debug, Serialize)]
pub struct LessonStatus {
    pub slug: String,
    pub url: String,
    pub title: String,
    pub minutes: u32,
    /// `done`, `current` (where to resume), `open`, `locked` or `paused`.
    pub state: &'static str,
    /// The state in words for lesson lists: "Done", "Up next", "Open", "Paused", "Locked".
    pub label: &'static str,
    /// Why a locked lesson is locked, in words.
    pub note: String,
    /// In a course with tracks, a lesson both partners read.
    pub together: bool,
}

/// A module with its progress bar and lessons.
#[derive(Debug, Serialize)]
pub struct ModuleStatus {
    pub title: String,
    pub done: usize,
    pub total: usize,
    pub percent: u8,
    pub lessons: Vec<LessonStatus>,
}

/// The enrolled learner's view of a course.
#[derive(Debug, Serialize)]
pub struct CourseProgressView {
    pub done: usize,
    pub total: usize,
    pub percent: u8,
    pub complete: bool,
    pub paused: bool,
    pub resume_url: Option<String>,
    /// Whether anything was opened yet: "Resume where you left off" rather than "Start".
    pub started: bool,
    pub modules: Vec<ModuleStatus>,
    /// The track page, in a course with tracks.
    pub track_url: Option<String>,
    /// The title of the learner's track, once chosen.
    pub track: Option<String>,
    /// The course has tracks and none is chosen: the page invites the learner to choose.
    pub invites_track: bool,
}

impl CourseProgressView {
    /// The course's header counts narrowed to the learner's own lessons (their track's and the
    /// together ones), so "7 lessons · about 2 hours" promises what their outline shows.
    pub fn narrow(&self, summary: CourseSummary) -> CourseSummary {
        let lessons = || self.modules.iter().flat_map(|m| &m.lessons);
        CourseSummary {
            modules: self.modules.iter().filter(|m| !m.lessons.is_empty()).count(),
            lessons: lessons().count(),
            hours: reading_time(lessons().map(|l| l.minutes).sum()),
            ..summary
        }
    }

    /// Whether `lesson` is done, for the lesson page's "Mark complete" or "Undo".
    pub fn is_done(&self, lesson: &str) -> bool {
        self.modules.iter().flat_map(|m| &m.lessons).any(|l| l.slug == lesson && l.state == "done")
    }

    /// The lessons before and after `lesson` among the learner's own, for the lesson page's
    /// pager (so it never leads onto another track).
    pub fn neighbours(&self, lesson: &str) -> (Option<&str>, Option<&str>) {
        let slugs: Vec<&str> =
            self.modules.iter().flat_map(|m| &m.lessons).map(|l| l.slug.as_str()).collect();
        let Some(at) = slugs.iter().position(|s| *s == lesson) else { return (None, None) };
        let prev = at.checked_sub(1).and_then(|i| slugs.get(i)).copied();
        (prev, slugs.get(at + 1).copied())
    }

    /// The module holding `lesson`, for the lesson page's curriculum sidebar.
    pub fn module_of(&self, lesson: &str) -> Option<&ModuleStatus> {
        self.modules.iter().find(|m| m.lessons.iter().any(|l| l.slug == lesson))
    }
}

/// A course's title and link.
#[derive(Debug, Serialize)]
pub struct CourseLink {
    pub slug: String,
    pub title: String,
    pub url: String,
    /// `open`, `code` or `invite`: which enrol form the course page shows.
    pub enrollment: &'static str,
}

/// The title and link of `course`.
pub fn course_link(course: &Course) -> CourseLink {
    let enrollment = match course.enrollment {
        Enrollment::Open => "open",
        Enrollment::Code => "code",
        Enrollment::Invite => "invite",
    };
    CourseLink {
        slug: course.slug.clone(),
        title: course.title.clone(),
        url: course_url(&course.slug),
        enrollment,
    }
}

/// Shapes a learner's course view with the catalog's titles.
pub fn course(course: &Course, view: &CourseView) -> CourseProgressView {
    let title_of = |slug: &str| title_of(course, slug);
    let states: HashMap<&str, &LessonState> =
        view.lessons.iter().map(|l| (l.slug.as_str(), &l.state)).collect();
    let counts: HashMap<&str, (usize, usize, u8)> = view
        .progress
        .modules
        .iter()
        .map(|m| (m.slug.as_str(), (m.done, m.total, m.percent)))
        .collect();
    let modules = course
        .modules
        .iter()
        .filter_map(|module| {
            let lessons: Vec<LessonStatus> = module
                .lessons
                .iter()
                .filter_map(|lesson| {
                    let state = states.get(lesson.slug.as_str())?;
                    let (state, label, note) = describe(state, view, &lesson.slug, &title_of);
                    Some(LessonStatus {
                        slug: lesson.slug.clone(),
                        url: lesson_url(&course.slug, &lesson.slug),
                        title: lesson.title.clone(),
                        minutes: lesson.minutes,
                        state,
                        label,
                        note,
                        together: !course.tracks.is_empty() && lesson.is_together(),
                    })
                })
                .collect();
            let (done, total, percent) = counts.get(module.slug.as_str()).copied()?;
            (!lessons.is_empty()).then(|| ModuleStatus {
                title: module.title.clone(),
                done,
                total,
                percent,
                lessons,
            })
        })
        .collect();
    CourseProgressView {
        done: view.progress.done,
        total: view.progress.total,
        percent: view.progress.percent,
        complete: view.progress.complete,
        paused: view.paused,
        resume_url: view.resume.as_deref().map(|l| lesson_url(&course.slug, l)),
        started: view.started,
        modules,
        track_url: (!course.tracks.is_empty()).then(|| track_url(&course.slug)),
        track: view.track.as_deref().and_then(|id| course.track(id)).map(|t| t.title.clone()),
        invites_track: view.invites_track,
    }
}

/// The state's name for the template, its label in words and, when locked, why.
fn describe(
    state: &LessonState,
    view: &CourseView,
    slug: &str,
    title_of: &impl Fn(&str) -> String,
) -> (&'static str, &'static str, String) {
    match state {
        LessonState::Completed => ("done", "Done", String::new()),
        LessonState::Open if view.resume.as_deref() == Some(slug) => {
            ("current", "Up next", String::new())
        }
        LessonState::Open => ("open", "Open", String::new()),
        LessonState::Locked(LockReason::Paused) => {
            ("paused", "Paused", "Waiting for you while you take a break.".into())
        }
        LessonState::Locked(reason) => {
            ("locked", "Locked", lock_detail(reason, view.zone, title_of))
        }
    }
}

/// One course on the dashboard.
#[derive(Debug, Serialize)]
pub struct DashboardCourse {
    pub course: CourseLink,
    pub progress: CourseProgressView,
    /// Lessons open now and not yet done, in course order (at most three).
    pub ready: Vec<LessonStatus>,
}

/// Every enrolled course that is still in the catalog.
pub fn dashboard(catalog: &Catalog, entries: &[DashboardEntry]) -> Vec<DashboardCourse> {
    entries
        .iter()
        .filter_map(|entry| {
            let c = catalog.course(&entry.course_slug)?;
            let mut progress = course(c, &entry.view);
            let ready = progress
                .modules
                .iter_mut()
                .flat_map(|m| m.lessons.drain(..))
                .filter(|l| matches!(l.state, "open" | "current"))
                .take(3)
                .collect();
            progress.modules.clear();
            Some(DashboardCourse { course: course_link(c), progress, ready })
        })
        .collect()
}
