//! Changing the address of an account: confirmed by a link sent to the new address, with a
//! notice to the old one, so a stolen session alone cannot quietly take an account over.

use chrono::Duration;

use crate::accounts::{AccountError, Accounts, Client};
use crate::auth::password::Verified;
use crate::auth::rate_limit::Limit;
use crate::auth::tokens;
use crate::db::models::email_token::{self, NewEmailToken, PURPOSE_CHANGE_EMAIL};
use crate::db::models::outbox;
use crate::db::models::user;
use crate::domain::account::{Email, FieldError};
use crate::domain::ids::UserId;

/// How long a confirmation link for a new address works.
const CHANGE_VALID: Duration = Duration::hours(24);
/// Address changes asked for per hour.
const CHANGE_LIMIT: Limit = Limit { max: 5, window: Duration::hours(1) };

impl Accounts {
    /// Mails a confirmation link to `new_email` after checking the password. A taken address
    /// gets no link (its owner a neutral note), and the answer is the same either way.
    pub async fn request_email_change(
        &self,
        user_id: UserId,
        password: String,
        new_email: Email,
        client: &Client,
    ) -> Result<(), AccountError> {
        let user = self.account(user_id).await?;
        self.limit("change-email", CHANGE_LIMIT, client, Some(&user.email))?;
        let verified = self.passwords.verify(password, Some(user.password_hash)).await?;
        if verified == Verified::No {
            let message = "That is not your current password.";
            return Err(FieldError { field: "current_password", message }.into());
        }
        let token = tokens::generate();
        let confirm = self.email_with_link(
            "confirm_new_email",
            "/account/email/confirm",
            &[("token", &token)],
            CHANGE_VALID,
        )?;
        let taken = self.notice("account_exists", "/account/forgot")?;
        let now = self.now().naive_utc();
        let user_id = user.id;
        self.db
            .transaction(move |conn| {
                if user::find_by_email(conn, new_email.as_str())?.is_some() {
                    outbox::enqueue(conn, &taken.to_message(new_email.as_str(), None), now)?;
                    return Ok(());
                }
                let new = NewEmailToken {
                    user_id,
                    purpose: PURPOSE_CHANGE_EMAIL,
                    token_hash: &tokens::hash(&token),
                    new_email: Some(new_email.as_str()),
                    created_at: now,
                    expires_at: now + CHANGE_VALID,
                };
                email_token::replace(conn, &new)?;
                outbox::enqueue(conn, &confirm.to_message(new_email.as_str(), None), now)?;
                Ok(())
            })
            .await
    }

    /// Moves the account to the confirmed address and tells the old address.
    pub async fn confirm_email_change(&self, token: String) -> Result<(), AccountError> {
        let notice = self.notice("email_changed", "/")?;
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let found =
                    email_token::consume(conn, &tokens::hash(&token), PURPOSE_CHANGE_EMAIL, now)?;
                let token = found.ok_or(AccountError::BadLink)?;
                let new_email = token.new_email.ok_or(AccountError::BadLink)?;
                let user = user::find(conn, token.user_id)?.ok_or(AccountError::BadLink)?;
                if user::find_by_email(conn, &new_email)?.is_some() {
                    return Err(AccountError::BadLink);
                }
                user::set_email(conn, user.id, &new_email, now)?;
                outbox::enqueue(conn, &notice.to_message(&user.email, None), now)?;
                Ok(())
            })
            .await
    }
}
