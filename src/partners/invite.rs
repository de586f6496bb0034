//! Inviting a partner by email, and the invitee's answer. The token in the mail is single-use
//! and stored only hashed; an invitation lasts [`INVITATION_VALID`].

use chrono::NaiveDateTime;

use crate::auth::tokens;
use crate::db::DbConnection;
use crate::db::models::partnership::{
    self, EndReason, NewInvitation, Partnership, STATUS_ACTIVE, STATUS_PENDING,
};
use crate::db::models::{outbox, user};
use crate::domain::account::Email;
use crate::domain::ids::UserId;
use crate::partners::{INVITATION_VALID, PartnerError, Partners};

/// Which invitation the invitee answers: the one whose link they followed, or the newest one
/// sent to their own address (shown on their partner page).
#[derive(Debug, Clone)]
pub enum InvitationKey {
    /// The token from the invitation mail's link (never stored; only its hash is).
    Token(String),
    /// The newest open invitation to the address of the learner's own account.
    ToMyAddress,
}

impl Partners {
    /// Invites `email` and mails them a link. Refused when the learner already has a link or an
    /// open invitation, invites themselves, or the address belongs to someone already linked.
    /// An expired invitation of theirs is closed first, so it never blocks a new one.
    pub async fn invite(&self, inviter: UserId, email: Email) -> Result<(), PartnerError> {
        self.limit_invites(inviter)?;
        let token = tokens::generate();
        let mail = self.email("partner_invited", "/invitation", &[("token", &token)])?;
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let me = user::find(conn, inviter.get())?.ok_or(PartnerError::NoSuchAccount)?;
                if me.email == email.as_str() {
                    return Err(PartnerError::InviteSelf);
                }
                close_if_expired(conn, inviter, now)?;
                if partnership::held_by(conn, inviter)?.is_some() {
                    return Err(PartnerError::AlreadyLinked);
                }
                if let Some(other) = user::find_by_email(conn, email.as_str())? {
                    let held = partnership::held_by(conn, UserId::from(other.id))?;
                    if held.is_some_and(|row| row.status == STATUS_ACTIVE) {
                        return Err(PartnerError::OtherLinked);
                    }
                }
                let new = NewInvitation {
                    inviter_id: inviter,
                    invite_email: email.as_str(),
                    invite_token_hash: &tokens::hash(&token),
                    status: STATUS_PENDING,
                    created_at: now,
                    expires_at: now + INVITATION_VALID,
                };
                let id = partnership::insert(conn, &new)?;
                if !partnership::claim_slot(conn, inviter, id, now)? {
                    return Err(PartnerError::AlreadyLinked);
                }
                outbox::enqueue(conn, &mail.to_message(email.as_str(), None), now)?;
                Ok(())
            })
            .await
    }

    /// Accepts an invitation: the two learners are linked and the inviter is told (when their
    /// partner updates are on, in their send window).
    pub async fn accept(&self, invitee: UserId, key: InvitationKey) -> Result<(), PartnerError> {
        let at = self.now();
        let now = at.naive_utc();
        let updates = self.updates.clone();
        self.db
            .transaction(move |conn| {
                let row = open_invitation(conn, invitee, &key, now)?;
                if !partnership::claim_slot(conn, invitee, row.id, now)? {
                    return Err(PartnerError::AlreadyLinked);
                }
                if partnership::activate(conn, row.id, invitee, now)? == 0 {
                    return Err(PartnerError::BadInvitation);
                }
                updates.queue(conn, row.inviter_id, crate::partners::ACCEPTED, at)?;
                Ok(())
            })
            .await
    }

    /// Declines an invitation; the inviter's page shows it is no longer open.
    pub async fn decline(&self, invitee: UserId, key: InvitationKey) -> Result<(), PartnerError> {
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let row = open_invitation(conn, invitee, &key, now)?;
                partnership::close(conn, row.id, EndReason::Declined, Some(invitee), now)?;
                Ok(())
            })
            .await
    }

    /// The invitation a link points at, for the accept page: who sent it. `None` when it is
    /// not open any more, so the page can say so kindly instead of failing.
    pub async fn invitation_from(
        &self,
        viewer: UserId,
        token: String,
    ) -> Result<Option<String>, PartnerError> {
        let now = self.now().naive_utc();
        let key = InvitationKey::Token(token);
        self.db
            .run(move |conn| match open_invitation(conn, viewer, &key, now) {
                Ok(row) => Ok(user::find(conn, row.inviter_id.get())?.map(|u| u.display_name)),
                Err(PartnerError::BadInvitation) => Ok(None),
                Err(other) => Err(other),
            })
            .await
    }
}

/// The pending, unexpired invitation `key` names, which `invitee` may answer (not their own).
fn open_invitation(
    conn: &mut DbConnection,
    invitee: UserId,
    key: &InvitationKey,
    now: NaiveDateTime,
) -> Result<Partnership, PartnerError> {
    let found = match key {
        InvitationKey::Token(token) => {
            partnership::find_pending_by_token(conn, &tokens::hash(token))?
        }
        InvitationKey::ToMyAddress => {
            let me = user::find(conn, invitee.get())?.ok_or(PartnerError::NoSuchAccount)?;
            partnership::received_by_email(conn, &me.email, now)?
        }
    };
    let row = found
        .filter(|row| row.expires_at.is_some_and(|at| at > now))
        .ok_or(PartnerError::BadInvitation)?;
    if row.inviter_id == invitee {
        return Err(PartnerError::OwnInvitation);
    }
    Ok(row)
}

/// Closes the learner's own invitation when nobody answered it in time, freeing their slot.
fn close_if_expired(
    conn: &mut DbConnection,
    inviter: UserId,
    now: NaiveDateTime,
) -> Result<(), PartnerError> {
    if let Some(row) = partnership::held_by(conn, inviter)? {
        let expired = row.status == STATUS_PENDING && row.expires_at.is_none_or(|at| at <= now);
        if expired {
            partnership::close(conn, row.id, EndReason::Expired, None, now)?;
        }
    }
    Ok(())
}
