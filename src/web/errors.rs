//! Turns every error response into what the client can use: `application/problem+json` under
//! `/api/` (or when HTML is not accepted), a styled, calm page everywhere else.

use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Serialize;
use tracing_actix_web::RequestId;

use crate::error::{AppError, Problem};
use crate::web::session::{CurrentUser, page_context, sign_in_href};
use crate::web::state::AppState;

/// The middleware that renders errors; wraps the whole app.
pub fn renderer<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

/// Largest form body accepted (forms here are a few short fields).
const FORM_LIMIT: usize = 16 * 1024;
/// Largest JSON body accepted.
const JSON_LIMIT: usize = 64 * 1024;

/// Form bodies: size-limited, and unreadable ones become 413/400/422 problems, never 500s.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(FORM_LIMIT).error_handler(|error, _| {
        match error {
            UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge,
            UrlencodedError::Parse(parse) => bad_input(&parse.to_string(), "form"),
            other => AppError::BadInput { field: None, message: format!("form: {other}") },
        }
        .into()
    })
}

/// JSON bodies: the same rules as forms.
pub fn json_config() -> web::JsonConfig {
    json_config_up_to(JSON_LIMIT)
}

/// [`json_config`] with another size limit, for the few routes whose bodies are long writing
/// (a worksheet's answers).
pub fn json_config_up_to(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|error, _| {
        match error {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                AppError::PayloadTooLarge
            }
            // Broken JSON is 400; well-formed JSON with a value of the wrong type is 422.
            JsonPayloadError::Deserialize(parse) if parse.is_data() => {
                let field = named_field(&parse.to_string()).unwrap_or_else(|| "body".to_owned());
                AppError::BadInput {
                    field: Some(field),
                    message: "is missing or has the wrong type".into(),
                }
            }
            JsonPayloadError::Deserialize(parse) => bad_input(&parse.to_string(), "JSON"),
            JsonPayloadError::ContentType => AppError::BadInput {
                field: None,
                message: "send the body as application/json".into(),
            },
            _ => AppError::BadInput { field: None, message: "the body could not be read".into() },
        }
        .into()
    })
}

/// Names the field serde complained about, without echoing any submitted value.
fn bad_input(serde_message: &str, format: &str) -> AppError {
    match named_field(serde_message) {
        Some(field) => {
            AppError::BadInput { field: Some(field), message: "is missing or not valid".into() }
        }
        None => {
            AppError::BadInput { field: None, message: format!("the {format} body is not valid") }
        }
    }
}

/// The field a serde message names (`missing field `email``), if any.
fn named_field(serde_message: &str) -> Option<String> {
    serde_message
        .split_once("field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_owned())
}

/// Unknown routes are ordinary 404s, rendered like any other error.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

fn render<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let problem = res.response().extensions().get::<Problem>().cloned();
    let problem = match problem {
        Some(problem) => problem,
        // A handler that built its own JSON or HTML error body (e.g. `/readyz`) meant it.
        None if has_document_body(res.response()) => {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        None => Problem::for_status(status),
    };
    let (req, res) = res.into_parts();
    let mut replacement = if wants_html(&req) {
        html_page(&req, &problem)
    } else {
        HttpResponse::build(status).content_type("application/problem+json").json(&problem)
    };
    copy_header(&res, &mut replacement, header::RETRY_AFTER);
    copy_header(&res, &mut replacement, header::WWW_AUTHENTICATE);
    copy_header(&res, &mut replacement, header::ALLOW);
    copy_set_cookies(&res, &mut replacement);
    let res = ServiceResponse::new(req, replacement).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

fn has_document_body<B>(res: &HttpResponse<B>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"))
}

fn wants_html(req: &HttpRequest) -> bool {
    if req.path().starts_with("/api/") {
        return false;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|accept| accept.contains("text/html") || accept.contains("*/*"))
}

/// A link the error page offers; the first is the main one.
#[derive(Debug, Serialize)]
struct Step {
    label: String,
    href: String,
    quiet: bool,
}

/// What is worth doing next from this error: sign in (and come back here) when signing in could
/// help, the step the problem itself names (the lesson that unlocks first), back to the course
/// when the page was part of one, and always somewhere to go on from.
fn next_steps(req: &HttpRequest, problem: &Problem) -> Vec<Step> {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let signed_in = CurrentUser::of(req).is_some();
    let asks_for_sign_in =
        status == StatusCode::UNAUTHORIZED || (status == StatusCode::FORBIDDEN && !signed_in);
    let mut steps = Vec::new();
    if asks_for_sign_in {
        steps.push(("Sign in".to_owned(), sign_in_href(req)));
    }
    if let Some(next) = &problem.next {
        steps.push((next.label.clone(), next.href.clone()));
    }
    if let Some(course) = course_of(req.path()).filter(|c| steps.iter().all(|(_, h)| h != c)) {
        steps.push(("Back to the course".to_owned(), course));
    }
    steps.push(if signed_in {
        ("Go to my courses".to_owned(), "/dashboard".to_owned())
    } else {
        ("Browse the courses".to_owned(), "/".to_owned())
    });
    let steps = steps.into_iter().enumerate();
    steps.map(|(i, (label, href))| Step { label, href, quiet: i > 0 }).collect()
}

/// `/courses/{course}` for any page inside a course (a lesson, a worksheet, a form post).
fn course_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/courses/")?;
    let (slug, inner) = rest.split_once('/')?;
    (!slug.is_empty() && !inner.is_empty()).then(|| format!("/courses/{slug}"))
}

/// The error as a page with the learner's own header, what to do next and, on failures of
/// ours, the reference to quote.
fn html_page(req: &HttpRequest, problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut context = page_context(req);
    context.insert("problem", problem);
    context.insert("steps", &next_steps(req, problem));
    if status.is_server_error() {
        let id = req.extensions().get::<RequestId>().map(ToString::to_string);
        context.insert("request_id", &id);
    }
    let rendered = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.templates.render("pages/error.html", &context));
    match rendered {
        Some(Ok(body)) => {
            HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
        }
        Some(Err(error)) => {
            tracing::error!(%error, "error page failed to render");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(problem.title.clone())
        }
        None => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(problem.title.clone()),
    }
}

/// Keeps cookies set alongside an error (e.g. a stale session cookie being removed).
fn copy_set_cookies<B>(from: &HttpResponse<B>, to: &mut HttpResponse) {
    for value in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, value.clone());
    }
}

fn copy_header<B>(from: &HttpResponse<B>, to: &mut HttpResponse, name: header::HeaderName) {
    if let Some(value) = from.headers().get(&name) {
        let value: HeaderValue = value.clone();
        to.headers_mut().insert(name, value);
    }
}
