//! Writes to an account that are not part of signing in: an operator creating a verified
//! account or changing a role (from the CLI, on one connection, so no server needs to run),
//! and a learner editing their profile or their discretion settings.

use chrono::{DateTime, Utc};
use diesel::Connection;

use crate::accounts::{AccountError, Accounts, Registration};
use crate::db::DbConnection;
use crate::db::models::audit;
use crate::db::models::user::{self, NewUser, User};
use crate::domain::account::{DisplayName, Email, Role, TimeZone};
use crate::domain::ids::UserId;

/// Creates an account whose address the operator vouches for, so it starts verified. The
/// password is hashed here (argon2 runs on the caller's thread: call it off any async worker).
pub fn create_verified_user(
    conn: &mut DbConnection,
    account: &Registration,
    role: Role,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let hash = crate::auth::password::hash(&account.password)?;
    let now = now.naive_utc();
    let new = NewUser {
        email: account.email.as_str(),
        display_name: account.display_name.as_str(),
        password_hash: &hash,
        role: role.as_str(),
        email_verified_at: Some(now),
        time_zone: account.time_zone.name(),
        created_at: now,
        updated_at: now,
    };
    conn.transaction(|conn| {
        if user::find_by_email(conn, new.email)?.is_some() {
            return Err(AccountError::AccountExists);
        }
        Ok(user::insert(conn, &new)?)
    })
}

/// Sets the role of the account at `email` and records who had which role before, and who
/// (`by`) changed it, in the audit log in the same transaction.
pub fn set_role(
    conn: &mut DbConnection,
    email: &Email,
    role: Role,
    by: &str,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let now = now.naive_utc();
    conn.transaction(|conn| {
        let found =
            user::find_by_email(conn, email.as_str())?.ok_or(AccountError::NoSuchAccount)?;
        user::set_role(conn, found.id, role.as_str(), now)?;
        let detail = serde_json::json!({ "from": found.role, "to": role.as_str(), "by": by });
        let target_id = found.id.to_string();
        let entry = audit::NewEntry {
            actor_id: None,
            action: "user.role_changed",
            target_type: "user",
            target_id: &target_id,
            detail: &detail.to_string(),
            created_at: now,
            ip: None,
        };
        audit::record(conn, &entry)?;
        Ok(found)
    })
}

impl Accounts {
    /// Stores what the learner calls themselves and the zone their lesson dates are shown in.
    pub async fn update_profile(
        &self,
        user_id: UserId,
        name: DisplayName,
        zone: TimeZone,
    ) -> Result<(), AccountError> {
        let now = self.now().naive_utc();
        self.db
            .run(move |conn| {
                user::update_profile(conn, user_id.get(), name.as_str(), zone.name(), now)
                    .map_err(AccountError::from)
            })
            .await
    }

    /// Turns neutral page titles on or off for the learner; `true` when that changed. The same
    /// choice again is a read only, so it never waits for SQLite's write lock.
    pub async fn set_discreet_titles(
        &self,
        user_id: UserId,
        on: bool,
    ) -> Result<bool, AccountError> {
        let now = self.now().naive_utc();
        self.db
            .run(move |conn| {
                let found = user::find(conn, user_id.get())?.ok_or(AccountError::NoSuchAccount)?;
                if found.discreet_titles == on {
                    return Ok(false);
                }
                crate::db::write_transaction(conn, |conn| {
                    let changed = user::set_discreet_titles(conn, user_id.get(), on, now)?;
                    Ok(changed > 0)
                })
            })
            .await
    }
}
