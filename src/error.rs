//! The one boundary error: every handler returns [`AppError`], which becomes an HTTP status and a
//! problem document. Causes go to the log; people see a calm, clear message. Whether the problem
//! is shown as `application/problem+json` or as a styled page is decided once, in
//! [`crate::web::errors`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;

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
}

/// An RFC 9457 problem document; also stored on the response so the HTML renderer can reuse it.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct FieldProblem {
    pub field: &'static str,
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
                problem.errors.push(FieldProblem { field, message: message.clone() });
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
            Self::Database(_) | Self::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code())
            .content_type("application/problem+json")
            .json(&problem);
        response.extensions_mut().insert(problem);
        response
    }
}
