//! HTTP: handlers grouped by audience, the route table, and the pieces every page shares.

pub mod account;
pub mod api;
pub mod assets;
pub mod author;
pub mod courses;
pub mod errors;
pub mod forms;
pub mod health;
pub mod learner;
pub mod progress;
pub mod session;
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
        .configure(learner_routes)
        .route("/author/status", web::get().to(author::status))
        .configure(account_routes)
        .configure(api::routes);
}

fn learner_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(learner::dashboard))
        .route("/courses/{course}/enroll", web::post().to(learner::enroll))
        .route("/courses/{course}/{action:pause|resume}", web::post().to(learner::take_a_break))
        .route("/courses/{course}/complete", web::get().to(learner::show_complete))
        .route(
            "/courses/{course}/lessons/{lesson}/{action:complete|uncomplete}",
            web::post().to(learner::mark_lesson),
        );
}

fn account_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(account::show_account))
        .route("/account/register", web::get().to(account::show_register))
        .route("/account/register", web::post().to(account::register))
        .route("/account/check-email", web::get().to(account::check_email))
        .route("/account/verify", web::get().to(account::show_verify))
        .route("/account/verify", web::post().to(account::verify))
        .route("/account/verify/resend", web::post().to(account::resend_verification))
        .route("/account/sign-in", web::get().to(account::show_sign_in))
        .route("/account/sign-in", web::post().to(account::sign_in))
        .route("/account/sign-out", web::post().to(account::sign_out))
        .route("/account/sign-out-everywhere", web::post().to(account::sign_out_everywhere))
        .route("/account/forgot", web::get().to(account::show_forgot))
        .route("/account/forgot", web::post().to(account::forgot))
        .route("/account/reset", web::get().to(account::show_reset))
        .route("/account/reset", web::post().to(account::reset))
        .route("/account/profile", web::get().to(account::show_profile))
        .route("/account/profile", web::post().to(account::update_profile))
        .route("/account/password", web::get().to(account::show_password))
        .route("/account/password", web::post().to(account::change_password))
        .route("/account/sessions", web::get().to(account::show_sessions))
        .route("/account/sessions/revoke", web::post().to(account::revoke_session))
        .route("/account/email", web::get().to(account::show_change_email))
        .route("/account/email", web::post().to(account::change_email))
        .route("/account/email/confirm", web::get().to(account::show_confirm_email))
        .route("/account/email/confirm", web::post().to(account::confirm_email))
        // The same download for the browser (cookie) and API clients (bearer).
        .route("/account/export", web::get().to(api::me::export))
        .route("/account/delete", web::get().to(account::show_delete))
        .route("/account/delete", web::post().to(account::delete));
}
