//! What the partner page and `GET /api/v1/partner` show: no link, an invitation sent or
//! received, or a link with what each partner shares. A read: it never writes, so an expired
//! invitation is shown as expired until the next invitation closes it.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::partnership::{self, Partnership, STATUS_ACTIVE};
use crate::db::models::{progress_share, user};
use crate::domain::ids::{PartnershipId, UserId};
use crate::partners::{PartnerError, Partners};

/// The learner's partner situation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerState {
    /// No link and no open invitation sent; perhaps one received.
    Unlinked { received: Option<ReceivedInvitation> },
    /// The learner invited someone who has not answered yet.
    Invited(Invitation),
    /// The learner has a partner.
    Linked(Linked),
}

/// An invitation the learner sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Nobody answered in time: the learner can withdraw it and invite again.
    pub expired: bool,
}

/// An open invitation sent to the learner's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedInvitation {
    /// What the inviter calls themselves.
    pub from: String,
    pub expires_at: DateTime<Utc>,
}

/// A link, seen from one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub id: PartnershipId,
    pub partner: UserId,
    pub partner_name: String,
    pub since: DateTime<Utc>,
    /// Courses whose progress the learner shows their partner.
    pub shared_by_me: Vec<String>,
    /// Courses whose progress the partner shows the learner.
    pub shared_with_me: Vec<String>,
}

impl Partners {
    /// The learner's partner situation now.
    pub async fn state(&self, user: UserId) -> Result<PartnerState, PartnerError> {
        let now = self.now().naive_utc();
        self.db.run(move |conn| state_of(conn, user, now)).await
    }
}

/// [`Partners::state`] on a connection, for units of work that need it with more.
pub(crate) fn state_of(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
) -> Result<PartnerState, PartnerError> {
    match partnership::held_by(conn, user)? {
        Some(row) if row.status == STATUS_ACTIVE => {
            linked(conn, user, row).map(PartnerState::Linked)
        }
        Some(row) => Ok(PartnerState::Invited(invitation(row, now))),
        None => Ok(PartnerState::Unlinked { received: received(conn, user, now)? }),
    }
}

fn linked(conn: &mut DbConnection, user: UserId, row: Partnership) -> Result<Linked, PartnerError> {
    let partner = row.partner_of(user).ok_or(PartnerError::NoLink)?;
    let partner_name = user::find(conn, partner.get())?.map(|u| u.display_name).unwrap_or_default();
    Ok(Linked {
        id: row.id,
        partner,
        partner_name,
        since: row.accepted_at.unwrap_or(row.created_at).and_utc(),
        shared_by_me: progress_share::courses_shared_by(conn, row.id, user)?,
        shared_with_me: progress_share::courses_shared_by(conn, row.id, partner)?,
    })
}

fn invitation(row: Partnership, now: NaiveDateTime) -> Invitation {
    let expires_at = row.expires_at.unwrap_or(row.created_at);
    Invitation {
        email: row.invite_email.unwrap_or_default(),
        sent_at: row.created_at.and_utc(),
        expires_at: expires_at.and_utc(),
        expired: expires_at <= now,
    }
}

fn received(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
) -> Result<Option<ReceivedInvitation>, PartnerError> {
    let Some(me) = user::find(conn, user.get())? else { return Ok(None) };
    let Some(row) = partnership::received_by_email(conn, &me.email, now)? else { return Ok(None) };
    let from = user::find(conn, row.inviter_id.get())?.map(|u| u.display_name).unwrap_or_default();
    let expires_at = row.expires_at.unwrap_or(row.created_at).and_utc();
    Ok(Some(ReceivedInvitation { from, expires_at }))
}
