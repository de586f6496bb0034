//! Daily check-ins, as pure rules: which local day a moment falls on (the learner's zone,
//! daylight saving included), whether a check-in may still be edited, what a valid check-in
//! holds, and the figures of the pattern view. The caller gathers the facts; nothing here
//! knows about storage or HTTP.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The strength of urges or distress from which the confirmation offers the support page.
pub const SUPPORT_FROM: u8 = 8;

/// A day is a hard day when mood is at or below this…
const HARD_MOOD: u8 = 2;
/// …or the strength of urges or distress at or above this.
const HARD_INTENSITY: u8 = 7;

/// Longest private note, in characters.
pub const NOTE_MAX: usize = 1000;
/// Longest tag, in characters.
pub const TAG_MAX: usize = 40;
/// Most tags in one list.
pub const TAGS_MAX: usize = 12;

/// How the 0–10 scale is named and what its ends mean: each partner is asked about their own
/// experience (a course track names it: "distress", "urges").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaleWords {
    /// The question, e.g. "Strength of distress".
    pub label: String,
    /// Short name in tables and charts, e.g. "Distress".
    pub short: String,
    /// What 0 means.
    pub low: &'static str,
    /// What 10 means.
    pub high: &'static str,
}

/// The words of the 0–10 scale for what it `measures` (a track's `checkin_scale`, or
/// "urges or distress" when the learner has none).
pub fn intensity_scale(measures: &str) -> ScaleWords {
    let mut short: Vec<char> = measures.chars().collect();
    if let Some(first) = short.first_mut() {
        *first = first.to_ascii_uppercase();
    }
    ScaleWords {
        label: format!("Strength of {measures}"),
        short: short.into_iter().collect(),
        low: "none at all",
        high: "as strong as it gets",
    }
}

/// Mood on a five-step scale, always shown with its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Mood(u8);

impl Mood {
    /// Every mood, lowest first, with its words.
    pub const ALL: [(u8, &'static str); 5] =
        [(1, "Very low"), (2, "Low"), (3, "In between"), (4, "Okay"), (5, "Good")];

    /// A mood from 1 to 5.
    pub fn new(value: u8) -> Option<Self> {
        (1..=5).contains(&value).then_some(Self(value))
    }

    /// The number, 1 to 5, as stored and exported.
    pub fn get(self) -> u8 {
        self.0
    }

    /// "Very low" … "Good".
    pub fn words(self) -> &'static str {
        Self::ALL.iter().find(|(v, _)| *v == self.0).map_or("", |(_, words)| words)
    }
}

impl TryFrom<u8> for Mood {
    type Error = &'static str;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value).ok_or("mood is from 1 to 5")
    }
}

impl From<Mood> for u8 {
    fn from(mood: Mood) -> Self {
        mood.0
    }
}

/// Strength of urges or distress, 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Intensity(u8);

impl Intensity {
    /// A strength from 0 to 10.
    pub fn new(value: u8) -> Option<Self> {
        (value <= 10).then_some(Self(value))
    }

    /// The number, 0 to 10, as stored and exported.
    pub fn get(self) -> u8 {
        self.0
    }

    /// Whether the confirmation gently offers the support page.
    pub fn suggests_support(self) -> bool {
        self.0 >= SUPPORT_FROM
    }
}

impl TryFrom<u8> for Intensity {
    type Error = &'static str;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value).ok_or("the scale is from 0 to 10")
    }
}

impl From<Intensity> for u8 {
    fn from(value: Intensity) -> Self {
        value.0
    }
}

/// One day's check-in, valid: what is sealed in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkin {
    pub mood: Mood,
    pub intensity: Intensity,
    pub triggers: Vec<String>,
    pub helped: Vec<String>,
    pub note: String,
}

/// A check-in as typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub mood: Option<i64>,
    pub intensity: Option<i64>,
    pub triggers: Vec<String>,
    pub helped: Vec<String>,
    pub note: String,
}

/// What is wrong with one field of a check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinProblem {
    /// `mood`, `intensity`, `triggers`, `helped` or `note`.
    pub field: &'static str,
    pub message: &'static str,
}

