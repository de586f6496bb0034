//! Progress: how much of a course is done, and where to carry on. Counted over the course as it
//! is compiled now, so lessons removed from the content simply stop counting.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::drip::{LessonRecord, LessonState};

/// Done and total lessons of one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleProgress {
    /// The module's slug.
    pub slug: String,
    /// Completed lessons.
    pub done: usize,
    /// Lessons a learner sees (drafts excluded).
    pub total: usize,
    /// `done / total`, rounded down so 100 means really finished.
    pub percent: u8,
}

/// Done and total lessons of a whole course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseProgress {
    /// Per module, in course order.
    pub modules: Vec<ModuleProgress>,
    /// Completed lessons.
    pub done: usize,
    /// Lessons a learner sees.
    pub total: usize,
    /// `done / total`, rounded down.
    pub percent: u8,
    /// Every lesson is done (a course without lessons is never complete).
    pub complete: bool,
}

/// Rounds down, so a learner is shown 100% only when everything is done.
fn percent(done: usize, total: usize) -> u8 {
    if total == 0 {
        return 0;
    }
    u8::try_from(done.min(total) * 100 / total).unwrap_or(100)
}

/// Progress over `modules` (slug and the slugs of its non-draft lessons), counting a lesson done
/// when its record has `completed_at`. Records for slugs not in `modules` are ignored.
pub fn course_progress(
    modules: &[(&str, Vec<&str>)],
    records: &HashMap<String, LessonRecord>,
) -> CourseProgress {
    let is_done = |slug: &str| records.get(slug).is_some_and(|r| r.completed_at.is_some());
    let modules: Vec<ModuleProgress> = modules
        .iter()
        .map(|(slug, lessons)| {
            let done = lessons.iter().filter(|slug| is_done(slug)).count();
            let total = lessons.len();
            ModuleProgress { slug: (*slug).to_owned(), done, total, percent: percent(done, total) }
        })
        .collect();
    let done = modules.iter().map(|m| m.done).sum();
    let total = modules.iter().map(|m| m.total).sum();
    CourseProgress {
        modules,
        done,
        total,
        percent: percent(done, total),
        complete: total > 0 && done == total,
    }
}

/// The lesson to offer under "resume where you left off": the last lesson touched (latest of
/// first view and completion) if it is open and not done; otherwise the first open, not done
/// lesson after it, wrapping round to the start; with no activity, the first open lesson.
/// `None` when nothing is open and unfinished.
pub fn resume_target<'a>(
    lessons: &[(&'a str, &LessonState)],
    records: &HashMap<String, LessonRecord>,
) -> Option<&'a str> {
    next_open(lessons, last_touched(lessons, records).unwrap_or(0))
}

/// The first open, not done lesson at or after position `start`, wrapping round to the start:
/// where to go on from a lesson (resuming, or reading while a locked one waits).
pub fn next_open<'a>(lessons: &[(&'a str, &LessonState)], start: usize) -> Option<&'a str> {
    let open = |i: &usize| matches!(lessons[*i].1, LessonState::Open);
    let start = start.min(lessons.len());
    (start..lessons.len()).chain(0..start).find(open).map(|i| lessons[i].0)
}

/// Whether the learner has opened or completed any of `lessons`: until then the course page
/// offers "Start the course" rather than "Resume where you left off".
pub fn started(lessons: &[(&str, &LessonState)], records: &HashMap<String, LessonRecord>) -> bool {
    last_touched(lessons, records).is_some()
}

