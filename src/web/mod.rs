//! HTTP: handlers grouped by audience, the route table, and the pieces every page shares.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod author;
pub mod charts;
pub mod checkins;
pub mod courses;
pub mod discretion;
pub mod downloads;
pub mod errors;
pub mod forms;
pub mod health;
pub mod input;
pub mod join;
pub mod learner;
pub mod multipart;
pub mod notifications;
pub mod pages;
pub mod partner;
pub mod progress;
pub mod reflections;
pub mod session;
pub mod sharing;
pub mod signing;
pub mod state;
pub mod support;
pub mod tracks;
pub mod views;
pub mod worksheets;

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::middleware::from_fn;
use actix_web::{Resource, Route, guard, web};

/// Every path the server answers, each declared once with all its methods, so that an
/// unsupported method gets 405 with `Allow` (actix's resource default) rather than a 404.
#[derive(Default)]
pub struct RouteTable {
    resources: Vec<(&'static str, Resource)>,
}

impl RouteTable {
    /// Adds the path with the routes `build` gives it.
    pub fn at(
        &mut self,
        path: &'static str,
        build: impl FnOnce(Resource) -> Resource,
    ) -> &mut Self {
        self.resources.push((path, build(web::resource(path))));
        self
    }

    /// The path patterns, in matching order (for tests and documentation).
    pub fn paths(&self) -> Vec<&'static str> {
        self.resources.iter().map(|(path, _)| *path).collect()
    }

    /// Registers every resource, each behind the edge check of its path, query and body text.
    fn register(self, cfg: &mut web::ServiceConfig) {
        for (_, resource) in self.resources {
            cfg.service(resource.wrap(from_fn(input::check)));
        }
    }
}

/// The lesson page, the hottest page a learner reads: it checks the session in its own unit of
/// work (see [`session::with_session`]), so a view costs one blocking-pool hop.
const LESSON_PAGE: &str = "/courses/{course}/lessons/{lesson}";

/// The unsubscribe link in every non-essential mail: [`crate::auth::unsubscribe::UNSUBSCRIBE_PATH`]
/// and the token (a check in the tests keeps the two the same).
const UNSUBSCRIBE_PAGE: &str = "/unsubscribe/{token}";

/// Whether `path` is an unsubscribe link, which needs no session: mail clients post to it
/// cross-site and without cookies, and the page must work for whoever holds the mail.
pub fn is_unsubscribe_link(path: &str) -> bool {
    static PATTERN: OnceLock<ResourceDef> = OnceLock::new();
    PATTERN.get_or_init(|| ResourceDef::new(UNSUBSCRIBE_PAGE)).is_match(path)
}

/// Whether the handler at `path` checks the session itself, in its own blocking-pool hop,
/// rather than the session middleware checking it in one before.
pub fn checks_session_itself(path: &str) -> bool {
    static PATTERNS: OnceLock<ResourceDef> = OnceLock::new();
    PATTERNS.get_or_init(|| ResourceDef::new(LESSON_PAGE)).is_match(path)
}

/// A `GET` route that also answers `HEAD` (actix-http sends the headers without the body), for
/// uptime monitors, link checkers and cache revalidation.
pub fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The one route table, shared by `serve` and the tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    route_table().register(cfg);
}

