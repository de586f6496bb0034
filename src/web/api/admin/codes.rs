//! `/api/v1/admin/codes`: the access codes of the admin console over JSON, through the same
//! [`crate::admin::codes`] calls as the pages.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::admin::codes::{CodePage, CodeRequest, CodeView};
use crate::error::{AppError, Problem};
use crate::web::admin::actor;
use crate::web::admin::codes::ListQuery;
use crate::web::session::Admin;
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The codes API's routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/api/v1/admin/codes", |r| r.route(get().to(list)).route(web::post().to(create)))
        .at("/api/v1/admin/codes/{id}/disable", |r| r.route(web::post().to(disable)))
        .at("/api/v1/admin/codes/{id}/enable", |r| r.route(web::post().to(enable)));
}

/// `POST /api/v1/admin/codes` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCodeIn {
    /// The slug of a course whose enrolment is by code.
    course: String,
    /// A chosen code (case, spaces and dashes do not matter); left out for a random one.
    #[serde(default)]
    code: Option<String>,
    /// How many learners may use it (1 or more); left out for no limit.
    #[serde(default)]
    max_uses: Option<i64>,
    /// The last UTC day it works (`YYYY-MM-DD`, today or later); left out for no expiry.
    #[serde(default)]
    expires_on: Option<NaiveDate>,
    /// Who or what it is for, up to 500 characters (only admins see it).
    #[serde(default)]
    note: String,
}

/// Lists codes, newest first, 50 a page.
#[utoipa::path(get, path = "/api/v1/admin/codes", tag = "admin", security(("bearer" = [])),
    params(("course" = Option<String>, Query, description = "Only this course's codes"),
        ("before" = Option<i64>, Query, description = "The previous page's `next_before`")),
    responses((status = 200, description = "One page of codes", body = CodePage),
        (status = 400, description = "`before` is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = state.admin.list_codes(query.course, query.before).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Makes a code for a course whose enrolment is by code; the change is audited.
#[utoipa::path(post, path = "/api/v1/admin/codes", tag = "admin", security(("bearer" = [])),
    request_body = CreateCodeIn,
    responses((status = 201, description = "Made", body = CodeView),
        (status = 400, description = "The body is not JSON or is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`course`, `code`, `max_uses`, `expires_on` or `note` is not valid, or `code` is taken", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The course content has errors, so courses cannot be checked", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CreateCodeIn>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let catalog = state.catalog()?;
    let request = CodeRequest {
        code: body.code,
        course: body.course,
        max_uses: body.max_uses,
        expires_on: body.expires_on,
        note: body.note,
    };
    let code = state.admin.create_code(actor(&admin, &req), &catalog, request).await?;
    Ok(HttpResponse::Created().json(code))
}

/// Disables a code: learners can no longer enrol with it (enrolments made with it stay).
#[utoipa::path(post, path = "/api/v1/admin/codes/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The code's id")),
    responses((status = 200, description = "Disabled (or already was)", body = CodeView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id holds a control character (refused at the edge, like every input)", body = Problem, content_type = "application/problem+json")))]
pub async fn disable(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let code = state.admin.set_code_enabled(actor(&admin, &req), id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(code))
}

/// Re-enables a disabled code (its uses so far still count towards its limit).
#[utoipa::path(post, path = "/api/v1/admin/codes/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The code's id")),
    responses((status = 200, description = "Enabled (or already was)", body = CodeView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id holds a control character (refused at the edge, like every input)", body = Problem, content_type = "application/problem+json")))]
pub async fn enable(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let code = state.admin.set_code_enabled(actor(&admin, &req), id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(code))
}
