//! Tracks: a course's paths for each partner (`[[tracks]]` in course.toml, `tracks = [...]` in
//! a module.toml or a lesson's front matter), and the checks that keep every track readable.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::catalog::Track;
use super::compiler::Unit;
use super::diagnostics::{Diagnostic, Severity, Source};
use super::scan::is_slug;

/// One `[[tracks]]` table of course.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrackMeta {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    description: String,
    checkin_scale: Option<String>,
}

impl TrackMeta {
    /// The catalog's track.
    pub fn to_track(&self) -> Track {
        Track {
            id: self.id.get_ref().clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            checkin_scale: self.checkin_scale.clone(),
        }
    }

    /// The id with where it is written.
    pub fn id(&self) -> &Spanned<String> {
        &self.id
    }
}

/// Whether a lesson (or module) for `tracks` is read on track `id`: an empty list is everyone's.
pub(crate) fn includes(tracks: &[String], id: &str) -> bool {
    tracks.is_empty() || tracks.iter().any(|t| t == id)
}

/// Track ids named in one TOML file (course.toml or a module.toml), with the file for
/// diagnostics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Named<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub ids: &'a [Spanned<String>],
}

impl Named<'_> {
    fn source(&self) -> Source<'_> {
        Source::new(self.path, self.text)
    }

    fn strings(&self) -> Vec<String> {
        self.ids.iter().map(|id| id.get_ref().clone()).collect()
    }
}

/// Every track check of one course: ids well formed, unique and declared; no module left
/// empty for a track; no `requires` or lesson link leading a track to a lesson it cannot see.
/// `course` is `None` when course.toml is missing or did not parse: then nothing is checked.
pub(crate) fn check(
    course: Option<Named<'_>>,
    modules: &[Option<Named<'_>>],
    units: &[Unit<'_>],
    diags: &mut Vec<Diagnostic>,
) {
    // Without a readable course.toml (already reported) the declared tracks are unknown, and
    // every track named elsewhere would be reported as unknown too.
    let Some(course) = course else { return };
    let declared: Vec<&str> = course.ids.iter().map(|id| id.get_ref().as_str()).collect();
    declarations(course, diags);
    for module in modules.iter().flatten() {
        for id in module.ids {
            if !declared.contains(&id.get_ref().as_str()) {
                let message = unknown(id.get_ref(), &declared);
                diags.push(module.source().error(id.span().start, message));
            }
        }
    }
    for unit in units {
        for (id, at) in &unit.front.tracks {
            if !declared.contains(&id.as_str()) {
                diags.push(unit.source().error(*at, unknown(id, &declared)));
            }
        }
    }
    if declared.is_empty() {
        return;
    }
    let reach = Reach::new(modules, units, &declared);
    empty_modules(modules, units, &reach, diags);
    crossings(units, &reach, diags);
}

/// Track ids must be slugs (they appear in URLs and forms) and unique.
fn declarations(course: Named<'_>, diags: &mut Vec<Diagnostic>) {
    let source = course.source();
    let mut seen = HashSet::new();
    for id in course.ids {
        let at = id.span().start;
        if !is_slug(id.get_ref()) {
            let message = format!(
                "track id \"{}\" must use only lowercase letters, digits and hyphens",
                id.get_ref()
            );
            diags.push(source.error(at, message));
        } else if !seen.insert(id.get_ref().as_str()) {
            diags.push(source.error(at, format!("duplicate track id \"{}\"", id.get_ref())));
        }
    }
}

fn unknown(id: &str, declared: &[&str]) -> String {
    if declared.is_empty() {
        return format!("unknown track \"{id}\"; declare it in course.toml with [[tracks]]");
    }
    let known: Vec<String> = declared.iter().map(|d| format!("\"{d}\"")).collect();
    format!("unknown track \"{id}\"; course.toml declares {}", known.join(", "))
}

/// Which declared tracks see each non-draft lesson, by slug.
struct Reach<'a> {
    declared: &'a [&'a str],
    by_slug: HashMap<&'a str, Vec<String>>,
}

impl<'a> Reach<'a> {
    fn new(modules: &[Option<Named<'_>>], units: &'a [Unit<'a>], declared: &'a [&'a str]) -> Self {
        let module_tracks: Vec<Vec<String>> =
            modules.iter().map(|m| m.map(|m| m.strings()).unwrap_or_default()).collect();
        let by_slug = units
            .iter()
            .filter(|u| !u.front.draft)
            .map(|u| {
                let module = module_tracks.get(u.module).map_or(&[][..], Vec::as_slice);
                (u.slug(), super::lesson::tracks_of(&u.front, module))
            })
            .collect();
        Self { declared, by_slug }
    }

    /// The declared tracks that see `from` but not `to` (none when either is unknown).
    fn lost(&self, from: &str, to: &str) -> Vec<&'a str> {
        let (Some(from), Some(to)) = (self.by_slug.get(from), self.by_slug.get(to)) else {
            return Vec::new();
        };
        self.declared.iter().copied().filter(|t| includes(from, t) && !includes(to, t)).collect()
    }

    fn sees(&self, slug: &str, track: &str) -> bool {
        self.by_slug.get(slug).is_some_and(|tracks| includes(tracks, track))
    }
}

fn quoted_list(tracks: &[&str]) -> String {
    tracks.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ")
}

/// A module with lessons, none of which a track sees, disappears for that track: usually a
/// `tracks` list written too narrowly. Reported on the module's `tracks` line, else its file.
fn empty_modules(
    modules: &[Option<Named<'_>>],
    units: &[Unit<'_>],
    reach: &Reach<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    for (index, module) in modules.iter().enumerate() {
        let Some(module) = module else { continue };
        let lessons: Vec<&str> =
            units.iter().filter(|u| u.module == index && !u.front.draft).map(Unit::slug).collect();
        let own = module.strings();
        let empty: Vec<&str> = reach
            .declared
            .iter()
            .copied()
            .filter(|t| includes(&own, t) && !lessons.iter().any(|l| reach.sees(l, t)))
            .collect();
        if lessons.is_empty() || empty.is_empty() {
            continue;
        }
        let message = format!(
            "no lesson of this module is for track {}; learners on it will not see the module",
            quoted_list(&empty)
        );
        diags.push(match module.ids.first() {
            Some(id) => module.source().warning(id.span().start, message),
            None => Diagnostic::whole_file(module.path, Severity::Warning, message),
        });
    }
}

/// `requires` entries and lesson links that lead a track's learners to a lesson they cannot
/// see: warnings, because the lesson still opens (the requirement is skipped for them).
fn crossings(units: &[Unit<'_>], reach: &Reach<'_>, diags: &mut Vec<Diagnostic>) {
    for unit in units.iter().filter(|u| !u.front.draft) {
        for (required, at) in &unit.front.requires {
            let lost = reach.lost(unit.slug(), required);
            if !lost.is_empty() {
                let message = format!(
                    "requires \"{required}\", which learners on track {} cannot see; for them the requirement is skipped",
                    quoted_list(&lost)
                );
                diags.push(unit.source().warning(*at, message));
            }
        }
        for link in &unit.body.rendered.pending {
            let Some(target) = link.lesson.as_deref() else { continue };
            let lost = reach.lost(unit.slug(), target);
            if !lost.is_empty() {
                let message = format!(
                    "link to \"{}\", a lesson learners on track {} cannot open",
                    link.dest,
                    quoted_list(&lost)
                );
                diags.push(link.report(Severity::Warning, message));
            }
        }
    }
}