fn last_touched(
    lessons: &[(&str, &LessonState)],
    records: &HashMap<String, LessonRecord>,
) -> Option<usize> {
    let touched =
        |r: &LessonRecord| -> Option<DateTime<Utc>> { r.first_viewed_at.max(r.completed_at) };
    lessons
        .iter()
        .enumerate()
        .filter_map(|(i, (slug, _))| Some((touched(records.get(*slug)?)?, i)))
        .max()
        .map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::drip::LockReason;

    fn at(hour: u32) -> Option<DateTime<Utc>> {
        Some(DateTime::from_timestamp(1_800_000_000 + i64::from(hour) * 3600, 0).unwrap())
    }

    fn completed(hour: u32) -> LessonRecord {
        LessonRecord { completed_at: at(hour), first_viewed_at: at(hour), ..Default::default() }
    }

    fn viewed(hour: u32) -> LessonRecord {
        LessonRecord { first_viewed_at: at(hour), ..Default::default() }
    }

    fn records(list: &[(&str, LessonRecord)]) -> HashMap<String, LessonRecord> {
        list.iter().map(|(s, r)| ((*s).to_owned(), *r)).collect()
    }

    #[test]
    fn percent_per_module_and_course_rounds_down() {
        let modules = [("m1", vec!["a", "b", "c"]), ("m2", vec!["d"])];
        let p = course_progress(&modules, &records(&[("a", completed(1)), ("b", viewed(2))]));
        assert_eq!((p.modules[0].done, p.modules[0].total, p.modules[0].percent), (1, 3, 33));
        assert_eq!(p.modules[1].percent, 0);
        assert_eq!((p.done, p.total, p.percent, p.complete), (1, 4, 25, false));
    }

    #[test]
    fn removed_lessons_do_not_count() {
        let modules = [("m1", vec!["a", "b"])];
        let p = course_progress(&modules, &records(&[("a", completed(1)), ("gone", completed(2))]));
        assert_eq!((p.done, p.total, p.percent), (1, 2, 50));
    }

    #[test]
    fn complete_when_every_lesson_is_done() {
        let modules = [("m1", vec!["a"]), ("m2", vec!["b"])];
        let p = course_progress(&modules, &records(&[("a", completed(1)), ("b", completed(2))]));
        assert!(p.complete);
        assert_eq!(p.percent, 100);
        assert!(!course_progress(&[], &HashMap::new()).complete, "an empty course is never done");
    }

    const OPEN: LessonState = LessonState::Open;
    const DONE: LessonState = LessonState::Completed;
    const PAUSED: LessonState = LessonState::Locked(LockReason::Paused);

    #[test]
    fn started_once_a_lesson_is_opened_not_merely_unlocked() {
        let lessons = [("a", &OPEN), ("b", &OPEN)];
        let unlocked = LessonRecord { unlocked_at: at(1), ..Default::default() };
        assert!(!started(&lessons, &records(&[("a", unlocked)])));
        assert!(started(&lessons, &records(&[("b", viewed(2))])));
        assert!(
            !started(&lessons, &records(&[("gone", viewed(2))])),
            "removed lessons do not count"
        );
    }

    #[test]
    fn resume_starts_at_the_first_open_lesson_without_activity() {
        let lessons = [("a", &DONE), ("b", &OPEN), ("c", &OPEN)];
        assert_eq!(resume_target(&lessons, &HashMap::new()), Some("b"));
    }

    #[test]
    fn resume_returns_to_a_lesson_viewed_but_not_finished() {
        let lessons = [("a", &OPEN), ("b", &OPEN), ("c", &OPEN)];
        let r = records(&[("a", viewed(1)), ("b", viewed(5))]);
        assert_eq!(resume_target(&lessons, &r), Some("b"));
    }

    #[test]
    fn resume_moves_past_the_latest_completion() {
        let lessons = [("a", &OPEN), ("b", &DONE), ("c", &PAUSED), ("d", &OPEN)];
        let r = records(&[("a", viewed(1)), ("b", completed(3))]);
        assert_eq!(resume_target(&lessons, &r), Some("d"));
    }

    #[test]
    fn resume_wraps_to_earlier_open_lessons_and_ends_when_none_is_left() {
        let lessons = [("a", &OPEN), ("b", &DONE)];
        assert_eq!(resume_target(&lessons, &records(&[("b", completed(3))])), Some("a"));
        let finished = [("a", &DONE), ("b", &DONE)];
        assert_eq!(resume_target(&finished, &HashMap::new()), None);
    }

    #[test]
    fn resume_ignores_activity_on_removed_lessons() {
        let lessons = [("a", &OPEN), ("b", &OPEN)];
        let r = records(&[("b", viewed(1)), ("gone", completed(9))]);
        assert_eq!(resume_target(&lessons, &r), Some("b"));
    }
}
