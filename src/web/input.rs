//! Text from a request is checked at the edge, before any handler or the database sees it: a
//! path or query parameter, or a form or JSON body field, holding NUL, another control
//! character or bytes that are not UTF-8 is refused with 422 naming the field. PostgreSQL
//! refuses NUL in text and SQLite stores it, so without this the two backends answer apart.

use std::borrow::Cow;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use serde_json::Value;

use crate::error::AppError;

/// Where a text came from, which decides which whitespace controls it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Path and query: no control characters at all.
    Url,
    /// Form and JSON fields: tab and line breaks are text (a reflection has paragraphs).
    Body,
}

/// Whether `text` may be stored: no NUL, no control characters but a body's tab and newlines.
fn acceptable(text: &str, place: Place) -> bool {
    text.chars()
        .all(|c| !c.is_control() || (place == Place::Body && matches!(c, '\t' | '\n' | '\r')))
}

/// A form-encoded component, decoded; `None` when the bytes are not UTF-8.
fn decode(component: &str) -> Option<String> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8().ok().map(Cow::into_owned)
}

fn refuse(field: &str) -> AppError {
    let field = if acceptable(field, Place::Url) { field } else { "name" };
    AppError::BadInput {
        field: Some(field.to_owned()),
        message: "contains a character we can't accept (a control character or invalid text)"
            .into(),
    }
}

/// Checks every `name=value` pair of a query string or form body.
fn check_pairs(encoded: &str, place: Place) -> Result<(), AppError> {
    for pair in encoded.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key).filter(|k| acceptable(k, place)).ok_or_else(|| refuse("name"))?;
        if !decode(value).is_some_and(|v| acceptable(&v, place)) {
            return Err(refuse(&key));
        }
    }
    Ok(())
}

/// Checks every string (and key) of a JSON document; the field is named by its path.
fn check_json(value: &Value, field: &str) -> Result<(), AppError> {
    let named =
        |key: &str| if field.is_empty() { key.to_owned() } else { format!("{field}.{key}") };
    match value {
        Value::String(text) if !acceptable(text, Place::Body) => Err(refuse(field)),
        Value::Array(items) => items.iter().try_for_each(|item| check_json(item, field)),
        Value::Object(map) => map.iter().try_for_each(|(key, inner)| {
            if acceptable(key, Place::Body) {
                check_json(inner, &named(key))
            } else {
                Err(refuse("name"))
            }
        }),
        _ => Ok(()),
    }
}

/// Path parameters (decoded) and the query string.
fn check_url(req: &ServiceRequest) -> Result<(), AppError> {
    for (name, raw) in req.match_info().iter() {
        if !decode(raw).is_some_and(|v| acceptable(&v, Place::Url)) || !acceptable(raw, Place::Url)
        {
            return Err(refuse(name));
        }
    }
    check_pairs(req.query_string(), Place::Url)
}

/// The kinds of body whose fields are text Mend stores.
#[derive(Debug, Clone, Copy)]
enum BodyKind {
    Form,
    Json,
}

fn body_kind(req: &ServiceRequest) -> Option<BodyKind> {
    match req.content_type() {
        "application/x-www-form-urlencoded" => Some(BodyKind::Form),
        "application/json" => Some(BodyKind::Json),
        _ => None,
    }
}

/// Form fields must be UTF-8 text; a JSON body that does not parse is left to the extractor,
/// which answers 400.
fn check_body(kind: BodyKind, body: &[u8]) -> Result<(), AppError> {
    match kind {
        BodyKind::Form => match std::str::from_utf8(body) {
            Ok(text) => check_pairs(text, Place::Body),
            Err(_) => Err(refuse("body")),
        },
        BodyKind::Json => match serde_json::from_slice::<Value>(body) {
            Ok(value) => check_json(&value, ""),
            Err(_) => Ok(()),
        },
    }
}

/// Reads a text body (up to actix's payload limit), checks it, and hands it on unchanged.
async fn check_payload(req: &mut ServiceRequest) -> Result<(), AppError> {
    let Some(kind) = body_kind(req) else { return Ok(()) };
    let body = req.extract::<web::Bytes>().await.map_err(unreadable)?;
    check_body(kind, &body)?;
    req.set_payload(Payload::from(body));
    Ok(())
}

/// A body over the size limit is 413; one that broke off or could not be decoded is 400.
fn unreadable(error: actix_web::Error) -> AppError {
    match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
        _ => AppError::BadInput { field: None, message: "the body could not be read".into() },
    }
}

/// The middleware every resource of the route table runs behind.
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let checked = match check_url(&req) {
        Ok(()) => check_payload(&mut req).await,
        Err(error) => Err(error),
    };
    match checked {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(error) => Ok(req.error_response(error).map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_refused_in_urls_and_all_but_whitespace_in_bodies() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert!(!acceptable(&text, Place::Url), "{c:?} in a URL");
            let whitespace = matches!(c, '\t' | '\n' | '\r');
            assert_eq!(acceptable(&text, Place::Body), whitespace, "{c:?} in a body");
        }
        assert!(acceptable("Ünïcode — fine", Place::Url));
    }

    #[test]
    fn pairs_name_the_field_and_refuse_bad_utf8() {
        assert!(check_pairs("a=1&b=two+words", Place::Body).is_ok());
        let named = |encoded| match check_pairs(encoded, Place::Url) {
            Err(AppError::BadInput { field, .. }) => field,
            _ => None,
        };
        assert_eq!(named("ok=1&next=%00"), Some("next".into()));
        assert_eq!(named("token=%ff"), Some("token".into()));
        assert_eq!(named("%00=1"), Some("name".into()));
    }

    #[test]
    fn json_strings_are_checked_by_path_and_broken_json_is_left_alone() {
        assert!(check_body(BodyKind::Json, br#"{"a":"line\nbreak"}"#).is_ok());
        assert!(check_body(BodyKind::Json, b"{").is_ok());
        match check_body(BodyKind::Json, br#"{"a":{"b":"x\u0000"}}"#) {
            Err(AppError::BadInput { field, .. }) => assert_eq!(field.as_deref(), Some("a.b")),
            other => panic!("{other:?}"),
        }
    }
}
