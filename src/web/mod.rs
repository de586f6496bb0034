//! HTTP: handlers grouped by audience, the route table, and the pieces every page shares.

pub mod assets;
pub mod errors;
pub mod health;
pub mod pages;
pub mod templates;

use actix_web::web;

/// The one route table, shared by `serve` and the tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/", web::get().to(pages::home));
}
