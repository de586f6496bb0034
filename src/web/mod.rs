//! HTTP: handlers grouped by audience, the route table, and the pieces every page shares.

pub mod assets;
pub mod author;
pub mod courses;
pub mod errors;
pub mod health;
pub mod templates;
pub mod views;

use actix_web::web;

/// The one route table, shared by `serve` and the tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/", web::get().to(courses::list_courses))
        .route("/courses/{course}", web::get().to(courses::show_course))
        .route("/courses/{course}/lessons/{lesson}", web::get().to(courses::show_lesson))
        .route("/courses/{course}/worksheets/{worksheet}", web::get().to(courses::show_worksheet))
        .route("/courses/{course}/files/{path:.+}", web::get().to(courses::download_file))
        .route("/author/status", web::get().to(author::status));
}
