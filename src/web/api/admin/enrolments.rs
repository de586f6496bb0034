//! `/api/v1/admin/enrollments`: the enrolment list, enrolling one person by email, the CSV
//! import (`text/csv`, `?dry_run=true`) and the CSV export, for scripts and integrations.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::admin::enrolments::{ImportReport, ListQuery, MAX_IMPORT_BYTES, Page, RawRow, Single};
use crate::error::{AppError, Problem};
use crate::web::admin::actor;
use crate::web::admin::enrolments::{check_length, read_limited};
use crate::web::session::Admin;
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The enrolment API's routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/api/v1/admin/enrollments", |r| r.route(get().to(list)).route(web::post().to(enrol)))
        .at("/api/v1/admin/enrollments/import", |r| r.route(web::post().to(import)))
        .at("/api/v1/admin/enrollments/export", |r| r.route(get().to(export)));
}

/// `GET /api/v1/admin/enrollments`: one page of enrolments with progress, newest first unless
/// `sort` says otherwise; pass `next` back as `after` for the next page.
#[utoipa::path(get, path = "/api/v1/admin/enrollments", tag = "admin",
    security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "One page of enrolments", body = Page),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = state.enrolments.list(state.catalog()?, &query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Enrolling one person by email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EnrolRequest {
    pub email: String,
    /// Suggested on the sign-up form when they have no account yet.
    #[serde(default)]
    pub name: String,
    /// Course slug (any course, published or not, whatever its enrolment policy).
    pub course: String,
    /// The last day of access (`YYYY-MM-DD`) or an RFC 3339 time; absent for no end.
    #[serde(default)]
    pub expires_at: String,
}

/// What enrolling by email did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrolResponse {
    pub outcome: Single,
}

/// `POST /api/v1/admin/enrollments`: enrols someone with an account at once (told by a
/// neutral mail), or invites someone without one (a single-use sign-up link valid 14 days;
/// the enrolment starts when they sign up). Posting the same address again re-sends the
/// invitation.
#[utoipa::path(post, path = "/api/v1/admin/enrollments", tag = "admin",
    security(("bearer" = [])), request_body = EnrolRequest,
    responses((status = 201, description = "Enrolled, or invited", body = EnrolResponse),
        (status = 200, description = "Already enrolled; nothing changed", body = EnrolResponse),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Email, course, name or expiry not valid (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn enrol(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<EnrolRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let row = RawRow {
        line: 0,
        email: body.email,
        name: body.name,
        course: body.course,
        expires_at: body.expires_at,
    };
    let catalog = state.catalog()?;
    let outcome =
        state.enrolments.enrol_by_email(&catalog, row, "api", actor(&admin, &req)).await?;
    let mut response = match outcome {
        Single::AlreadyEnrolled => HttpResponse::Ok(),
        Single::Enrolled | Single::Invited => HttpResponse::Created(),
    };
    Ok(response.json(EnrolResponse { outcome }))
}

/// Whether an import only reports.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true`: report each row's fate and change nothing. Default `false` (apply).
    #[serde(default)]
    pub dry_run: bool,
}

/// `POST /api/v1/admin/enrollments/import`: a cohort file as `text/csv` (columns
/// `email,name,course,expires_at`, header required, any order). Reports each row's fate; a
/// commit applies every valid row in batches and is idempotent.
#[utoipa::path(post, path = "/api/v1/admin/enrollments/import", tag = "admin",
    security(("bearer" = [])), params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "Each row's fate and the counts", body = ImportReport),
        (status = 400, description = "The body was not sent as text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is over the 10 MB limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not UTF-8 (the line is named), no header, or a required column missing", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(essence.as_str(), "text/csv" | "application/csv") {
        return Err(AppError::BadInput {
            field: None,
            message: "Send the file with Content-Type: text/csv.".into(),
        });
    }
    check_length(&req, MAX_IMPORT_BYTES)?;
    let file = read_limited(payload, MAX_IMPORT_BYTES).await?;
    let catalog = state.catalog()?;
    let report = state
        .enrolments
        .import(Arc::clone(&catalog), file, query.dry_run, actor(&admin, &req))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /api/v1/admin/enrollments/export?course=…`: the enrolments the filters match (the
/// list's), with progress, as CSV (UTF-8 with BOM, formula cells prefixed with `'`), streamed.
#[utoipa::path(get, path = "/api/v1/admin/enrollments/export", tag = "admin",
    security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "The enrolments as CSV", body = String, content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    // The same file the console's "Download as CSV" gives.
    crate::web::admin::enrolments::export(admin, state, query).await
}
