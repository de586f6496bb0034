//! Pages for course authors.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::content::{self, Summary};
use crate::error::AppError;
use crate::web::session::{Author, page_context};
use crate::web::state::AppState;
use crate::web::views::{count, reading_time, when};

/// `/author/status`: the last compile's outcome and every diagnostic, so an author whose edit did
/// not go live can see why. Authors and admins only. Times are in the author's own zone.
pub async fn status(
    Author(author): Author,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let status = state.catalog.status();
    let diagnostics: Vec<String> =
        status.iter().flat_map(|s| &s.diagnostics).map(ToString::to_string).collect();
    let errors = status.as_deref().map_or(0, |s| content::error_count(&s.diagnostics));
    let warnings = diagnostics.len() - errors;
    let mut context = page_context(&req);
    context.insert("status", &status.as_deref());
    context.insert(
        "compiled",
        &status.as_deref().map(|s| when(s.compiled_at, state.clock.now(), author.time_zone)),
    );
    context.insert("summary", &status.as_deref().map(|s| summary_line(&s.summary)));
    context.insert("diagnostics", &diagnostics);
    let problems =
        format!("{}, {}", count(errors, "error", "errors"), count(warnings, "warning", "warnings"));
    context.insert("problems", &problems);
    state.page("pages/author_status.html", &context)
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
    let status = state.catalog.status();
    let errors = status.as_deref().map_or(0, |s| content::error_count(&s.diagnostics));
    let warnings = status.as_deref().map_or(0, |s| s.diagnostics.len()) - errors;
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
    let mut context = page_context(&req);
    context.insert("status", &status.as_deref());
    context.insert(
        "compiled",
        &status.as_deref().map(|s| when(s.compiled_at, state.clock.now(), author.time_zone)),
    );
    context.insert("summary", &status.as_deref().map(|s| summary_line(&s.summary)));
    context.insert(
        "problems",
        &format!(
            "{}, {}",
            count(errors, "error", "errors"),
            count(warnings, "warning", "warnings")
        ),
    );
    context.insert("courses", &courses);
    state.page("pages/author.html", &context)
}
