//! `/api/v1/admin/users`: the People search and actions over JSON, for scripts and other
//! tools. The same service, filters and audit entries as `/admin/people`.
//!
//! - `GET /api/v1/admin/users?q=&role=&confirmed=&status=&seen_since=&not_seen_since=&before=&limit=`
//! - `GET /api/v1/admin/users/{id}`
//! - `PATCH /api/v1/admin/users/{id}` `{"role": "author", "active": false}` (either or both)
//! - `DELETE /api/v1/admin/users/{id}`: the same erasure as self-service deletion
//! - `POST /api/v1/admin/users/{id}/confirmation` and `/password-reset`: mail a fresh link

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::admin::people::{PAGE_SIZE, Person, PersonDetail};
use crate::domain::account::Role;
use crate::error::{AppError, Problem};
use crate::web::admin::actor;
use crate::web::admin::people::{PeopleQuery, person_id};
use crate::web::session::Admin;
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The user routes of the admin API.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/api/v1/admin/users", |r| r.route(get().to(list_users)))
        .at("/api/v1/admin/users/{id}", |r| {
            r.route(get().to(show_user))
                .route(web::patch().to(update_user))
                .route(web::delete().to(delete_user))
        })
        .at("/api/v1/admin/users/{id}/confirmation", |r| {
            r.route(web::post().to(resend_confirmation))
        })
        .at("/api/v1/admin/users/{id}/password-reset", |r| {
            r.route(web::post().to(send_reset_link))
        });
}

/// The query of `GET /api/v1/admin/users` (every field optional).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of an email address or name; case and accents are ignored.
    q: Option<String>,
    /// `learner`, `author` or `admin`.
    role: Option<String>,
    /// `true` (address confirmed) or `false`.
    confirmed: Option<String>,
    /// `active` or `deactivated`.
    status: Option<String>,
    /// A date or RFC 3339 time: used a session at or after it.
    seen_since: Option<String>,
    /// A date or RFC 3339 time: no session used at or after it (never signed in included).
    not_seen_since: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<String>,
    /// Page size, 1 to 50 (default 50).
    limit: Option<String>,
}

/// One page of users, newest account first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    users: Vec<Person>,
    /// Pass as `before` for the next page; `null` on the last page.
    next_before: Option<i64>,
}

/// Lists accounts matching the search and filters (keyset pagination on the account id).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, description = "One page of accounts", body = UserList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn list_users(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let limit = match query.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => PAGE_SIZE,
        Some(text) => text.parse::<i64>().ok().filter(|l| (1..=PAGE_SIZE).contains(l)).ok_or(
            AppError::InvalidField { field: "limit", message: "must be from 1 to 50".into() },
        )?,
    };
    let people = PeopleQuery {
        q: query.q,
        role: query.role,
        confirmed: query.confirmed,
        status: query.status,
        seen_since: query.seen_since,
        not_seen_since: query.not_seen_since,
        before: query.before,
    };
    let (filter, before) = people.parse()?;
    let page = state.admin.search_people(filter, before, limit).await?;
    Ok(HttpResponse::Ok().json(UserList { users: page.people, next_before: page.next_before }))
}

/// One account: profile, enrolments with progress, sessions, mail and audit entries (never
/// worksheet answers).
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account id")),
    responses((status = 200, description = "The account", body = PersonDetail),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn show_user(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let detail = state.admin.person(id, state.catalog.current()).await?;
    Ok(HttpResponse::Ok().json(detail.ok_or(AppError::NotFound)?))
}

/// `PATCH /api/v1/admin/users/{id}` body: what to change (fields left out stay as they are).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// `learner`, `author` or `admin`.
    role: Option<String>,
    /// `false` deactivates (every session ends at once), `true` reactivates.
    active: Option<bool>,
}

/// Changes an account's role and/or deactivates or reactivates it; each change is audited.
/// An admin cannot remove their own admin role nor deactivate themselves (422).
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account id")),
    request_body = UserUpdate,
    responses((status = 200, description = "The account after the change", body = Person),
        (status = 400, description = "The body is not JSON or is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a missing CSRF token with the cookie", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown role, or a change to your own account that would lock you out", body = Problem, content_type = "application/problem+json")))]
pub async fn update_user(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UserUpdate>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let update = body.into_inner();
    let role = update.role.as_deref().map(str::parse::<Role>).transpose()?;
    let actor = actor(&admin, &req);
    if let Some(role) = role {
        state.admin.change_role(actor.clone(), id, role).await?;
    }
    match update.active {
        Some(false) => drop(state.admin.deactivate(actor, id).await?),
        Some(true) => drop(state.admin.reactivate(actor, id).await?),
        None => {}
    }
    let detail = state.admin.person(id, state.catalog.current()).await?;
    Ok(HttpResponse::Ok().json(detail.ok_or(AppError::NotFound)?.person))
}

/// Erases the account exactly as self-service deletion does; audited. Not your own.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account id")),
    responses((status = 204, description = "The account and its data are erased"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a missing CSRF token with the cookie", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Your own account", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_user(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    state.admin.delete_person(&state.accounts, actor(&admin, &req), id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails a fresh confirmation link to an unconfirmed, active account; audited.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/confirmation", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account id")),
    responses((status = 202, description = "The mail is queued"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a missing CSRF token with the cookie", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already confirmed, or deactivated", body = Problem, content_type = "application/problem+json")))]
pub async fn resend_confirmation(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    state.admin.resend_confirmation(&state.accounts, actor(&admin, &req), id).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Mails a password-reset link to an active account; audited.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password-reset", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account id")),
    responses((status = 202, description = "The mail is queued"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a missing CSRF token with the cookie", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The account is deactivated", body = Problem, content_type = "application/problem+json")))]
pub async fn send_reset_link(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    state.admin.send_reset_link(&state.accounts, actor(&admin, &req), id).await?;
    Ok(HttpResponse::Accepted().finish())
}
