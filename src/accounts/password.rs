//! Forgotten and changed passwords. Either way every session ends, older reset links stop
//! working, and the owner gets a neutral notice.

use chrono::{Duration, NaiveDateTime};

use crate::accounts::{AccountError, Accounts, Client, SignedIn, normalise};
use crate::auth::password::{Verified, screen};
use crate::auth::rate_limit::Limit;
use crate::auth::tokens;
use crate::db::DbConnection;
use crate::db::models::email_token::{self, PURPOSE_RESET};
use crate::db::models::user::{self, User};
use crate::db::models::{outbox, session};
use crate::domain::account::{Email, FieldError, NewPassword};
use crate::domain::ids::UserId;
use crate::mail::RenderedEmail;

/// How long a reset link works.
pub(super) const RESET_VALID: Duration = Duration::minutes(30);
/// Reset requests per hour, per IP and per typed address.
const FORGOT_LIMIT: Limit = Limit { max: 5, window: Duration::hours(1) };

impl Accounts {
    /// Mails a reset link if the address has an active account; answers the same either way.
    pub async fn request_reset(&self, email: Email, client: &Client) -> Result<(), AccountError> {
        self.limit("forgot-password", FORGOT_LIMIT, client, Some(email.as_str()))?;
        let link = self.reset_link()?;
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let found = user::find_by_email(conn, email.as_str())?;
                let Some(user) = found.filter(|u| u.deactivated_at.is_none()) else {
                    return Ok(());
                };
                link.store(conn, user.id, &user.email, now)
            })
            .await
    }

    /// Sets a new password from a reset link: the link is used up, every session ends, and
    /// sign-in slow-downs for the account are forgiven.
    pub async fn reset_password(
        &self,
        token: String,
        password: NewPassword,
    ) -> Result<(), AccountError> {
        let hash = self.passwords.hash(screen(password)?).await?;
        let notice = self.notice("password_changed", "/account/forgot")?;
        let now = self.now().naive_utc();
        let email = self
            .db
            .transaction(move |conn| {
                let found = email_token::consume(conn, &tokens::hash(&token), PURPOSE_RESET, now)?;
                let token = found.ok_or(AccountError::BadLink)?;
                let user = user::find(conn, token.user_id)?.ok_or(AccountError::BadLink)?;
                // Following the link proves the address works.
                user::mark_verified(conn, user.id, now)?;
                replace_password(conn, &user, &hash, &notice, now)?;
                Ok::<_, AccountError>(user.email)
            })
            .await?;
        self.backoff.clear(&format!("sign-in:{}", normalise(&email)));
        Ok(())
    }

    /// Changes the password of a signed-in user who knows the current one; all sessions end
    /// and this device gets a new one.
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: String,
        new: NewPassword,
        client: &Client,
    ) -> Result<SignedIn, AccountError> {
        let user = self.account(user_id).await?;
        let verified = self.passwords.verify(current, Some(user.password_hash.clone())).await?;
        if verified == Verified::No {
            let message = "That is not your current password.";
            return Err(FieldError { field: "current_password", message }.into());
        }
        let hash = self.passwords.hash(screen(new)?).await?;
        let notice = self.notice("password_changed", "/account/forgot")?;
        let now = self.now().naive_utc();
        let owner = user.id;
        self.db.transaction(move |conn| replace_password(conn, &user, &hash, &notice, now)).await?;
        self.open_session(owner, None, false, client).await
    }
}

/// Stores the hash, voids unused reset links, ends every session and queues the notice.
fn replace_password(
    conn: &mut DbConnection,
    user: &User,
    hash: &str,
    notice: &RenderedEmail,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    user::set_password_hash(conn, user.id, hash, now)?;
    email_token::void_unused(conn, user.id, PURPOSE_RESET, now)?;
    session::revoke_all(conn, user.id, now)?;
    outbox::enqueue(conn, &notice.to_message(&user.email, None), now)?;
    Ok(())
}
