//! What pages show, shaped from the catalog: templates loop and print, they do not decide.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

pub use crate::content::Audience;
use crate::content::{Course, FieldKind, Lesson, Worksheet, WorksheetBlock};

/// The URL of a course's landing page.
pub fn course_url(course: &str) -> String {
    format!("/courses/{course}")
}

/// The URL of a lesson page.
pub fn lesson_url(course: &str, lesson: &str) -> String {
    format!("/courses/{course}/lessons/{lesson}")
}

/// The URL of the page where a learner chooses their track in a course.
pub fn track_url(course: &str) -> String {
    format!("/courses/{course}/track")
}

/// The URL of a worksheet's page.
pub fn worksheet_url(course: &str, worksheet: &str) -> String {
    format!("/courses/{course}/worksheets/{worksheet}")
}

/// The URL of a learner's own copy of a worksheet (`/worksheets/<course>.<worksheet>`, the
/// id the worksheet API uses), where it is filled in.
pub fn own_worksheet_url(course: &str, worksheet: &str) -> String {
    format!("/worksheets/{course}.{worksheet}")
}

/// A machine name as words to read: `boundary-plan_template` is "Boundary plan template".
pub fn name_in_words(name: &str) -> String {
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A course as a card or page header.
#[derive(Debug, Serialize)]
pub struct CourseSummary {
    pub slug: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub modules: usize,
    pub lessons: usize,
    /// Total reading time, phrased for people ("3 hours", "45 minutes").
    pub hours: String,
}

impl CourseSummary {
    /// Counts what `audience` can see.
    pub fn of(course: &Course, audience: Audience) -> Self {
        let minutes: u32 = course.lessons_for(audience).map(|(_, l)| l.minutes).sum();
        Self {
            slug: course.slug.clone(),
            url: course_url(&course.slug),
            title: course.title.clone(),
            summary: course.summary.clone(),
            modules: course.modules.len(),
            lessons: course.lessons_for(audience).count(),
            hours: reading_time(minutes),
        }
    }
}

/// "45 minutes", "1 hour", "about 3½ hours" is over-precise: round to the half hour above one.
pub fn reading_time(minutes: u32) -> String {
    match minutes {
        0..=1 => "1 minute".into(),
        2..=59 => format!("{minutes} minutes"),
        60..=89 => "1 hour".into(),
        _ => {
            let half_hours = (minutes + 15) / 30;
            let whole = half_hours / 2;
            if half_hours.is_multiple_of(2) {
                format!("{whole} hours")
            } else {
                format!("{whole}½ hours")
            }
        }
    }
}

/// "1 course", "3 courses": a count with its noun, as a person would write it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// When `at` happened, in words and in the reader's `zone`: "today at 20:07", "yesterday at
/// 09:15", otherwise the date ("on Monday 2 March 2026 at 09:00").
pub fn when(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let (at, now) = (at.with_timezone(&zone), now.with_timezone(&zone));
    let time = at.format("%H:%M");
    let days = (now.date_naive() - at.date_naive()).num_days();
    match days {
        0 => format!("today at {time}"),
        1 => format!("yesterday at {time}"),
        _ => format!("on {} at {time}", at.format("%A %-d %B %Y")),
    }
}

/// An instant as a page shows it: [`when`] in the reader's zone, with RFC 3339 (UTC) for the
/// `<time datetime>` attribute, so the page and the API agree on the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub text: String,
    pub iso: String,
}

