//! The signed-in learner's own account over JSON: sessions, data export and erasure, and
//! confirming an address with the token from the email.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, Problem};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// A signed-in device.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    id: String,
    device: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    /// The session this request was made with.
    current: bool,
}

/// `DELETE /api/v1/me` body: the password confirms it is the owner.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteRequest {
    password: String,
}

/// `POST /api/v1/auth/verify` body: the token from the confirmation email.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    token: String,
}

/// Lists the learner's live sessions, most recent first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Live sessions", body = [SessionInfo]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let sessions = state.accounts.sessions(user.id).await?;
    let listed: Vec<SessionInfo> = sessions
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == user.session_id,
            device: crate::domain::device::describe(&s.user_agent),
            created_at: s.created_at.and_utc(),
            last_seen_at: s.last_seen_at.and_utc(),
            id: s.id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(listed))
}

/// Signs one of the learner's sessions out.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from the list")),
    responses((status = 204, description = "Signed out (also when it already was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.accounts.sign_out(user.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Everything about the learner as one JSON document (an attachment); also served at
/// `/account/export` for the browser.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Profile, enrolments, progress and sessions"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let data = state.accounts.export(user.id).await?;
    Ok(HttpResponse::Ok().insert_header(attachment("mend-my-data.json")).json(data))
}

/// `Content-Disposition: attachment; filename=…`
fn attachment(filename: &str) -> header::ContentDisposition {
    header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::Filename(filename.to_owned())],
    }
}

/// Erases the account after checking the password; every session ends.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    request_body = DeleteRequest,
    responses((status = 204, description = "The account and its data are erased"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong password, or a field is missing or has the wrong type", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    client: crate::accounts::Client,
    body: web::Json<DeleteRequest>,
) -> Result<HttpResponse, AppError> {
    let password = body.into_inner().password;
    state.accounts.delete_account(user.id, password, &client).await?;
    Ok(HttpResponse::NoContent().cookie(state.cookies.session_removal()).finish())
}

/// Confirms an address with the token from the confirmation email.
#[utoipa::path(post, path = "/api/v1/auth/verify", tag = "auth", request_body = VerifyRequest,
    responses((status = 204, description = "The address is confirmed"),
        (status = 400, description = "The link is not valid, was used, or expired; or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, has the wrong type, or holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    state: web::Data<AppState>,
    body: web::Json<VerifyRequest>,
) -> Result<HttpResponse, AppError> {
    state.accounts.verify_email(body.into_inner().token).await?;
    Ok(HttpResponse::NoContent().finish())
}
