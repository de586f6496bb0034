//! A learner's reflections in their data export: every answer, opened, with its times.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::keyring::Keyring;
use crate::db::DbConnection;
use crate::db::models::reflection_answer as rows;
use crate::domain::ids::UserId;

use super::{ReflectionError, open};

/// One answer as exported (the export goes only to its owner).
#[derive(Debug, Serialize)]
pub struct ReflectionRecord {
    pub course: String,
    pub lesson: String,
    pub reflection: String,
    pub answer: String,
    /// They chose to share it with their partner.
    pub share: bool,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// Every answer the learner wrote, opened; never their partner's.
pub fn export_of(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: UserId,
) -> Result<Vec<ReflectionRecord>, ReflectionError> {
    rows::list_for_users(conn, &[user])?
        .into_iter()
        .map(|row| {
            Ok(ReflectionRecord {
                answer: open(keyring, &row)?,
                share: row.share,
                created_at: row.created_at,
                updated_at: row.updated_at,
                course: row.course_slug,
                lesson: row.lesson_slug,
                reflection: row.reflection_id,
            })
        })
        .collect()
}
