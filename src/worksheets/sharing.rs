//! Letting the partner read one private worksheet, revocably. The partner reads it under the
//! key `course.worksheet.partner`; they can never change it.

use crate::db::models::worksheet as rows;
use crate::db::{DbConnection, write_transaction};
use crate::domain::worksheet::WorksheetKey;

use super::desk::{self, Place};
use super::{Actor, WorksheetError};

/// Shares (or, with `shared = false`, stops sharing) the actor's private worksheet with their
/// partner. Only a private worksheet of a linked learner can be shared; anything else is
/// [`WorksheetError::NotFound`]. Sharing one never saved creates its (empty) row.
pub fn share_with_partner(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    shared: bool,
) -> Result<(), WorksheetError> {
    write_transaction(conn, |conn| {
        let target = desk::resolve(conn, actor, key)?;
        let linked = crate::db::models::partnership::active_for_user(conn, actor.user)?;
        if target.place != Place::Mine || target.worksheet.shared || linked.is_none() {
            return Err(WorksheetError::NotFound);
        }
        let row = desk::ensure_row(conn, actor, &target)?;
        if row.shared_with_partner != shared {
            rows::set_shared_with_partner(conn, row.id, shared, actor.now.naive_utc())?;
        }
        Ok(())
    })
}