/// Every route the server answers.
pub fn route_table() -> RouteTable {
    let mut table = RouteTable::default();
    table
        .at("/healthz", |r| r.route(get().to(health::healthz)))
        .at("/readyz", |r| r.route(get().to(health::readyz)))
        .at("/static/{file}", |r| r.route(get().to(assets::serve)))
        .at("/", |r| r.route(get().to(courses::list_courses)))
        .at("/support", |r| r.route(get().to(support::show_support)))
        .at("/courses/{course}", |r| r.route(get().to(courses::show_course)))
        .at("/courses/{course}/support", |r| r.route(get().to(support::show_course_support)))
        .at(LESSON_PAGE, |r| r.route(get().to(courses::show_lesson)))
        .at("/courses/{course}/worksheets/{worksheet}", |r| {
            r.route(get().to(courses::show_worksheet))
        })
        .at("/courses/{course}/worksheets/{worksheet}/download", |r| {
            r.route(get().to(downloads::download_blank))
        })
        .at("/courses/{course}/files/{path:.+}", |r| r.route(get().to(downloads::download_file)));
    learner_routes(&mut table);
    worksheet_routes(&mut table);
    checkin_routes(&mut table);
    table.at("/author", |r| r.route(get().to(author::landing)));
    table.at("/author/status", |r| r.route(get().to(author::status)));
    admin::admin_routes(&mut table);
    account_routes(&mut table);
    profile_routes(&mut table);
    partner_routes(&mut table);
    // One-click unsubscribe (RFC 8058): the signed token is the authority, so the session
    // middleware lets these through without a session or an origin check.
    table.at(UNSUBSCRIBE_PAGE, |r| {
        r.route(get().to(notifications::show_unsubscribe))
            .route(web::post().to(notifications::unsubscribe))
    });
    api::routes(&mut table);
    table
}

fn learner_routes(table: &mut RouteTable) {
    table
        .at("/dashboard", |r| r.route(get().to(learner::dashboard)))
        .at("/courses/{course}/enroll", |r| r.route(web::post().to(learner::enroll)))
        .at("/courses/{course}/{action:pause|resume}", |r| {
            r.route(web::post().to(learner::take_a_break))
        })
        .at("/courses/{course}/complete", |r| r.route(get().to(learner::show_complete)))
        .at("/courses/{course}/track", |r| {
            r.route(get().to(tracks::show_track)).route(web::post().to(tracks::choose_track))
        })
        .at("/courses/{course}/lessons/{lesson}/{action:complete|uncomplete}", |r| {
            r.route(web::post().to(learner::mark_lesson))
        })
        .at("/courses/{course}/lessons/{lesson}/reflections/{id}", |r| {
            r.route(web::post().to(reflections::save_answer))
        })
        .at("/reflections", |r| r.route(get().to(reflections::my_reflections)));
}

fn partner_routes(table: &mut RouteTable) {
    table
        .at("/partner", |r| r.route(get().to(partner::show_partner)))
        .at("/partner/invite", |r| r.route(web::post().to(partner::invite)))
        .at("/partner/withdraw", |r| r.route(web::post().to(partner::end)))
        .at("/partner/end", |r| {
            r.route(get().to(partner::show_end)).route(web::post().to(partner::end))
        })
        .at("/partner/progress/{course}/{action:share|unshare}", |r| {
            r.route(web::post().to(partner::share_progress))
        })
        .at("/invitation", |r| {
            r.route(get().to(partner::show_invitation)).route(web::post().to(partner::answer))
        });
}

/// A learner's own worksheets (`{id}` is `course.worksheet`, as in the API).
fn worksheet_routes(table: &mut RouteTable) {
    table
        .at("/worksheets", |r| r.route(get().to(worksheets::my_worksheets)))
        .at("/worksheets/{id}", |r| {
            r.route(get().to(worksheets::show_form)).route(web::post().to(worksheets::save_form))
        })
        .at("/worksheets/{id}/history", |r| r.route(get().to(worksheets::show_history)))
        .at("/worksheets/{id}/restore", |r| r.route(web::post().to(worksheets::restore)))
        .at("/worksheets/{id}/download", |r| r.route(get().to(worksheets::download_filled)))
        .at("/worksheets/{id}/sign", |r| r.route(web::post().to(signing::sign)))
        .at("/worksheets/{id}/share", |r| r.route(web::post().to(sharing::share)))
        .at("/worksheets/{id}/agreement/download", |r| {
            r.route(get().to(signing::download_agreement))
        });
}

