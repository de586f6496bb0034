//! Drip and unlock rules: when each lesson of a course opens for one learner, and why a locked
//! lesson is still locked. Pure: the caller gathers the facts, these functions decide.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A lesson as the unlock rules see it: drafts are never given to these functions.
#[derive(Debug, Clone, Copy)]
pub struct LessonRule<'a> {
    /// The stable key progress is stored under.
    pub slug: &'a str,
    /// Days after the local enrolment date before the lesson opens.
    pub unlock_after_days: Option<u32>,
    /// Lessons that must be completed first.
    pub requires: &'a [String],
}

/// What one learner has done with one lesson (a `lesson_progress` row), in UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LessonRecord {
    /// First time the learner opened the lesson.
    pub first_viewed_at: Option<DateTime<Utc>>,
    /// First time the lesson was seen unlocked; from then on it stays open.
    pub unlocked_at: Option<DateTime<Utc>>,
    /// When the learner marked it done.
    pub completed_at: Option<DateTime<Utc>>,
}

/// The enrolment facts a drip schedule counts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// When the learner enrolled (UTC).
    pub enrolled_at: DateTime<Utc>,
    /// The learner's time zone: days start at local midnight.
    pub zone: Tz,
    /// Set while the course is paused.
    pub paused_at: Option<DateTime<Utc>>,
    /// Total length of the pauses already ended.
    pub paused_seconds: i64,
}

/// Where a lesson stands for a learner right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonState {
    /// Done.
    Completed,
    /// Readable now.
    Open,
    /// Not yet readable, and why.
    Locked(LockReason),
}

/// Why a lesson is locked, so the page can say when or what unlocks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockReason {
    /// Opens at this instant (show it in the learner's zone).
    OpensAt(DateTime<Utc>),
    /// These lessons must be completed first, in the order the lesson lists them.
    Requires(Vec<String>),
    /// The course is paused; the schedule resumes with the learner.
    Paused,
}

