//! `GET /api/v1/admin/reports/{course}`: a course report as JSON, for scripts. The same numbers
//! as the page, with the same small-cell rule: a hidden count is `null`. And
//! `POST /api/v1/admin/reports/{course}/nudges`: the page's "send a gentle nudge" for scripts.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::reports::{Cells, CourseReport};
use crate::domain::ids::{EnrollmentId, UserId};
use crate::error::{AppError, Problem};
use crate::reminders::{NudgeOutcome, NudgeTargets};
use crate::web::RouteTable;
use crate::web::admin::actor;
use crate::web::admin::reports::{ReportQuery, cells, read_report};
use crate::web::get;
use crate::web::session::Admin;
use crate::web::state::AppState;

/// The report API's routes.
pub fn routes(table: &mut RouteTable) {
    table.at("/api/v1/admin/reports/{course}", |r| r.route(get().to(show)));
    table.at("/api/v1/admin/reports/{course}/nudges", |r| r.route(web::post().to(nudge)));
}

/// One lesson's completions.
#[derive(Debug, Serialize, ToSchema)]
pub struct LessonOut {
    slug: String,
    title: String,
    module: String,
    /// Learners who finished it; `null` when fewer than `min_cell`.
    completed: Option<i64>,
}

/// A course report: counts only; any count from 1 to `min_cell − 1` is `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    course: String,
    title: String,
    published: bool,
    /// When the numbers were read (RFC 3339, UTC).
    generated_at: String,
    /// Counts under this are `null` (0 or 1: none hidden).
    min_cell: i64,
    enrolled: Option<i64>,
    started: Option<i64>,
    halfway: Option<i64>,
    completed: Option<i64>,
    active_7_days: Option<i64>,
    active_30_days: Option<i64>,
    /// Median days from enrolling to completing; `null` when nobody or too few completed.
    median_days_to_complete: Option<f64>,
    /// The visible lessons in course order.
    lessons: Vec<LessonOut>,
    /// The inactivity window used for `inactive`, in days.
    inactive_days: u32,
    /// How many active, unpaused enrolments on this page have been quiet longer than
    /// `inactive_days` (at most 100; names are on the page, not here).
    inactive: Option<i64>,
}

fn to_out(report: CourseReport, cells: Cells) -> ReportOut {
    let quiet = i64::try_from(report.inactive.len()).unwrap_or(i64::MAX);
    ReportOut {
        median_days_to_complete: if cells.hides(report.median_over) {
            None
        } else {
            report.median_days
        },
        lessons: report
            .lessons
            .into_iter()
            .map(|l| LessonOut {
                completed: cells.visible(l.completed),
                slug: l.slug,
                title: l.title,
                module: l.module,
            })
            .collect(),
        generated_at: report.generated_at.to_rfc3339(),
        min_cell: cells.min(),
        enrolled: cells.visible(report.enrolled),
        started: cells.visible(report.started),
        halfway: cells.visible(report.halfway),
        completed: cells.visible(report.completed),
        active_7_days: cells.visible(report.active_7),
        active_30_days: cells.visible(report.active_30),
        inactive_days: report.inactive_days,
        inactive: cells.visible(quiet),
        course: report.course,
        title: report.title,
        published: report.published,
    }
}

/// A course's report (admins only).
#[utoipa::path(get, path = "/api/v1/admin/reports/{course}", tag = "admin", security(("bearer" = [])),
    params(("course" = String, Path, description = "The course slug"),
        ("inactive_days" = Option<u32>, Query, description = "Quiet for more than this many days counts as inactive (1 to 365, default 14)")),
    responses((status = 200, description = "The report", body = ReportOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Signed in, but not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`inactive_days` is not a whole number from 1 to 365", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The course content has not compiled yet", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = read_report(&state, &path, &query).await?;
    Ok(HttpResponse::Ok().json(to_out(report, cells(&state))))
}

/// Who to nudge: learner ids or enrolment ids in the course, one list or the other.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NudgeRequest {
    /// Learners, each nudged about their enrolment in this course.
    #[serde(default)]
    user_ids: Option<Vec<i64>>,
    /// Enrolments in this course (the report page's rows).
    #[serde(default)]
    enrollment_ids: Option<Vec<i64>>,
}

impl NudgeRequest {
    fn targets(self) -> Result<NudgeTargets, AppError> {
        match (self.user_ids, self.enrollment_ids) {
            (Some(users), None) => {
                Ok(NudgeTargets::Users(users.into_iter().map(UserId::from).collect()))
            }
            (None, Some(ids)) => {
                Ok(NudgeTargets::Enrollments(ids.into_iter().map(EnrollmentId::from).collect()))
            }
            _ => Err(AppError::InvalidField {
                field: "user_ids",
                message: "Send either user_ids or enrollment_ids (one list, not both).".into(),
            }),
        }
    }
}

/// Sends a gentle nudge now to each learner it may go to (admins only): the scheduler's nudge
/// mail, within each learner's send window, once a day; the rest are counted by reason.
#[utoipa::path(post, path = "/api/v1/admin/reports/{course}/nudges", tag = "admin", security(("bearer" = [])),
    params(("course" = String, Path, description = "The course slug")),
    request_body = NudgeRequest,
    responses((status = 200, description = "How many nudges were queued, and who was left alone and why", body = NudgeOutcome),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Signed in, but not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both lists, an empty list, more than 500 ids, or a control character in the path", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The course content has not compiled yet", body = Problem, content_type = "application/problem+json")))]
pub async fn nudge(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NudgeRequest>,
) -> Result<HttpResponse, AppError> {
    let targets = body.into_inner().targets()?;
    let now = state.clock.now();
    let outcome =
        state.reminders.nudge_now(actor(&admin, &req), path.into_inner(), targets, now).await?;
    Ok(HttpResponse::Ok().json(outcome))
}
