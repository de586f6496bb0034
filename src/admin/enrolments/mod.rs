//! Enrolments as an admin runs them: enrolling one person by email (inviting them when they
//! have no account yet), bringing in a cohort from a CSV file, listing and filtering, bulk
//! actions on a selection, and exporting with progress. Every write is audited in its own
//! transaction, with the acting admin and their address.
//!
//! Mail is neutral: an invitation says only that someone set up access on Mend for this
//! address; an enrolment notice says only that something new is waiting after sign-in.

mod csv_import;
mod list;
mod plan;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use tera::Context;
use url::Url;

use crate::clock::SharedClock;
use crate::db::models::audit;
use crate::db::{Database, DbConnection, DbError};
use crate::domain::account::FieldError;
use crate::mail::{MailError, RenderedEmail};
use crate::templates::EmailTemplates;

pub use crate::db::models::enrollment_admin::Cursor;
pub use csv_import::RawRow;
pub use csv_import::{FileError, MAX_IMPORT_BYTES, MAX_IMPORT_LABEL, parse_expiry};
pub use list::{
    BulkAction, BulkOutcome, ExportPlan, ExportRow, ListQuery, ListedEnrollment, Page,
    PendingInvitation,
};
pub use plan::{Counts, Fate, ImportReport, RowReport, Single};

/// How long a sign-up link in an invitation works.
pub const INVITATION_VALID: Duration = Duration::days(14);

/// Rows applied per transaction when an import is committed: short enough that learners'
/// writes never wait long behind an import on SQLite, long enough to be fast.
const BATCH_ROWS: usize = 500;

/// A stand-in for each invitation's token while its mail is rendered once per batch; the real
/// token (URL-safe base64, nothing to escape) replaces it in every part.
const TOKEN_SLOT: &str = "MENDTOKENSLOT";

/// Why an enrolment action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A field named at run time, with a message for the admin.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("there is no such enrolment")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl From<diesel::result::Error> for EnrolmentError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

pub use crate::admin::Actor;

/// The enrolment service shared by the admin pages and the admin API.
pub struct EnrolmentAdmin {
    db: Database,
    clock: SharedClock,
    emails: Arc<EmailTemplates>,
    base_url: Url,
}

impl EnrolmentAdmin {
    /// Builds the service; `base_url` is where the links in invitation mail point.
    pub fn new(
        db: Database,
        clock: SharedClock,
        emails: Arc<EmailTemplates>,
        base_url: Url,
    ) -> Self {
        Self { db, clock, emails, base_url }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The invitation mail, with [`TOKEN_SLOT`] where each person's token goes.
    fn invitation_mail(&self) -> Result<RenderedEmail, MailError> {
        let mut url = self.base_url.clone();
        url.set_path("/account/join");
        url.set_query(Some(&format!("token={TOKEN_SLOT}")));
        let mut context = Context::new();
        context.insert("link", url.as_str());
        context.insert("valid_days", &INVITATION_VALID.num_days());
        crate::mail::render(&self.emails, "enrollment_invited", &context)
    }

    /// The neutral notice to someone with an account who was just given access.
    fn enrolled_mail(&self) -> Result<RenderedEmail, MailError> {
        let mut url = self.base_url.clone();
        url.set_path("/dashboard");
        url.set_query(None);
        let mut context = Context::new();
        context.insert("link", url.as_str());
        crate::mail::render(&self.emails, "enrollment_added", &context)
    }
}

/// The invitation mail for one token.
fn with_token(mail: &RenderedEmail, token: &str) -> RenderedEmail {
    RenderedEmail {
        kind: mail.kind.clone(),
        subject: mail.subject.clone(),
        body_text: mail.body_text.replace(TOKEN_SLOT, token),
        body_html: mail.body_html.replace(TOKEN_SLOT, token),
    }
}

/// One audit entry, written in the caller's transaction. `detail` holds ids and kinds only.
fn audit_entry(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: (&str, &str),
    detail: &serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    audit_entries(conn, actor, action, &[(target.0, target.1.to_owned(), detail.clone())], now)
}

/// Many audit entries of one action in one statement (an import's batch).
fn audit_entries(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    targets: &[(&str, String, serde_json::Value)],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let details: Vec<String> = targets.iter().map(|(_, _, d)| d.to_string()).collect();
    let entries: Vec<audit::NewEntry<'_>> = targets
        .iter()
        .zip(&details)
        .map(|((kind, id, _), detail)| audit::NewEntry {
            actor_id: actor.user_id.map(crate::domain::ids::UserId::get),
            action,
            target_type: kind,
            target_id: id,
            detail,
            created_at: now,
            ip: actor.ip.as_deref(),
        })
        .collect();
    for chunk in entries.chunks(1_000) {
        audit::record_many(conn, chunk)?;
    }
    Ok(())
}
