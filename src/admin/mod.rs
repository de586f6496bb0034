//! The admin console's services: units of work an admin runs (people, enrolments, codes,
//! reports, outbox, audit), each writing its audit entry in the same transaction as its change
//! (see [`audit::record`]). No HTTP here; the handlers are in `web::admin`.

pub mod audit;
pub mod codes;
pub mod csv_export;
pub mod enrolments;
pub mod mail;
pub mod people;
pub mod reports;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::db::models::{enrollment, outbox, user};
use crate::db::{Database, DbError};
use crate::domain::account::Role;
use crate::mail::DeferredMail;

pub use audit::Actor;

/// Why an admin action was refused; mapped to HTTP once, in [`crate::error`].
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// A field the admin filled in is wrong (422, naming the field).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The record does not exist (404).
    #[error("not found")]
    NotFound,
    /// The record is not in a state that allows the action (409, saying why).
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ConsoleError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::from(error))
    }
}

/// The admin console's entry point, built once at start-up and shared by the admin pages and
/// the admin API (other admin services hang their methods on it in their own files).
pub struct Console {
    db: Database,
    clock: SharedClock,
    /// Writes the words of mail queued as facts, for the outbox pages.
    deferred: Arc<dyn DeferredMail>,
}

/// The numbers on the admin overview page.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Overview {
    /// Accounts with the learner role that are not deactivated.
    pub learners: i64,
    /// Enrolments open today (not completed, withdrawn or expired).
    pub active_enrollments: i64,
    /// Mail waiting to be sent (including retries).
    pub queued_mail: i64,
    /// Mail given up on after its last attempt.
    pub failed_mail: i64,
}

impl Console {
    /// The console over `db`, reading time from `clock`, showing queued reminders as
    /// `deferred` writes them.
    pub fn new(db: Database, clock: SharedClock, deferred: Arc<dyn DeferredMail>) -> Self {
        Self { db, clock, deferred }
    }

    /// The storage the console's units of work run on.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Now, by the injectable clock (never `Utc::now()` directly).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The overview counts, read in one unit of work (reads only: no write lock taken).
    pub async fn overview(&self) -> Result<Overview, DbError> {
        let now = self.now().naive_utc();
        self.db
            .run(move |conn| {
                Ok(Overview {
                    learners: user::count_active_by_role(conn, Role::Learner.as_str())?,
                    active_enrollments: enrollment::count_active(conn, now)?,
                    queued_mail: outbox::count_by_status(conn, outbox::STATUS_PENDING)?,
                    failed_mail: outbox::count_by_status(conn, outbox::STATUS_FAILED)?,
                })
            })
            .await
    }
}