/// The learner's zone from its IANA name; an unknown or empty name falls back to UTC so a bad
/// profile value never hides a course.
pub fn parse_zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The first instant of the local day `date` in `zone`: local midnight, or, when a daylight
/// saving gap swallows midnight, the first local minute that exists that day. When midnight
/// happens twice, the earlier one.
pub fn start_of_local_day(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // Checked: a date at the calendar's very end (typed into a filter) has no minutes after it.
    (0..=24 * 60)
        .find_map(|minute| {
            midnight.checked_add_signed(Duration::minutes(minute)).and_then(|t| earliest(zone, t))
        })
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

fn earliest(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
}

impl Schedule {
    /// When a lesson with `days` of drip opens: the start of the `days`-th local day after the
    /// local enrolment date, pushed back by the pauses already taken. A drip too long for the calendar never opens (rather than panicking on author input).
    pub fn opens_at(&self, days: u32) -> DateTime<Utc> {
        let enrolled_on = self.enrolled_at.with_timezone(&self.zone).date_naive();
        enrolled_on
            .checked_add_days(chrono::Days::new(u64::from(days)))
            // The local day must have room after it for its midnight to be looked up.
            .filter(|day| day.checked_add_days(chrono::Days::new(2)).is_some())
            .map(|day| start_of_local_day(self.zone, day))
            .and_then(|start| start.checked_add_signed(Duration::seconds(self.paused_seconds)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The instant the schedule is read at: the clock, or the moment of pausing while paused,
    /// so nothing new opens during a pause.
    fn as_of(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.paused_at.map_or(now, |paused| paused.min(now))
    }

    /// The pause total after resuming at `now`: the running pause is added to the earlier ones.
    pub fn paused_seconds_after_resume(&self, now: DateTime<Utc>) -> i64 {
        let running = self.paused_at.map_or(0, |at| (now - at).num_seconds().max(0));
        self.paused_seconds + running
    }
}

/// The state of every lesson, in the order given. Missing records mean "never touched";
/// required slugs that are not in `lessons` (removed or draft) are ignored.
pub fn lesson_states(
    schedule: &Schedule,
    lessons: &[LessonRule<'_>],
    records: &HashMap<String, LessonRecord>,
    now: DateTime<Utc>,
) -> Vec<LessonState> {
    let known: HashMap<&str, ()> = lessons.iter().map(|l| (l.slug, ())).collect();
    lessons
        .iter()
        .map(|lesson| {
            let record = records.get(lesson.slug).copied().unwrap_or_default();
            state_of(schedule, lesson, &record, |slug| completed_by(records, &known, slug), now)
        })
        .collect()
}

/// When a required lesson was completed; `Some(None)` means it no longer counts (not in the
/// course), `None` means not completed.
fn completed_by(
    records: &HashMap<String, LessonRecord>,
    known: &HashMap<&str, ()>,
    slug: &str,
) -> Option<Option<DateTime<Utc>>> {
    if !known.contains_key(slug) {
        return Some(None);
    }
    records.get(slug).and_then(|r| r.completed_at).map(Some)
}

fn state_of(
    schedule: &Schedule,
    lesson: &LessonRule<'_>,
    record: &LessonRecord,
    completed: impl Fn(&str) -> Option<Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> LessonState {
    if record.completed_at.is_some() {
        return LessonState::Completed;
    }
    if record.unlocked_at.is_some() {
        return LessonState::Open;
    }
    let as_of = schedule.as_of(now);
    let missing: Vec<String> = lesson
        .requires
        .iter()
        .filter(|slug| completed(slug).is_none_or(|at| at.is_some_and(|at| at > as_of)))
        .cloned()
        .collect();
    let opens_at = lesson.unlock_after_days.map(|days| schedule.opens_at(days));
    let time_ok = opens_at.is_none_or(|at| at <= as_of);
    match (missing.is_empty(), time_ok) {
        (true, true) => LessonState::Open,
        _ if schedule.paused_at.is_some() => LessonState::Locked(LockReason::Paused),
        (false, _) => LessonState::Locked(LockReason::Requires(missing)),
        (true, false) => LessonState::Locked(LockReason::OpensAt(opens_at.unwrap_or(as_of))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_day_of_the_calendar_has_a_start_and_no_panic() {
        let last = NaiveDate::MAX;
        for zone in [Tz::UTC, chrono_tz::Pacific::Auckland, chrono_tz::America::Los_Angeles] {
            let _ = start_of_local_day(zone, last);
            let _ = start_of_local_day(zone, NaiveDate::MIN);
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule(enrolled: &str, zone: &str) -> Schedule {
        Schedule {
            enrolled_at: utc(enrolled),
            zone: parse_zone(zone),
            paused_at: None,
            paused_seconds: 0,
        }
    }

    fn rule<'a>(slug: &'a str, days: Option<u32>, requires: &'a [String]) -> LessonRule<'a> {
        LessonRule { slug, unlock_after_days: days, requires }
    }

    fn done(at: &str) -> LessonRecord {
        LessonRecord { completed_at: Some(utc(at)), ..LessonRecord::default() }
    }

    fn one(s: &Schedule, lesson: LessonRule<'_>, now: &str) -> LessonState {
        lesson_states(s, &[lesson], &HashMap::new(), utc(now)).remove(0)
    }

    #[test]
    fn unknown_or_empty_zone_falls_back_to_utc() {
        assert_eq!(parse_zone("Mars/Olympus_Mons"), Tz::UTC);
        assert_eq!(parse_zone(""), Tz::UTC);
        assert_eq!(parse_zone("Europe/Paris"), Tz::Europe__Paris);
    }

    #[test]
    fn days_count_from_the_local_enrolment_date() {
        // 23:30 UTC on 1 March is already 2 March in Auckland (UTC+13).
        let s = schedule("2026-03-01T23:30:00Z", "Pacific/Auckland");
        assert_eq!(s.opens_at(0), utc("2026-03-01T11:00:00Z"));
        assert_eq!(s.opens_at(1), utc("2026-03-02T11:00:00Z"));
        // The same instant is still 1 March in Los Angeles (UTC-8).
        let s = schedule("2026-03-01T23:30:00Z", "America/Los_Angeles");
        assert_eq!(s.opens_at(1), utc("2026-03-02T08:00:00Z"));
    }

    #[test]
    fn drip_opens_at_local_midnight_across_a_dst_change() {
        // London springs forward on 29 March 2026: 30 March starts at 23:00 UTC on the 29th.
        let s = schedule("2026-03-27T10:00:00Z", "Europe/London");
        assert_eq!(s.opens_at(2), utc("2026-03-29T00:00:00Z"));
        assert_eq!(s.opens_at(3), utc("2026-03-29T23:00:00Z"));
        let lesson = rule("a", Some(3), &[]);
        assert_eq!(
            one(&s, lesson, "2026-03-29T22:59:59Z"),
            LessonState::Locked(LockReason::OpensAt(utc("2026-03-29T23:00:00Z")))
        );
        assert_eq!(one(&s, lesson, "2026-03-29T23:00:00Z"), LessonState::Open);
    }

    #[test]
    fn a_midnight_lost_to_dst_opens_at_the_first_local_minute() {
        // Santiago springs forward at midnight on 6 September 2026: 00:00 becomes 01:00 (-03).
        let zone = parse_zone("America/Santiago");
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert!(zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap()).earliest().is_none());
        assert_eq!(start_of_local_day(zone, day), utc("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn a_midnight_that_happens_twice_opens_at_the_first() {
        // Havana falls back at 01:00 on 1 November 2026: 00:00-00:59 happens twice.
        let zone = parse_zone("America/Havana");
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(start_of_local_day(zone, day), utc("2026-11-01T04:00:00Z"));
    }

    #[test]
    fn no_drip_and_no_requirements_means_open_at_once() {
        let s = schedule("2026-03-02T09:00:00Z", "UTC");
        assert_eq!(one(&s, rule("a", None, &[]), "2026-03-02T09:00:00Z"), LessonState::Open);
        assert_eq!(one(&s, rule("a", Some(0), &[]), "2026-03-02T09:00:00Z"), LessonState::Open);
    }

    #[test]
    fn pausing_stops_unlocks_and_resuming_shifts_the_schedule() {
        let mut s = schedule("2026-03-02T09:00:00Z", "UTC");
        let lesson = rule("a", Some(3), &[]);
        s.paused_at = Some(utc("2026-03-03T12:00:00Z"));
        assert_eq!(
            one(&s, lesson, "2026-03-09T00:00:00Z"),
            LessonState::Locked(LockReason::Paused)
        );
        // Resumed after two days: day 3 (5 March) moves to 7 March.
        s.paused_seconds = s.paused_seconds_after_resume(utc("2026-03-05T12:00:00Z"));
        s.paused_at = None;
        assert_eq!(s.paused_seconds, 2 * 86_400);
        assert_eq!(
            one(&s, lesson, "2026-03-06T00:00:00Z"),
            LessonState::Locked(LockReason::OpensAt(utc("2026-03-07T00:00:00Z")))
        );
        assert_eq!(one(&s, lesson, "2026-03-07T00:00:00Z"), LessonState::Open);
    }

    #[test]
    fn pauses_accumulate() {
        let mut s = schedule("2026-03-02T09:00:00Z", "UTC");
        s.paused_at = Some(utc("2026-03-03T00:00:00Z"));
        s.paused_seconds = s.paused_seconds_after_resume(utc("2026-03-04T00:00:00Z"));
        s.paused_at = Some(utc("2026-03-05T00:00:00Z"));
        s.paused_seconds = s.paused_seconds_after_resume(utc("2026-03-05T06:00:00Z"));
        assert_eq!(s.paused_seconds, 30 * 3600);
        assert_eq!(s.opens_at(1), utc("2026-03-04T06:00:00Z"));
    }

    #[test]
    fn lessons_open_before_the_pause_stay_open_during_it() {
        let mut s = schedule("2026-03-02T09:00:00Z", "UTC");
        s.paused_at = Some(utc("2026-03-04T00:00:00Z"));
        assert_eq!(one(&s, rule("a", Some(1), &[]), "2026-03-10T00:00:00Z"), LessonState::Open);
    }

    #[test]
    fn requires_lists_the_missing_lessons_and_ignores_removed_ones() {
        let s = schedule("2026-03-02T09:00:00Z", "UTC");
        let needs = vec!["a".to_owned(), "b".to_owned(), "gone".to_owned()];
        let lessons = [rule("a", None, &[]), rule("b", None, &[]), rule("c", None, &needs)];
        let mut records = HashMap::from([("a".to_owned(), done("2026-03-02T10:00:00Z"))]);
        let now = utc("2026-03-03T00:00:00Z");
        let states = lesson_states(&s, &lessons, &records, now);
        assert_eq!(states[2], LessonState::Locked(LockReason::Requires(vec!["b".to_owned()])));
        records.insert("b".to_owned(), done("2026-03-02T11:00:00Z"));
        assert_eq!(lesson_states(&s, &lessons, &records, now)[2], LessonState::Open);
    }

    #[test]
    fn requirements_met_during_a_pause_wait_for_the_resume() {
        let mut s = schedule("2026-03-02T09:00:00Z", "UTC");
        s.paused_at = Some(utc("2026-03-03T00:00:00Z"));
        let needs = vec!["a".to_owned()];
        let lessons = [rule("a", None, &[]), rule("b", None, &needs)];
        let records = HashMap::from([("a".to_owned(), done("2026-03-03T10:00:00Z"))]);
        let states = lesson_states(&s, &lessons, &records, utc("2026-03-04T00:00:00Z"));
        assert_eq!(states, [LessonState::Completed, LessonState::Locked(LockReason::Paused)]);
    }

    #[test]
    fn a_lesson_once_unlocked_never_locks_again() {
        let s = schedule("2026-03-02T09:00:00Z", "UTC");
        // The author later added a 30-day drip and a requirement to a lesson already seen open.
        let needs = vec!["a".to_owned()];
        let lessons = [rule("a", None, &[]), rule("b", Some(30), &needs)];
        let seen =
            LessonRecord { unlocked_at: Some(utc("2026-03-02T10:00:00Z")), ..Default::default() };
        let records = HashMap::from([("b".to_owned(), seen)]);
        let states = lesson_states(&s, &lessons, &records, utc("2026-03-03T00:00:00Z"));
        assert_eq!(states[1], LessonState::Open);
    }

    #[test]
    fn completed_wins_over_any_lock() {
        let s = schedule("2026-03-02T09:00:00Z", "UTC");
        let records = HashMap::from([("a".to_owned(), done("2026-03-02T10:00:00Z"))]);
        let states =
            lesson_states(&s, &[rule("a", Some(9), &[])], &records, utc("2026-03-02T11:00:00Z"));
        assert_eq!(states, [LessonState::Completed]);
    }

    #[test]
    fn missing_requirements_are_reported_before_the_date() {
        let s = schedule("2026-03-02T09:00:00Z", "UTC");
        let needs = vec!["a".to_owned()];
        let lessons = [rule("a", None, &[]), rule("b", Some(5), &needs)];
        let states = lesson_states(&s, &lessons, &HashMap::new(), utc("2026-03-02T10:00:00Z"));
        assert_eq!(states[1], LessonState::Locked(LockReason::Requires(needs.clone())));
    }
}
