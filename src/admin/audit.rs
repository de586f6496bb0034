//! Recording admin actions: every admin service calls [`record`] inside the transaction of its
//! change, so the action and its entry are written together or not at all.

use chrono::{DateTime, Utc};
use diesel::QueryResult;

use crate::db::models::audit::{self, NewEntry};
use crate::db::{DbConnection, DbError};
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

/// Entries per page on the audit console and the API's default.
pub const PAGE_SIZE: i64 = 50;
/// The most entries one API call may ask for.
pub const MAX_PAGE_SIZE: i64 = 200;

/// The person behind an entry's `actor_id`, as the console names them (admins only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActorName {
    pub id: i64,
    pub email: String,
    pub display_name: String,
}

/// One entry with its actor named (`None`: the operator, or an account since erased).
#[derive(Debug, Clone)]
pub struct Listed {
    pub entry: audit::Entry,
    pub actor: Option<ActorName>,
}

/// One page of the audit log, newest first, and where the next (older) page starts.
#[derive(Debug, Clone)]
pub struct Page {
    pub entries: Vec<Listed>,
    pub next: Option<audit::Cursor>,
}

/// A page of entries matching `filter` after `after`, on the caller's connection (reads only):
/// for the console's pages, the API and each batch of the CSV export.
pub fn page(
    conn: &mut DbConnection,
    filter: &audit::Filter,
    after: Option<audit::Cursor>,
    limit: i64,
) -> QueryResult<Page> {
    let mut entries = audit::list(conn, filter, after, limit + 1)?;
    let more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(limit).unwrap_or(0));
    let next = entries
        .last()
        .filter(|_| more)
        .map(|last| audit::Cursor { created_at: last.created_at, id: last.id });
    let mut ids: Vec<i64> = entries.iter().filter_map(|e| e.actor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = crate::db::models::user::names_by_ids(conn, &ids)?;
    let name_of = |id: i64| {
        names.iter().find(|(i, _, _)| *i == id).map(|(id, email, display_name)| ActorName {
            id: *id,
            email: email.clone(),
            display_name: display_name.clone(),
        })
    };
    let entries = entries
        .into_iter()
        .map(|entry| Listed { actor: entry.actor_id.and_then(name_of), entry })
        .collect();
    Ok(Page { entries, next })
}

/// An audit search as the console and the API ask for it: the actor as typed (an email
/// address or an account id), the rest of the filter, and where the page starts.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub actor: Option<String>,
    pub filter: audit::Filter,
    pub after: Option<audit::Cursor>,
}

/// A page for `search`, resolving its actor first: an actor that matches no account matches
/// no entry (an empty page, not an error: the account may have been erased).
pub fn search(conn: &mut DbConnection, search: &Search, limit: i64) -> QueryResult<Page> {
    let mut filter = search.filter.clone();
    if let Some(actor) = search.actor.as_deref() {
        let id = match actor.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let email = actor.trim().to_lowercase();
                crate::db::models::user::find_by_email(conn, &email)?.map(|u| u.id)
            }
        };
        match id {
            Some(id) => filter.actor_id = Some(id),
            None => return Ok(Page { entries: Vec::new(), next: None }),
        }
    }
    page(conn, &filter, search.after, limit)
}

impl crate::admin::Console {
    /// One page of the audit log for `search` (reads only).
    pub async fn audit_page(&self, search: Search, limit: i64) -> Result<Page, DbError> {
        self.db().run(move |conn| Ok(self::search(conn, &search, limit)?)).await
    }
}

/// A page cursor as it travels in a URL: `<microseconds since 1970>.<id>`.
pub fn encode_cursor(cursor: audit::Cursor) -> String {
    format!("{}.{}", cursor.created_at.and_utc().timestamp_micros(), cursor.id)
}

/// Reads a cursor made by [`encode_cursor`]; `None` for anything else.
pub fn parse_cursor(text: &str) -> Option<audit::Cursor> {
    let (micros, id) = text.split_once('.')?;
    let created_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some(audit::Cursor { created_at, id: id.parse().ok()? })
}

/// What happened to a learner's account, in their words, for their "Account history": the
/// action of an entry about them. Each admin area adds a line for each action it records
/// about a person (their `target_type` is `user`).
pub fn describe_for_owner(action: &str) -> &'static str {
    match action {
        "user.role_changed" => "Your role was changed",
        "account.deleted" => "Your account was deleted",
        "user.deactivated" => "Your account was deactivated",
        "user.reactivated" => "Your account was reactivated",
        "user.confirmation_sent" => "A new link to confirm your email address was sent",
        "user.reset_link_sent" => "A link to set a new password was sent",
        "notifications.updated" => "Your email choices were changed",
        "notifications.unsubscribe" => "A kind of email was turned off from an unsubscribe link",
        _ => "Your account was updated by the programme team",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let created_at =
            DateTime::from_timestamp_micros(1_772_442_000_123_456).unwrap().naive_utc();
        let cursor = audit::Cursor { created_at, id: 42 };
        assert_eq!(parse_cursor(&encode_cursor(cursor)), Some(cursor));
        for bad in ["", "1", "x.1", "1.x", "1.2.3", "99999999999999999999.1"] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }
}
