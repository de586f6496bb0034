//! Worksheets learners fill in: listing, opening, saving revisions, finishing, history and
//! restore, the filled document, the data export and key rotation. Answers exist in plain text
//! only inside these functions; the database holds them sealed ([`sealing`]).
//!
//! Each function takes a `&mut DbConnection`, so a page or API handler does its whole unit of
//! work in one [`crate::db::Database::run`]; functions that write open their own write
//! transaction. The rules (validation, what finishing needs, answers to removed questions)
//! live in [`crate::domain::worksheet`].
//!
//! A worksheet is named by its [`WorksheetKey`] (`course.worksheet`), resolved for the
//! signed-in learner: it only ever reaches that learner's own copy. Nobody else, author or
//! admin included, can address it; asking for a worksheet one may not see is "not found".

mod copies;
mod desk;
mod export;
mod notices;
mod rotation;
mod sealing;
mod sharing;
mod signing;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::keyring::{Keyring, KeyringError};
use crate::content::Catalog;
use crate::db::DbError;
use crate::domain::ids::UserId;
use crate::domain::worksheet::{AnswerProblem, Answers, Status, WorksheetKey};

pub use copies::keep_copies_for_each_partner;
pub use desk::{agreement, document, finish, history, list, open, restore, save};
pub use export::{WorksheetRecord, export_of};
pub use notices::Notices;
pub use rotation::{Rotation, in_batches, rotate};
pub use sharing::share_with_partner;
pub use signing::{Signed, sign};

/// Who is acting on worksheets, with what they need: the catalog for the fields, the keyring
/// for the answers, partner mail, and the time. Owned, so it moves onto the blocking pool with
/// the work.
#[derive(Debug, Clone)]
pub struct Actor {
    pub catalog: Arc<Catalog>,
    pub keyring: Keyring,
    pub notices: Notices,
    pub user: UserId,
    pub now: DateTime<Utc>,
}

/// Why a worksheet action did not happen; messages are safe to show and hold no answer text.
#[derive(Debug, thiserror::Error)]
pub enum WorksheetError {
    /// No such worksheet, or not one this learner may see (never says which).
    #[error("there is no such worksheet")]
    NotFound,
    /// Answers that cannot be saved, each named by its field.
    #[error("some answers cannot be saved")]
    Invalid(Vec<AnswerProblem>),
    /// Required questions left unanswered when marking the worksheet finished.
    #[error("some required questions are unanswered")]
    Unfinished(Vec<AnswerProblem>),
    /// The save was based on an older revision: here is the current one, to show beside the
    /// learner's unsaved text.
    #[error("a newer revision was saved")]
    Conflict(Box<Opened>),
    /// A restore or signature named a revision the worksheet does not have.
    #[error("there is no such revision")]
    NoSuchRevision,
    /// Signing something that is not a couple's agreement (not signed, or no partner link).
    #[error("both partners sign this together, once their accounts are linked")]
    NotSignable,
    /// Signing before anything was saved.
    #[error("there is nothing saved to sign yet")]
    NothingToSign,
    /// A signature without a usable full name.
    #[error("please type your full name to sign")]
    BadName,
    /// Partner mail could not be rendered.
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// A ciphertext did not open or could not be made (the cause says which key, never text).
    #[error("the answers could not be sealed or opened: {0}")]
    Sealing(#[from] KeyringError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WorksheetError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// A worksheet in the learner's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub key: WorksheetKey,
    pub title: String,
    /// Partners fill in one copy together.
    pub shared: bool,
    /// Partners sign it.
    pub signatures: bool,
    /// The newest revision, 0 when never saved.
    pub revision: u32,
    pub status: Status,
    /// The partner's private worksheet, shared to read.
    pub read_only: bool,
    /// My private worksheet, shared with my partner to read.
    pub shared_with_partner: bool,
}

/// A worksheet opened to read or edit, at its newest revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub key: WorksheetKey,
    /// 0 when never saved; a save must name it as its base.
    pub revision: u32,
    pub status: Status,
    /// Answers to the worksheet's current questions.
    pub answers: Answers,
    /// Answers to questions the author has since removed: shown apart, never dropped.
    pub orphaned: Answers,
    /// When the newest revision was saved.
    pub saved_at: Option<DateTime<Utc>>,
    /// Whether the catalog worksheet changed since the newest revision was written.
    pub template_changed: bool,
    /// The partner's private worksheet, shared to read: writes are refused.
    pub read_only: bool,
    /// My private worksheet, shared with my partner to read.
    pub shared_with_partner: bool,
    /// Signatures given on the newest revision.
    pub signatures: Vec<SignatureInfo>,
    /// The newest revision both partners signed, if any: the agreement in force.
    pub in_force: Option<u32>,
    /// The signatures that put [`Opened::in_force`] in force (empty when none is).
    pub in_force_signatures: Vec<SignatureInfo>,
    /// The actor has a partner link now, so a private worksheet can be shared with them.
    pub linked: bool,
}

/// A signature on a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    pub revision: u32,
    /// `None` once the signer's account is gone.
    pub signer: Option<UserId>,
    /// As typed when signing.
    pub full_name: String,
    pub signed_at: DateTime<Utc>,
    /// The content hash of the revision signed.
    pub content_hash: String,
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The worksheet's newest revision after the save.
    pub revision: u32,
    /// `false` when the answers were identical to the newest revision, so nothing was written.
    pub changed: bool,
    pub status: Status,
    /// When the newest revision was saved ("Saved at 14:02").
    pub saved_at: Option<DateTime<Utc>>,
}

/// One revision in the history list: who, when and which questions changed, no answer text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub number: u32,
    /// `None` once the author's account is gone.
    pub author: Option<UserId>,
    pub saved_at: DateTime<Utc>,
    /// Field ids whose answers differ from the revision before.
    pub changed: Vec<String>,
    /// Content hash of the catalog worksheet it was written against.
    pub template_hash: String,
}
