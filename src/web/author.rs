//! Pages for course authors.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tera::Context;

use crate::content::{self, BuildChanges, ChangeKind, LessonChange, Summary};
use crate::error::AppError;
use crate::web::session::{Author, page_context};
use crate::web::state::AppState;
use crate::web::views::{count, reading_time, when};

/// `/author/status`: the last compile's outcome and every diagnostic, so an author whose edit did
/// not go live can see why, and what the live build changed. Authors and admins only. Times are
/// in the author's own zone.
pub async fn status(
    Author(author): Author,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let status = state.catalog.status();
    let diagnostics: Vec<String> =
        status.iter().flat_map(|s| &s.diagnostics).map(ToString::to_string).collect();
    let mut context = build_context(&req, &state, author.time_zone);
    context.insert("diagnostics", &diagnostics);
    state.page("pages/author_status.html", &context)
}

/// What both author pages start from: the last compile (when it ran, in the author's own zone,
/// its counts and problems in words) and what the live build changed since the one before.
fn build_context(req: &HttpRequest, state: &AppState, zone: Tz) -> Context {
    let status = state.catalog.status();
    let now = state.clock.now();
    let errors = status.as_deref().map_or(0, |s| content::error_count(&s.diagnostics));
    let warnings = status.as_deref().map_or(0, |s| s.diagnostics.len()) - errors;
    let mut context = page_context(req);
    context.insert("status", &status.as_deref());
    context.insert("compiled", &status.as_deref().map(|s| when(s.compiled_at, now, zone)));
    context.insert("summary", &status.as_deref().map(|s| summary_line(&s.summary)));
    let problems =
        format!("{}, {}", count(errors, "error", "errors"), count(warnings, "warning", "warnings"));
    context.insert("problems", &problems);
    let changes = state.catalog.changes();
    let changes = changes
        .as_deref()
        .map(|c| ChangesView { headline: changes_headline(c, now, zone), lessons: &c.lessons });
    context.insert("changes", &changes);
    context
}

/// The live build's changes as the author pages show them.
#[derive(Debug, serde::Serialize)]
struct ChangesView<'a> {
    /// "Since the build before (today at 09:00): 2 lessons edited, 1 added."
    headline: String,
    lessons: &'a [LessonChange],
}

/// One sentence on what the live build changed, with when the build before it ran.
fn changes_headline(changes: &BuildChanges, now: DateTime<Utc>, zone: Tz) -> String {
    let Some(since) = changes.since else {
        return "First build since the server started.".to_owned();
    };
    let before = format!("the build before ({})", when(since, now, zone));
    match tally(&changes.lessons) {
        tally if tally.is_empty() => format!("Nothing changed since {before}."),
        tally => format!("Since {before}: {tally}."),
    }
}

/// "2 lessons edited, 1 added, 1 removed", leaving out kinds with no lessons.
fn tally(lessons: &[LessonChange]) -> String {
    let kinds = [
        (ChangeKind::Edited, "edited"),
        (ChangeKind::Added, "added"),
        (ChangeKind::Removed, "removed"),
    ];
    let counted = kinds.iter().filter_map(|(kind, word)| {
        let n = lessons.iter().filter(|l| l.kind == *kind).count();
        (n > 0).then_some((n, word))
    });
    let parts: Vec<String> = counted
        .enumerate()
        .map(|(i, (n, word))| match i {
            0 => format!("{} {word}", count(n, "lesson", "lessons")),
            _ => format!("{n} {word}"),
        })
        .collect();
    parts.join(", ")
}

/// "1 course · 6 modules · 24 lessons (1 draft) · …": what the compile found, in words.
fn summary_line(summary: &Summary) -> String {
    [
        count(summary.courses, "course", "courses"),
        count(summary.modules, "module", "modules"),
        format!(
            "{} ({})",
            count(summary.lessons, "lesson", "lessons"),
            count(summary.drafts, "draft", "drafts")
        ),
        count(summary.worksheets, "worksheet", "worksheets"),
        count(summary.files, "file", "files"),
        count(summary.words, "word", "words"),
        format!("about {}", reading_time(u32::try_from(summary.minutes).unwrap_or(u32::MAX))),
    ]
    .join(" · ")
}

/// One course on the author landing page, with why learners may not see parts of it.
#[derive(Debug, serde::Serialize)]
struct CourseState {
    slug: String,
    title: String,
    published: bool,
    /// Draft lessons (hidden from learners until `draft` is removed from their front matter).
    drafts: Vec<String>,
}

/// `/author`: where an author starts — the last build in one line (with the full diagnostics
/// on `/author/status`), and each course's visibility: unpublished courses and draft lessons,
/// with the reason learners cannot see them. Authors and admins only.
pub async fn landing(
    Author(author): Author,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let courses: Vec<CourseState> = state
        .catalog
        .current()
        .map(|catalog| {
            catalog
                .courses()
                .iter()
                .map(|c| CourseState {
                    slug: c.slug.clone(),
                    title: c.title.clone(),
                    published: c.published,
                    drafts: c
                        .modules
                        .iter()
                        .flat_map(|m| &m.lessons)
                        .filter(|l| l.draft)
                        .map(|l| l.title.clone())
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut context = build_context(&req, &state, author.time_zone);
    context.insert("courses", &courses);
    state.page("pages/author.html", &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: ChangeKind) -> LessonChange {
        LessonChange { course: "C".into(), lesson: "L".into(), kind }
    }

    fn headline(since: Option<&str>, lessons: Vec<LessonChange>) -> String {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let changes =
            BuildChanges { built_at: at("2026-03-02T10:00:00Z"), since: since.map(at), lessons };
        changes_headline(&changes, at("2026-03-02T10:00:00Z"), chrono_tz::Europe::Paris)
    }

    #[test]
    fn the_headline_counts_each_kind_of_change_and_says_when_the_build_before_ran() {
        let lessons = vec![
            change(ChangeKind::Edited),
            change(ChangeKind::Added),
            change(ChangeKind::Edited),
            change(ChangeKind::Removed),
        ];
        assert_eq!(
            headline(Some("2026-03-02T08:00:00Z"), lessons),
            "Since the build before (today at 09:00): 2 lessons edited, 1 added, 1 removed."
        );
        assert_eq!(
            headline(Some("2026-03-01T08:00:00Z"), vec![change(ChangeKind::Added)]),
            "Since the build before (yesterday at 09:00): 1 lesson added."
        );
        assert_eq!(
            headline(Some("2026-03-02T08:00:00Z"), Vec::new()),
            "Nothing changed since the build before (today at 09:00)."
        );
        assert_eq!(headline(None, Vec::new()), "First build since the server started.");
    }
}
