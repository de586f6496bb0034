//! A course reduced to what the learner rules need, owned so a unit of work can carry it onto
//! the blocking pool, plus the per-learner facts loaded for it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::content::Course;
use crate::db::DbConnection;
use crate::db::models::enrollment::{self, Enrollment};
use crate::db::models::lesson_progress::{self, LessonProgress, Owner};
use crate::domain::drip::{self, LessonRecord, LessonRule, LessonState, Schedule};
use crate::domain::enrolment::EnrollmentStatus;

use super::utc;

/// One non-draft lesson of the plan.
#[derive(Debug, Clone)]
pub(super) struct PlannedLesson {
    pub module: String,
    pub slug: String,
    pub unlock_after_days: Option<u32>,
    pub requires: Vec<String>,
    pub content_hash: String,
}

/// The non-draft lessons of a course, in course order, with their modules.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub course_slug: String,
    pub lessons: Vec<PlannedLesson>,
    pub modules: Vec<String>,
}

impl Plan {
    /// Drafts are not part of a learner's course, so they are left out here once.
    pub fn of(course: &Course) -> Self {
        let lessons = course
            .modules
            .iter()
            .flat_map(|m| m.lessons.iter().filter(|l| !l.draft).map(move |l| (m, l)))
            .map(|(m, l)| PlannedLesson {
                module: m.slug.clone(),
                slug: l.slug.clone(),
                unlock_after_days: l.unlock_after_days,
                requires: l.requires.clone(),
                content_hash: l.content_hash.clone(),
            })
            .collect();
        let modules = course.modules.iter().map(|m| m.slug.clone()).collect();
        Self { course_slug: course.slug.clone(), lessons, modules }
    }

    /// Position of a learner-visible lesson.
    pub fn position(&self, slug: &str) -> Option<usize> {
        self.lessons.iter().position(|l| l.slug == slug)
    }

    fn rules(&self) -> Vec<LessonRule<'_>> {
        self.lessons
            .iter()
            .map(|l| LessonRule {
                slug: &l.slug,
                unlock_after_days: l.unlock_after_days,
                requires: &l.requires,
            })
            .collect()
    }

    /// Each module's slug with the slugs of its lessons, for progress counts.
    pub fn module_lessons(&self) -> Vec<(&str, Vec<&str>)> {
        self.modules
            .iter()
            .map(|m| {
                let lessons =
                    self.lessons.iter().filter(|l| &l.module == m).map(|l| l.slug.as_str());
                (m.as_str(), lessons.collect())
            })
            .collect()
    }

    /// The owner of the progress rows for `user_id` in this course.
    pub fn owner(&self, user_id: i64) -> Owner<'_> {
        Owner { user_id, course_slug: &self.course_slug }
    }
}

/// What is stored about one learner in one course.
#[derive(Debug, Clone)]
pub(super) struct Facts {
    pub enrollment: Enrollment,
    pub schedule: Schedule,
    pub records: HashMap<String, LessonRecord>,
}

/// Loads the facts in two queries whatever the course size; `None` when not enrolled.
pub(super) fn load_facts(
    conn: &mut DbConnection,
    plan: &Plan,
    user_id: i64,
) -> diesel::QueryResult<Option<Facts>> {
    let Some((enrollment, zone)) =
        enrollment::find_with_time_zone(conn, user_id, &plan.course_slug)?
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
}

impl Facts {
    /// The enrolment's status at `now` (expiry applied).
    pub fn status(&self, now: DateTime<Utc>) -> EnrollmentStatus {
        EnrollmentStatus::parse(&self.enrollment.status)
            .as_of(self.enrollment.expires_at.map(utc), now)
    }

    /// The state of every lesson of the plan at `now`, in plan order.
    pub fn states(&self, plan: &Plan, now: DateTime<Utc>) -> Vec<LessonState> {
        drip::lesson_states(&self.schedule, &plan.rules(), &self.records, now)
    }
}
