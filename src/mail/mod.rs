//! Email is data: a request renders a message from `templates/emails/<name>/` and queues it in
//! the outbox inside its own transaction ([`crate::db::models::outbox`]); the [`OutboxWorker`]
//! claims due messages, sends them through the configured [`Mailer`] and records the result,
//! retrying with backoff ([`retry`]).
//!
//! Logs name a message by its outbox id and kind only: never its recipient or its body.

pub mod deferred;
pub mod mailer;
pub mod message;
pub mod partner_updates;
pub mod reminders;
pub mod retry;
pub mod templates;
pub mod worker;

pub use deferred::DeferredMail;
pub use mailer::Mailer;
pub use partner_updates::{PartnerUpdates, Queued, Update};
pub use templates::{RenderedEmail, render};
pub use worker::{OutboxWorker, WorkerHandle};

use crate::db::DbError;

/// Why mail could not be set up, rendered or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The URL itself is never shown: it may carry the SMTP password.
    #[error("MEND_SMTP_URL is not a usable SMTP URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("MEND_MAIL_FROM={value:?} is not a mailbox: {source}")]
    Sender { value: String, source: lettre::address::AddressError },
    /// SMTP connections are pooled on a Tokio runtime; a caller outside one is a bug in Mend.
    #[error("the SMTP transport must be built inside the async runtime")]
    NoRuntime,
    #[error("cannot create the mail folder {path}: {source}")]
    OutboxDir { path: String, source: std::io::Error },
    #[error("the recipient is not a valid address: {0}")]
    Recipient(#[source] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[source] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[source] lettre::transport::smtp::Error),
    #[error("cannot write the message file: {0}")]
    File(#[source] lettre::transport::file::Error),
    #[error("the stub transport refused the message")]
    Stub(#[source] lettre::transport::stub::Error),
    #[error("email template {name}: {source}")]
    Template { name: String, source: tera::Error },
    /// A reminder queued as facts cannot be written (the reason names no person).
    #[error("cannot write the queued mail: {0}")]
    Deferred(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for MailError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

impl MailError {
    /// A description safe for logs: an SMTP server's reply text can quote the recipient's
    /// address, so for SMTP failures only the status code (or the kind of failure) is given.
    pub fn log_reason(&self) -> String {
        match self {
            Self::Smtp(error) => match error.status() {
                Some(code) => format!("SMTP server replied {code}"),
                None if error.is_timeout() => "SMTP server timed out".to_owned(),
                None if error.is_tls() => "SMTP TLS failure".to_owned(),
                None => "SMTP connection or protocol failure".to_owned(),
            },
            other => other.to_string(),
        }
    }
}
