//! `/api/v1/admin/outbox`: the outbox of the admin console over JSON, through the same
//! [`crate::admin::mail`] calls as the pages.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::admin::mail::{MessageDetail, MessagePage};
use crate::error::{AppError, Problem};
use crate::web::admin::actor;
use crate::web::admin::outbox::{OutboxQuery, sender};
use crate::web::session::Admin;
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The outbox API's routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/api/v1/admin/outbox", |r| r.route(get().to(list)))
        .at("/api/v1/admin/outbox/{id}", |r| r.route(get().to(show)))
        .at("/api/v1/admin/outbox/{id}/retry", |r| r.route(web::post().to(retry)))
        .at("/api/v1/admin/outbox/{id}/cancel", |r| r.route(web::post().to(cancel)));
}

/// Lists messages, newest first, 50 a page, without their bodies.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", security(("bearer" = [])),
    params(OutboxQuery),
    responses((status = 200, description = "One page of messages", body = MessagePage),
        (status = 400, description = "The query cannot be read (`before` is not a number)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`status` is not a status, or `since`/`until` is not a date", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = state.admin.list_outbox(query.filter(chrono_tz::Tz::UTC)?, query.before).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One message: headers as sent, delivery state and both bodies (the HTML as source text).
#[utoipa::path(get, path = "/api/v1/admin/outbox/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The message's id")),
    responses((status = 200, description = "The message", body = MessageDetail),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id holds a control character (refused at the edge, like every input)", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let message = state.admin.outbox_message(id.into_inner(), sender(&state)?).await?;
    Ok(HttpResponse::Ok().json(message))
}

/// Puts a failed message back in the queue, due now, with its attempts reset to 0 (the last
/// error stays until the next attempt); audited.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The message's id")),
    responses((status = 204, description = "Queued again"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message has not failed (`/problems/not-now`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id holds a control character (refused at the edge, like every input)", body = Problem, content_type = "application/problem+json")))]
pub async fn retry(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.admin.retry_message(actor(&admin, &req), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancels a queued message: the worker never sends it; audited.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The message's id")),
    responses((status = 204, description = "Cancelled"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message is not queued, or a worker is sending it right now (`/problems/not-now`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id holds a control character (refused at the edge, like every input)", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.admin.cancel_message(actor(&admin, &req), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
