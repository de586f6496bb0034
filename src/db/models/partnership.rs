//! Partnerships: an invitation from one learner to an email address, which the invitee accepts
//! into a link. A row is `pending` (invited, until `expires_at`), `active` (linked) or `ended`
//! (with `ended_reason`). Each learner in a pending or active row holds its one row in
//! `partnership_members`, whose primary key keeps a learner to one link on both databases.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{partnership_members, partnerships};
use crate::domain::ids::{PartnershipId, UserId};

/// Invited, waiting for an answer (unless `expires_at` has passed).
pub const STATUS_PENDING: &str = "pending";
/// Linked: both learners are partners.
pub const STATUS_ACTIVE: &str = "active";
/// Over: withdrawn, declined, expired or ended (see [`EndReason`]).
pub const STATUS_ENDED: &str = "ended";

/// Why a row is `ended`, stored in `ended_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The inviter took the invitation back.
    Withdrawn,
    /// The invitee said no.
    Declined,
    /// Nobody answered within the invitation's lifetime.
    Expired,
    /// One partner ended the link.
    Ended,
    /// One partner deleted their account.
    AccountDeleted,
}

impl EndReason {
    /// The stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Withdrawn => "withdrawn",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Ended => "ended",
            Self::AccountDeleted => "account_deleted",
        }
    }
}

/// A stored partnership row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partnerships)]
pub struct Partnership {
    #[diesel(deserialize_as = i64)]
    pub id: PartnershipId,
    #[diesel(deserialize_as = i64)]
    pub inviter_id: UserId,
    pub invitee_id: Option<i64>,
    pub invite_email: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

impl Partnership {
    /// The invitee, once they accepted.
    pub fn invitee(&self) -> Option<UserId> {
        self.invitee_id.map(UserId::from)
    }

    /// The other learner in an accepted link, seen from `user`.
    pub fn partner_of(&self, user: UserId) -> Option<UserId> {
        if self.inviter_id == user { self.invitee() } else { Some(self.inviter_id) }
    }
}

/// The link a learner is in right now, as other services need it: which link, and who the
/// partner is. Shared worksheets and sharing rules start from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveLink {
    pub id: PartnershipId,
    pub partner: UserId,
}

/// A new invitation.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = partnerships)]
pub struct NewInvitation<'a> {
    #[diesel(serialize_as = i64)]
    pub inviter_id: UserId,
    pub invite_email: &'a str,
    pub invite_token_hash: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The learner's active link and partner, if they have one.
pub fn active_for_user(conn: &mut DbConnection, user: UserId) -> QueryResult<Option<ActiveLink>> {
    let found = held_by(conn, user)?.filter(|row| row.status == STATUS_ACTIVE);
    Ok(found.and_then(|row| row.partner_of(user).map(|partner| ActiveLink { id: row.id, partner })))
}

/// The pending invitation the learner sent or the active link they are in: the row their
/// member slot points at.
pub fn held_by(conn: &mut DbConnection, user: UserId) -> QueryResult<Option<Partnership>> {
    partnership_members::table
        .inner_join(partnerships::table)
        .filter(partnership_members::user_id.eq(user.get()))
        .select(Partnership::as_select())
        .first(conn)
        .optional()
}

/// Takes the learner's one member slot for `id`; `false` when they already hold one (another
/// invitation or link, perhaps created a moment ago by a concurrent request). ON CONFLICT DO
/// NOTHING rather than a caught violation, which would abort a PostgreSQL transaction.
pub fn claim_slot(
    conn: &mut DbConnection,
    user: UserId,
    id: PartnershipId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        partnership_members::user_id.eq(user.get()),
        partnership_members::partnership_id.eq(id.get()),
        partnership_members::joined_at.eq(now),
    );
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(partnership_members::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Stores a new invitation and returns its id.
pub fn insert(conn: &mut DbConnection, new: &NewInvitation<'_>) -> QueryResult<PartnershipId> {
    let id: i64 = crate::per_backend!(conn, |c| diesel::insert_into(partnerships::table)
        .values(*new)
        .returning(partnerships::id)
        .get_result(c))?;
    Ok(PartnershipId::from(id))
}

/// A pending invitation by the hash of its token, expired or not (the caller decides what an
/// expired one means); `None` once it was answered, withdrawn or ended.
pub fn find_pending_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<Partnership>> {
    partnerships::table
        .filter(partnerships::invite_token_hash.eq(token_hash))
        .filter(partnerships::status.eq(STATUS_PENDING))
        .select(Partnership::as_select())
        .first(conn)
        .optional()
}

/// The newest unexpired invitation sent to `email`, for the invitee's partner page.
pub fn received_by_email(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Partnership>> {
    partnerships::table
        .filter(partnerships::invite_email.eq(email))
        .filter(partnerships::status.eq(STATUS_PENDING))
        .filter(partnerships::expires_at.gt(now))
        .order(partnerships::created_at.desc())
        .select(Partnership::as_select())
        .first(conn)
        .optional()
}

/// Turns a pending invitation into a link with `invitee`; 0 when it is no longer pending
/// (answered or withdrawn by a concurrent request). The single-use token is cleared with it.
pub fn activate(
    conn: &mut DbConnection,
    id: PartnershipId,
    invitee: UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        partnerships::table.find(id.get()).filter(partnerships::status.eq(STATUS_PENDING)),
    )
    .set((
        partnerships::status.eq(STATUS_ACTIVE),
        partnerships::invitee_id.eq(invitee.get()),
        partnerships::invite_token_hash.eq(None::<String>),
        partnerships::accepted_at.eq(now),
    ))
    .execute(conn)
}

/// Ends a pending or active row and frees both learners' slots; 0 when it had already ended.
pub fn close(
    conn: &mut DbConnection,
    id: PartnershipId,
    reason: EndReason,
    by: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let closed = diesel::update(
        partnerships::table.find(id.get()).filter(partnerships::status.ne(STATUS_ENDED)),
    )
    .set((
        partnerships::status.eq(STATUS_ENDED),
        partnerships::ended_reason.eq(reason.as_str()),
        partnerships::ended_by.eq(by.map(UserId::get)),
        partnerships::invite_token_hash.eq(None::<String>),
        partnerships::ended_at.eq(now),
    ))
    .execute(conn)?;
    diesel::delete(
        partnership_members::table.filter(partnership_members::partnership_id.eq(id.get())),
    )
    .execute(conn)?;
    Ok(closed)
}
