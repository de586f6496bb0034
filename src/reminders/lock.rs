//! One scanner at a time on PostgreSQL: a session-level advisory lock on the scan's own
//! connection. An instance that finds it taken skips its tick; an instance that dies mid-scan
//! loses its connection, and PostgreSQL releases the lock with it. On SQLite (one process per
//! database file) the writer queue and the unique keys are enough, and nothing is locked here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::db::DbConnection;

/// The advisory lock's key: "mendrem1" as an integer, unlikely to meet anyone else's. Public so
/// an operator (or a test) can see who holds it: `SELECT * FROM pg_locks WHERE objid = …`.
pub const SCAN_LOCK_KEY: i64 = 0x6d65_6e64_7265_6d31;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `scan` holding the scan lock; `Ok(None)` without running it when another session
/// holds the lock. The lock is released after `scan`, whatever it returned.
pub(super) fn with_scan_lock<T, E>(
    conn: &mut DbConnection,
    scan: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<Option<T>, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Postgres(pg) = conn else {
        return scan(conn).map(Some);
    };
    let locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(SCAN_LOCK_KEY)
        .get_result::<Locked>(pg)?
        .locked;
    if !locked {
        tracing::debug!("another instance is scanning for reminders; skipping this tick");
        return Ok(None);
    }
    let result = scan(conn);
    if let DbConnection::Postgres(pg) = conn {
        release(pg);
    }
    result.map(Some)
}

/// Releases the lock. A failure means the connection is broken: the pool discards it, and
/// PostgreSQL releases the lock when the session ends.
fn release(pg: &mut diesel::pg::PgConnection) {
    let released = diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
        .bind::<BigInt, _>(SCAN_LOCK_KEY)
        .get_result::<Locked>(pg);
    match released {
        Ok(Locked { locked: true }) => {}
        Ok(Locked { locked: false }) => tracing::error!("the reminder scan lock was not held"),
        Err(error) => tracing::error!(%error, "could not release the reminder scan lock"),
    }
}
