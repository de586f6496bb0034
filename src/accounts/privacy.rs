//! Privacy self-service: a learner can download everything we hold about them, and erase it.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::accounts::{AccountError, Accounts, Client};
use crate::auth::password::Verified;
use crate::checkins::CheckinRecord;
use crate::db::models::audit::{self, NewEntry};
use crate::db::models::personal_data::{
    self, EnrollmentRecord, NotificationRecord, PartnershipRecord, ProgressRecord,
    ProgressShareRecord, SessionRecord,
};
use crate::domain::account::FieldError;
use crate::domain::ids::UserId;
use crate::reflections::{self, ReflectionRecord};
use crate::worksheets::{self, WorksheetRecord};

/// The profile part of an export.
#[derive(Debug, Serialize)]
pub struct Profile {
    pub email: String,
    pub display_name: String,
    pub role: String,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub email_verified_at: Option<NaiveDateTime>,
    pub time_zone: String,
    pub locale: String,
    /// Page titles say only "Mend" (the Discretion page).
    pub discreet_titles: bool,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// Everything about one learner, as one JSON document.
#[derive(Debug, Serialize)]
pub struct PersonalData {
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub exported_at: NaiveDateTime,
    pub profile: Profile,
    pub enrollments: Vec<EnrollmentRecord>,
    /// Which mail they chose to get, and when.
    pub notifications: NotificationRecord,
    pub progress: Vec<ProgressRecord>,
    pub sessions: Vec<SessionRecord>,
    pub partnerships: Vec<PartnershipRecord>,
    pub progress_shares: Vec<ProgressShareRecord>,
    /// Every worksheet with every revision, answers opened.
    pub worksheets: Vec<WorksheetRecord>,
    /// Every answer to a lesson's reflection prompts, opened (their own, never the partner's).
    pub reflections: Vec<ReflectionRecord>,
    /// Every daily check-in, opened.
    pub checkins: Vec<CheckinRecord>,
}

impl Accounts {
    /// Gathers the learner's data for "download my data".
    pub async fn export(&self, user_id: UserId) -> Result<PersonalData, AccountError> {
        let user = self.account(user_id).await?;
        let user_id = user.id;
        let keyring = self.keyring.clone();
        let (
            enrollments,
            notifications,
            progress,
            sessions,
            partnerships,
            progress_shares,
            worksheets,
            reflections,
            checkins,
        ) = self
            .db
            .run(move |conn| {
                Ok::<_, AccountError>((
                    personal_data::enrollments_of(conn, user_id)?,
                    personal_data::notifications_of(conn, user_id)?,
                    personal_data::progress_of(conn, user_id)?,
                    personal_data::sessions_of(conn, user_id)?,
                    personal_data::partnerships_of(conn, user_id)?,
                    personal_data::progress_shares_of(conn, user_id)?,
                    worksheets::export_of(conn, &keyring, UserId::from(user_id))?,
                    reflections::export_of(conn, &keyring, UserId::from(user_id))?,
                    crate::checkins::export_of(conn, &keyring, UserId::from(user_id))?,
                ))
            })
            .await?;
        let profile = Profile {
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            email_verified_at: user.email_verified_at,
            time_zone: user.time_zone,
            locale: user.locale,
            discreet_titles: user.discreet_titles,
            created_at: user.created_at,
            updated_at: user.updated_at,
        };
        let exported_at = self.now().naive_utc();
        Ok(PersonalData {
            exported_at,
            profile,
            enrollments,
            notifications,
            progress,
            sessions,
            partnerships,
            progress_shares,
            worksheets,
            reflections,
            checkins,
        })
    }

    /// Erases the account after checking its password; every session ends with it. The audit
    /// entry keeps only the former id and the address the request came from (the record that
    /// the holder asked for it).
    pub async fn delete_account(
        &self,
        user_id: UserId,
        password: String,
        client: &Client,
    ) -> Result<(), AccountError> {
        let ip = client.ip.to_string();
        let user = self.account(user_id).await?;
        let verified = self.passwords.verify(password, Some(user.password_hash)).await?;
        if verified == Verified::No {
            let message = "That is not your password.";
            return Err(FieldError { field: "password", message }.into());
        }
        let erasure = self.erasure()?;
        let now = self.now().naive_utc();
        let (user_id, email) = (user.id, user.email);
        self.db
            .transaction(move |conn| {
                erasure.run(conn, user_id, &email, now)?;
                let target_id = user_id.to_string();
                let entry = NewEntry {
                    actor_id: None,
                    action: "account.deleted",
                    target_type: "user",
                    target_id: &target_id,
                    detail: "{\"by\":\"owner\"}",
                    created_at: now,
                    ip: Some(&ip),
                };
                Ok(audit::record(conn, &entry)?)
            })
            .await
    }
}
