//! Signing an agreement: each partner signs one revision by typing their full name; when both
//! have signed the same revision (the same content hash) it is in force. A later edit starts a
//! revision that needs both signatures again; the one in force stays readable and printable.

use crate::db::models::signature::{self, NewSignature, SignatureRow};
use crate::db::models::worksheet::{self as rows, WorksheetRow};
use crate::db::{DbConnection, write_transaction};
use crate::documents::{SIGNERS, Signature, Signing};
use crate::domain::ids::UserId;
use crate::domain::worksheet::{self as rules, WorksheetKey};

use super::desk::{self, Place, revision_number};
use super::{Actor, SignatureInfo, WorksheetError, notices};

/// Every signature on one worksheet, newest revision first.
#[derive(Debug, Clone, Default)]
pub(super) struct Signatures {
    rows: Vec<SignatureRow>,
}

impl Signatures {
    /// The signatures on a worksheet row.
    pub(super) fn load(
        conn: &mut DbConnection,
        row: &WorksheetRow,
    ) -> Result<Self, WorksheetError> {
        Ok(Self { rows: signature::list_for_worksheet(conn, row.id)? })
    }

    fn of(&self, revision: i32) -> impl Iterator<Item = &SignatureRow> {
        self.rows.iter().filter(move |row| row.revision == revision)
    }

    /// The signatures given on revision `revision`, earliest first.
    pub(super) fn on(&self, revision: i32) -> Vec<SignatureInfo> {
        self.of(revision)
            .map(|row| SignatureInfo {
                revision: revision_number(row.revision),
                signer: row.user_id.map(UserId::from),
                full_name: row.full_name.clone(),
                signed_at: row.signed_at.and_utc(),
                content_hash: row.content_hash.clone(),
            })
            .collect()
    }

    /// The newest revision both partners signed over the same content: the one in force.
    pub(super) fn in_force(&self) -> Option<i32> {
        let mut revisions: Vec<i32> = self.rows.iter().map(|row| row.revision).collect();
        revisions.dedup();
        revisions.into_iter().find(|&revision| {
            let signed: Vec<&SignatureRow> = self.of(revision).collect();
            signed.len() >= SIGNERS
                && signed.iter().all(|s| s.content_hash == signed[0].content_hash)
        })
    }

    /// The signature section of revision `revision` on paper.
    pub(super) fn signing(&self, revision: i32) -> Signing {
        let signed: Vec<Signature> = self
            .of(revision)
            .map(|row| Signature { full_name: row.full_name.clone(), date: row.signed_at.date() })
            .collect();
        let revision_hash = self.of(revision).next().map(|row| row.content_hash.clone());
        Signing { signed, revision_hash }
    }
}

/// What signing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed {
    /// The revision signed.
    pub revision: u32,
    /// Both partners have now signed it.
    pub in_force: bool,
}

/// Signs revision `base` (it must be the newest, with every required question answered) of a
/// couple's agreement under `full_name`.
/// Signing again is a no-op. The partner is told that it waits for their signature, or both
/// are told it is now signed by both.
pub fn sign(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    base: u32,
    full_name: &str,
) -> Result<Signed, WorksheetError> {
    let name = rules::full_name(full_name).ok_or(WorksheetError::BadName)?;
    write_transaction(conn, |conn| {
        let target = desk::resolve(conn, actor, key)?;
        let Place::Couple(link) = target.place else {
            return Err(WorksheetError::NotSignable);
        };
        if !target.worksheet.signatures {
            return Err(WorksheetError::NotSignable);
        }
        desk::check_base(conn, actor, &target, base)?;
        let row = target.row.as_ref().ok_or(WorksheetError::NothingToSign)?;
        let revision = rows::find_revision(conn, row.id, row.revision)?
            .ok_or(WorksheetError::NothingToSign)?;
        let answers = super::sealing::open(&actor.keyring, &revision)?;
        let missing = rules::missing_required(&target.worksheet.fields, &answers);
        if !missing.is_empty() {
            return Err(WorksheetError::Unfinished(missing));
        }
        let new = NewSignature {
            worksheet_id: row.id,
            revision: revision.number,
            user_id: Some(actor.user.get()),
            full_name: name,
            content_hash: &revision.content_hash,
            signed_at: actor.now.naive_utc(),
        };
        let fresh = signature::insert_if_absent(conn, &new)?;
        let in_force = Signatures::load(conn, row)?.in_force() == Some(revision.number);
        if fresh && in_force {
            for to in [actor.user, link.partner] {
                let dedupe = format!("worksheet-signed:{}:{}:{to}", row.id, revision.number);
                notices::send(conn, actor, to, notices::SIGNED, &dedupe)?;
            }
        } else if fresh {
            let dedupe = format!("worksheet-waiting:{}:{}", row.id, revision.number);
            notices::send(conn, actor, link.partner, notices::WAITING, &dedupe)?;
        }
        Ok(Signed { revision: revision_number(revision.number), in_force })
    })
}
