//! A learner's worksheets in their data export: every revision, opened, with its time.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::keyring::Keyring;
use crate::db::DbConnection;
use crate::db::models::partnership;
use crate::db::models::worksheet as rows;
use crate::domain::ids::UserId;
use crate::domain::worksheet::Answers;

use super::{WorksheetError, sealing};

/// One worksheet as exported.
#[derive(Debug, Serialize)]
pub struct WorksheetRecord {
    pub course: String,
    pub worksheet: String,
    pub status: String,
    /// Written together with the partner.
    pub shared: bool,
    pub revisions: Vec<RevisionRecord>,
}

/// One revision as exported, answers in plain text (the export goes only to its owner).
#[derive(Debug, Serialize)]
pub struct RevisionRecord {
    pub number: i32,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub saved_at: NaiveDateTime,
    pub answers: Answers,
}

/// Every worksheet the learner owns, and those they write with their partner now, with every
/// revision opened.
pub fn export_of(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: UserId,
) -> Result<Vec<WorksheetRecord>, WorksheetError> {
    let mut owned = rows::list_private(conn, user)?;
    if let Some(link) = partnership::active_for_user(conn, user)? {
        owned.extend(rows::list_couple(conn, link.id)?);
    }
    let mut records = Vec::new();
    for row in owned {
        let revisions = rows::list_revisions(conn, row.id)?
            .iter()
            .map(|revision| {
                Ok(RevisionRecord {
                    number: revision.number,
                    saved_at: revision.created_at,
                    answers: sealing::open(keyring, revision)?,
                })
            })
            .collect::<Result<_, WorksheetError>>()?;
        records.push(WorksheetRecord {
            course: row.course_slug,
            worksheet: row.worksheet_slug,
            status: row.status,
            shared: row.partnership_id.is_some(),
            revisions,
        });
    }
    Ok(records)
}
