//! Registering and confirming an address.

use chrono::Duration;

use crate::accounts::{AccountError, Accounts, Client, SignedIn};
use crate::auth::password::screen;
use crate::auth::rate_limit::Limit;
use crate::auth::tokens;
use crate::db::models::email_token::{self, NewEmailToken, PURPOSE_VERIFY};
use crate::db::models::outbox;
use crate::db::models::user::{self, NewUser};
use crate::domain::account::{DisplayName, Email, FieldError, NewPassword, Role, TimeZone};
use crate::domain::ids::UserId;
use crate::mail::{MailError, RenderedEmail};

/// How long a confirmation link works.
pub(super) const VERIFY_VALID: Duration = Duration::hours(24);
/// Registrations per address (IP, and typed email) per hour.
const REGISTER_LIMIT: Limit = Limit { max: 10, window: Duration::hours(1) };
/// Confirmation emails re-sent per hour.
const RESEND_LIMIT: Limit = Limit { max: 3, window: Duration::hours(1) };

/// A registration form, already parsed.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: NewPassword,
    /// UTC unless the form offered a choice ([`Registration::in_zone`]).
    pub time_zone: TimeZone,
}

impl Registration {
    /// Parses every field, reporting all problems at once so a form can show them together.
    pub fn parse(
        email: &str,
        display_name: &str,
        password: String,
    ) -> Result<Self, Vec<FieldError>> {
        match (Email::parse(email), DisplayName::parse(display_name), NewPassword::parse(password))
        {
            (Ok(email), Ok(display_name), Ok(password)) => {
                Ok(Self { email, display_name, password, time_zone: TimeZone::UTC })
            }
            (email, name, password) => {
                Err([email.err(), name.err(), password.err()].into_iter().flatten().collect())
            }
        }
    }

    /// The same registration, with lesson days counted in `zone`.
    pub fn in_zone(self, zone: TimeZone) -> Self {
        Self { time_zone: zone, ..self }
    }
}

impl Accounts {
    /// Creates a learner account and mails a confirmation link; for a taken address, mails its
    /// owner a neutral note instead and answers exactly the same.
    pub async fn register(&self, form: Registration, client: &Client) -> Result<(), AccountError> {
        self.create_account(form, client, None).await.map(|_| ())
    }

    /// Registers from the web form and signs the new learner in (unconfirmed, as sign-in
    /// allows), so they go on where they were going; the confirmation link carries
    /// `return_to` too. A taken address opens no session (its owner gets the neutral note), so
    /// unlike [`Self::register`] the answer shows whether the address was free: the price of
    /// not asking a newcomer to sign in again, bounded by the registration rate limit.
    pub async fn register_and_sign_in(
        &self,
        form: Registration,
        client: &Client,
        return_to: &str,
    ) -> Result<Option<SignedIn>, AccountError> {
        match self.create_account(form, client, Some(return_to)).await? {
            Some(user_id) => Ok(Some(self.open_session(user_id, None, false, client).await?)),
            None => Ok(None),
        }
    }

    /// The new account's id, or `None` when the address was taken.
    async fn create_account(
        &self,
        form: Registration,
        client: &Client,
        return_to: Option<&str>,
    ) -> Result<Option<i64>, AccountError> {
        self.limit("register", REGISTER_LIMIT, client, Some(form.email.as_str()))?;
        let hash = self.passwords.hash(screen(form.password)?).await?;
        let token = tokens::generate();
        let confirm = self.confirmation_mail(&token, return_to)?;
        let taken = self.notice("account_exists", "/account/forgot")?;
        let now = self.now().naive_utc();
        let (email, name, zone) = (form.email, form.display_name, form.time_zone);
        self.db
            .transaction(move |conn| {
                if user::find_by_email(conn, email.as_str())?.is_some() {
                    outbox::enqueue(conn, &taken.to_message(email.as_str(), None), now)?;
                    return Ok(None);
                }
                let new = NewUser {
                    email: email.as_str(),
                    display_name: name.as_str(),
                    password_hash: &hash,
                    role: Role::Learner.as_str(),
                    email_verified_at: None,
                    time_zone: zone.name(),
                    created_at: now,
                    updated_at: now,
                };
                let created = user::insert(conn, &new)?;
                store_verify_token(conn, created.id, &token, now)?;
                outbox::enqueue(conn, &confirm.to_message(email.as_str(), None), now)?;
                Ok(Some(created.id))
            })
            .await
    }

    /// The confirmation mail; its link returns to `return_to` once the address is confirmed.
    pub(super) fn confirmation_mail(
        &self,
        token: &str,
        return_to: Option<&str>,
    ) -> Result<RenderedEmail, MailError> {
        let mut query = vec![("token", token)];
        if let Some(next) = return_to {
            // The token stays last in the link, where people (and tests) expect it.
            query.insert(0, ("next", next));
        }
        self.email_with_link("verify_email", "/account/verify", &query, VERIFY_VALID)
    }

    /// Confirms the address the link was sent to.
    pub async fn verify_email(&self, token: String) -> Result<(), AccountError> {
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let found = email_token::consume(conn, &tokens::hash(&token), PURPOSE_VERIFY, now)?;
                let token = found.ok_or(AccountError::BadLink)?;
                user::mark_verified(conn, token.user_id, now)?;
                Ok(())
            })
            .await
    }

    /// Sends a fresh confirmation link (voiding older ones) to a signed-in, unconfirmed user.
    pub async fn resend_verification(
        &self,
        user_id: UserId,
        client: &Client,
    ) -> Result<(), AccountError> {
        let user = self.account(user_id).await?;
        self.limit("resend-verification", RESEND_LIMIT, client, Some(&user.email))?;
        if user.email_verified_at.is_some() {
            return Ok(());
        }
        let link = self.confirmation_link()?;
        let now = self.now().naive_utc();
        let (user_id, email) = (user.id, user.email);
        self.db.transaction(move |conn| link.store(conn, user_id, &email, now)).await
    }
}

fn store_verify_token(
    conn: &mut crate::db::DbConnection,
    user_id: i64,
    token: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AccountError> {
    let new = NewEmailToken {
        user_id,
        purpose: PURPOSE_VERIFY,
        token_hash: &tokens::hash(token),
        new_email: None,
        created_at: now,
        expires_at: now + VERIFY_VALID,
    };
    Ok(email_token::replace(conn, &new)?)
}
