//! Course reports: the funnel (enrolled → started → halfway → completed), recent activity,
//! completion per lesson in course order, the median time to complete, and who has gone quiet.
//! Counts only, never answers; small counts are hidden by [`Cells`] wherever they are shown.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::admin::Console;
use crate::content::Course;
use crate::db::DbError;
use crate::db::models::report;

/// The longest inactivity window the report accepts, in days.
pub const MAX_INACTIVE_DAYS: u32 = 365;
/// The inactivity window when the form does not name one, in days.
pub const DEFAULT_INACTIVE_DAYS: u32 = 14;
/// How many quiet learners one page of the report lists.
pub const INACTIVE_PAGE: i64 = 100;

/// One lesson's row: where people stop.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LessonRow {
    pub slug: String,
    pub title: String,
    pub module: String,
    /// Enrolled learners who finished it.
    pub completed: i64,
}

/// One learner who has gone quiet (for the nudge list; only the name is shown, never answers).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuietLearner {
    pub enrollment_id: i64,
    pub user_id: i64,
    pub display_name: String,
    /// Whole days since their last activity (or since they enrolled, if never active).
    pub days_quiet: i64,
}

/// One course's report, as raw counts (apply [`Cells`] before showing any of them).
#[derive(Debug, Clone, Serialize)]
pub struct CourseReport {
    pub course: String,
    pub title: String,
    pub published: bool,
    pub generated_at: DateTime<Utc>,
    pub enrolled: i64,
    pub started: i64,
    pub halfway: i64,
    pub completed: i64,
    pub active_7: i64,
    pub active_30: i64,
    /// The lessons learners can see (drafts left out), in course order.
    pub lessons: Vec<LessonRow>,
    /// Median whole-and-fractional days from enrolling to completing (`None`: nobody has).
    pub median_days: Option<f64>,
    /// How many completions the median is taken over.
    pub median_over: i64,
    pub inactive_days: u32,
    pub inactive: Vec<QuietLearner>,
    /// Where the next page of quiet learners starts (`None`: this was the last).
    pub inactive_next: Option<i64>,
}

/// Small-cell suppression: a count of 1 to `min − 1` learners is shown as "fewer than min",
/// so a report cannot single someone out. `min` of 0 or 1 shows every count as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cells {
    min: i64,
}

impl Cells {
    /// Suppression below `min` learners (`MEND_REPORT_MIN_CELL`).
    pub fn new(min: u32) -> Self {
        Self { min: i64::from(min) }
    }

    /// The threshold in force (0 or 1: none).
    pub fn min(self) -> i64 {
        self.min
    }

    /// Whether `count` is too small to show.
    pub fn hides(self, count: i64) -> bool {
        count > 0 && count < self.min
    }

    /// The count as it may be shown: `None` when hidden.
    pub fn visible(self, count: i64) -> Option<i64> {
        (!self.hides(count)).then_some(count)
    }

    /// The count in words for a page or CSV cell: the number, or "fewer than N".
    pub fn text(self, count: i64) -> String {
        if self.hides(count) { format!("fewer than {}", self.min) } else { count.to_string() }
    }
}

/// The median of `values` (sorted here); `None` for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}

/// How many of `lessons` count as "halfway": half, rounded up (at least one).
pub fn halfway_mark(lessons: usize) -> i64 {
    i64::try_from(lessons.div_ceil(2).max(1)).unwrap_or(i64::MAX)
}

/// The lessons of `course` a learner can see, in course order, as `(slug, title, module)`.
fn visible_lessons(course: &Course) -> Vec<(String, String, String)> {
    course
        .modules
        .iter()
        .flat_map(|m| {
            m.lessons
                .iter()
                .filter(|l| !l.draft)
                .map(|l| (l.slug.clone(), l.title.clone(), m.title.clone()))
        })
        .collect()
}