/// The learner's daily check-in, their patterns, the download and the partner glance choice.
fn checkin_routes(table: &mut RouteTable) {
    table
        .at(checkins::CHECKIN, |r| {
            r.route(get().to(checkins::show_checkin)).route(web::post().to(checkins::save_checkin))
        })
        .at("/checkin/patterns", |r| r.route(get().to(checkins::show_patterns)))
        // The same download for the browser (cookie) and API clients (bearer).
        .at("/checkin/export", |r| r.route(get().to(api::checkins::export)))
        .at("/checkin/sharing", |r| r.route(web::post().to(checkins::set_sharing)));
}

fn account_routes(table: &mut RouteTable) {
    table
        .at("/account", |r| r.route(get().to(account::show_account)))
        .at("/account/register", |r| {
            r.route(get().to(account::show_register)).route(web::post().to(account::register))
        })
        .at("/account/join", |r| {
            r.route(get().to(join::show_join)).route(web::post().to(join::join))
        })
        .at("/account/check-email", |r| r.route(get().to(account::check_email)))
        .at("/account/verify", |r| {
            r.route(get().to(account::show_verify)).route(web::post().to(account::verify))
        })
        .at("/account/verify/resend", |r| r.route(web::post().to(account::resend_verification)))
        .at("/account/sign-in", |r| {
            r.route(get().to(account::show_sign_in)).route(web::post().to(account::sign_in))
        })
        .at("/account/sign-out", |r| r.route(web::post().to(account::sign_out)))
        .at("/account/sign-out-everywhere", |r| {
            r.route(web::post().to(account::sign_out_everywhere))
        })
        .at("/account/forgot", |r| {
            r.route(get().to(account::show_forgot)).route(web::post().to(account::forgot))
        })
        .at("/account/reset", |r| {
            r.route(get().to(account::show_reset)).route(web::post().to(account::reset))
        });
}

fn profile_routes(table: &mut RouteTable) {
    table
        .at("/account/profile", |r| {
            r.route(get().to(account::show_profile)).route(web::post().to(account::update_profile))
        })
        .at("/account/password", |r| {
            r.route(get().to(account::show_password))
                .route(web::post().to(account::change_password))
        })
        .at(notifications::NOTIFICATIONS_PAGE, |r| {
            r.route(get().to(notifications::show_notifications))
                .route(web::post().to(notifications::save_notifications))
        })
        .at(discretion::DISCRETION_PAGE, |r| {
            r.route(get().to(discretion::show_discretion))
                .route(web::post().to(discretion::save_discretion))
        })
        .at("/account/sessions", |r| r.route(get().to(account::show_sessions)))
        .at("/account/sessions/revoke", |r| r.route(web::post().to(account::revoke_session)))
        .at("/account/email", |r| {
            r.route(get().to(account::show_change_email))
                .route(web::post().to(account::change_email))
        })
        .at("/account/email/confirm", |r| {
            r.route(get().to(account::show_confirm_email))
                .route(web::post().to(account::confirm_email))
        })
        // The same download for the browser (cookie) and API clients (bearer).
        .at("/account/export", |r| r.route(get().to(api::me::export)))
        .at("/account/delete", |r| {
            r.route(get().to(account::show_delete)).route(web::post().to(account::delete))
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unsubscribe_links_skip_the_session() {
        let path = crate::auth::unsubscribe::UNSUBSCRIBE_PATH;
        assert_eq!(UNSUBSCRIBE_PAGE, format!("{path}/{{token}}"), "links and route agree");
        assert!(is_unsubscribe_link("/unsubscribe/7.d.abc-_"));
        for other in [
            "/unsubscribe",
            "/unsubscribe/",
            "/unsubscribe/a/b",
            "/unsubscribex/a",
            "/account/notifications",
        ] {
            assert!(!is_unsubscribe_link(other), "{other}");
        }
    }
}
