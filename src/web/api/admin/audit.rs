//! `GET /api/v1/admin/audit`: the audit log for scripts, with the console's filters and keyset
//! pages (follow `next` until it is null). Dates are UTC days here.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::admin::audit::{self as service, Listed, MAX_PAGE_SIZE, PAGE_SIZE};
use crate::error::{AppError, Problem};
use crate::web::admin::audit::AuditQuery;
use crate::web::session::Admin;
use crate::web::state::AppState;

/// The query string of `GET /api/v1/admin/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// An account's email address or id: entries by that account.
    actor: Option<String>,
    /// An action (`user.role_changed`) or a prefix ending in `.` (`user.`).
    action: Option<String>,
    /// The kind of record acted on (`user`, `enrollment`, `access_code`, `outbox`).
    target_type: Option<String>,
    /// The id of the record acted on.
    target_id: Option<String>,
    /// First UTC day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last UTC day (inclusive), `YYYY-MM-DD`.
    to: Option<String>,
    /// The `next` of the previous page.
    after: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    limit: Option<String>,
}

/// The account that acted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    id: i64,
    email: String,
    display_name: String,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    id: i64,
    at: DateTime<Utc>,
    /// The account that acted; null for the operator at the command line, the account holder
    /// erasing their own account, or an account since deleted (see `actor_id`).
    actor: Option<AuditActor>,
    actor_id: Option<i64>,
    action: String,
    target_type: String,
    target_id: String,
    /// Ids and kinds only.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    /// The client address; null when the action did not come over HTTP.
    ip: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    entries: Vec<AuditEntry>,
    /// Pass as `after` for the next (older) page; null on the last page.
    next: Option<String>,
}

fn entry(listed: Listed) -> AuditEntry {
    let Listed { entry, actor } = listed;
    AuditEntry {
        id: entry.id,
        at: entry.created_at.and_utc(),
        actor: actor.map(|a| AuditActor { id: a.id, email: a.email, display_name: a.display_name }),
        actor_id: entry.actor_id,
        action: entry.action,
        target_type: entry.target_type,
        target_id: entry.target_id,
        detail: serde_json::from_str(&entry.detail)
            .unwrap_or(serde_json::Value::String(entry.detail)),
        ip: entry.ip,
    }
}

fn limit(text: Option<&str>) -> Result<i64, AppError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(PAGE_SIZE) };
    text.parse::<i64>().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(|| {
        AppError::InvalidField {
            field: "limit",
            message: format!("Enter a whole number from 1 to {MAX_PAGE_SIZE}."),
        }
    })
}

/// Lists audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditParams),
    responses((status = 200, description = "A page of entries", body = AuditList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let limit = limit(params.limit.as_deref())?;
    let query = AuditQuery {
        actor: params.actor,
        action: params.action,
        target_type: params.target_type,
        target_id: params.target_id,
        from: params.from,
        to: params.to,
        after: params.after,
    };
    let search = query.parse(chrono_tz::Tz::UTC)?;
    let page = state.admin.audit_page(search, limit).await?;
    let list = AuditList {
        entries: page.entries.into_iter().map(entry).collect(),
        next: page.next.map(service::encode_cursor),
    };
    Ok(HttpResponse::Ok().json(list))
}
