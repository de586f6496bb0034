//! Recording admin actions: every admin service calls [`record`] inside the transaction of its
//! change, so the action and its entry are written together or not at all.

use chrono::{DateTime, Utc};
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::db::models::audit::{self, NewEntry};
use crate::domain::ids::UserId;

/// Who is acting and from where: built by the web layer from the signed-in admin and the
/// client address (only a trusted proxy's `X-Forwarded-For` counts), carried to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The acting account; `None` for the operator at the command line.
    pub user_id: Option<UserId>,
    /// The client address; `None` when the action did not come over HTTP.
    pub ip: Option<String>,
}

impl Actor {
    /// A signed-in person acting from `ip`.
    pub fn person(user_id: UserId, ip: std::net::IpAddr) -> Self {
        Self { user_id: Some(user_id), ip: Some(ip.to_string()) }
    }

    /// The operator at the command line (no account, no address).
    pub fn operator() -> Self {
        Self { user_id: None, ip: None }
    }
}

/// What an action was done to: a kind of record (`user`, `enrollment`, `access_code`,
/// `outbox`) and its id.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

/// Appends one entry on the caller's connection (call it inside the action's transaction).
/// `detail` holds ids and kinds only, never names, addresses or answers.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    detail: &serde_json::Value,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let detail = detail.to_string();
    let entry = NewEntry {
        actor_id: actor.user_id.map(UserId::get),
        action,
        target_type: target.kind,
        target_id: target.id,
        detail: &detail,
        created_at: now.naive_utc(),
        ip: actor.ip.as_deref(),
    };
    audit::record(conn, &entry)
}
