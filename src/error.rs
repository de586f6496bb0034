//! The one boundary error: every handler returns [`AppError`], which becomes an HTTP status and a
//! problem document. Causes go to the log; people see a calm, clear message. Whether the problem
//! is shown as `application/problem+json` or as a styled page is decided once, in
//! [`crate::web::errors`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::accounts::AccountError;
use crate::admin::ConsoleError;
use crate::db::DbError;
use crate::domain::account::FieldError;
use crate::learning::EnrollError;
use crate::notifications::NotificationError;
use crate::partners::PartnerError;
use crate::worksheets::{Opened, WorksheetError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    InvalidField { field: &'static str, message: String },
    /// Several fields at once, named at run time (a worksheet's answers by field id).
    #[error("some fields are not valid")]
    InvalidFields(Vec<FieldProblem>),
    /// A write based on a version that is no longer the newest; `current` is the newest, for
    /// the learner to compare with their own unsaved text (it goes only to that learner).
    #[error("edit conflict")]
    Conflict { current: Box<serde_json::Value> },
    #[error("not ready: {0}")]
    NotReady(String),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("template failed")]
    Template(#[from] tera::Error),
    /// No valid session: missing, tampered, expired or revoked token (never says which).
    #[error("not signed in")]
    Unauthorized,
    /// A cross-site request or a missing or wrong CSRF token.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A signed-in learner on a page for course authors.
    #[error("for course authors only")]
    AuthorsOnly,
    /// A signed-in learner or author on an admin page or admin API route.
    #[error("for administrators only")]
    AdminsOnly,
    #[error("rate limited")]
    TooManyRequests { retry_after: u64 },
    #[error("the email and password do not match an account")]
    BadCredentials,
    #[error("link not valid, used or expired")]
    BadLink,
    /// A body that could not be read (malformed JSON or form, wrong content type).
    #[error("bad request: {message}")]
    BadInput { field: Option<String>, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    /// An upload over its own limit; the detail names the limit.
    #[error("upload too large: {detail}")]
    UploadTooLarge { detail: String },
    /// A failure in Mend itself (hashing, mail rendering, signing); the cause is kept for the
    /// log and never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A lesson of a course the learner has not enrolled in.
    #[error("not enrolled")]
    NotEnrolled,
    /// The learner's enrolment ended (expired or withdrawn).
    #[error("access ended")]
    AccessEnded,
    /// An invite-only course the learner was not invited to.
    #[error("invite only")]
    InviteOnly,
    /// A lesson not open yet; the detail says when or why it opens, `next` where to go instead
    /// (the lesson that opens the way, one to read meanwhile, or the course to resume).
    #[error("lesson locked")]
    Locked { detail: String, next: Option<ProblemLink> },
    /// A lesson written for another track than the learner's: not among their lessons, so a
    /// 404, but a kind one; `next` leads to their track page.
    #[error("lesson on another track")]
    OtherTrack { next: Option<ProblemLink> },
    /// An admin action on a record in a state that does not allow it (retrying mail that did
    /// not fail, cancelling mail a worker is sending); the detail says why.
    #[error("refused: {detail}")]
    NotNow { detail: &'static str },
    /// A partner invitation or acceptance that would give a learner a second link.
    #[error("partner link exists: {detail}")]
    PartnerLinkExists { detail: &'static str },
}

impl From<FieldError> for AppError {
    fn from(field: FieldError) -> Self {
        Self::InvalidField { field: field.field, message: field.message.to_owned() }
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Field(field) => field.into(),
            AccountError::BadCredentials => Self::BadCredentials,
            AccountError::RateLimited(retry) => {
                Self::TooManyRequests { retry_after: retry.seconds() }
            }
            AccountError::BadLink => Self::BadLink,
            AccountError::NotSignedIn => Self::Unauthorized,
            AccountError::NoSuchAccount => Self::NotFound,
            error @ AccountError::AccountExists => {
                Self::InvalidField { field: "email", message: error.to_string() }
            }
            AccountError::Database(error) => Self::Database(error),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<crate::admin::people::PeopleError> for AppError {
    fn from(error: crate::admin::people::PeopleError) -> Self {
        use crate::admin::people::PeopleError;
        match error {
            PeopleError::NotFound => Self::NotFound,
            PeopleError::OwnAccount(message) | PeopleError::NotApplicable(message) => {
                Self::InvalidField { field: "user", message: message.to_owned() }
            }
            PeopleError::Account(error) => error.into(),
            PeopleError::Database(error) => Self::Database(error),
        }
    }
}

impl From<EnrollError> for AppError {
    fn from(error: EnrollError) -> Self {
        match error {
            EnrollError::NoSuchCourse => Self::NotFound,
            EnrollError::CodeRequired | EnrollError::InvalidCode => {
                Self::InvalidField { field: "access_code", message: error.to_string() }
            }
            EnrollError::InviteOnly => Self::InviteOnly,
            EnrollError::Revoked => Self::AccessEnded,
            EnrollError::Db(error) => Self::Database(error),
        }
    }
}

impl From<WorksheetError> for AppError {
    fn from(error: WorksheetError) -> Self {
        let named = |problems: Vec<crate::domain::worksheet::AnswerProblem>| {
            let fields = problems.into_iter().map(|problem| FieldProblem {
                field: format!("answers.{}", problem.field),
                message: problem.message.to_owned(),
            });
            Self::InvalidFields(fields.collect())
        };
        match error {
            WorksheetError::NotFound => Self::NotFound,
            WorksheetError::Invalid(problems) | WorksheetError::Unfinished(problems) => {
                named(problems)
            }
            WorksheetError::Conflict(current) => conflict(&current),
            error @ WorksheetError::NoSuchRevision => {
                Self::InvalidField { field: "restore", message: error.to_string() }
            }
            error @ (WorksheetError::NotSignable | WorksheetError::NothingToSign) => {
                Self::InvalidField { field: "revision", message: error.to_string() }
            }
            error @ WorksheetError::BadName => {
                Self::InvalidField { field: "full_name", message: error.to_string() }
            }
            WorksheetError::Db(error) => Self::Database(error),
            error @ (WorksheetError::Sealing(_) | WorksheetError::Mail(_)) => {
                Self::Internal(Box::new(error))
            }
        }
    }
}

impl From<crate::reflections::ReflectionError> for AppError {
    fn from(error: crate::reflections::ReflectionError) -> Self {
        use crate::reflections::ReflectionError;
        match error {
            ReflectionError::NotFound => Self::NotFound,
            ReflectionError::Invalid(problem) => {
                Self::InvalidField { field: "answer", message: problem.to_string() }
            }
            ReflectionError::Db(error) => Self::Database(error),
            error @ ReflectionError::Sealing(_) => Self::Internal(Box::new(error)),
        }
    }
}

/// A check-in refusal: its fields named as the form and the API name them; sharing without a
/// partner link is "not found", like the partner routes.
impl From<crate::checkins::CheckinError> for AppError {
    fn from(error: crate::checkins::CheckinError) -> Self {
        use crate::checkins::CheckinError;
        match error {
            CheckinError::Invalid(problems) => Self::InvalidFields(
                problems
                    .into_iter()
                    .map(|p| FieldProblem {
                        field: p.field.to_owned(),
                        message: p.message.to_owned(),
                    })
                    .collect(),
            ),
            CheckinError::NoLink => Self::NotFound,
            CheckinError::Db(error) => Self::Database(error),
            error @ CheckinError::Sealing(_) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<PartnerError> for AppError {
    fn from(error: PartnerError) -> Self {
        let field =
            |field, message: &str| Self::InvalidField { field, message: message.to_owned() };
        match error {
            PartnerError::InviteSelf => field(
                "email",
                "That is your own address. Enter the address of the person you want to invite.",
            ),
            PartnerError::OwnInvitation => field(
                "token",
                "This is the invitation you sent. The person you invited can accept it.",
            ),
            PartnerError::AlreadyLinked => Self::PartnerLinkExists {
                detail: "You already have a partner link or an open invitation. End or withdraw it first.",
            },
            PartnerError::OtherLinked => Self::PartnerLinkExists {
                detail: "The person with that address already has a partner link.",
            },
            PartnerError::BadInvitation => Self::BadLink,
            PartnerError::NoLink | PartnerError::NoSuchCourse => Self::NotFound,
            PartnerError::NoSuchAccount => Self::Unauthorized,
            PartnerError::RateLimited(retry) => {
                Self::TooManyRequests { retry_after: retry.seconds() }
            }
            PartnerError::Database(error) => Self::Database(error),
            PartnerError::Worksheet(error) => error.into(),
            other @ PartnerError::Mail(_) => Self::Internal(Box::new(other)),
        }
    }
}

impl From<NotificationError> for AppError {
    fn from(error: NotificationError) -> Self {
        match error {
            error @ NotificationError::UnknownCourse(_) => {
                Self::InvalidField { field: "courses", message: error.to_string() }
            }
            NotificationError::NotFound => Self::NotFound,
            NotificationError::Database(error) => Self::Database(error),
        }
    }
}

impl From<crate::admin::enrolments::EnrolmentError> for AppError {
    fn from(error: crate::admin::enrolments::EnrolmentError) -> Self {
        use crate::admin::enrolments::{EnrolmentError, FileError};
        match error {
            EnrolmentError::Field(field) => field.into(),
            EnrolmentError::Invalid { field, message } => Self::InvalidField { field, message },
            EnrolmentError::File(error @ FileError::TooLarge) => {
                Self::UploadTooLarge { detail: error.to_string() }
            }
            EnrolmentError::File(error) => {
                Self::InvalidField { field: "file", message: error.to_string() }
            }
            EnrolmentError::NotFound => Self::NotFound,
            EnrolmentError::Database(error) => Self::Database(error),
            error @ EnrolmentError::Mail(_) => Self::Internal(Box::new(error)),
        }
    }
}

/// An admin console refusal: a field named, a record missing, or "not now" (409).
impl From<ConsoleError> for AppError {
    fn from(error: ConsoleError) -> Self {
        match error {
            ConsoleError::Invalid { field, message } => Self::InvalidField { field, message },
            ConsoleError::NotFound => Self::NotFound,
            ConsoleError::Refused(detail) => Self::NotNow { detail },
            ConsoleError::Db(error) => Self::Database(error),
        }
    }
}

/// An admin's nudge: a course missing, a selection refused (naming the field), the content
/// not compiled.
impl From<crate::reminders::ReminderError> for AppError {
    fn from(error: crate::reminders::ReminderError) -> Self {
        use crate::reminders::ReminderError;
        match error {
            ReminderError::NoSuchCourse => Self::NotFound,
            ReminderError::Selection(message) => Self::InvalidField { field: "selection", message },
            ReminderError::NoCatalog => Self::NotReady("the course content has errors".into()),
            ReminderError::Database(error) => Self::Database(error),
        }
    }
}

/// The 409 for a stale worksheet write, carrying the newest revision as the API shows it.
fn conflict(current: &Opened) -> AppError {
    let current = serde_json::json!({
        "id": current.key.to_string(),
        "revision": current.revision,
        "status": current.status.as_str(),
        "answers": current.answers,
        "orphaned": current.orphaned,
        "saved_at": current.saved_at,
    });
    AppError::Conflict { current: Box::new(current) }
}

/// An RFC 9457 problem document; also stored on the response so the HTML renderer can reuse it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The next useful step, when the error knows one (a locked lesson names the lesson that
    /// unlocks it first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<ProblemLink>,
    /// On a 409 edit conflict: the newest saved version, to show beside the unsaved text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
}

/// A page worth going to from a problem, in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProblemLink {
    /// What the link says, e.g. "Read “Why boundaries matter” first".
    pub label: String,
    /// A local path.
    pub href: String,
}

/// One invalid input field, named so forms and API clients can point at it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// One kind of problem: its stable `type` URI (what clients match on), status and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    /// `/problems/<kind>`: never renamed once released.
    pub uri: &'static str,
    pub status: StatusCode,
    /// What a person reads first.
    pub title: &'static str,
    /// Shown unless the error carries a more specific detail of its own.
    pub detail: Option<&'static str>,
}

/// Said after every failure in Mend itself, whatever the cause.
const TRY_AGAIN: Option<&str> = Some("Nothing you entered was lost. Please try again in a moment.");

impl ProblemType {
    const NOT_FOUND: Self = Self {
        uri: "/problems/not-found",
        status: StatusCode::NOT_FOUND,
        title: "We couldn't find that page",
        detail: Some("The link may be old, or the page may have moved."),
    };
    const INVALID_FIELD: Self = Self {
        uri: "/problems/invalid-field",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        title: "Please check what you entered",
        detail: None,
    };
    const UNREADABLE_BODY: Self = Self {
        uri: "/problems/unreadable-body",
        status: StatusCode::BAD_REQUEST,
        title: "We couldn't read that request",
        detail: None,
    };
    const UNREADABLE_FIELD: Self = Self {
        uri: "/problems/unreadable-field",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        title: "We couldn't read that request",
        detail: None,
    };
    const PAYLOAD_TOO_LARGE: Self = Self {
        uri: "/problems/payload-too-large",
        status: StatusCode::PAYLOAD_TOO_LARGE,
        title: "That was too large to accept",
        detail: None,
    };
    const EDIT_CONFLICT: Self = Self {
        uri: "/problems/edit-conflict",
        status: StatusCode::CONFLICT,
        title: "A newer version was saved meanwhile",
        detail: Some(
            "Perhaps in another window, or by your partner. What you wrote is still here: \
             compare it with the newer version below, then save again.",
        ),
    };
    const NOT_SIGNED_IN: Self = Self {
        uri: "/problems/not-signed-in",
        status: StatusCode::UNAUTHORIZED,
        title: "Please sign in",
        detail: Some("Your session has ended or was signed out."),
    };
    const BAD_CREDENTIALS: Self = Self {
        uri: "/problems/bad-credentials",
        status: StatusCode::UNAUTHORIZED,
        title: "That email and password don't match",
        detail: None,
    };
    const FORBIDDEN: Self = Self {
        uri: "/problems/forbidden",
        status: StatusCode::FORBIDDEN,
        title: "We couldn't accept that form",
        detail: Some(
            "It may have come from another site, or the page was open for a long time. \
             Please go back, reload the page and try again.",
        ),
    };
    const AUTHORS_ONLY: Self = Self {
        uri: "/problems/authors-only",
        status: StatusCode::FORBIDDEN,
        title: "This page is for course authors",
        detail: Some(
            "It shows how the course content was checked. Your own courses are on your \
             dashboard.",
        ),
    };
    const ADMINS_ONLY: Self = Self {
        uri: "/problems/admins-only",
        status: StatusCode::FORBIDDEN,
        title: "This page is for administrators",
        detail: Some("It is part of the admin console. Your own courses are on your dashboard."),
    };
    const RATE_LIMITED: Self = Self {
        uri: "/problems/rate-limited",
        status: StatusCode::TOO_MANY_REQUESTS,
        title: "Let's pause for a moment",
        detail: Some("There were many attempts in a short time. Please try again a little later."),
    };
    const EXPIRED_LINK: Self = Self {
        uri: "/problems/expired-link",
        status: StatusCode::BAD_REQUEST,
        title: "That link has expired",
        detail: Some(
            "Links in our emails work once and only for a while. You can ask for a new one.",
        ),
    };
    const NOT_ENROLLED: Self = Self {
        uri: "/problems/not-enrolled",
        status: StatusCode::FORBIDDEN,
        title: "This lesson is for enrolled learners",
        detail: Some(
            "You're welcome here. Enrol from the course page, and the lessons will open for you.",
        ),
    };
    const ACCESS_ENDED: Self = Self {
        uri: "/problems/access-ended",
        status: StatusCode::FORBIDDEN,
        title: "Your access to this course has ended",
        detail: Some(
            "If you think this is a mistake, please contact the person who gave you access; \
             your progress is kept.",
        ),
    };
    const INVITE_ONLY: Self = Self {
        uri: "/problems/invite-only",
        status: StatusCode::FORBIDDEN,
        title: "This course is by invitation",
        detail: Some(
            "Your counsellor or programme can invite you; once they do, the course appears on \
             your dashboard.",
        ),
    };
    const LESSON_LOCKED: Self = Self {
        uri: "/problems/lesson-locked",
        status: StatusCode::FORBIDDEN,
        title: "This lesson isn't open yet",
        detail: None,
    };
    const OTHER_TRACK: Self = Self {
        uri: "/problems/other-track",
        status: StatusCode::NOT_FOUND,
        title: "This lesson is on another track",
        detail: Some(
            "It was written for a different path through the course, so it isn't among your \
             lessons. Yours are waiting on the course page, and you can change your track \
             whenever you like.",
        ),
    };
    const PARTNER_LINK_EXISTS: Self = Self {
        uri: "/problems/partner-link-exists",
        status: StatusCode::CONFLICT,
        title: "There is already a partner link",
        detail: None,
    };
    const NOT_NOW: Self = Self {
        uri: "/problems/not-now",
        status: StatusCode::CONFLICT,
        title: "That can't be done to this record now",
        detail: None,
    };
    const NOT_READY: Self = Self {
        uri: "/problems/not-ready",
        status: StatusCode::SERVICE_UNAVAILABLE,
        title: "Mend is not ready yet",
        detail: None,
    };
    const INTERNAL: Self = Self {
        uri: "/problems/internal",
        status: StatusCode::INTERNAL_SERVER_ERROR,
        title: "Something went wrong on our side",
        detail: TRY_AGAIN,
    };

    /// Every kind, for the OpenAPI document and the tests that keep them distinct.
    pub const ALL: [Self; 22] = [
        Self::NOT_FOUND,
        Self::INVALID_FIELD,
        Self::EDIT_CONFLICT,
        Self::UNREADABLE_BODY,
        Self::UNREADABLE_FIELD,
        Self::PAYLOAD_TOO_LARGE,
        Self::NOT_SIGNED_IN,
        Self::BAD_CREDENTIALS,
        Self::FORBIDDEN,
        Self::AUTHORS_ONLY,
        Self::ADMINS_ONLY,
        Self::RATE_LIMITED,
        Self::EXPIRED_LINK,
        Self::NOT_ENROLLED,
        Self::ACCESS_ENDED,
        Self::INVITE_ONLY,
        Self::LESSON_LOCKED,
        Self::OTHER_TRACK,
        Self::PARTNER_LINK_EXISTS,
        Self::NOT_NOW,
        Self::NOT_READY,
        Self::INTERNAL,
    ];

    /// The problem document of this kind, before any error-specific detail or field.
    fn problem(self) -> Problem {
        Problem {
            kind: self.uri,
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.map(str::to_owned),
            errors: Vec::new(),
            next: None,
            current: None,
        }
    }
}

impl Problem {
    /// The problem for an error raised outside Mend (actix extractors, unknown routes): one of
    /// Mend's kinds when the status has one, else `about:blank` with the standard reason.
    pub fn for_status(status: StatusCode) -> Self {
        let known = match status {
            StatusCode::NOT_FOUND => Some(ProblemType::NOT_FOUND),
            StatusCode::PAYLOAD_TOO_LARGE => Some(ProblemType::PAYLOAD_TOO_LARGE),
            s if s.is_server_error() => Some(ProblemType::INTERNAL),
            _ => None,
        };
        known.map_or_else(
            || Problem {
                kind: "about:blank",
                title: status.canonical_reason().unwrap_or("Request failed").to_owned(),
                status: status.as_u16(),
                detail: None,
                errors: Vec::new(),
                next: None,
                current: None,
            },
            ProblemType::problem,
        )
    }
}

impl AppError {
    /// The row of the problem table this error feeds.
    pub fn problem_type(&self) -> ProblemType {
        match self {
            Self::NotFound => ProblemType::NOT_FOUND,
            Self::InvalidField { .. } | Self::InvalidFields(_) => ProblemType::INVALID_FIELD,
            Self::Conflict { .. } => ProblemType::EDIT_CONFLICT,
            Self::BadInput { field: None, .. } => ProblemType::UNREADABLE_BODY,
            Self::BadInput { field: Some(_), .. } => ProblemType::UNREADABLE_FIELD,
            Self::PayloadTooLarge | Self::UploadTooLarge { .. } => ProblemType::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => ProblemType::NOT_SIGNED_IN,
            Self::BadCredentials => ProblemType::BAD_CREDENTIALS,
            Self::Forbidden(_) => ProblemType::FORBIDDEN,
            Self::AuthorsOnly => ProblemType::AUTHORS_ONLY,
            Self::AdminsOnly => ProblemType::ADMINS_ONLY,
            Self::TooManyRequests { .. } => ProblemType::RATE_LIMITED,
            Self::BadLink => ProblemType::EXPIRED_LINK,
            Self::NotEnrolled => ProblemType::NOT_ENROLLED,
            Self::AccessEnded => ProblemType::ACCESS_ENDED,
            Self::InviteOnly => ProblemType::INVITE_ONLY,
            Self::Locked { .. } => ProblemType::LESSON_LOCKED,
            Self::OtherTrack { .. } => ProblemType::OTHER_TRACK,
            Self::PartnerLinkExists { .. } => ProblemType::PARTNER_LINK_EXISTS,
            Self::NotNow { .. } => ProblemType::NOT_NOW,
            Self::NotReady(_) => ProblemType::NOT_READY,
            Self::Database(_) | Self::Template(_) | Self::Internal(_) => ProblemType::INTERNAL,
        }
    }

    /// The problem document: the table's row plus what this error knows (fields, detail).
    fn problem(&self) -> Problem {
        let mut problem = self.problem_type().problem();
        match self {
            Self::InvalidField { field, message } => {
                problem
                    .errors
                    .push(FieldProblem { field: (*field).to_owned(), message: message.clone() });
            }
            Self::InvalidFields(fields) => problem.errors.clone_from(fields),
            Self::Conflict { current } => problem.current = Some((**current).clone()),
            Self::BadInput { field, message } => {
                problem.detail = Some(message.clone());
                if let Some(field) = field {
                    problem
                        .errors
                        .push(FieldProblem { field: field.clone(), message: message.clone() });
                }
            }
            Self::Locked { detail, next } => {
                problem.detail = Some(detail.clone());
                problem.next.clone_from(next);
            }
            Self::OtherTrack { next } => problem.next.clone_from(next),
            Self::PartnerLinkExists { detail } | Self::NotNow { detail } => {
                problem.detail = Some((*detail).to_owned());
            }
            Self::UploadTooLarge { detail } => problem.detail = Some(detail.clone()),
            _ => {}
        }
        problem
    }
}

/// The error and every cause under it, outermost first, joined by ": " for one log line.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.problem_type().status
    }

    /// Logs a failure in Mend once, with its whole cause chain; the response carries only the
    /// problem document.
    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %cause_chain(self), "request failed");
        }
        let problem = self.problem();
        let mut builder = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after } = self {
            builder.insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()));
        }
        if matches!(self, Self::Unauthorized | Self::BadCredentials) {
            builder.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut response = builder.content_type("application/problem+json").json(&problem);
        response.extensions_mut().insert(problem);
        response
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use actix_web::body::MessageBody;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[test]
    fn problem_types_are_distinct_and_stable() {
        let uris: HashSet<&str> = ProblemType::ALL.iter().map(|kind| kind.uri).collect();
        assert_eq!(uris.len(), ProblemType::ALL.len(), "two kinds share a type URI");
        for kind in ProblemType::ALL {
            let slug = kind.uri.strip_prefix("/problems/").unwrap_or_default();
            assert!(!slug.is_empty() && slug.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        // Clients match on these; renaming one is a breaking change.
        let locked = AppError::Locked { detail: "soon".into(), next: None };
        assert_eq!(locked.problem().kind, "/problems/lesson-locked");
        assert_eq!(AppError::NotEnrolled.problem().kind, "/problems/not-enrolled");
        assert_eq!(AppError::NotFound.problem().kind, "/problems/not-found");
    }

    #[test]
    fn each_error_answers_with_its_kinds_status_and_words() {
        let bad_body =
            AppError::BadInput { field: None, message: "the JSON body is not valid".into() };
        let bad_field =
            AppError::BadInput { field: Some("email".into()), message: "missing".into() };
        assert_eq!(bad_body.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(bad_field.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_field.problem().errors[0].field, "email");
        let locked =
            AppError::Locked { detail: "It opens on Monday.".into(), next: None }.problem();
        assert_eq!(locked.status, 403);
        assert_eq!(locked.title, "This lesson isn't open yet");
        assert_eq!(locked.detail.as_deref(), Some("It opens on Monday."));
        assert_eq!(Problem::for_status(StatusCode::METHOD_NOT_ALLOWED).kind, "about:blank");
        assert_eq!(Problem::for_status(StatusCode::BAD_GATEWAY).kind, "/problems/internal");
    }

    #[test]
    fn partner_refusals_are_conflicts_or_field_problems_and_never_reveal_more() {
        let conflict = AppError::from(PartnerError::AlreadyLinked);
        assert_eq!(conflict.status_code(), StatusCode::CONFLICT);
        assert_eq!(conflict.problem().kind, "/problems/partner-link-exists");
        assert!(conflict.problem().detail.unwrap().contains("withdraw it first"));
        let own = AppError::from(PartnerError::InviteSelf).problem();
        assert_eq!((own.status, own.errors[0].field.as_str()), (422, "email"));
        assert_eq!(
            AppError::from(PartnerError::BadInvitation).status_code(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(AppError::from(PartnerError::NoLink).status_code(), StatusCode::NOT_FOUND);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("signing the session failed")]
    struct Signing(#[source] std::io::Error);

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Captured {
        type Writer = Self;

        fn make_writer(&self) -> Self {
            self.clone()
        }
    }

    #[test]
    fn an_internal_errors_causes_reach_the_log_once_but_not_the_response() {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt().with_writer(logs.clone()).finish();
        let cause = Signing(std::io::Error::other("key file unreadable"));
        let response = tracing::subscriber::with_default(subscriber, || {
            AppError::Internal(Box::new(cause)).error_response()
        });
        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let chain = "internal error: signing the session failed: key file unreadable";
        assert_eq!(logged.matches(chain).count(), 1, "{logged}");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().try_into_bytes().unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("/problems/internal"), "{body}");
        assert!(!body.contains("signing") && !body.contains("key file"), "{body}");
    }
}