impl Draft {
    /// The check-in, or every field problem at once (in the order of the form).
    pub fn parse(self) -> Result<Checkin, Vec<CheckinProblem>> {
        let mut problems = Vec::new();
        let mood = self.mood.and_then(|m| u8::try_from(m).ok()).and_then(Mood::new);
        if mood.is_none() {
            problems.push(CheckinProblem { field: "mood", message: "Choose how your mood is." });
        }
        let intensity = self.intensity.and_then(|i| u8::try_from(i).ok()).and_then(Intensity::new);
        if intensity.is_none() {
            let message = "Choose a number from 0 to 10.";
            problems.push(CheckinProblem { field: "intensity", message });
        }
        let triggers = tags(&self.triggers, "triggers", &mut problems);
        let helped = tags(&self.helped, "helped", &mut problems);
        let note = self.note.trim().to_owned();
        if note.chars().count() > NOTE_MAX {
            let message = "Please keep the note under 1,000 characters.";
            problems.push(CheckinProblem { field: "note", message });
        }
        match (mood, intensity) {
            (Some(mood), Some(intensity)) if problems.is_empty() => {
                Ok(Checkin { mood, intensity, triggers, helped, note })
            }
            _ => Err(problems),
        }
    }
}

/// Tags tidied: spaces collapsed, empties dropped, repeats (ignoring case) kept once.
fn tags(raw: &[String], field: &'static str, problems: &mut Vec<CheckinProblem>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.is_empty() || kept.iter().any(|k| k.to_lowercase() == tag.to_lowercase()) {
            continue;
        }
        if tag.chars().count() > TAG_MAX || tag.chars().any(char::is_control) {
            let message = "Please keep each one short, under 40 characters.";
            problems.push(CheckinProblem { field, message });
            return kept;
        }
        kept.push(tag);
    }
    if kept.len() > TAGS_MAX {
        problems.push(CheckinProblem { field, message: "Please choose up to 12." });
    }
    kept
}

/// The learner's calendar day at `now` in their zone.
pub fn local_day(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// A check-in can be changed on its own day only (the learner's day now).
pub fn editable(day: NaiveDate, now: DateTime<Utc>, zone: Tz) -> bool {
    day == local_day(now, zone)
}

/// A part of the day, in the learner's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TimeOfDay {
    /// 05:00–11:59
    Morning,
    /// 12:00–16:59
    Afternoon,
    /// 17:00–21:59
    Evening,
    /// 22:00–04:59
    Night,
}

impl TimeOfDay {
    /// Every part, from the morning on (the order of the pattern tables).
    pub const ALL: [Self; 4] = [Self::Morning, Self::Afternoon, Self::Evening, Self::Night];

    /// The part of the day `at` falls in, in `zone`.
    pub fn of(at: DateTime<Utc>, zone: Tz) -> Self {
        match at.with_timezone(&zone).hour() {
            5..=11 => Self::Morning,
            12..=16 => Self::Afternoon,
            17..=21 => Self::Evening,
            _ => Self::Night,
        }
    }

    /// The part of the day in words, with its hours.
    pub fn words(self) -> &'static str {
        match self {
            Self::Morning => "Morning (5am to noon)",
            Self::Afternoon => "Afternoon (noon to 5pm)",
            Self::Evening => "Evening (5pm to 10pm)",
            Self::Night => "Night (10pm to 5am)",
        }
    }
}

/// How far back the pattern view looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weeks(u32);

impl Weeks {
    /// The choices offered: four weeks, twelve weeks, a year.
    pub const CHOICES: [u32; 3] = [4, 12, 52];

    /// 4, 12 or 52; anything else is `None`.
    pub fn new(weeks: u32) -> Option<Self> {
        Self::CHOICES.contains(&weeks).then_some(Self(weeks))
    }

    /// How many weeks.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The first and last day shown, ending today.
    pub fn window(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        (today - Duration::days(i64::from(self.0) * 7 - 1), today)
    }
}

impl Default for Weeks {
    fn default() -> Self {
        Self(4)
    }
}

