//! The JSON API under `/api/v1`. Errors are `application/problem+json` (see [`crate::error`]).
//! Clients authenticate with `Authorization: Bearer <token>`; a browser using the session
//! cookie instead must send `X-CSRF-Token` on state changes.

pub mod auth;
pub mod learning;
pub mod me;
pub mod openapi;

use actix_web::web;

/// The API routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/register", web::post().to(auth::register))
        .route("/api/v1/auth/login", web::post().to(auth::login))
        .route("/api/v1/auth/logout", web::post().to(auth::logout))
        .route("/api/v1/auth/password-reset", web::post().to(auth::request_reset))
        .route("/api/v1/auth/password-reset/confirm", web::post().to(auth::confirm_reset))
        .route("/api/v1/auth/verify", web::post().to(me::verify))
        .route("/api/v1/me", web::get().to(auth::me))
        .route("/api/v1/me", web::delete().to(me::delete))
        .route("/api/v1/me/sessions", web::get().to(me::sessions))
        .route("/api/v1/me/sessions/{id}", web::delete().to(me::revoke_session))
        .route("/api/v1/me/export", web::get().to(me::export))
        .route("/api/v1/me/progress", web::get().to(learning::my_progress))
        .route("/api/v1/courses", web::get().to(learning::list_courses))
        .route("/api/v1/courses/{course}", web::get().to(learning::show_course))
        .route("/api/v1/courses/{course}/enroll", web::post().to(learning::enroll))
        .route("/api/v1/courses/{course}/pause", web::post().to(learning::pause))
        .route("/api/v1/courses/{course}/resume", web::post().to(learning::resume))
        .route("/api/v1/courses/{course}/lessons/{lesson}", web::get().to(learning::show_lesson))
        .route(
            "/api/v1/courses/{course}/lessons/{lesson}/complete",
            web::put().to(learning::complete_lesson),
        )
        .route(
            "/api/v1/courses/{course}/lessons/{lesson}/complete",
            web::delete().to(learning::uncomplete_lesson),
        )
        .route("/api/openapi.json", web::get().to(openapi::document));
}
