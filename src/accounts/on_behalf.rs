//! The account flows an administrator starts for someone else: mailing a fresh confirmation or
//! password-reset link, and erasing an account. Each is prepared outside any transaction
//! (rendering mail, generating tokens) and then written inside the caller's, so the admin
//! service can record its audit entry in the same unit of work. The self-service flows use
//! the same pieces, so both paths send the same mail and erase the same rows.

use chrono::{Duration, NaiveDateTime};

use crate::accounts::{AccountError, Accounts, PURPOSE_RESET_VALID, VERIFY_VALID};
use crate::auth::keyring::Keyring;
use crate::auth::tokens;
use crate::db::DbConnection;
use crate::db::models::email_token::{self, NewEmailToken, PURPOSE_RESET, PURPOSE_VERIFY};
use crate::db::models::partnership::EndReason;
use crate::db::models::{outbox, personal_data};
use crate::domain::ids::UserId;
use crate::mail::{PartnerUpdates, RenderedEmail};

/// A one-time link and the mail that carries it, ready to be stored for one account.
pub struct PreparedLink {
    purpose: &'static str,
    token: String,
    mail: RenderedEmail,
    valid_for: Duration,
}

impl PreparedLink {
    /// Stores the link's token (voiding older ones of the same purpose) and queues its mail to
    /// `email`, in the caller's transaction.
    pub fn store(
        &self,
        conn: &mut DbConnection,
        user_id: i64,
        email: &str,
        now: NaiveDateTime,
    ) -> Result<(), AccountError> {
        let new = NewEmailToken {
            user_id,
            purpose: self.purpose,
            token_hash: &tokens::hash(&self.token),
            new_email: None,
            created_at: now,
            expires_at: now + self.valid_for,
        };
        email_token::replace(conn, &new)?;
        outbox::enqueue(conn, &self.mail.to_message(email, None), now)?;
        Ok(())
    }
}

/// Everything erasing an account needs besides the connection: what tells its partner the
/// link ended, and the keys that hand the partner their copies of shared worksheets.
pub struct Erasure {
    updates: PartnerUpdates,
    keyring: Keyring,
}

impl Erasure {
    /// Ends the account's partner link (the partner keeps their copies and is told), then
    /// deletes the account, its data and its mail, in the caller's transaction. The caller
    /// records who asked for it.
    pub fn run(
        &self,
        conn: &mut DbConnection,
        user_id: i64,
        email: &str,
        now: NaiveDateTime,
    ) -> Result<(), AccountError> {
        // The link ends first, while both partners' rows still exist.
        let reason = EndReason::AccountDeleted;
        let user = UserId::from(user_id);
        crate::partners::end_within(conn, &self.keyring, user, reason, &self.updates, now)?;
        personal_data::erase(conn, user_id, email)?;
        Ok(())
    }
}

impl Accounts {
    /// A fresh confirmation link (no return path), as "resend confirmation" mails it.
    pub fn confirmation_link(&self) -> Result<PreparedLink, AccountError> {
        let token = tokens::generate();
        let mail = self.confirmation_mail(&token, None)?;
        Ok(PreparedLink { purpose: PURPOSE_VERIFY, token, mail, valid_for: VERIFY_VALID })
    }

    /// A fresh password-reset link, as "forgot password" mails it.
    pub fn reset_link(&self) -> Result<PreparedLink, AccountError> {
        let token = tokens::generate();
        let query = [("token", token.as_str())];
        let valid_for = PURPOSE_RESET_VALID;
        let mail = self.email_with_link("reset_password", "/account/reset", &query, valid_for)?;
        Ok(PreparedLink { purpose: PURPOSE_RESET, token, mail, valid_for })
    }

    /// What erasing an account needs.
    pub fn erasure(&self) -> Result<Erasure, AccountError> {
        Ok(Erasure { updates: self.partner_updates.clone(), keyring: self.keyring.clone() })
    }
}
