//! The audit log: who did what to which record, for changes that matter later (roles, erasure).
//! Details never hold personal data, only ids and kinds.

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
}

/// Records an action.
pub fn record(conn: &mut DbConnection, entry: &NewEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(entry).execute(conn).map(drop)
}

/// Records many actions in one statement (a batch of an import), in the caller's transaction.
pub fn record_many(conn: &mut DbConnection, entries: &[NewEntry<'_>]) -> QueryResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    crate::per_backend!(conn, |c| diesel::insert_into(audit_log::table).values(entries).execute(c))
        .map(drop)
}
