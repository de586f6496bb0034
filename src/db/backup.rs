//! `mend backup PATH`: a consistent copy of a live SQLite database.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{DbConnection, DbError};
use crate::config::DatabaseUrl;

/// Why a backup could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file so no earlier backup is overwritten")]
    TargetExists(String),
    #[error("cannot create {path}: {reason}")]
    TargetDir { path: String, reason: String },
    #[error(
        "mend backup copies SQLite databases only; for PostgreSQL use `pg_dump --format=custom` \
         (and `pg_restore` to restore)"
    )]
    Postgres,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Copies the live database into `target` with `VACUUM INTO`, which reads one consistent
/// snapshot while the server keeps serving, and writes a compact file that opens on its own.
pub fn backup(url: &DatabaseUrl, target: &Path) -> Result<(), BackupError> {
    if matches!(url, DatabaseUrl::Postgres(_)) {
        return Err(BackupError::Postgres);
    }
    if target.exists() {
        return Err(BackupError::TargetExists(target.display().to_string()));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| BackupError::TargetDir {
            path: parent.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let mut conn = super::establish(url)?;
    vacuum_into(&mut conn, target)?;
    Ok(())
}

fn vacuum_into(conn: &mut DbConnection, target: &Path) -> Result<(), DbError> {
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target.to_string_lossy().into_owned())
        .execute(conn)?;
    Ok(())
}
