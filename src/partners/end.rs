//! Ending a link (or withdrawing an invitation): one transaction, so the other partner's copies,
//! the dropped shares and the freed slots are written together or not at all.

use chrono::NaiveDateTime;

use crate::auth::keyring::Keyring;
use crate::db::DbConnection;
use crate::db::models::partnership::{self, ActiveLink, EndReason, STATUS_PENDING};
use crate::db::models::{checkin_share, progress_share, reflection_answer};
use crate::domain::ids::UserId;
use crate::mail::PartnerUpdates;
use crate::partners::{ENDED, PartnerError, Partners};

/// What ending did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// A pending invitation was taken back.
    Withdrawn,
    /// An active link ended; the former partner was told.
    Link(ActiveLink),
}

impl Partners {
    /// Ends the learner's link, or withdraws the invitation they sent: whichever they hold.
    pub async fn end(&self, user: UserId) -> Result<Ended, PartnerError> {
        let now = self.now().naive_utc();
        let keyring = self.keyring.clone();
        let updates = self.updates.clone();
        self.db
            .transaction(move |conn| {
                end_within(conn, &keyring, user, EndReason::Ended, &updates, now)?
                    .ok_or(PartnerError::NoLink)
            })
            .await
    }
}

/// Ends whatever link or invitation `user` holds, inside the caller's transaction: ending from
/// the partner page, or deleting an account before its row goes. `None` when there was none.
/// The former partner is told through `updates` (as their preferences allow); `keyring`
/// re-seals the copies.
pub fn end_within(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: UserId,
    reason: EndReason,
    updates: &PartnerUpdates,
    now: NaiveDateTime,
) -> Result<Option<Ended>, PartnerError> {
    let Some(row) = partnership::held_by(conn, user)? else {
        return Ok(None);
    };
    if row.status == STATUS_PENDING {
        partnership::close(conn, row.id, EndReason::Withdrawn, Some(user), now)?;
        return Ok(Some(Ended::Withdrawn));
    }
    let partner = row.partner_of(user).ok_or(PartnerError::NoLink)?;
    let link = ActiveLink { id: row.id, partner };
    // Keeping what the couple made together happens here, before anything of the link goes:
    // each partner keeps a copy of every shared worksheet and every agreement in force.
    crate::worksheets::keep_copies_for_each_partner(conn, keyring, link.id, [user, partner], now)?;
    progress_share::delete_for_partnership(conn, link.id)?;
    checkin_share::delete_for_partnership(conn, link.id)?;
    reflection_answer::unshare_all(conn, &[user, partner])?;
    partnership::close(conn, link.id, reason, Some(user), now)?;
    updates.queue(conn, partner, ENDED, now.and_utc())?;
    Ok(Some(Ended::Link(link)))
}
