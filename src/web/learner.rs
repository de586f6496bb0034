//! A signed-in learner in a course, over HTML forms that work without JavaScript: enrol, read,
//! mark lessons done, take a break, and the dashboard. Handlers call [`crate::learning`] and
//! shape its answers with [`crate::web::progress`]; the rules and queries live there.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::content::{Catalog, Course};
use crate::db::DbConnection;
use crate::error::{AppError, FieldProblem};
use crate::learning::{self, Completion, LearnerCourse, LearningError};
use crate::web::account::NoFields;
use crate::web::courses;
use crate::web::forms::FormFeedback;
use crate::web::pages::see_other;
use crate::web::progress::{self, CourseProgressView};
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views::{course_url, lesson_url};

/// The enrol form; `access_code` only for code courses.
#[derive(Debug, Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    access_code: Option<String>,
}

/// The learner context for one course.
pub(crate) fn learner_at<'a>(
    state: &'a AppState,
    catalog: &'a Arc<Catalog>,
    user: &CurrentUser,
    course: &'a str,
) -> LearnerCourse<'a> {
    LearnerCourse {
        db: &state.db,
        clock: &*state.clock,
        catalog,
        user_id: user.id,
        course_slug: course,
    }
}

/// A learner refusal as an error page naming lessons by title and dates in the learner's zone.
pub(crate) fn refusal(error: LearningError, user: &CurrentUser, course: &Course) -> AppError {
    AppError::from_learning(error, user.time_zone, Some(course))
}

/// The learner's part of the course page: progress and lesson states when enrolled, `None`
/// for visitors and learners not enrolled (the page then offers the enrol form).
pub async fn course_progress(
    user: Option<&CurrentUser>,
    state: &AppState,
    catalog: &Arc<Catalog>,
    course: &Course,
) -> Result<Option<CourseProgressView>, AppError> {
    let Some(user) = user else { return Ok(None) };
    match learning::course_view(learner_at(state, catalog, user, &course.slug)).await {
        Ok(view) => Ok(Some(progress::course(course, &view))),
        Err(LearningError::NotEnrolled) => Ok(None),
        Err(error) => Err(refusal(error, user, course)),
    }
}

/// Checks a learner may read a lesson (recording the first view) and returns their progress
/// for the page, on the page's connection. Visitors are told how to enrol.
pub fn open_lesson_on(
    conn: &mut DbConnection,
    state: &AppState,
    catalog: &Arc<Catalog>,
    user: Option<&CurrentUser>,
    course: &Course,
    lesson: &str,
) -> Result<CourseProgressView, AppError> {
    let user = user.ok_or(AppError::NotEnrolled)?;
    let at = learner_at(state, catalog, user, &course.slug);
    let view = learning::view_lesson_on(conn, at, lesson).map_err(|e| refusal(e, user, course))?;
    Ok(progress::course(course, &view))
}

/// Checks a learner may work in a lesson now (answer its reflections), on the caller's
/// connection: refused as reading it would be, and nothing is recorded.
pub fn check_open_on(
    conn: &mut DbConnection,
    state: &AppState,
    catalog: &Arc<Catalog>,
    user: &CurrentUser,
    course: &Course,
    lesson: &str,
) -> Result<(), AppError> {
    let at = learner_at(state, catalog, user, &course.slug);
    learning::check_open_on(conn, at, lesson).map_err(|e| refusal(e, user, course))
}

/// `POST /courses/{course}/enroll`: visitors are sent to sign in and back; learners enrol
/// (with a code for code courses) and land on the course page. A missing or refused code
/// re-shows the course page (422) with the code as typed and the message beside the field.
pub async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Option<CurrentUser>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<EnrollForm>,
) -> Result<HttpResponse, AppError> {
    let url = course_url(&path);
    let Some(user) = user else {
        return Ok(see_other(&format!("/account/sign-in?next={url}")));
    };
    let catalog = state.catalog()?;
    let typed = form.access_code.unwrap_or_default();
    let code = Some(typed.trim()).filter(|c| !c.is_empty());
    match learning::enroll(learner_at(&state, &catalog, &user, &path), code).await {
        Ok(_) => Ok(see_other(&url)),
        Err(error) => match AppError::from(error) {
            AppError::InvalidField { field, message } => {
                let problem = FieldProblem { field: field.to_owned(), message };
                let enroll_form =
                    FormFeedback::with_errors(json!({ "access_code": typed }), vec![problem]);
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                courses::course_page(&req, &state, &path, status, &enroll_form).await
            }
            other => Err(other),
        },
    }
}

/// Marks a lesson done (`true`) or not done; refusals name lessons and dates for the learner.
pub(crate) async fn mark(
    state: &AppState,
    user: &CurrentUser,
    course: &str,
    lesson: &str,
    done: bool,
) -> Result<Completion, AppError> {
    let catalog = state.catalog()?;
    let at = learner_at(state, &catalog, user, course);
    let marked = if done {
        learning::complete_lesson(at, lesson).await
    } else {
        learning::uncomplete_lesson(at, lesson).await
    };
    marked.map_err(|e| catalog.course(course).map_or(AppError::NotFound, |c| refusal(e, user, c)))
}

/// Pauses (`true`) or resumes the learner's course.
pub(crate) async fn set_paused(
    state: &AppState,
    user: &CurrentUser,
    course: &str,
    paused: bool,
) -> Result<(), AppError> {
    let catalog = state.catalog()?;
    let at = learner_at(state, &catalog, user, course);
    if paused {
        learning::pause(at).await?
    } else {
        learning::resume(at).await?
    }
    Ok(())
}

/// `POST /courses/{course}/lessons/{lesson}/complete` (back to the lesson, or to the
/// course-complete page after the last one) and `…/uncomplete` (undo).
pub async fn mark_lesson(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson, action) = path.into_inner();
    let done = action == "complete";
    let completion = mark(&state, &user, &course, &lesson, done).await?;
    if done && completion.course_complete {
        return Ok(see_other(&format!("{}/complete", course_url(&course))));
    }
    Ok(see_other(&lesson_url(&course, &lesson)))
}

/// `POST /courses/{course}/pause` ("taking a break": reminders stop and lessons wait) and
/// `POST /courses/{course}/resume` (the schedule shifts by the length of the break).
pub async fn take_a_break(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (course, action) = path.into_inner();
    set_paused(&state, &user, &course, action == "pause").await?;
    Ok(see_other(&course_url(&course)))
}

/// `GET /courses/{course}/complete`: the celebration after the last lesson.
pub async fn show_complete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = catalog.course(&path).ok_or(AppError::NotFound)?;
    let view = learning::course_view(learner_at(&state, &catalog, &user, &path))
        .await
        .map_err(|e| refusal(e, &user, course))?;
    if !view.progress.complete {
        return Ok(see_other(&course_url(&path)));
    }
    let mut context = page_context(&req);
    context.insert("course", &progress::course_link(course));
    state.page("pages/course_complete.html", &context)
}

/// `GET /dashboard`: my courses with progress, where to resume, and lessons open now.
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let entries = learning::dashboard(&state.db, &*state.clock, &catalog, user.id).await?;
    let courses = progress::dashboard(&catalog, &entries);
    let mut context = page_context(&req);
    context.insert("courses", &courses);
    state.page("pages/dashboard.html", &context)
}
