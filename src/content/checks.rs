//! Course-wide checks that need every lesson: slugs, `requires`, anchors, emptiness.

use std::collections::{HashMap, HashSet};

use super::compiler::Unit;
use super::diagnostics::{Diagnostic, Severity};
use super::markdown::LessonLink;
use super::scan::CourseLayout;

/// Runs every course-wide check, appending what fails to `diags`.
pub(crate) fn course(
    layout: &CourseLayout,
    units: &[Unit<'_>],
    pending: &[LessonLink],
    diags: &mut Vec<Diagnostic>,
) {
    if layout.modules.iter().all(|m| m.lessons.is_empty()) {
        let at = layout.course_toml.as_deref().unwrap_or(&layout.dir);
        diags.push(Diagnostic::whole_file(
            at,
            Severity::Error,
            "course has no lessons; add NN-module/NN-lesson.md files",
        ));
    }
    duplicate_slugs(units, diags);
    requires(units, diags);
    lesson_links(units, pending, diags);
}

/// Lesson slugs key progress, so two lessons may not share one; both places are reported.
fn duplicate_slugs(units: &[Unit<'_>], diags: &mut Vec<Diagnostic>) {
    let mut by_slug: HashMap<&str, Vec<&Unit<'_>>> = HashMap::new();
    for unit in units {
        by_slug.entry(unit.slug()).or_default().push(unit);
    }
    for (slug, same) in by_slug.into_iter().filter(|(_, v)| v.len() > 1) {
        for unit in &same {
            let others: Vec<String> = same
                .iter()
                .filter(|o| o.file.path != unit.file.path)
                .map(|o| o.file.path.display().to_string())
                .collect();
            let message =
                format!("duplicate lesson slug \"{slug}\" (also used by {})", others.join(", "));
            diags.push(match &unit.front.slug {
                Some((_, at)) => unit.source().error(*at, message),
                None => Diagnostic::whole_file(&unit.file.path, Severity::Error, message),
            });
        }
    }
}

/// `requires` must name existing lessons and must not go round in a circle.
fn requires(units: &[Unit<'_>], diags: &mut Vec<Diagnostic>) {
    let index: HashMap<&str, usize> =
        units.iter().enumerate().map(|(i, u)| (u.slug(), i)).collect();
    for unit in units {
        for (required, at) in &unit.front.requires {
            match index.get(required.as_str()).map(|&i| units[i].front.draft) {
                None => diags.push(
                    unit.source().error(*at, format!("requires unknown lesson \"{required}\"")),
                ),
                Some(true) if !unit.front.draft => diags.push(unit.source().warning(
                    *at,
                    format!("requires draft lesson \"{required}\"; learners can never complete it"),
                )),
                Some(_) => {}
            }
        }
    }
    let mut state = vec![Visit::New; units.len()];
    let mut path = Vec::new();
    for start in 0..units.len() {
        visit(start, units, &index, &mut state, &mut path, diags);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnPath,
    Done,
}

/// Depth-first search reporting each cycle once, at the `requires` entry that closes it.
fn visit(
    node: usize,
    units: &[Unit<'_>],
    index: &HashMap<&str, usize>,
    state: &mut [Visit],
    path: &mut Vec<usize>,
    diags: &mut Vec<Diagnostic>,
) {
    if state[node] != Visit::New {
        return;
    }
    state[node] = Visit::OnPath;
    path.push(node);
    for (required, at) in &units[node].front.requires {
        let Some(&next) = index.get(required.as_str()) else {
            continue;
        };
        if state[next] == Visit::OnPath {
            let from = path.iter().position(|&n| n == next).unwrap_or(0);
            let mut names: Vec<&str> = path[from..].iter().map(|&n| units[n].slug()).collect();
            names.push(units[next].slug());
            let message = format!("requires cycle: {}", names.join(" -> "));
            diags.push(units[node].source().error(*at, message));
        } else {
            visit(next, units, index, state, path, diags);
        }
    }
    path.pop();
    state[node] = Visit::Done;
}

/// Links to `lesson.md#anchor` must name a heading of that lesson, and learner-facing pages
/// should not link to drafts (learners cannot open them).
fn lesson_links(units: &[Unit<'_>], pending: &[LessonLink], diags: &mut Vec<Diagnostic>) {
    let targets: HashMap<&str, (&HashSet<String>, bool)> =
        units.iter().map(|u| (u.slug(), (&u.body.ids, u.front.draft))).collect();
    let from_lessons =
        units.iter().flat_map(|u| u.body.rendered.pending.iter().map(|link| (link, u.front.draft)));
    let from_pages = pending.iter().map(|link| (link, false));
    for (link, from_draft) in from_lessons.chain(from_pages) {
        let Some(&(ids, draft)) = link.lesson.as_deref().and_then(|slug| targets.get(slug)) else {
            continue;
        };
        if link.misses_anchor(|a| ids.contains(a)) {
            diags.push(link.missing_anchor());
        }
        if draft && !from_draft {
            let message =
                format!("link to draft lesson \"{}\"; learners cannot open it", link.dest);
            diags.push(link.report(Severity::Warning, message));
        }
    }
}
