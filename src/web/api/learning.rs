//! Courses and progress over JSON: the same [`crate::learning`] calls as the HTML pages, the
//! same refusals (as problem documents).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::Course;
use crate::domain::drip::{LessonState, LockReason};
use crate::error::{AppError, Problem};
use crate::learning::{self, CourseView, EnrollOutcome, LearningError};
use crate::web::api::OptionalJson;
use crate::web::courses::{audience_of, readable_lesson, visible_course};
use crate::web::learner::{learner_at, mark, refusal, set_paused};
use crate::web::progress::course_link;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;
use crate::web::views::Audience;

/// A course in the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseItem {
    slug: String,
    title: String,
    summary: String,
    /// `open`, `code` or `invite`.
    enrollment: &'static str,
}

impl CourseItem {
    fn of(course: &Course) -> Self {
        Self {
            slug: course.slug.clone(),
            title: course.title.clone(),
            summary: course.summary.clone(),
            enrollment: course_link(course).enrollment,
        }
    }
}

/// Counts of lessons done.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressOut {
    done: usize,
    total: usize,
    percent: u8,
    complete: bool,
}

/// One lesson in an outline; `state` and the lock fields only for enrolled learners.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutlineLesson {
    slug: String,
    title: String,
    minutes: u32,
    /// `completed`, `open`, `locked` or `paused`.
    state: Option<&'static str>,
    opens_at: Option<DateTime<Utc>>,
    requires: Vec<String>,
}

/// A module in an outline.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutlineModule {
    slug: String,
    title: String,
    lessons: Vec<OutlineLesson>,
}

/// A course with, for an enrolled learner, their lesson states and progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outline {
    #[serde(flatten)]
    course: CourseItem,
    enrolled: bool,
    paused: bool,
    progress: Option<ProgressOut>,
    /// The lesson to resume at.
    resume: Option<String>,
    /// The learner's track, once chosen (see `/api/v1/courses/{course}/track`); their
    /// outline then lists only that track's lessons and the together ones.
    track: Option<String>,
    modules: Vec<OutlineModule>,
}

/// `POST …/enroll` body; the body may be left out for open courses.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EnrollRequest {
    access_code: Option<String>,
}

/// What an enrol request did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResponse {
    /// `created`, `reenrolled` or `already_enrolled`.
    outcome: &'static str,
}

/// A lesson to read, with its neighbours.
#[derive(Debug, Serialize, ToSchema)]
pub struct LessonOut {
    slug: String,
    title: String,
    minutes: u32,
    html: String,
    completed: bool,
    prev: Option<String>,
    next: Option<String>,
}

/// One enrolled course's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseProgressOut {
    course: String,
    paused: bool,
    resume: Option<String>,
    progress: ProgressOut,
}

fn progress_of(view: &CourseView) -> ProgressOut {
    let p = &view.progress;
    ProgressOut { done: p.done, total: p.total, percent: p.percent, complete: p.complete }
}

/// Lists the published courses.
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses",
    responses((status = 200, description = "The catalog", body = [CourseItem])))]
pub async fn list_courses(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let audience = audience_of(&req);
    let items: Vec<CourseItem> = catalog.courses_for(audience).map(CourseItem::of).collect();
    Ok(HttpResponse::Ok().json(items))
}