/// One stored check-in as the patterns see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub day: NaiveDate,
    /// When in the day the learner first checked in.
    pub time_of_day: TimeOfDay,
    pub checkin: Checkin,
}

/// One day on the line charts: `None` where there was no check-in (a gap, never a zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub mood: Option<u8>,
    pub intensity: Option<u8>,
}

/// Triggers noted in one group of check-ins (a weekday, a time of day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerGroup {
    pub label: &'static str,
    /// Check-ins in the group.
    pub check_ins: usize,
    /// Triggers noted in them, counted once per check-in.
    pub mentions: usize,
    /// The most noted, most first (ties alphabetically), at most three.
    pub top: Vec<String>,
}

/// A tag and how many check-ins noted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub count: usize,
}

/// Everything the pattern view shows, for one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patterns {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every day of the window, oldest first.
    pub days: Vec<DayPoint>,
    pub check_ins: usize,
    /// Mean mood over the check-ins, one decimal.
    pub average_mood: Option<f64>,
    /// Mean strength of urges or distress, one decimal.
    pub average_intensity: Option<f64>,
    /// Monday first.
    pub by_weekday: Vec<TriggerGroup>,
    pub by_time_of_day: Vec<TriggerGroup>,
    /// Check-ins with mood at most 2 or strength at least 7.
    pub hard_days: usize,
    /// What helped on those days, most first.
    pub helped_on_hard_days: Vec<TagCount>,
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Monday"),
    (Weekday::Tue, "Tuesday"),
    (Weekday::Wed, "Wednesday"),
    (Weekday::Thu, "Thursday"),
    (Weekday::Fri, "Friday"),
    (Weekday::Sat, "Saturday"),
    (Weekday::Sun, "Sunday"),
];

/// The mean of `values`, rounded to one decimal; `None` for none.
pub fn mean(values: impl IntoIterator<Item = u8>) -> Option<f64> {
    let (sum, count) = values.into_iter().fold((0u32, 0u32), |(s, c), v| (s + u32::from(v), c + 1));
    (count > 0).then(|| (f64::from(sum) * 10.0 / f64::from(count)).round() / 10.0)
}

fn is_hard(checkin: &Checkin) -> bool {
    checkin.mood.get() <= HARD_MOOD || checkin.intensity.get() >= HARD_INTENSITY
}

/// Tags counted once per check-in, most first, ties alphabetically.
fn counted<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<TagCount> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for list in lists {
        for tag in list {
            *counts.entry(tag.as_str()).or_default() += 1;
        }
    }
    let mut tags: Vec<TagCount> =
        counts.into_iter().map(|(tag, count)| TagCount { tag: tag.to_owned(), count }).collect();
    tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
    tags
}

fn group<'a>(label: &'static str, entries: impl Iterator<Item = &'a Entry>) -> TriggerGroup {
    let entries: Vec<&Entry> = entries.collect();
    let tags = counted(entries.iter().map(|e| &e.checkin.triggers));
    TriggerGroup {
        label,
        check_ins: entries.len(),
        mentions: tags.iter().map(|t| t.count).sum(),
        top: tags.into_iter().take(3).map(|t| t.tag).collect(),
    }
}

/// The pattern figures of the check-ins between `from` and `to` (inclusive; others ignored).
pub fn patterns(entries: &[Entry], from: NaiveDate, to: NaiveDate) -> Patterns {
    let inside: Vec<&Entry> = entries.iter().filter(|e| e.day >= from && e.day <= to).collect();
    let days = from
        .iter_days()
        .take_while(|day| *day <= to)
        .map(|day| {
            let found = inside.iter().find(|e| e.day == day).map(|e| &e.checkin);
            DayPoint {
                day,
                mood: found.map(|c| c.mood.get()),
                intensity: found.map(|c| c.intensity.get()),
            }
        })
        .collect();
    let by_weekday = WEEKDAYS
        .iter()
        .map(|(weekday, label)| {
            group(label, inside.iter().copied().filter(|e| e.day.weekday() == *weekday))
        })
        .collect();
    let by_time_of_day = TimeOfDay::ALL
        .iter()
        .map(|part| group(part.words(), inside.iter().copied().filter(|e| e.time_of_day == *part)))
        .collect();
    let hard: Vec<&Entry> = inside.iter().copied().filter(|e| is_hard(&e.checkin)).collect();
    Patterns {
        from,
        to,
        days,
        check_ins: inside.len(),
        average_mood: mean(inside.iter().map(|e| e.checkin.mood.get())),
        average_intensity: mean(inside.iter().map(|e| e.checkin.intensity.get())),
        by_weekday,
        by_time_of_day,
        hard_days: hard.len(),
        helped_on_hard_days: counted(hard.iter().map(|e| &e.checkin.helped)),
    }
}

