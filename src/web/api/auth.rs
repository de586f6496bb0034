//! Accounts over JSON: the same [`Accounts`] calls as the HTML forms, the same answers for known
//! and unknown addresses.
//!
//! [`Accounts`]: crate::accounts::Accounts

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{Client, Credentials, Registration};
use crate::domain::account::{Email, NewPassword};
use crate::error::{AppError, Problem};
use crate::web::session::{CurrentUser, api_csrf_token};
use crate::web::state::AppState;

/// `POST /api/v1/auth/register` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(format = Email)]
    email: String,
    #[schema(min_length = 1, max_length = 80)]
    display_name: String,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
}

/// `POST /api/v1/auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(format = Email)]
    email: String,
    password: String,
    #[serde(default)]
    remember: bool,
}

/// A new session: the bearer token, when it expires, and the CSRF token a browser using the
/// cookie instead must send as `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    token: String,
    expires_at: DateTime<Utc>,
}

/// `POST /api/v1/auth/password-reset` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    #[schema(format = Email)]
    email: String,
}

/// `POST /api/v1/auth/password-reset/confirm` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirm {
    token: String,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
}

/// `GET /api/v1/me`: the signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    id: i64,
    email: String,
    display_name: String,
    role: &'static str,
    email_verified: bool,
    /// For browsers calling the API with the session cookie.
    csrf_token: String,
}

/// The neutral answer to register and password-reset, whatever the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    status: &'static str,
}

const ACCEPTED: Accepted =
    Accepted { status: "If that address can receive mail from us, a message is on its way." };

/// Registers an account (201 whether or not the address was taken).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, description = "Accepted; a confirmation (or, for a taken address, a note to its owner) is mailed", body = Accepted),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid (email format, password 8-128 and display name 1-80 characters)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let registration = Registration::parse(&body.email, &body.display_name, body.password)
        .map_err(|errors| match errors.into_iter().next() {
            Some(error) => {
                AppError::InvalidField { field: error.field, message: error.message.into() }
            }
            None => AppError::BadInput { field: None, message: "not valid".into() },
        })?;
    state.accounts.register(registration, &client).await?;
    Ok(HttpResponse::Created().json(ACCEPTED))
}

/// Signs in: the token in the body, and the session cookie for browsers.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in; the token is also set as the session cookie", body = LoginResponse),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The email and password do not match an account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, has the wrong type, or holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let credentials =
        Credentials { email: body.email, password: body.password, remember: body.remember };
    let signed = state.accounts.sign_in(credentials, &client).await?;
    Ok(HttpResponse::Ok()
        .cookie(state.cookies.session(&signed))
        .json(LoginResponse { token: signed.token, expires_at: signed.expires_at }))
}

/// Ends the session the request was made with.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "The session is ended"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    state.accounts.sign_out(user.id, user.session_id).await?;
    Ok(HttpResponse::NoContent().cookie(state.cookies.session_removal()).finish())
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in account", body = Me),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(Me {
        id: user.id.get(),
        csrf_token: api_csrf_token(&state, &user),
        email: user.email,
        display_name: user.display_name,
        role: user.role.as_str(),
        email_verified: user.confirmed,
    }))
}

/// Mails a reset link if the address has an account (202 either way).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "Accepted; a link is mailed if the address has an account", body = Accepted),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address, or a field is missing or has the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn request_reset(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, AppError> {
    let email = Email::parse(&body.email).map_err(invalid)?;
    state.accounts.request_reset(email, &client).await?;
    Ok(HttpResponse::Accepted().json(ACCEPTED))
}

/// Sets a new password from a reset token; every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 204, description = "The password is changed and every session ended"),
        (status = 400, description = "The link is not valid, was used, or expired; or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is not 8-128 characters, or a field is missing or has the wrong type", body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    body: web::Json<ResetConfirm>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let password = NewPassword::parse(body.password).map_err(invalid)?;
    state.accounts.reset_password(body.token, password).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn invalid(error: crate::domain::account::FieldError) -> AppError {
    AppError::InvalidField { field: error.field, message: error.message.into() }
}
