//! Registering and confirming an address.

use chrono::Duration;

use crate::accounts::{AccountError, Accounts, Client};
use crate::auth::password::screen;
use crate::auth::rate_limit::Limit;
use crate::auth::tokens;
use crate::db::models::email_token::{self, NewEmailToken, PURPOSE_VERIFY};
use crate::db::models::outbox;
use crate::db::models::user::{self, NewUser};
use crate::domain::account::{DisplayName, Email, FieldError, NewPassword, Role, TimeZone};
use crate::domain::ids::UserId;

/// How long a confirmation link works.
const VERIFY_VALID: Duration = Duration::hours(24);
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
        self.limit("register", REGISTER_LIMIT, client, Some(form.email.as_str()))?;
        let hash = self.passwords.hash(screen(form.password)?).await?;
        let token = tokens::generate();
        let confirm =
            self.email_with_link("verify_email", "/account/verify", &token, VERIFY_VALID)?;
        let taken = self.notice("account_exists", "/account/forgot")?;
        let now = self.now().naive_utc();
        let (email, name, zone) = (form.email, form.display_name, form.time_zone);
        self.db
            .transaction(move |conn| {
                if user::find_by_email(conn, email.as_str())?.is_some() {
                    outbox::enqueue(conn, &taken.to_message(email.as_str(), None), now)?;
                    return Ok(());
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
                Ok(())
            })
            .await
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
        let token = tokens::generate();
        let confirm =
            self.email_with_link("verify_email", "/account/verify", &token, VERIFY_VALID)?;
        let now = self.now().naive_utc();
        let (user_id, email) = (user.id, user.email);
        self.db
            .transaction(move |conn| {
                store_verify_token(conn, user_id, &token, now)?;
                outbox::enqueue(conn, &confirm.to_message(&email, None), now)?;
                Ok(())
            })
            .await
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
