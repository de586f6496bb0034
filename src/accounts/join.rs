//! Signing up through an admin's invitation: the single-use link proves the address, so the
//! new account starts confirmed, and every enrolment waiting for that address begins at once.

use chrono::NaiveDateTime;

use crate::accounts::{AccountError, Accounts, Client, SignedIn};
use crate::auth::password::screen;
use crate::auth::tokens;
use crate::db::DbConnection;
use crate::db::models::audit;
use crate::db::models::enrollment_admin::{self, AdminEnrollment};
use crate::db::models::enrollment_invitation::{self as invitation, Invitation};
use crate::db::models::user::{self, NewUser};
use crate::domain::account::{DisplayName, NewPassword, Role, TimeZone};

/// What an invitation link leads to, so the page can say kindly what is possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinLink {
    /// The sign-up form, for this address (fixed) and the name the admin suggested.
    Open { email: String, display_name: String },
    /// Already used (the account exists), or withdrawn.
    Used,
    /// Not used in time.
    Expired,
    /// No invitation has this link (mistyped or cut short).
    Unknown,
}

/// The sign-up form, parsed.
#[derive(Debug)]
pub struct Joining {
    pub display_name: DisplayName,
    pub password: NewPassword,
    pub time_zone: TimeZone,
}

impl Accounts {
    /// What the link with `token` leads to; a read, it changes nothing.
    pub async fn join_link(&self, token: String) -> Result<JoinLink, AccountError> {
        let now = self.now().naive_utc();
        self.db
            .run(move |conn| {
                let found = invitation::find_by_token_hash(conn, &tokens::hash(&token))?;
                Ok(found.map_or(JoinLink::Unknown, |i| state_of(i, now)))
            })
            .await
    }

    /// Creates the invited person's account (confirmed: the link proved the address), starts
    /// every enrolment waiting for the address, and signs them in. A used or expired link is
    /// [`AccountError::BadLink`]; an address that has an account meanwhile is
    /// [`AccountError::AccountExists`] (its waiting enrolments start, and they sign in as usual).
    pub async fn join(
        &self,
        token: String,
        form: Joining,
        client: &Client,
    ) -> Result<SignedIn, AccountError> {
        let hash = self.passwords.hash(screen(form.password)?).await?;
        let now = self.now().naive_utc();
        let ip = client.ip.to_string();
        let created = self
            .db
            .transaction(move |conn| {
                let found = invitation::find_by_token_hash(conn, &tokens::hash(&token))?;
                let Some(JoinLink::Open { email, .. }) = found.map(|i| state_of(i, now)) else {
                    return Err(AccountError::BadLink);
                };
                if let Some(existing) = user::find_by_email(conn, &email)? {
                    start_waiting(conn, existing.id, &email, &ip, now)?;
                    return Ok(Err(AccountError::AccountExists));
                }
                let new = NewUser {
                    email: &email,
                    display_name: form.display_name.as_str(),
                    password_hash: &hash,
                    role: Role::Learner.as_str(),
                    email_verified_at: Some(now),
                    time_zone: form.time_zone.name(),
                    created_at: now,
                    updated_at: now,
                };
                let account = user::insert(conn, &new)?;
                start_waiting(conn, account.id, &email, &ip, now)?;
                Ok(Ok(account.id))
            })
            .await??;
        self.open_session(created, None, false, client).await
    }
}

fn state_of(found: Invitation, now: NaiveDateTime) -> JoinLink {
    if !found.is_open() {
        JoinLink::Used
    } else if found.link_expires_at <= now {
        JoinLink::Expired
    } else {
        JoinLink::Open { email: found.email, display_name: found.display_name }
    }
}

/// Starts every open invitation's enrolment for `email` as `user_id`'s and marks it accepted,
/// audited as the learner's own action.
fn start_waiting(
    conn: &mut DbConnection,
    user_id: i64,
    email: &str,
    ip: &str,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    for waiting in invitation::list_open_for_email(conn, email)? {
        let row = AdminEnrollment {
            user_id,
            course_slug: &waiting.course_slug,
            enrolled_at: now,
            expires_at: waiting.enrollment_expires_at,
            updated_at: now,
        };
        enrollment_admin::insert_many(conn, &[row])?;
        invitation::accept(conn, waiting.id, user_id, now)?;
        let detail = serde_json::json!({ "course": waiting.course_slug, "user_id": user_id });
        let target_id = waiting.id.to_string();
        audit::record(
            conn,
            &audit::NewEntry {
                actor_id: Some(user_id),
                action: "enrollment.invitation_accepted",
                target_type: "enrollment_invitation",
                target_id: &target_id,
                detail: &detail.to_string(),
                created_at: now,
                ip: Some(ip),
            },
        )?;
    }
    Ok(())
}
