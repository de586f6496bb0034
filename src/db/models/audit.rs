//! The audit log: who did what to which record, for changes that matter later (roles, erasure,
//! every admin action), and from which address. Append-only from the application's point of
//! view: nothing here updates or deletes a row. Details never hold personal data, only ids and
//! kinds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::audit_log;

/// One audited action.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewEntry<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub detail: &'a str,
    pub created_at: NaiveDateTime,
    /// The client address the action came from; `None` when it did not come over HTTP.
    pub ip: Option<&'a str>,
}

/// A stored entry, as the audit console and a learner's account history read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
    pub ip: Option<String>,
}

/// Records an action.
pub fn record(conn: &mut DbConnection, entry: &NewEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(entry).execute(conn).map(drop)
}

/// Which entries a listing wants; every field narrows it, `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_id: Option<i64>,
    /// An exact action (`user.role_changed`) or a prefix ending in `.` (`user.`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// From this instant, inclusive.
    pub since: Option<NaiveDateTime>,
    /// Before this instant, exclusive.
    pub until: Option<NaiveDateTime>,
}

/// Where the previous page ended: the last entry's time and id (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: NaiveDateTime,
    pub id: i64,
}

/// Up to `limit` entries matching `filter`, newest first, strictly after `after` (keyset
/// pagination on `(created_at, id)`: stable while new rows arrive, fast at any depth).
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let mut query = audit_log::table.select(Entry::as_select()).into_boxed();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            query = query.filter(audit_log::action.like(format!("{}%", escape_like(prefix))));
        }
        Some(action) => query = query.filter(audit_log::action.eq(action.to_owned())),
        None => {}
    }
    if let Some(kind) = &filter.target_type {
        query = query.filter(audit_log::target_type.eq(kind.clone()));
    }
    if let Some(id) = &filter.target_id {
        query = query.filter(audit_log::target_id.eq(id.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::created_at.lt(until));
    }
    if let Some(cursor) = after {
        query = query.filter(
            audit_log::created_at
                .lt(cursor.created_at)
                .or(audit_log::created_at.eq(cursor.created_at).and(audit_log::id.lt(cursor.id))),
        );
    }
    query.order((audit_log::created_at.desc(), audit_log::id.desc())).limit(limit).load(conn)
}

/// `text` without the `%` wildcard, so a prefix filter stays a prefix (one query for both
/// backends, whose `LIKE` escapes differ). A `_` in a prefix also matches any one character,
/// which at worst widens the filter by a neighbouring action name.
fn escape_like(text: &str) -> String {
    text.replace('%', "")
}