impl Console {
    /// Reads `course`'s report at the clock's now, listing learners quiet for more than
    /// `inactive_days` days from enrolment id `after` on. A handful of aggregate queries in one
    /// read (no write lock; no query per learner).
    pub async fn course_report(
        &self,
        course: &Course,
        inactive_days: u32,
        after: i64,
    ) -> Result<CourseReport, DbError> {
        let now = self.now();
        let lessons = visible_lessons(course);
        let slugs: Vec<String> = lessons.iter().map(|(slug, _, _)| slug.clone()).collect();
        let slug = course.slug.clone();
        let half = halfway_mark(slugs.len());
        let naive = now.naive_utc();
        let cutoff = naive - Duration::days(i64::from(inactive_days));
        let (counts, started, halfway, per_lesson, spans, quiet) = self
            .db()
            .run(move |conn| {
                let counts = report::enrollment_counts(
                    conn,
                    &slug,
                    naive - Duration::days(7),
                    naive - Duration::days(30),
                )?;
                let finished = report::lessons_finished_by_starters(conn, &slug, &slugs)?;
                let started = i64::try_from(finished.len()).unwrap_or(i64::MAX);
                let halfway = i64::try_from(finished.iter().filter(|&&n| n >= half).count())
                    .unwrap_or(i64::MAX);
                let per_lesson = report::completions_per_lesson(conn, &slug)?;
                let spans = report::completion_spans(conn, &slug)?;
                let quiet = report::inactive(conn, &slug, cutoff, after, INACTIVE_PAGE + 1)?;
                Ok::<_, DbError>((counts, started, halfway, per_lesson, spans, quiet))
            })
            .await?;
        let per_lesson: std::collections::HashMap<String, i64> = per_lesson.into_iter().collect();
        let lessons = lessons
            .into_iter()
            .map(|(slug, title, module)| LessonRow {
                completed: per_lesson.get(&slug).copied().unwrap_or(0),
                slug,
                title,
                module,
            })
            .collect();
        let median_over = i64::try_from(spans.len()).unwrap_or(i64::MAX);
        let days: Vec<f64> = spans
            .into_iter()
            .map(|(from, to)| (to - from).num_seconds().max(0) as f64 / 86_400.0)
            .collect();
        let (inactive, inactive_next) = quiet_page(quiet, naive);
        Ok(CourseReport {
            course: course.slug.clone(),
            title: course.title.clone(),
            published: course.published,
            generated_at: now,
            enrolled: counts.enrolled,
            started,
            halfway,
            completed: counts.completed,
            active_7: counts.active_7,
            active_30: counts.active_30,
            lessons,
            median_days: median(days),
            median_over,
            inactive_days,
            inactive,
            inactive_next,
        })
    }
}

/// The first [`INACTIVE_PAGE`] quiet learners and the keyset cursor after them, if more.
fn quiet_page(
    mut rows: Vec<report::Inactive>,
    now: chrono::NaiveDateTime,
) -> (Vec<QuietLearner>, Option<i64>) {
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > INACTIVE_PAGE;
    rows.truncate(usize::try_from(INACTIVE_PAGE).unwrap_or(usize::MAX));
    let next = if more { rows.last().map(|r| r.enrollment_id) } else { None };
    let learners = rows
        .into_iter()
        .map(|r| QuietLearner {
            enrollment_id: r.enrollment_id,
            user_id: r.user_id,
            display_name: r.display_name,
            days_quiet: (now - r.last_activity_at.unwrap_or(r.enrolled_at)).num_days(),
        })
        .collect();
    (learners, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_but_zero_and_large_are_not() {
        let cells = Cells::new(5);
        assert_eq!(cells.text(0), "0");
        assert_eq!(cells.text(1), "fewer than 5");
        assert_eq!(cells.text(4), "fewer than 5");
        assert_eq!(cells.text(5), "5");
        assert_eq!(cells.visible(3), None);
        assert!(!Cells::new(1).hides(1));
        assert!(!Cells::new(0).hides(1));
    }

    #[test]
    fn median_of_odd_even_and_none() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn halfway_is_half_rounded_up() {
        assert_eq!(halfway_mark(0), 1);
        assert_eq!(halfway_mark(5), 3);
        assert_eq!(halfway_mark(6), 3);
    }
}
