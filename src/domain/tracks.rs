//! Tracks: one path through a course for each partner. A learner on a track reads the lessons
//! written for that track plus the "together" lessons (those naming no track); progress,
//! resume, drip and completion then count only those lessons. Until a learner chooses, they
//! see everything, so nobody is locked out while deciding.

use crate::content::{Audience, Course, Lesson, Module, Track};

/// Where a learner stands with the tracks of one course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice<'a> {
    /// The course has no tracks: every lesson is for everyone.
    NoTracks,
    /// The course has tracks and none is chosen (or the chosen one was removed from the
    /// content): every lesson shows, and the learner is invited to choose.
    Unchosen,
    /// The learner reads this track's lessons and the together ones.
    Chosen(&'a Track),
}

/// A track id the course does not declare, named so the form or API can say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no track \"{0}\" in this course")]
pub struct UnknownTrack(pub String);

impl<'a> Choice<'a> {
    /// The choice a stored track id makes in `course`. An id the course no longer declares
    /// counts as unchosen, so an edit to the content never hides lessons from anyone.
    pub fn of(course: &'a Course, stored: Option<&str>) -> Self {
        if course.tracks.is_empty() {
            return Self::NoTracks;
        }
        stored.and_then(|id| course.track(id)).map_or(Self::Unchosen, Self::Chosen)
    }

    /// Whether a learner with this choice reads `lesson` (drafts are the audience's concern).
    pub fn sees(self, lesson: &Lesson) -> bool {
        match self {
            Self::NoTracks | Self::Unchosen => true,
            Self::Chosen(track) => lesson.is_for_track(&track.id),
        }
    }

    /// The chosen track, if any.
    pub fn track(self) -> Option<&'a Track> {
        match self {
            Self::Chosen(track) => Some(track),
            Self::NoTracks | Self::Unchosen => None,
        }
    }

    /// Whether the learner should be invited to choose a track.
    pub fn invites_choosing(self) -> bool {
        self == Self::Unchosen
    }
}

/// The lessons a learner with `choice` reads, in course order, each with its module; drafts
/// never.
pub fn lessons<'a>(
    course: &'a Course,
    choice: Choice<'a>,
) -> impl Iterator<Item = (&'a Module, &'a Lesson)> {
    course.lessons_for(Audience::Learner).filter(move |(_, l)| choice.sees(l))
}

