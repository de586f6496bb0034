//! The JSON API under `/api/v1`. Errors are `application/problem+json` (see [`crate::error`]).
//! Clients authenticate with `Authorization: Bearer <token>`; a browser using the session
//! cookie instead must send `X-CSRF-Token` on state changes.

pub mod admin;
pub mod auth;
pub mod checkins;
pub mod learning;
pub mod me;
pub mod notifications;
pub mod openapi;
pub mod partner;
pub mod reflections;
pub mod tracks;
pub mod worksheets;

use actix_web::web;

use crate::web::errors::json_config_up_to;
use crate::web::{RouteTable, downloads, get};

/// The API routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/api/v1/auth/register", |r| r.route(web::post().to(auth::register)))
        .at("/api/v1/auth/login", |r| r.route(web::post().to(auth::login)))
        .at("/api/v1/auth/logout", |r| r.route(web::post().to(auth::logout)))
        .at("/api/v1/auth/password-reset", |r| r.route(web::post().to(auth::request_reset)))
        .at("/api/v1/auth/password-reset/confirm", |r| r.route(web::post().to(auth::confirm_reset)))
        .at("/api/v1/auth/verify", |r| r.route(web::post().to(me::verify)))
        .at("/api/v1/me", |r| r.route(get().to(auth::me)).route(web::delete().to(me::delete)))
        .at("/api/v1/me/sessions", |r| r.route(get().to(me::sessions)))
        .at("/api/v1/me/sessions/{id}", |r| r.route(web::delete().to(me::revoke_session)))
        .at("/api/v1/me/export", |r| r.route(get().to(me::export)))
        .at("/api/v1/me/notifications", |r| {
            r.route(get().to(notifications::show)).route(web::put().to(notifications::save))
        })
        .at("/api/v1/me/progress", |r| r.route(get().to(learning::my_progress)))
        .at("/api/v1/courses", |r| r.route(get().to(learning::list_courses)))
        .at("/api/v1/courses/{course}", |r| r.route(get().to(learning::show_course)))
        .at("/api/v1/courses/{course}/enroll", |r| r.route(web::post().to(learning::enroll)))
        .at("/api/v1/courses/{course}/track", |r| {
            r.route(get().to(tracks::show)).route(web::put().to(tracks::save))
        })
        .at("/api/v1/courses/{course}/pause", |r| r.route(web::post().to(learning::pause)))
        .at("/api/v1/courses/{course}/resume", |r| r.route(web::post().to(learning::resume)))
        .at("/api/v1/courses/{course}/lessons/{lesson}", |r| {
            r.route(get().to(learning::show_lesson))
        })
        // The same download as the course page's link; errors come as problem+json here.
        .at("/api/v1/courses/{course}/worksheets/{worksheet}/download", |r| {
            r.route(get().to(downloads::download_blank))
        })
        .at("/api/v1/courses/{course}/lessons/{lesson}/complete", |r| {
            r.route(web::put().to(learning::complete_lesson))
                .route(web::delete().to(learning::uncomplete_lesson))
        })
        .at("/api/v1/worksheets", |r| r.route(get().to(worksheets::list)))
        .at("/api/v1/worksheets/{id}", |r| {
            r.app_data(json_config_up_to(worksheets::BODY_LIMIT))
                .route(get().to(worksheets::show))
                .route(web::put().to(worksheets::save))
        })
        .at("/api/v1/worksheets/{id}/revisions", |r| r.route(get().to(worksheets::revisions)))
        .at("/api/v1/worksheets/{id}/finish", |r| r.route(web::post().to(worksheets::finish)))
        .at("/api/v1/worksheets/{id}/restore", |r| r.route(web::post().to(worksheets::restore)))
        .at("/api/v1/worksheets/{id}/sign", |r| r.route(web::post().to(worksheets::sign)))
        .at("/api/v1/shares/worksheets/{id}", |r| {
            r.route(web::put().to(worksheets::share)).route(web::delete().to(worksheets::unshare))
        })
        // The same download as the worksheet page's link; errors come as problem+json here.
        .at("/api/v1/worksheets/{id}/download", |r| {
            r.route(get().to(crate::web::worksheets::download_filled))
        })
        .at("/api/v1/reflections", |r| r.route(get().to(reflections::list)))
        .at("/api/v1/reflections/{course}/{lesson}/{id}", |r| {
            r.app_data(json_config_up_to(reflections::BODY_LIMIT))
                .route(get().to(reflections::show))
                .route(web::put().to(reflections::answer))
        })
        .at("/api/v1/checkins", |r| r.route(get().to(checkins::list)))
        .at("/api/v1/checkins/today", |r| r.route(web::put().to(checkins::save_today)))
        .at("/api/v1/checkins/patterns", |r| r.route(get().to(checkins::patterns)))
        .at("/api/v1/checkins/export", |r| r.route(get().to(checkins::export)))
        .at("/api/v1/partner", |r| {
            r.route(get().to(partner::show))
                .route(web::post().to(partner::invite))
                .route(web::delete().to(partner::end))
        })
        .at("/api/v1/partner/accept", |r| r.route(web::post().to(partner::accept)))
        .at("/api/v1/partner/decline", |r| r.route(web::post().to(partner::decline)))
        .at("/api/v1/partner/progress", |r| r.route(get().to(partner::partner_progress)))
        .at("/api/v1/shares/progress/{course}", |r| {
            r.route(web::put().to(partner::share_progress))
                .route(web::delete().to(partner::unshare_progress))
        })
        .at("/api/openapi.json", |r| r.route(get().to(openapi::document)));
    admin::admin_api_routes(table);
}

/// A JSON body that may be left out entirely (no body at all); a body that is there is read
/// like any other, so malformed JSON is 400, a wrong type 422 and an oversized body 413.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        use actix_web::http::header;
        let headers = req.headers();
        let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
        let empty = match length {
            Some(length) => length.trim() == "0",
            None => !headers.contains_key(header::TRANSFER_ENCODING),
        };
        if empty {
            return Box::pin(std::future::ready(Ok(Self(None))));
        }
        let json = web::Json::<T>::from_request(req, payload);
        Box::pin(async move { Ok(Self(Some(json.await?.into_inner()))) })
    }
}
