//! Storage: one diesel code path over SQLite or PostgreSQL, chosen by `DATABASE_URL` at run time.
//!
//! Every unit of database work goes through [`Database::run`] or [`Database::transaction`], which
//! move it onto the blocking pool so actix workers never wait on I/O.

pub mod backup;
pub mod models;
pub mod schema;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a request waits for a pooled connection before failing with a 500.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a SQLite writer waits for the lock before giving up with "database is locked".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Runs one diesel expression against the concrete connection inside a [`DbConnection`]:
/// `per_backend!(conn, |c| query.execute(c))`. Only for the few query forms diesel cannot send
/// through `MultiConnection` (`on_conflict` upserts); the body is written once and compiled for
/// each backend.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}

/// A connection to whichever backend is configured; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// What went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("could not get a database connection: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("could not connect to the database: {0}")]
    Connect(String),
    #[error("could not apply migrations: {0}")]
    Migration(String),
    #[error("the database task stopped unexpectedly")]
    TaskFailed,
}

/// Opens connections for the pool and sets SQLite up the way Mend needs it.
#[derive(Debug, Clone)]
pub struct ConnectionFactory {
    url: DatabaseUrl,
}

/// Opens one connection, creating the SQLite file and its folder on first use. CLI commands use
/// this directly: a pool's background threads racing libpq at process exit can crash it.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            ensure_parent_dir(path)?;
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| DbError::Connect(e.to_string()))?;
            configure_sqlite(&mut conn)?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => PgConnection::establish(url)
            .map(DbConnection::Postgres)
            .map_err(|e| DbError::Connect(e.to_string().trim().to_owned())),
    }
}

/// Applies any pending embedded migrations, then fills in what SQL alone cannot (the folded
/// search keys of accounts that predate them); running it again is a no-op.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    let applied = applied.map_err(|e| DbError::Migration(e.to_string()))?;
    models::user::backfill_search_keys(conn)?;
    Ok(applied)
}

/// Page cache per SQLite connection, in KiB (SQLite's default is 2 MiB). A write transaction
/// whose dirty pages outgrow the cache spills them to the WAL mid-transaction, holding the
/// write lock longer; 16 MiB keeps a reminder batch's writes in memory until commit. Pages are
/// only allocated as used, so the 8 pooled connections of an idle server cost nothing extra.
const SQLITE_CACHE_KIB: u32 = 16 * 1024;

/// WAL for concurrent readers, enforced foreign keys, a lock wait instead of an instant
/// "database is locked", full fsync so a committed answer survives a power cut, a page cache
/// of [`SQLITE_CACHE_KIB`], and temporary storage in memory: a multi-row write in a transaction
/// keeps a statement journal (so it can be undone alone), and in a temp file that journal cost
/// a reminder scan two write calls per page touched, most of its time under the write lock.
fn configure_sqlite(conn: &mut SqliteConnection) -> Result<(), DbError> {
    diesel::sql_query(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")).execute(conn)?;
    diesel::sql_query("PRAGMA journal_mode = WAL").execute(conn)?;
    diesel::sql_query("PRAGMA synchronous = FULL").execute(conn)?;
    diesel::sql_query(format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}")).execute(conn)?;
    diesel::sql_query("PRAGMA temp_store = MEMORY").execute(conn)?;
    diesel::sql_query("PRAGMA foreign_keys = ON").execute(conn)?;
    Ok(())
}

impl ManageConnection for ConnectionFactory {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.ping().map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// The shared handle to storage: a connection pool and the backend it talks to.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<ConnectionFactory>,
    url: DatabaseUrl,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Database {
    /// Connects and checks one connection first, so a bad `DATABASE_URL` fails at start-up
    /// with its real cause (r2d2 alone would retry until its timeout and hide it).
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        drop(establish(url)?);
        let factory = ConnectionFactory { url: url.clone() };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(factory)
            .map_err(|e| DbError::Connect(e.to_string()))?;
        Ok(Self { pool, url: url.clone() })
    }

    /// Applies any pending embedded migrations through the pool.
    pub fn migrate(&self) -> Result<usize, DbError> {
        run_migrations(&mut *self.pool.get()?)
    }

    /// Runs `work` with a pooled connection on the blocking pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run_within(CHECKOUT_TIMEOUT, work).await
    }

    /// [`Database::run`] with its own limit on waiting for a pooled connection.
    async fn run_within<T, E, F>(&self, checkout: Duration, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        // The blocking thread has no span of its own: enter the caller's (the request), so the
        // time spent here and anything logged shows under it.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _request = span.enter();
            let _db = tracing::debug_span!("db").entered();
            let mut conn = pool.get_timeout(checkout).map_err(DbError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::TaskFailed))?
    }

    /// Runs `work` in one write transaction on the blocking pool: committed if it returns `Ok`,
    /// rolled back otherwise. On SQLite the transaction begins IMMEDIATE, so a writer waits for
    /// the lock (honouring `busy_timeout`) instead of failing half-way through.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }

    /// Whether the database answers and is still the one we migrated: the readiness check.
    pub async fn ping(&self) -> Result<(), DbError> {
        if let DatabaseUrl::Sqlite(path) = &self.url {
            // An unlinked SQLite file keeps working through open handles while every write is
            // lost with it; report that as not ready rather than serve into the void.
            if !path.exists() {
                return Err(DbError::Connect(format!("{} no longer exists", path.display())));
            }
        }
        // A probe must answer quickly, even when every connection is gone.
        self.run_within(Duration::from_secs(2), |conn| {
            diesel::sql_query("SELECT 1 FROM __diesel_schema_migrations LIMIT 1").execute(conn)?;
            Ok(())
        })
        .await
    }

    /// A pooled connection for synchronous callers (CLI commands, tests); not for handlers.
    pub fn connection(&self) -> Result<r2d2::PooledConnection<ConnectionFactory>, DbError> {
        Ok(self.pool.get()?)
    }
}

