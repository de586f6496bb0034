//! A course as the learner rules see it, borrowed from the shared catalog (nothing is copied
//! per request), plus the per-learner facts loaded for it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::content::{Course, Lesson, Module};
use crate::db::DbConnection;
use crate::db::models::enrollment::{self, Enrollment};
use crate::db::models::lesson_progress::{self, LessonProgress, Owner};
use crate::domain::drip::{self, LessonRecord, LessonRule, LessonState, Schedule};
use crate::domain::enrollment::EnrollmentStatus;
use crate::domain::ids::UserId;
use crate::domain::tracks::{self, Choice};

use super::utc;

/// The lessons a learner sees of a course, in course order, each with its module: every
/// published lesson, or, once a track is chosen, that track's and the together ones.
#[derive(Debug, Clone)]
pub(super) struct Plan<'a> {
    pub course: &'a Course,
    pub choice: Choice<'a>,
    pub lessons: Vec<(&'a Module, &'a Lesson)>,
}

impl<'a> Plan<'a> {
    /// What a learner who has not chosen a track sees of `course`: every published lesson.
    pub fn of(course: &'a Course) -> Self {
        Self::on_track(course, None)
    }

    /// What a learner on the `stored` track sees of `course`.
    pub fn on_track(course: &'a Course, stored: Option<&str>) -> Self {
        let choice = Choice::of(course, stored);
        Self { course, choice, lessons: tracks::lessons(course, choice).collect() }
    }

    /// The plan of the learner these facts are about (their track applied).
    pub fn for_learner(&self, facts: &Facts) -> Self {
        Self::on_track(self.course, facts.enrollment.track.as_deref())
    }

    /// Position of a learner-visible lesson.
    pub fn position(&self, slug: &str) -> Option<usize> {
        self.lessons.iter().position(|(_, l)| l.slug == slug)
    }

    /// The learner-visible lesson with this slug.
    pub fn lesson(&self, slug: &str) -> Option<&'a Lesson> {
        self.position(slug).and_then(|i| self.lessons.get(i)).map(|(_, l)| *l)
    }

    /// The slugs of the plan's lessons, in order.
    pub fn slugs(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.lessons.iter().map(|(_, l)| l.slug.as_str())
    }

    fn rules(&self) -> Vec<LessonRule<'a>> {
        self.lessons
            .iter()
            .map(|(_, l)| LessonRule {
                slug: &l.slug,
                unlock_after_days: l.unlock_after_days,
                requires: &l.requires,
            })
            .collect()
    }

    /// Each module's slug with the slugs of its lessons, for progress counts.
    pub fn module_lessons(&self) -> Vec<(&'a str, Vec<&'a str>)> {
        self.course
            .modules
            .iter()
            .map(|m| {
                let lessons = self.lessons.iter().filter(|(of, _)| of.slug == m.slug);
                (m.slug.as_str(), lessons.map(|(_, l)| l.slug.as_str()).collect())
            })
            .collect()
    }

    /// The owner of the progress rows for `user_id` in this course.
    pub fn owner(&self, user_id: UserId) -> Owner<'a> {
        Owner { user_id, course_slug: &self.course.slug }
    }
}

/// What is stored about one learner in one course.
#[derive(Debug, Clone)]
pub(super) struct Facts {
    pub enrollment: Enrollment,
    pub schedule: Schedule,
    pub records: HashMap<String, LessonRecord>,
}

/// Loads the facts in two queries whatever the course size; `None` when not enrolled. Plain
/// reads: on SQLite they never wait for the write lock.
pub(super) fn load_facts(
    conn: &mut DbConnection,
    plan: &Plan<'_>,
    user_id: UserId,
) -> diesel::QueryResult<Option<Facts>> {
    let Some((enrollment, zone)) =
        enrollment::find_with_time_zone(conn, user_id, &plan.course.slug)?
    else {
        return Ok(None);
    };
    let rows = lesson_progress::load_course_progress(conn, plan.owner(user_id))?;
    Ok(Some(Facts::new(enrollment, &zone, rows)))
}

impl Facts {
    /// Puts together what was loaded about one enrolment (`rows` are its progress rows).
    pub fn new(enrollment: Enrollment, zone: &str, rows: Vec<LessonProgress>) -> Self {
        let records = rows
            .into_iter()
            .map(|row| {
                let record = LessonRecord {
                    first_viewed_at: row.first_viewed_at.map(utc),
                    unlocked_at: row.unlocked_at.map(utc),
                    completed_at: row.completed_at.map(utc),
                };
                (row.lesson_slug, record)
            })
            .collect();
        let schedule = Schedule {
            enrolled_at: utc(enrollment.enrolled_at),
            zone: drip::parse_zone(zone),
            paused_at: enrollment.paused_at.map(utc),
            paused_seconds: enrollment.paused_seconds,
        };
        Self { enrollment, schedule, records }
    }

    /// The enrolment's status at `now` (expiry applied).
    pub fn status(&self, now: DateTime<Utc>) -> EnrollmentStatus {
        EnrollmentStatus::parse(&self.enrollment.status)
            .as_of(self.enrollment.expires_at.map(utc), now)
    }

    /// The state of every lesson of the plan at `now`, in plan order.
    pub fn states(&self, plan: &Plan<'_>, now: DateTime<Utc>) -> Vec<LessonState> {
        drip::lesson_states(&self.schedule, &plan.rules(), &self.records, now)
    }

    /// The record of `lesson`, created empty when there is none yet.
    pub fn record_mut(&mut self, lesson: &str) -> &mut LessonRecord {
        self.records.entry(lesson.to_owned()).or_default()
    }
}
