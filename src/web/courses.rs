//! Course pages: the catalog, a course's landing page, lessons and worksheets.
//! Lesson HTML was rendered when the content was compiled; here it is only placed in the page.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::content::{Catalog, Course, LessonView};
use crate::error::AppError;
use crate::reflections::Entry;
use crate::web::forms::{FormFeedback, SavedQuery};
use crate::web::progress::CourseProgressView;
use crate::web::reflections::{self, Prompts, Typed};
use crate::web::session::{CurrentUser, page_context, with_session};
use crate::web::state::AppState;
use crate::web::views::{self, Audience, CourseSummary, LessonLink, WorksheetSummary};
use crate::web::{downloads, learner, progress};

/// Authors and admins preview drafts and unpublished courses; everyone else reads as a learner.
pub(crate) fn audience_of(req: &HttpRequest) -> Audience {
    audience_for(CurrentUser::of(req).as_ref())
}

/// Authors and admins preview everything; everyone else reads as a learner.
fn audience_for(user: Option<&CurrentUser>) -> Audience {
    match user {
        Some(user) if user.role.can_author() => Audience::AuthorPreview,
        _ => Audience::Learner,
    }
}

/// A course `audience` may see, or 404 (an unpublished course does not exist for learners).
pub(crate) fn visible_course<'a>(
    catalog: &'a Catalog,
    slug: &str,
    audience: Audience,
) -> Result<&'a Course, AppError> {
    catalog.course(slug).filter(|c| audience.sees_course(c)).ok_or(AppError::NotFound)
}

/// `/`: every published course.
pub async fn list_courses(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let audience = audience_of(&req);
    let courses: Vec<CourseSummary> =
        catalog.courses_for(audience).map(|c| CourseSummary::of(c, audience)).collect();
    let mut context = page_context(&req);
    context.insert("courses", &courses);
    state.page("pages/catalog.html", &context)
}

/// `/courses/{course}`: the landing page with the outline.
pub async fn show_course(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let enroll_form = FormFeedback::fresh(serde_json::json!({}));
    course_page(&req, &state, &path, StatusCode::OK, &enroll_form).await
}

/// The course page; `enroll_form` is what the enrol form shows, so a refused access code re-shows
/// the whole page with the code as typed and the message beside the field.
pub(crate) async fn course_page(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    status: StatusCode,
    enroll_form: &FormFeedback,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let audience = audience_of(req);
    let course = visible_course(&catalog, slug, audience)?;
    let first_lesson = course.lessons_for(audience).next().map(|(_, l)| l);
    let user = CurrentUser::of(req);
    let progress = learner::course_progress(user.as_ref(), state, &catalog, course).await?;
    let mut context = page_context(req);
    enroll_form.insert_into(&mut context);
    let summary = CourseSummary::of(course, audience);
    let summary = match &progress {
        Some(progress) => progress.narrow(summary),
        None => summary,
    };
    context.insert("progress", &progress);
    context.insert("enroll", &progress::course_link(course));
    context.insert("course", &summary);
    context.insert("landing_html", &course.landing_html);
    context.insert("support_url", &crate::web::support::support_url(&course.slug));
    context.insert("outline", &views::outline(course, audience));
    context.insert(
        "first_lesson_url",
        &first_lesson.map(|l| views::lesson_url(&course.slug, &l.slug)),
    );
    state.page_with_status("pages/course.html", status, &context)
}

/// `/courses/{course}/lessons/{lesson}`: one lesson with its table of contents, pager and
/// reflection prompts (`?saved=<id>` after an answer was saved).
pub async fn show_lesson(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let (course_slug, lesson_slug) = path.into_inner();
    let saved = query.into_inner().saved;
    lesson_page(&req, &state, &course_slug, &lesson_slug, StatusCode::OK, saved, None).await
}