/// Reads a requested track: `None` clears the choice; an id must be one of the course's.
///
/// # Errors
/// [`UnknownTrack`] when the course declares no track with that id.
pub fn parse_choice<'a>(
    course: &'a Course,
    requested: Option<&str>,
) -> Result<Option<&'a Track>, UnknownTrack> {
    requested.map(|id| course.track(id).ok_or_else(|| UnknownTrack(id.to_owned()))).transpose()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::content::Catalog;
    use crate::domain::drip::{self, LessonRecord, LessonRule, LessonState, LockReason, Schedule};
    use crate::domain::progress;

    const COURSE: &str = "title = \"C\"\npublished = true\n\
        [[tracks]]\nid = \"betrayed\"\ntitle = \"B\"\ncheckin_scale = \"distress\"\n\
        [[tracks]]\nid = \"betraying\"\ntitle = \"I\"\n";

    /// Module 1: together `a`, betrayed `b`, betraying `c` (requires `a`), draft `d`.
    /// Module 2 (betraying only): `e`. Module 3: together `f`, dripped 3 days.
    fn catalog() -> std::sync::Arc<Catalog> {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("c/course.toml", COURSE),
            ("c/01-m/module.toml", "title = \"M\"\n"),
            ("c/01-m/01-a.md", "+++\ntitle = \"A\"\n+++\n"),
            ("c/01-m/02-b.md", "+++\ntitle = \"B\"\ntracks = [\"betrayed\"]\n+++\n"),
            (
                "c/01-m/03-c.md",
                "+++\ntitle = \"C\"\ntracks = [\"betraying\"]\nrequires = [\"a\"]\n+++\n",
            ),
            ("c/01-m/04-d.md", "+++\ntitle = \"D\"\ndraft = true\n+++\n"),
            ("c/02-n/module.toml", "title = \"N\"\ntracks = [\"betraying\"]\n"),
            ("c/02-n/01-e.md", "+++\ntitle = \"E\"\n+++\n"),
            ("c/03-o/module.toml", "title = \"O\"\n"),
            ("c/03-o/01-f.md", "+++\ntitle = \"F\"\nunlock_after_days = 3\n+++\n"),
        ];
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let compiled = crate::content::compile(Path::new(dir.path())).unwrap();
        assert!(compiled.diagnostics.is_empty(), "{:#?}", compiled.diagnostics);
        compiled.catalog.unwrap()
    }

    fn slugs<'a>(course: &'a Course, stored: Option<&str>) -> Vec<&'a str> {
        lessons(course, Choice::of(course, stored)).map(|(_, l)| l.slug.as_str()).collect()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn done(at: &str) -> LessonRecord {
        LessonRecord { completed_at: Some(utc(at)), ..LessonRecord::default() }
    }

    #[test]
    fn each_track_sees_its_own_and_the_together_lessons() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        let table: [(Option<&str>, &[&str]); 4] = [
            (None, &["a", "b", "c", "e", "f"]),
            (Some("betrayed"), &["a", "b", "f"]),
            (Some("betraying"), &["a", "c", "e", "f"]),
            (Some("removed-later"), &["a", "b", "c", "e", "f"]),
        ];
        for (stored, expected) in table {
            assert_eq!(slugs(course, stored), expected, "{stored:?}");
        }
    }

    #[test]
    fn a_choice_invites_choosing_only_in_a_course_with_tracks_and_none_chosen() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        assert!(Choice::of(course, None).invites_choosing());
        assert!(Choice::of(course, Some("gone")).invites_choosing());
        let chosen = Choice::of(course, Some("betrayed"));
        assert_eq!(chosen.track().map(|t| t.id.as_str()), Some("betrayed"));
        assert!(!chosen.invites_choosing());
        let mut plain = course.clone();
        plain.tracks.clear();
        assert_eq!(Choice::of(&plain, Some("betrayed")), Choice::NoTracks);
    }

    #[test]
    fn parse_choice_accepts_declared_ids_and_clearing() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        assert_eq!(parse_choice(course, None), Ok(None));
        assert_eq!(parse_choice(course, Some("betraying")).unwrap().unwrap().title, "I");
        assert_eq!(parse_choice(course, Some("both")), Err(UnknownTrack("both".into())));
    }

    #[test]
    fn checkin_scale_wording_is_per_track_with_a_default() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        let scale = |id: &str| course.track(id).unwrap().checkin_scale().to_owned();
        assert_eq!(scale("betrayed"), "distress");
        assert_eq!(scale("betraying"), Track::DEFAULT_CHECKIN_SCALE);
        assert_eq!(Track::DEFAULT_CHECKIN_SCALE, "urges or distress");
    }

    /// Progress over the lessons of one track, as the learning services count it.
    fn progress_of(
        course: &Course,
        stored: Option<&str>,
        records: &HashMap<String, LessonRecord>,
    ) -> progress::CourseProgress {
        let choice = Choice::of(course, stored);
        let modules: Vec<(&str, Vec<&str>)> = course
            .modules
            .iter()
            .map(|m| {
                let own = lessons(course, choice).filter(|(of, _)| of.slug == m.slug);
                (m.slug.as_str(), own.map(|(_, l)| l.slug.as_str()).collect())
            })
            .collect();
        progress::course_progress(&modules, records)
    }

    #[test]
    fn progress_and_completion_count_only_the_track_lessons() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        let at = "2026-03-02T10:00:00Z";
        let records: HashMap<String, LessonRecord> =
            ["a", "b", "f"].iter().map(|s| ((*s).to_owned(), done(at))).collect();
        let table: [(Option<&str>, usize, usize, u8, bool); 3] = [
            (Some("betrayed"), 3, 3, 100, true),
            (Some("betraying"), 2, 4, 50, false),
            (None, 3, 5, 60, false),
        ];
        for (stored, done, total, percent, complete) in table {
            let p = progress_of(course, stored, &records);
            assert_eq!((p.done, p.total, p.percent, p.complete), (done, total, percent, complete));
        }
    }

    #[test]
    fn resume_and_drip_follow_the_track() {
        let catalog = catalog();
        let course = catalog.course("c").unwrap();
        let schedule = Schedule {
            enrolled_at: utc("2026-03-02T09:00:00Z"),
            zone: drip::parse_zone("UTC"),
            paused_at: None,
            paused_seconds: 0,
        };
        let records = HashMap::from([("a".to_owned(), done("2026-03-02T10:00:00Z"))]);
        let now = utc("2026-03-03T00:00:00Z");
        let table: [(&str, Option<&str>, &str); 2] =
            [("betrayed", Some("b"), "b"), ("betraying", Some("c"), "c")];
        for (track, resume, open) in table {
            let own: Vec<&Lesson> =
                lessons(course, Choice::of(course, Some(track))).map(|(_, l)| l).collect();
            let rules: Vec<LessonRule<'_>> = own
                .iter()
                .map(|l| LessonRule {
                    slug: &l.slug,
                    unlock_after_days: l.unlock_after_days,
                    requires: &l.requires,
                })
                .collect();
            let states = drip::lesson_states(&schedule, &rules, &records, now);
            let ordered: Vec<(&str, &LessonState)> =
                own.iter().map(|l| l.slug.as_str()).zip(&states).collect();
            assert_eq!(progress::resume_target(&ordered, &records), resume, "{track}");
            assert!(ordered.contains(&(open, &LessonState::Open)), "{track}");
            let f = ordered.iter().find(|(s, _)| *s == "f").map(|(_, s)| *s);
            let opens = utc("2026-03-05T00:00:00Z");
            assert_eq!(f, Some(&LessonState::Locked(LockReason::OpensAt(opens))), "{track}");
        }
    }
}
