//! Account orchestration: registering, confirming addresses, signing in and out, sessions and
//! passwords. It ties storage, the `auth` primitives and the outbox together and knows nothing
//! of HTTP; handlers parse input, call one method here and shape the answer.
//!
//! Answers never reveal whether an address has an account: registering a taken address, signing
//! in to a missing one and asking to reset it all answer exactly as for a real one (a dummy hash
//! keeps the timing close), and the owner of a taken address gets a neutral note instead.

mod email;
mod history;
mod join;
mod on_behalf;
mod password;
mod privacy;
mod register;
mod sessions;
mod users;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tera::Context;
use url::Url;

use crate::auth::jwt::{SessionTokens, TokenError};
use crate::auth::keyring::Keyring;
use crate::auth::password::{HashError, Passwords};
use crate::auth::rate_limit::{FailureBackoff, Limit, RateLimiter, RetryAfter};
use crate::clock::SharedClock;
use crate::db::models::user::{self, User};
use crate::db::{Database, DbError};
use crate::domain::account::FieldError;
use crate::domain::ids::UserId;
use crate::mail::{MailError, RenderedEmail};
use crate::templates::EmailTemplates;

pub use history::{ActedBy, HistoryEntry};
pub use join::{JoinLink, Joining};
pub use on_behalf::{Erasure, PreparedLink};
pub use privacy::PersonalData;
pub use register::Registration;
pub use sessions::{Authenticated, ClaimedSession, Credentials, SignedIn};
pub use users::{create_verified_user, set_role};

use password::RESET_VALID as PURPOSE_RESET_VALID;
use register::VERIFY_VALID;

/// Why an account action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("the email and password do not match an account")]
    BadCredentials,
    #[error("too many attempts")]
    RateLimited(RetryAfter),
    #[error("the link is not valid, was already used, or has expired")]
    BadLink,
    #[error("not signed in")]
    NotSignedIn,
    /// Only for operators: public registration never says an address is taken.
    #[error("an account for this address already exists")]
    AccountExists,
    #[error("no account for this address")]
    NoSuchAccount,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Worksheet(#[from] crate::worksheets::WorksheetError),
    #[error(transparent)]
    Reflection(#[from] crate::reflections::ReflectionError),
    /// Opening the learner's check-ins for their data export failed.
    #[error(transparent)]
    Checkin(#[from] crate::checkins::CheckinError),
    /// Ending the partner link of an account being deleted failed.
    #[error(transparent)]
    Partner(#[from] crate::partners::PartnerError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

impl From<RetryAfter> for AccountError {
    fn from(retry: RetryAfter) -> Self {
        Self::RateLimited(retry)
    }
}

/// Who is making a request, as far as accounts care: where from, and with what software.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// The account service shared by the HTML and JSON handlers.
pub struct Accounts {
    db: Database,
    clock: SharedClock,
    passwords: Passwords,
    tokens: SessionTokens,
    emails: Arc<EmailTemplates>,
    base_url: Url,
    limits: RateLimiter,
    backoff: FailureBackoff,
    /// Opens worksheet answers for the data export.
    keyring: Keyring,
    /// Tells a partner their link ended when an account is deleted (as their preferences allow).
    partner_updates: crate::mail::PartnerUpdates,
}

impl Accounts {
    /// Builds the service; `base_url` is where links in emails point, `keyring` opens the
    /// worksheet answers a data export includes, `partner_updates` sends the "link ended" mail
    /// an account deletion causes.
    pub fn new(
        db: Database,
        clock: SharedClock,
        tokens: SessionTokens,
        emails: Arc<EmailTemplates>,
        base_url: Url,
        keyring: Keyring,
        partner_updates: crate::mail::PartnerUpdates,
    ) -> Result<Self, HashError> {
        Ok(Self {
            db,
            clock,
            passwords: Passwords::new()?,
            tokens,
            emails,
            base_url,
            limits: RateLimiter::default(),
            backoff: FailureBackoff::default(),
            keyring,
            partner_updates,
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The stored account of a signed-in user, read when an action needs more than the
    /// request's identity (its password hash, its current address); gone means signed out.
    async fn account(&self, id: UserId) -> Result<User, AccountError> {
        let found =
            self.db.run(move |conn| user::find(conn, id.get()).map_err(DbError::from)).await?;
        found.ok_or(AccountError::NotSignedIn)
    }

    /// Counts one attempt of `action` against the client's address and, when given, the
    /// account (keyed by the typed address so unknown ones behave the same).
    fn limit(
        &self,
        action: &str,
        limit: Limit,
        client: &Client,
        account: Option<&str>,
    ) -> Result<(), RetryAfter> {
        let now = self.now();
        self.limits.hit(&format!("{action}:ip:{}", client.ip), limit, now)?;
        match account {
            Some(account) => self.limits.hit(&format!("{action}:account:{account}"), limit, now),
            None => Ok(()),
        }
    }

    /// Renders `emails/<name>/` with a one-time link to `path?query` (the query holds the token).
    fn email_with_link(
        &self,
        name: &str,
        path: &str,
        query: &[(&str, &str)],
        valid_for: Duration,
    ) -> Result<RenderedEmail, MailError> {
        let mut context = Context::new();
        context.insert("link", self.link(path, query).as_str());
        context.insert("valid_hours", &valid_for.num_hours());
        context.insert("valid_minutes", &valid_for.num_minutes());
        crate::mail::render(&self.emails, name, &context)
    }

    /// Renders a notice that carries only a link to a page (no token).
    fn notice(&self, name: &str, path: &str) -> Result<RenderedEmail, MailError> {
        let mut context = Context::new();
        context.insert("link", self.link(path, &[]).as_str());
        crate::mail::render(&self.emails, name, &context)
    }

    fn link(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base_url.clone();
        url.set_path(path);
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }
}

/// Addresses are compared trimmed and lower-cased, also for rate-limit keys.
fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}