fn ensure_parent_dir(path: &std::path::Path) -> Result<(), DbError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent)
            .map_err(|e| DbError::Connect(format!("cannot create {}: {e}", parent.display()))),
        None => Ok(()),
    }
}

/// Runs `work` in one write transaction on a connection already checked out, for a unit of
/// work that reads first and writes only when its read found something to record.
///
/// Begins the transaction by hand so SQLite can use `BEGIN IMMEDIATE`; commit and rollback go
/// through diesel's transaction manager so nested `transaction` calls still become savepoints.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    let _turn = writer_turn(conn);
    let begun = match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(DbError::from)?;
    match work(conn) {
        Ok(value) => {
            finish(conn, Outcome::Commit)?;
            Ok(value)
        }
        Err(error) => {
            // The original error matters more than a failed rollback, which is logged.
            if let Err(rollback) = finish(conn, Outcome::Rollback) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// What [`in_batches`] did: rows changed and write transactions taken. Counts only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Batched {
    pub rows: usize,
    pub batches: usize,
}

/// Runs `step` in one short write transaction after another until it finds nothing left, so
/// work over a whole table (re-sealing under a new key) never holds the write lock for long
/// and serving continues meanwhile. `step` gets the last row id the batch before it handled
/// (0 at first) and returns the last id it handled (`None`: nothing left) and rows changed.
pub fn in_batches<E, F>(conn: &mut DbConnection, mut step: F) -> Result<Batched, E>
where
    F: FnMut(&mut DbConnection, i64) -> Result<(Option<i64>, usize), E>,
    E: From<DbError>,
{
    let mut done = Batched::default();
    let mut after = 0;
    loop {
        match write_transaction(conn, |conn| step(conn, after))? {
            (Some(last), count) => {
                after = last;
                done.rows += count;
                done.batches += 1;
            }
            (None, _) => return Ok(done),
        }
    }
}

/// SQLite lets one connection write at a time, and a writer that finds the lock taken sleeps in
/// its busy handler (1, 2, 5, … 100 ms) before it tries again: under a burst of saves from many
/// learners those sleeps became a one-second tail. So the process's SQLite writers queue here
/// and each begins the moment the one before it has committed; `busy_timeout` still covers
/// writers in other processes (`mend keys rotate` beside `mend serve`). One process serves one
/// SQLite database; PostgreSQL locks rows, not the database, and needs no queue.
static SQLITE_WRITERS: Mutex<()> = Mutex::new(());

/// This connection's turn to write, held until its outermost write transaction ends.
fn writer_turn(conn: &mut DbConnection) -> Option<MutexGuard<'static, ()>> {
    let DbConnection::Sqlite(sqlite) = conn else { return None };
    let status = AnsiTransactionManager::transaction_manager_status_mut(sqlite);
    let outermost = matches!(status.transaction_depth(), Ok(None));
    outermost.then(|| SQLITE_WRITERS.lock().unwrap_or_else(PoisonError::into_inner))
}

enum Outcome {
    Commit,
    Rollback,
}

fn finish(conn: &mut DbConnection, outcome: Outcome) -> Result<(), DbError> {
    let result = match (conn, outcome) {
        (DbConnection::Sqlite(c), Outcome::Commit) => AnsiTransactionManager::commit_transaction(c),
        (DbConnection::Sqlite(c), Outcome::Rollback) => {
            AnsiTransactionManager::rollback_transaction(c)
        }
        (DbConnection::Postgres(c), Outcome::Commit) => {
            AnsiTransactionManager::commit_transaction(c)
        }
        (DbConnection::Postgres(c), Outcome::Rollback) => {
            AnsiTransactionManager::rollback_transaction(c)
        }
    };
    result.map_err(DbError::from)
}