/// The lesson page; `typed` re-shows a refused reflection answer as typed, with its problem.
pub(crate) async fn lesson_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    course_slug: &str,
    lesson_slug: &str,
    status: StatusCode,
    saved: Option<String>,
    typed: Option<Typed>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let read = readable_lesson(req, state, &catalog, course_slug, lesson_slug, true).await?;
    // Known only once the lesson's own hop has checked the session.
    let audience = audience_of(req);
    let (course, view, progress) = (read.course, read.view, read.progress);
    let mut context = page_context(req);
    let problems: Vec<_> = typed.iter().map(reflections::problem).collect();
    FormFeedback::with_errors(serde_json::Value::Null, problems).insert_into(&mut context);
    context.insert("done", &progress.as_ref().is_some_and(|p| p.is_done(lesson_slug)));
    context.insert("curriculum", &progress.as_ref().and_then(|p| p.module_of(lesson_slug)));
    context.insert("progress", &progress);
    context.insert("course", &CourseSummary::of(course, audience));
    context.insert("module", view.module);
    context.insert(
        "lesson",
        &LessonPage {
            url: views::lesson_url(&course.slug, &view.lesson.slug),
            lesson: view.lesson,
        },
    );
    let prompts = match audience {
        Audience::AuthorPreview => Prompts::Preview,
        Audience::Learner => Prompts::Learner {
            entries: &read.reflections,
            saved: saved.as_deref(),
            typed: typed.as_ref(),
        },
    };
    context.insert("parts", &reflections::lesson_parts(&course.slug, view.lesson, &prompts));
    context.insert("toc", &view.lesson.toc);
    let fill_in = progress.is_some();
    context.insert("downloads", &downloads::lesson_downloads(course, view.lesson, fill_in));
    let (prev, next) = match &progress {
        Some(progress) => {
            let (prev, next) = progress.neighbours(lesson_slug);
            let link =
                |slug: &str| course.lesson(slug).map(|v| LessonLink::of(&course.slug, v.lesson));
            (prev.and_then(link), next.and_then(link))
        }
        None => (
            view.prev.map(|l| LessonLink::of(&course.slug, l)),
            view.next.map(|l| LessonLink::of(&course.slug, l)),
        ),
    };
    context.insert("prev", &prev);
    context.insert("next", &next);
    state.page_with_status("pages/lesson.html", status, &context)
}

/// A lesson the request may read: its course and place, the learner's progress (`None` for
/// authors previewing, who read everything) and, when asked for, the learner's reflection
/// entries for it.
pub(crate) struct Readable<'a> {
    pub course: &'a Course,
    pub view: LessonView<'a>,
    pub progress: Option<CourseProgressView>,
    pub reflections: Vec<Entry>,
}

/// A lesson the request may read. Shared by the page and the API. The session check, the
/// learner's read, any first-view record and (with `with_reflections`, for a lesson that has
/// prompts) the reflections share one blocking-pool hop.
pub(crate) async fn readable_lesson<'a>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    catalog: &'a Arc<Catalog>,
    course_slug: &str,
    lesson_slug: &str,
    with_reflections: bool,
) -> Result<Readable<'a>, AppError> {
    let (hop_state, hop_catalog) = (state.clone(), Arc::clone(catalog));
    let (course, lesson) = (course_slug.to_owned(), lesson_slug.to_owned());
    let (progress, entries) = with_session(req, state, move |conn, user| {
        let audience = audience_for(user);
        let (course, view) = lesson_for(&hop_catalog, &course, &lesson, audience)?;
        let (Audience::Learner, Some(user)) = (audience, user) else {
            // Authors preview without progress; visitors are told how to enrol.
            return match audience {
                Audience::AuthorPreview => Ok((None, Vec::new())),
                Audience::Learner => Err(AppError::NotEnrolled),
            };
        };
        let progress =
            learner::open_lesson_on(conn, &hop_state, &hop_catalog, Some(user), course, &lesson)?;
        let entries = if with_reflections && !view.lesson.reflections.is_empty() {
            let actor = reflections::actor(&hop_state, user)?;
            crate::reflections::for_lesson(conn, &actor, &course.slug, &lesson)?
        } else {
            Vec::new()
        };
        Ok((Some(progress), entries))
    })
    .await?;
    let (course, view) = lesson_for(catalog, course_slug, lesson_slug, audience_of(req))?;
    Ok(Readable { course, view, progress, reflections: entries })
}

/// A lesson `audience` may see in a course it may see, or 404.
fn lesson_for<'a>(
    catalog: &'a Catalog,
    course_slug: &str,
    lesson_slug: &str,
    audience: Audience,
) -> Result<(&'a Course, LessonView<'a>), AppError> {
    let course = visible_course(catalog, course_slug, audience)?;
    let view =
        course.lesson(lesson_slug).filter(|v| audience.sees(v.lesson)).ok_or(AppError::NotFound)?;
    Ok((course, view))
}

/// A lesson and its own URL, for the template.
#[derive(serde::Serialize)]
struct LessonPage<'a> {
    url: String,
    #[serde(flatten)]
    lesson: &'a crate::content::Lesson,
}

/// `/courses/{course}/worksheets/{worksheet}`: the worksheet as a printable template.
pub async fn show_worksheet(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course_slug, worksheet_slug) = path.into_inner();
    let catalog = state.catalog()?;
    let audience = audience_of(&req);
    let course = visible_course(&catalog, &course_slug, audience)?;
    let worksheet = course.worksheets.get(&worksheet_slug).ok_or(AppError::NotFound)?;
    let mut context = page_context(&req);
    context.insert("course", &CourseSummary::of(course, audience));
    context.insert("worksheet", &WorksheetSummary::of(&course.slug, worksheet));
    context.insert("blocks", &views::worksheet_blocks(worksheet));
    context.insert("blank", &downloads::blank_links(&course.slug, worksheet));
    state.page("pages/worksheet.html", &context)
}