/// A course's outline, with enrolment, lock and progress state for an enrolled learner.
#[utoipa::path(get, path = "/api/v1/courses/{course}", tag = "courses",
    params(("course" = String, Path, description = "Course slug")),
    responses((status = 200, description = "The outline", body = Outline),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn show_course(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Option<CurrentUser>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = visible_course(&catalog, &path, audience_of(&req))?;
    let view = match user {
        Some(user) => match learning::course_view(learner_at(&state, &catalog, &user, &path)).await
        {
            Ok(view) => Some(view),
            Err(LearningError::NotEnrolled) => None,
            Err(error) => return Err(refusal(error, &user, course)),
        },
        None => None,
    };
    Ok(HttpResponse::Ok().json(outline(course, view.as_ref())))
}

fn outline(course: &Course, view: Option<&CourseView>) -> Outline {
    let state_of =
        |slug: &str| view.and_then(|v| v.lessons.iter().find(|l| l.slug == slug)).map(|l| &l.state);
    let modules = course
        .modules
        .iter()
        .map(|module| OutlineModule {
            slug: module.slug.clone(),
            title: module.title.clone(),
            lessons: module
                .lessons
                .iter()
                .filter(|l| Audience::Learner.sees(l))
                .filter(|l| view.is_none() || state_of(&l.slug).is_some())
                .map(|l| outline_lesson(l, state_of(&l.slug)))
                .collect(),
        })
        .collect();
    Outline {
        course: CourseItem::of(course),
        enrolled: view.is_some(),
        paused: view.is_some_and(|v| v.paused),
        progress: view.map(progress_of),
        resume: view.and_then(|v| v.resume.clone()),
        track: view.and_then(|v| v.track.clone()),
        modules,
    }
}

fn outline_lesson(lesson: &crate::content::Lesson, state: Option<&LessonState>) -> OutlineLesson {
    let (name, opens_at, requires) = match state {
        None => (None, None, Vec::new()),
        Some(LessonState::Completed) => (Some("completed"), None, Vec::new()),
        Some(LessonState::Open) => (Some("open"), None, Vec::new()),
        Some(LessonState::Locked(LockReason::Paused)) => (Some("paused"), None, Vec::new()),
        Some(LessonState::Locked(LockReason::OpensAt(at))) => {
            (Some("locked"), Some(*at), Vec::new())
        }
        Some(LessonState::Locked(LockReason::Requires(r))) => (Some("locked"), None, r.clone()),
    };
    OutlineLesson {
        slug: lesson.slug.clone(),
        title: lesson.title.clone(),
        minutes: lesson.minutes,
        state: name,
        opens_at,
        requires,
    }
}

/// Enrols the signed-in learner (201), or says they already are (200).
#[utoipa::path(post, path = "/api/v1/courses/{course}/enroll", tag = "courses",
    security(("bearer" = [])), request_body = Option<EnrollRequest>,
    params(("course" = String, Path, description = "Course slug")),
    responses((status = 201, description = "Enrolled", body = EnrollResponse),
        (status = 200, description = "Already enrolled", body = EnrollResponse),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Invite only, or access withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Access code missing or not valid, a field has the wrong type, or a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn enroll(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    OptionalJson(body): OptionalJson<EnrollRequest>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let body = body.unwrap_or_default();
    let code = body.access_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let outcome = learning::enroll(learner_at(&state, &catalog, &user, &path), code).await?;
    let (mut response, outcome) = match outcome {
        EnrollOutcome::Created => (HttpResponse::Created(), "created"),
        EnrollOutcome::Reenrolled => (HttpResponse::Created(), "reenrolled"),
        EnrollOutcome::AlreadyEnrolled => (HttpResponse::Ok(), "already_enrolled"),
    };
    Ok(response.json(EnrollResponse { outcome }))
}

/// A lesson's HTML and neighbours; records the first view.
#[utoipa::path(get, path = "/api/v1/courses/{course}/lessons/{lesson}", tag = "courses",
    security(("bearer" = [])),
    params(("course" = String, Path, description = "Course slug"),
        ("lesson" = String, Path, description = "Lesson slug")),
    responses((status = 200, description = "The lesson", body = LessonOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled, or locked (the detail says when or why)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course or lesson, or a lesson of another track than the learner's (`/problems/other-track`)", body = Problem, content_type = "application/problem+json")))]
pub async fn show_lesson(
    req: HttpRequest,
    state: web::Data<AppState>,
    _signed_in: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course_slug, lesson_slug) = path.into_inner();
    let catalog = state.catalog()?;
    let read = readable_lesson(&req, &state, &catalog, &course_slug, &lesson_slug, false).await?;
    let (view, progress) = (read.view, read.progress);
    let completed = progress.as_ref().is_some_and(|p| p.is_done(&lesson_slug));
    let (prev, next) = match &progress {
        Some(progress) => {
            let (prev, next) = progress.neighbours(&lesson_slug);
            (prev.map(str::to_owned), next.map(str::to_owned))
        }
        None => (view.prev.map(|l| l.slug.clone()), view.next.map(|l| l.slug.clone())),
    };
    Ok(HttpResponse::Ok().json(LessonOut {
        slug: view.lesson.slug.clone(),
        title: view.lesson.title.clone(),
        minutes: view.lesson.minutes,
        html: view.lesson.html.to_string(),
        completed,
        prev,
        next,
    }))
}

/// Marks a lesson complete (idempotent).
#[utoipa::path(put, path = "/api/v1/courses/{course}/lessons/{lesson}/complete", tag = "courses",
    security(("bearer" = [])),
    params(("course" = String, Path, description = "Course slug"),
        ("lesson" = String, Path, description = "Lesson slug")),
    responses((status = 204, description = "Done (also when it already was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled, or locked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course or lesson", body = Problem, content_type = "application/problem+json")))]
pub async fn complete_lesson(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson) = path.into_inner();
    mark(&state, &user, &course, &lesson, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Marks a lesson not done (idempotent).
#[utoipa::path(delete, path = "/api/v1/courses/{course}/lessons/{lesson}/complete", tag = "courses",
    security(("bearer" = [])),
    params(("course" = String, Path, description = "Course slug"),
        ("lesson" = String, Path, description = "Lesson slug")),
    responses((status = 204, description = "Not done (also when it already was not)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course or lesson", body = Problem, content_type = "application/problem+json")))]
pub async fn uncomplete_lesson(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson) = path.into_inner();
    mark(&state, &user, &course, &lesson, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pauses the course: reminders stop and lessons wait (idempotent).
#[utoipa::path(post, path = "/api/v1/courses/{course}/pause", tag = "courses",
    security(("bearer" = [])), params(("course" = String, Path, description = "Course slug")),
    responses((status = 204, description = "Paused"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled", body = Problem, content_type = "application/problem+json")))]
pub async fn pause(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(&state, &user, &path, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Resumes a paused course; the schedule shifts by the pause (idempotent).
#[utoipa::path(post, path = "/api/v1/courses/{course}/resume", tag = "courses",
    security(("bearer" = [])), params(("course" = String, Path, description = "Course slug")),
    responses((status = 204, description = "Resumed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled", body = Problem, content_type = "application/problem+json")))]
pub async fn resume(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(&state, &user, &path, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Progress in every enrolled course.
#[utoipa::path(get, path = "/api/v1/me/progress", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "One entry per enrolled course", body = [CourseProgressOut]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn my_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let entries = learning::dashboard(&state.db, &*state.clock, &catalog, user.id).await?;
    let out: Vec<CourseProgressOut> = entries
        .iter()
        .map(|e| CourseProgressOut {
            course: e.course_slug.clone(),
            paused: e.view.paused,
            resume: e.view.resume.clone(),
            progress: progress_of(&e.view),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