/// What a partner may see, when the learner shares it: whether they checked in today, and
/// their mean mood over the last seven days (today included). Nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PartnerGlance {
    pub checked_in_today: bool,
    pub weekly_mood_average: Option<f64>,
}

/// The glance from the learner's check-ins (any days; only the last seven count).
pub fn partner_glance(days: &[(NaiveDate, Mood)], today: NaiveDate) -> PartnerGlance {
    let since = today - Duration::days(6);
    let week = days.iter().filter(|(day, _)| *day >= since && *day <= today);
    PartnerGlance {
        checked_in_today: days.iter().any(|(day, _)| *day == today),
        weekly_mood_average: mean(week.map(|(_, mood)| mood.get())),
    }
}

/// Tags to offer as ticks: the learner's own first (their plan, then what they used before),
/// then the gentle defaults; each once, at most `limit`.
pub fn suggestions(own: &[String], defaults: &[&str], limit: usize) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for tag in own.iter().map(String::as_str).chain(defaults.iter().copied()) {
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        let fits = !tag.is_empty() && tag.chars().count() <= TAG_MAX;
        if fits && !kept.iter().any(|k| k.to_lowercase() == tag.to_lowercase()) {
            kept.push(tag);
        }
    }
    kept.truncate(limit);
    kept
}

/// Triggers offered when the learner has none of their own yet, by kind: places, times,
/// feelings, people.
pub const TRIGGER_DEFAULTS: [&str; 12] = [
    "Home alone",
    "Driving",
    "Online",
    "Late at night",
    "An anniversary",
    "Weekend",
    "Lonely",
    "Stressed",
    "Tired",
    "After an argument",
    "Seeing an old friend",
    "Travel for work",
];

