//! The one boundary error: every handler returns [`AppError`], which becomes an HTTP status and a
//! problem document. Causes go to the log; people see a calm, clear message. Whether the problem
//! is shown as `application/problem+json` or as a styled page is decided once, in
//! [`crate::web::errors`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use chrono_tz::Tz;

use crate::accounts::AccountError;
use crate::db::DbError;
use crate::domain::drip::LockReason;
use crate::learning::{EnrollError, LearningError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    InvalidField { field: &'static str, message: String },
    #[error("not ready: {0}")]
    NotReady(String),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("template failed: {0}")]
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
    /// A failure in Mend itself (hashing, mail rendering, signing); the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
    /// A lesson of a course the learner has not enrolled in.
    #[error("not enrolled")]
    NotEnrolled,
    /// The learner's enrolment ended (expired or withdrawn).
    #[error("access ended")]
    AccessEnded,
    /// An invite-only course the learner was not invited to.
    #[error("invite only")]
    InviteOnly,
    /// A lesson not open yet; the detail says when or why it opens.
    #[error("lesson locked")]
    Locked { detail: String },
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Field(field) => {
                Self::InvalidField { field: field.field, message: field.message.to_owned() }
            }
            AccountError::BadCredentials => Self::BadCredentials,
            AccountError::RateLimited(retry) => {
                Self::TooManyRequests { retry_after: retry.seconds() }
            }
            AccountError::BadLink => Self::BadLink,
            AccountError::NotSignedIn => Self::Unauthorized,
            AccountError::Database(error) => Self::Database(error),
            other => Self::Internal(other.to_string()),
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

impl From<LearningError> for AppError {
    /// Lock times are shown in UTC here; pages that know the learner's zone use
    /// [`AppError::from_learning`].
    fn from(error: LearningError) -> Self {
        Self::from_learning(error, Tz::UTC, |slug| slug.to_owned())
    }
}

impl AppError {
    /// The one mapping of learner refusals to HTTP: a locked lesson says when it opens (in
    /// `zone`) or which lessons it needs (named by `title_of`).
    pub fn from_learning(
        error: LearningError,
        zone: Tz,
        title_of: impl Fn(&str) -> String,
    ) -> Self {
        match error {
            LearningError::NoSuchCourse | LearningError::NoSuchLesson => Self::NotFound,
            LearningError::NotEnrolled => Self::NotEnrolled,
            LearningError::NoAccess(_) => Self::AccessEnded,
            LearningError::Locked(reason) => {
                Self::Locked { detail: lock_detail(&reason, zone, title_of) }
            }
            LearningError::Db(error) => Self::Database(error),
        }
    }
}

/// Says, warmly, when or why a lesson opens.
pub fn lock_detail(reason: &LockReason, zone: Tz, title_of: impl Fn(&str) -> String) -> String {
    match reason {
        LockReason::OpensAt(at) => format!(
            "It opens on {} ({zone}). Lessons arrive one step at a time so there is room to take each in.",
            at.with_timezone(&zone).format("%A %-d %B %Y at %H:%M")
        ),
        LockReason::Requires(slugs) => {
            let titles: Vec<String> = slugs.iter().map(|s| title_of(s)).collect();
            format!("It opens once you have completed: {}.", titles.join(", "))
        }
        LockReason::Paused => {
            "Your course is paused while you take a break. Resume it from the course page and \
             your lessons will be waiting."
                .to_owned()
        }
    }
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
}

/// One invalid input field, named so forms and API clients can point at it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl Problem {
    /// A problem with only a status and its standard title, for errors raised outside Mend
    /// (actix extractors, unknown routes).
    pub fn for_status(status: StatusCode) -> Self {
        let title = match status {
            StatusCode::NOT_FOUND => "We couldn't find that page",
            StatusCode::PAYLOAD_TOO_LARGE => "That was too large to accept",
            s if s.is_server_error() => "Something went wrong on our side",
            s => s.canonical_reason().unwrap_or("Request failed"),
        };
        Self {
            kind: "about:blank",
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
        }
    }
}

impl AppError {
    fn problem(&self) -> Problem {
        let mut problem = Problem::for_status(self.status_code());
        match self {
            Self::NotFound => {
                problem.detail = Some("The link may be old, or the page may have moved.".into());
            }
            Self::InvalidField { field, message } => {
                problem.title = "Please check what you entered".into();
                problem
                    .errors
                    .push(FieldProblem { field: (*field).to_owned(), message: message.clone() });
            }
            Self::BadInput { field, message } => {
                problem.title = "We couldn't read that request".into();
                problem.detail = Some(message.clone());
                if let Some(field) = field {
                    problem
                        .errors
                        .push(FieldProblem { field: field.clone(), message: message.clone() });
                }
            }
            Self::Unauthorized => {
                problem.title = "Please sign in".into();
                problem.detail = Some("Your session has ended or was signed out.".into());
            }
            Self::Forbidden(_) => {
                problem.title = "We couldn't accept that form".into();
                problem.detail = Some(
                    "It may have come from another site, or the page was open for a long time. \
                     Please go back, reload the page and try again."
                        .into(),
                );
            }
            Self::AuthorsOnly => {
                problem.title = "This page is for course authors".into();
                problem.detail = Some(
                    "It shows how the course content was checked. Your own courses are on \
                     your dashboard."
                        .into(),
                );
            }
            Self::TooManyRequests { .. } => {
                problem.title = "Let's pause for a moment".into();
                problem.detail = Some(
                    "There were many attempts in a short time. Please try again a little later."
                        .into(),
                );
            }
            Self::BadCredentials => {
                problem.title = "That email and password don't match".into();
            }
            Self::BadLink => {
                problem.title = "That link has expired".into();
                problem.detail = Some(
                    "Links in our emails work once and only for a while. You can ask for a new one.".into(),
                );
            }
            Self::NotEnrolled => {
                problem.title = "This lesson is for enrolled learners".into();
                problem.detail = Some(
                    "You're welcome here. Enrol from the course page, and the lessons will \
                     open for you."
                        .into(),
                );
            }
            Self::AccessEnded => {
                problem.title = "Your access to this course has ended".into();
                problem.detail = Some(
                    "If you think this is a mistake, please contact the person who gave you \
                     access; your progress is kept."
                        .into(),
                );
            }
            Self::InviteOnly => {
                problem.title = "This course is by invitation".into();
                problem.detail = Some(
                    "Your counsellor or programme can invite you; once they do, the course \
                     appears on your dashboard."
                        .into(),
                );
            }
            Self::Locked { detail } => {
                problem.title = "This lesson isn't open yet".into();
                problem.detail = Some(detail.clone());
            }
            Self::PayloadTooLarge => {}
            Self::Internal(_) => {
                problem.detail =
                    Some("Nothing you entered was lost. Please try again in a moment.".into());
            }
            Self::NotReady(_) => problem.title = "Mend is not ready yet".into(),
            Self::Database(_) | Self::Template(_) => {
                problem.detail =
                    Some("Nothing you entered was lost. Please try again in a moment.".into());
            }
        }
        problem
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Template(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_)
            | Self::AuthorsOnly
            | Self::NotEnrolled
            | Self::AccessEnded
            | Self::InviteOnly
            | Self::Locked { .. } => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadLink => StatusCode::BAD_REQUEST,
            Self::BadInput { field: Some(_), .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadInput { field: None, .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
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
