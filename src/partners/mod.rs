//! Partners: a learner invites one other person by email, who accepts into a link either of
//! them can end; while linked, each may show the other their progress in a course, revocably.
//! Everything else stays private. Like [`crate::accounts`], this service knows nothing of HTTP:
//! handlers parse input, call one method and shape the answer.
//!
//! A learner is in at most one pending-or-active link; `partnership_members` enforces it on
//! both databases (see [`crate::db::models::partnership`]). Partner mail is neutral: it says
//! only that an invitation exists, was accepted, or that a connection ended. The invitation
//! always goes out (the invitee has chosen nothing yet); "accepted" and "ended" are partner
//! updates, which follow the recipient's preferences ([`PartnerUpdates`]).

mod end;
mod invite;
mod shares;
mod state;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tera::Context;
use url::Url;

use crate::auth::keyring::Keyring;
use crate::auth::rate_limit::{Limit, RateLimiter, RetryAfter};
use crate::clock::SharedClock;
use crate::db::{Database, DbError};
use crate::mail::{MailError, PartnerUpdates, RenderedEmail};
use crate::templates::EmailTemplates;

pub use end::{Ended, end_within};
pub use invite::InvitationKey;
pub use shares::SharedProgress;
pub use state::{Invitation, Linked, PartnerState, ReceivedInvitation};

/// How long an invitation can be accepted.
pub const INVITATION_VALID: Duration = Duration::days(7);

/// Invitations one learner may send per day: withdrawing and inviting again must not become a
/// way to mail strangers.
const INVITE_LIMIT: Limit = Limit { max: 10, window: Duration::days(1) };

/// Why a partner action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("you cannot invite yourself")]
    InviteSelf,
    #[error("this is your own invitation")]
    OwnInvitation,
    /// The learner already sent an invitation or has a partner.
    #[error("you already have a partner link or an open invitation")]
    AlreadyLinked,
    /// The person invited, or the inviter of an invitation being accepted, is already linked.
    #[error("that person already has a partner link")]
    OtherLinked,
    #[error("the invitation is not valid, was already answered, or has expired")]
    BadInvitation,
    /// Nothing to end, withdraw or share with.
    #[error("no partner link")]
    NoLink,
    /// A course the learner is not enrolled in, or that does not exist.
    #[error("no such course")]
    NoSuchCourse,
    #[error("no such account")]
    NoSuchAccount,
    #[error("too many invitations")]
    RateLimited(RetryAfter),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Mail(#[from] MailError),
    /// Keeping the couple's worksheets as each partner's copy failed.
    #[error(transparent)]
    Worksheet(#[from] crate::worksheets::WorksheetError),
}

impl From<diesel::result::Error> for PartnerError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

/// The partner service shared by the HTML and JSON handlers.
pub struct Partners {
    db: Database,
    clock: SharedClock,
    emails: Arc<EmailTemplates>,
    base_url: Url,
    limits: RateLimiter,
    /// Re-seals the couple's worksheets as each partner's copy when a link ends.
    keyring: Keyring,
    /// "Accepted" and "ended" mail, sent as the recipient's preferences allow.
    updates: PartnerUpdates,
}

impl Partners {
    /// Builds the service; `base_url` is where the invitation's link points, `updates` sends
    /// the mail that follows the recipient's preferences.
    pub fn new(
        db: Database,
        clock: SharedClock,
        emails: Arc<EmailTemplates>,
        base_url: Url,
        keyring: Keyring,
        updates: PartnerUpdates,
    ) -> Self {
        Self { db, clock, emails, base_url, limits: RateLimiter::default(), keyring, updates }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Counts one invitation sent by `inviter` against [`INVITE_LIMIT`].
    fn limit_invites(&self, inviter: crate::domain::ids::UserId) -> Result<(), PartnerError> {
        let key = format!("partner-invite:user:{inviter}");
        self.limits.hit(&key, INVITE_LIMIT, self.now()).map_err(PartnerError::RateLimited)
    }

    /// Renders `emails/<name>/` with a link to `path?query`.
    fn email(
        &self,
        name: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<RenderedEmail, MailError> {
        render_notice(&self.emails, &self.base_url, name, path, query)
    }
}

/// The update the inviter gets when their invitation is accepted.
pub(crate) const ACCEPTED: crate::mail::Update<'static> =
    crate::mail::Update { name: "partner_accepted", path: "/account", dedupe_key: None };

/// The update the other partner gets when a link ends (from the partner page or an account
/// deletion, see [`end_within`]).
pub(crate) const ENDED: crate::mail::Update<'static> =
    crate::mail::Update { name: "partner_ended", path: "/account", dedupe_key: None };

fn render_notice(
    emails: &EmailTemplates,
    base_url: &Url,
    name: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<RenderedEmail, MailError> {
    let mut url = base_url.clone();
    url.set_path(path);
    url.set_query(None);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let mut context = Context::new();
    context.insert("link", url.as_str());
    context.insert("valid_days", &INVITATION_VALID.num_days());
    crate::mail::render(emails, name, &context)
}