/// Things that help, offered when the learner has none of their own yet.
pub const HELPED_DEFAULTS: [&str; 8] = [
    "Slow breathing",
    "A walk",
    "Talking to my partner",
    "Calling a friend",
    "Journaling",
    "Prayer or meditation",
    "A support group",
    "Rest",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_named_for_what_it_measures() {
        let distress = intensity_scale("distress");
        assert_eq!(
            (distress.label.as_str(), distress.short.as_str()),
            ("Strength of distress", "Distress")
        );
        assert_eq!(intensity_scale("urges or distress").short, "Urges or distress");
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_local_day_follows_the_zone_and_daylight_saving() {
        let cases: [(&str, Tz, &str); 7] = [
            ("2026-12-03T23:30:00Z", Tz::UTC, "2026-12-03"),
            ("2026-12-03T23:30:00Z", chrono_tz::Europe::Berlin, "2026-12-04"),
            ("2026-12-04T04:59:00Z", chrono_tz::America::New_York, "2026-12-03"),
            ("2026-12-04T05:00:00Z", chrono_tz::America::New_York, "2026-12-04"),
            // New York springs forward at 2am on 8 March 2026: midnight is 05:00Z before and
            // 04:00Z after the change the day after.
            ("2026-03-09T03:59:00Z", chrono_tz::America::New_York, "2026-03-08"),
            ("2026-03-09T04:00:00Z", chrono_tz::America::New_York, "2026-03-09"),
            ("2026-12-03T10:30:00Z", chrono_tz::Pacific::Kiritimati, "2026-12-04"),
        ];
        for (now, zone, expected) in cases {
            assert_eq!(local_day(utc(now), zone), day(expected), "{now} in {zone}");
        }
    }

    #[test]
    fn a_check_in_is_editable_on_its_own_local_day_only() {
        let zone = chrono_tz::Australia::Sydney;
        let checked = day("2026-12-04");
        // 13:00Z on 3 December is midnight in Sydney (UTC+11 in summer).
        assert!(!editable(checked, utc("2026-12-03T12:59:59Z"), zone));
        assert!(editable(checked, utc("2026-12-03T13:00:00Z"), zone));
        assert!(editable(checked, utc("2026-12-04T12:59:59Z"), zone));
        assert!(!editable(checked, utc("2026-12-04T13:00:00Z"), zone));
    }

    #[test]
    fn a_draft_names_each_field_that_is_wrong() {
        let draft = Draft {
            mood: Some(0),
            intensity: Some(11),
            triggers: vec!["x".repeat(41)],
            helped: vec![],
            note: "n".repeat(1001),
        };
        let fields: Vec<&str> = draft.parse().unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["mood", "intensity", "triggers", "note"]);
        let missing = Draft::default().parse().unwrap_err();
        assert_eq!(missing.len(), 2);
        let ok = Draft {
            mood: Some(4),
            intensity: Some(0),
            triggers: vec![" Late   at night ".into(), "late at night".into(), "".into()],
            helped: vec!["A walk".into()],
            note: "  fine  ".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.triggers, ["Late at night"]);
        assert_eq!((ok.mood.words(), ok.note.as_str()), ("Okay", "fine"));
        let many = Draft {
            mood: Some(1),
            intensity: Some(1),
            triggers: (0..13).map(|i| i.to_string()).collect(),
            ..Draft::default()
        };
        assert_eq!(many.parse().unwrap_err()[0].field, "triggers");
    }

    #[test]
    fn support_is_offered_from_eight() {
        assert!(!Intensity::new(7).unwrap().suggests_support());
        assert!(Intensity::new(8).unwrap().suggests_support());
        assert!(Intensity::new(11).is_none() && Mood::new(6).is_none() && Mood::new(0).is_none());
    }

    #[test]
    fn weeks_are_four_twelve_or_fifty_two_and_end_today() {
        assert!(Weeks::new(5).is_none() && Weeks::new(0).is_none());
        let (from, to) = Weeks::new(4).unwrap().window(day("2026-12-03"));
        assert_eq!((from, to), (day("2026-11-06"), day("2026-12-03")));
        assert_eq!((to - from).num_days() + 1, 28);
        let (from, _) = Weeks::new(52).unwrap().window(day("2026-12-03"));
        assert_eq!(from, day("2025-12-05"));
    }

    #[test]
    fn the_part_of_the_day_is_local() {
        let zone = chrono_tz::Europe::London;
        assert_eq!(TimeOfDay::of(utc("2026-07-01T04:30:00Z"), zone), TimeOfDay::Morning);
        assert_eq!(TimeOfDay::of(utc("2026-12-01T04:30:00Z"), zone), TimeOfDay::Night);
        assert_eq!(TimeOfDay::of(utc("2026-12-01T12:00:00Z"), zone), TimeOfDay::Afternoon);
        assert_eq!(TimeOfDay::of(utc("2026-12-01T21:59:00Z"), zone), TimeOfDay::Evening);
    }

    fn entry(
        d: &str,
        part: TimeOfDay,
        mood: u8,
        intensity: u8,
        triggers: &[&str],
        helped: &[&str],
    ) -> Entry {
        let list = |tags: &[&str]| tags.iter().map(|t| (*t).to_owned()).collect();
        Entry {
            day: day(d),
            time_of_day: part,
            checkin: Checkin {
                mood: Mood::new(mood).unwrap(),
                intensity: Intensity::new(intensity).unwrap(),
                triggers: list(triggers),
                helped: list(helped),
                note: String::new(),
            },
        }
    }

    /// A hand-computed week: Monday 30 Nov to Sunday 6 Dec 2026, five check-ins, two gaps.
    #[test]
    fn pattern_figures_match_a_hand_computed_fixture() {
        use TimeOfDay::*;
        let entries = [
            entry("2026-11-30", Evening, 2, 8, &["Lonely", "Late at night"], &["A walk"]),
            entry("2026-12-01", Morning, 4, 3, &["Stressed"], &["Slow breathing"]),
            // 2 December: no check-in.
            entry("2026-12-03", Evening, 1, 6, &["Lonely"], &["A walk", "Calling a friend"]),
            entry("2026-12-04", Night, 5, 0, &[], &[]),
            // 5 December: no check-in.
            entry(
                "2026-12-06",
                Evening,
                3,
                9,
                &["Lonely", "Online"],
                &["Calling a friend", "A walk"],
            ),
            // Outside the window: ignored.
            entry("2026-11-29", Evening, 1, 10, &["Online"], &["Rest"]),
        ];
        let p = patterns(&entries, day("2026-11-30"), day("2026-12-06"));
        assert_eq!(p.days.len(), 7);
        assert_eq!(p.days[2], DayPoint { day: day("2026-12-02"), mood: None, intensity: None });
        assert_eq!(p.days[0].mood, Some(2));
        assert_eq!(p.check_ins, 5);
        // Mood (2+4+1+5+3)/5 = 3.0; strength (8+3+6+0+9)/5 = 5.2.
        assert_eq!((p.average_mood, p.average_intensity), (Some(3.0), Some(5.2)));
        // Monday: Lonely, Late at night; Sunday: Lonely, Online.
        let monday = &p.by_weekday[0];
        assert_eq!((monday.label, monday.check_ins, monday.mentions), ("Monday", 1, 2));
        assert_eq!(monday.top, ["Late at night", "Lonely"]);
        assert_eq!((p.by_weekday[2].check_ins, p.by_weekday[2].mentions), (0, 0));
        assert_eq!(p.by_weekday[6].mentions, 2);
        // Evenings: 30 Nov, 3 Dec, 6 Dec: Lonely ×3, Late at night, Online.
        let evening = &p.by_time_of_day[2];
        assert_eq!((evening.check_ins, evening.mentions), (3, 5));
        assert_eq!(evening.top, ["Lonely", "Late at night", "Online"]);
        assert_eq!(p.by_time_of_day[3].mentions, 0, "a night without triggers");
        // Hard days: 30 Nov (mood 2, 8), 3 Dec (mood 1), 6 Dec (9); 1 and 4 Dec are not.
        assert_eq!(p.hard_days, 3);
        let helped: Vec<(&str, usize)> =
            p.helped_on_hard_days.iter().map(|t| (t.tag.as_str(), t.count)).collect();
        assert_eq!(helped, [("A walk", 3), ("Calling a friend", 2)]);
    }

    #[test]
    fn a_partner_sees_today_and_the_weekly_mean_only() {
        let mood = |m| Mood::new(m).unwrap();
        let days = [
            (day("2026-12-03"), mood(4)),
            (day("2026-11-28"), mood(1)),
            (day("2026-11-26"), mood(5)),
        ];
        let glance = partner_glance(&days, day("2026-12-03"));
        assert_eq!(
            glance,
            PartnerGlance { checked_in_today: true, weekly_mood_average: Some(2.5) }
        );
        let quiet = partner_glance(&[], day("2026-12-03"));
        assert_eq!(quiet, PartnerGlance { checked_in_today: false, weekly_mood_average: None });
    }

    #[test]
    fn suggestions_put_the_learners_own_first_once() {
        let own = vec!["Driving".to_owned(), "The old song".to_owned()];
        let offered = suggestions(&own, &["driving", "Lonely"], 10);
        assert_eq!(offered, ["Driving", "The old song", "Lonely"]);
        assert_eq!(suggestions(&own, &TRIGGER_DEFAULTS, 2).len(), 2);
    }

    #[test]
    fn means_round_to_one_decimal() {
        assert_eq!(mean([1, 2, 2]), Some(1.7));
        assert_eq!(mean([]), None);
    }
}