impl Moment {
    /// `at` for a reader in `zone`, as of `now`.
    pub fn new(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> Self {
        Self {
            text: when(at, now, zone),
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// The regions a time zone list is grouped by: IANA's own areas. Zones outside them (old
/// aliases such as `US/Eastern`) are left out, unless one is the learner's current choice.
const ZONE_REGIONS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// One region's zones in a time zone select (an `<optgroup>`).
#[derive(Debug, Serialize)]
pub struct ZoneGroup {
    pub region: &'static str,
    pub zones: Vec<ZoneOption>,
}

/// A zone as an `<option>`: the IANA name as the value, the place as people read it.
#[derive(Debug, Serialize)]
pub struct ZoneOption {
    pub value: &'static str,
    /// "Buenos Aires (Argentina)" for `America/Argentina/Buenos_Aires`.
    pub label: String,
    pub selected: bool,
}

/// Every zone grouped by region, UTC first, with `selected` marked.
pub fn time_zone_groups(selected: &str) -> Vec<ZoneGroup> {
    let universal = ZoneGroup { region: "Universal", zones: Vec::new() };
    let regions = ZONE_REGIONS.iter().map(|region| ZoneGroup { region, zones: Vec::new() });
    let mut groups: Vec<ZoneGroup> = std::iter::once(universal).chain(regions).collect();
    for zone in chrono_tz::TZ_VARIANTS {
        let name = zone.name();
        let placed = name.split_once('/').and_then(|(region, place)| {
            let group = groups.iter().position(|g| g.region == region)?;
            Some((group, place_label(place)))
        });
        let (group, label) = match placed {
            Some(placed) => placed,
            None if name == "UTC" || name == selected => (0, name.to_owned()),
            None => continue,
        };
        groups[group].zones.push(ZoneOption { value: name, label, selected: name == selected });
    }
    groups.iter_mut().for_each(|g| g.zones.sort_by(|a, b| a.label.cmp(&b.label)));
    groups
}

/// `Argentina/Buenos_Aires` -> "Buenos Aires (Argentina)".
fn place_label(place: &str) -> String {
    let place = place.replace('_', " ");
    match place.rsplit_once('/') {
        Some((area, city)) => format!("{city} ({area})"),
        None => place,
    }
}

/// A module in a course outline.
#[derive(Debug, Serialize)]
pub struct OutlineModule {
    pub title: String,
    pub summary: String,
    pub lessons: Vec<LessonLink>,
}

/// A lesson as a link in outlines and pagers.
#[derive(Debug, Serialize)]
pub struct LessonLink {
    pub url: String,
    pub title: String,
    pub minutes: u32,
    pub draft: bool,
}

impl LessonLink {
    /// The link to `lesson` in `course`.
    pub fn of(course: &str, lesson: &Lesson) -> Self {
        Self {
            url: lesson_url(course, &lesson.slug),
            title: lesson.title.clone(),
            minutes: lesson.minutes,
            draft: lesson.draft,
        }
    }
}

/// The outline of modules and lessons `audience` can see; empty modules are left out.
pub fn outline(course: &Course, audience: Audience) -> Vec<OutlineModule> {
    course
        .modules
        .iter()
        .map(|module| OutlineModule {
            title: module.title.clone(),
            summary: module.summary.clone(),
            lessons: module
                .lessons
                .iter()
                .filter(|l| audience.sees(l))
                .map(|l| LessonLink::of(&course.slug, l))
                .collect(),
        })
        .filter(|m| !m.lessons.is_empty())
        .collect()
}

/// A worksheet's heading details.
#[derive(Debug, Serialize)]
pub struct WorksheetSummary<'a> {
    pub url: String,
    pub title: &'a str,
    pub summary: &'a str,
    pub shared: bool,
    pub signatures: bool,
}

impl<'a> WorksheetSummary<'a> {
    /// The summary of `worksheet` in `course`.
    pub fn of(course: &str, worksheet: &'a Worksheet) -> Self {
        Self {
            url: worksheet_url(course, &worksheet.slug),
            title: &worksheet.title,
            summary: &worksheet.summary,
            shared: worksheet.shared,
            signatures: worksheet.signatures,
        }
    }
}

/// One piece of a worksheet page: prose, or the place a field goes.
#[derive(Debug, Serialize)]
pub struct WorksheetBlockView<'a> {
    pub html: Option<&'a str>,
    pub field: Option<FieldView<'a>>,
}

/// A worksheet field as shown on the page.
#[derive(Debug, Serialize)]
pub struct FieldView<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub help: &'a str,
    pub required: bool,
    pub kind: &'static str,
    pub options: &'a [String],
}

/// The worksheet body in order, each field placed where the author put it.
pub fn worksheet_blocks(worksheet: &Worksheet) -> Vec<WorksheetBlockView<'_>> {
    worksheet
        .blocks
        .iter()
        .filter_map(|block| match block {
            WorksheetBlock::Html(html) => {
                Some(WorksheetBlockView { html: Some(html), field: None })
            }
            WorksheetBlock::Field(id) => {
                let field = worksheet.fields.iter().find(|f| &f.id == id)?;
                let (kind, options): (&'static str, &[String]) = match &field.kind {
                    FieldKind::Short => ("short", &[]),
                    FieldKind::Long => ("long", &[]),
                    FieldKind::List => ("list", &[]),
                    FieldKind::Checkbox => ("checkbox", &[]),
                    FieldKind::Date => ("date", &[]),
                    FieldKind::Choice { options } => ("choice", options),
                };
                let view = FieldView {
                    id: &field.id,
                    label: &field.label,
                    help: &field.help,
                    required: field.required,
                    kind,
                    options,
                };
                Some(WorksheetBlockView { html: None, field: Some(view) })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_is_phrased_for_people() {
        assert_eq!(reading_time(1), "1 minute");
        assert_eq!(reading_time(45), "45 minutes");
        assert_eq!(reading_time(75), "1 hour");
        assert_eq!(reading_time(100), "1½ hours");
        assert_eq!(reading_time(181), "3 hours");
        assert_eq!(reading_time(200), "3½ hours");
    }

    #[test]
    fn time_zones_are_grouped_by_region_with_the_choice_kept() {
        let groups = time_zone_groups("Europe/Lisbon");
        let regions: Vec<&str> = groups.iter().map(|g| g.region).collect();
        assert_eq!(regions[..3], ["Universal", "Africa", "America"]);
        let chosen: Vec<&ZoneOption> =
            groups.iter().flat_map(|g| &g.zones).filter(|z| z.selected).collect();
        assert_eq!(chosen.len(), 1);
        assert_eq!((chosen[0].value, chosen[0].label.as_str()), ("Europe/Lisbon", "Lisbon"));
        let america = &groups[2].zones;
        assert!(america.iter().any(|z| z.label == "Buenos Aires (Argentina)"));
        assert!(!groups.iter().flat_map(|g| &g.zones).any(|z| z.value == "US/Eastern"));
        let legacy = time_zone_groups("US/Eastern");
        assert!(legacy[0].zones.iter().any(|z| z.value == "US/Eastern" && z.selected));
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count(0, "draft", "drafts"), "0 drafts");
        assert_eq!(count(1, "course", "courses"), "1 course");
        assert_eq!(count(12, "lesson", "lessons"), "12 lessons");
    }

    #[test]
    fn times_read_as_words_in_the_readers_zone() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let now = utc("2026-03-02T22:30:00Z");
        let (london, auckland) = (chrono_tz::Europe::London, chrono_tz::Pacific::Auckland);
        assert_eq!(when(utc("2026-03-02T20:07:00Z"), now, london), "today at 20:07");
        assert_eq!(when(utc("2026-03-01T09:15:00Z"), now, london), "yesterday at 09:15");
        assert_eq!(
            when(utc("2026-02-20T09:00:00Z"), now, london),
            "on Friday 20 February 2026 at 09:00"
        );
        // 20:07 UTC on 2 March is 09:07 on 3 March in Auckland, where it is already 3 March.
        assert_eq!(when(utc("2026-03-02T20:07:00Z"), now, auckland), "today at 09:07");
    }
}
