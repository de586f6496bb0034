//! "Support now": where to turn in a crisis, for everyone. No sign-in and no enrolment are
//! needed (someone in distress should not meet a form first): a course's own page from its
//! `support = "…"` file, or the built-in text when it has none, and one page listing them all.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::error::AppError;
use crate::web::courses::{audience_of, visible_course};
use crate::web::session::page_context;
use crate::web::state::AppState;
use crate::web::views::{CourseSummary, course_url};

/// The URL of a course's support page (the daily check-in links here too).
pub fn support_url(course: &str) -> String {
    format!("{}/support", course_url(course))
}

/// A course on the general support page.
#[derive(Debug, Serialize)]
struct SupportLink {
    title: String,
    url: String,
}

/// `GET /support`: the built-in guidance, and each course's own support page.
pub async fn show_support(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let courses: Vec<SupportLink> = catalog
        .courses_for(audience_of(&req))
        .map(|c| SupportLink { title: c.title.clone(), url: support_url(&c.slug) })
        .collect();
    let mut context = page_context(&req);
    context.insert("courses", &courses);
    state.page("pages/support.html", &context)
}

/// `GET /courses/{course}/support`: the course's support text, or the built-in one; 404 for a
/// course the reader cannot see, as its other pages.
pub async fn show_course_support(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let audience = audience_of(&req);
    let course = visible_course(&catalog, &path, audience)?;
    let mut context = page_context(&req);
    context.insert("course", &CourseSummary::of(course, audience));
    context.insert("support_html", &course.support_html);
    state.page("pages/course_support.html", &context)
}
