//! When a partner link ends, what the couple wrote together is kept: every shared worksheet,
//! with its whole history and signatures (so every agreement that was in force), becomes a
//! private copy of each partner. Private worksheets stop being shared. Called inside the
//! transaction that ends the link, before the link row changes.

use chrono::NaiveDateTime;

use crate::auth::keyring::Keyring;
use crate::db::DbConnection;
use crate::db::models::signature::{self, NewSignature};
use crate::db::models::worksheet::{self as rows, NewRevision, NewWorksheet, WorksheetRow};
use crate::domain::ids::{PartnershipId, UserId};
use crate::domain::worksheet::Answers;

use super::{WorksheetError, sealing};

/// Gives each of `members` a private copy of every shared worksheet of `partnership`, then
/// removes the couple's rows; ends every share of a private worksheet between them. A member
/// who already had a private copy (filled before linking) keeps it, with the couple's
/// revisions added after their own.
pub fn keep_copies_for_each_partner(
    conn: &mut DbConnection,
    keyring: &Keyring,
    partnership: PartnershipId,
    members: [UserId; 2],
    now: NaiveDateTime,
) -> Result<(), WorksheetError> {
    for couple in rows::list_couple(conn, partnership)? {
        let revisions = rows::list_revisions(conn, couple.id)?
            .into_iter()
            .map(|revision| Ok((sealing::open(keyring, &revision)?, revision)))
            .collect::<Result<Vec<_>, WorksheetError>>()?;
        for member in members {
            copy_to(conn, keyring, &couple, &revisions, member, now)?;
        }
        rows::delete(conn, couple.id)?;
    }
    for member in members {
        rows::unshare_all(conn, member)?;
    }
    Ok(())
}

/// Appends the couple's revisions and signatures to `owner`'s private row for the worksheet.
fn copy_to(
    conn: &mut DbConnection,
    keyring: &Keyring,
    couple: &WorksheetRow,
    revisions: &[(Answers, rows::RevisionRow)],
    owner: UserId,
    now: NaiveDateTime,
) -> Result<(), WorksheetError> {
    let new = NewWorksheet {
        owner_id: owner,
        partnership_id: None,
        course_slug: &couple.course_slug,
        worksheet_slug: &couple.worksheet_slug,
        created_at: now,
        updated_at: now,
    };
    rows::insert_if_absent(conn, &new)?;
    let own = rows::find_private(conn, owner, &couple.course_slug, &couple.worksheet_slug)?
        .ok_or(WorksheetError::NotFound)?;
    let offset = own.revision;
    for (answers, revision) in revisions {
        let number = revision.number + offset;
        let sealed = sealing::seal(keyring, own.id, number, answers)?;
        rows::insert_revision(
            conn,
            &NewRevision {
                worksheet_id: own.id,
                number,
                author_id: revision.author_id,
                template_hash: &revision.template_hash,
                content_hash: &revision.content_hash,
                key_id: &sealed.key_id,
                nonce: &sealed.nonce,
                ciphertext: &sealed.ciphertext,
                created_at: revision.created_at,
            },
        )?;
    }
    for kept in signature::list_for_worksheet(conn, couple.id)? {
        let copy = NewSignature {
            worksheet_id: own.id,
            revision: kept.revision + offset,
            user_id: kept.user_id,
            full_name: &kept.full_name,
            content_hash: &kept.content_hash,
            signed_at: kept.signed_at,
        };
        signature::insert_if_absent(conn, &copy)?;
    }
    rows::advance(conn, own.id, offset, offset + couple.revision, &couple.status, now)?;
    Ok(())
}
