//! The admin console's pages under `/admin`. Every handler takes the [`Admin`] extractor first,
//! so the role is checked on the server before anything else is read; every form carries the
//! CSRF token ([`crate::web::session::CsrfForm`]). Each area (people, enrolments, codes,
//! outbox, reports, audit) lives in its own file and adds its routes with one line in
//! [`admin_routes`] and its navigation entry with one line in [`NAV`].

pub mod audit;
pub mod codes;
pub mod csv;
pub mod enrolments;
pub mod outbox;
pub mod people;
pub mod reports;

use actix_web::{HttpRequest, HttpResponse, web};
use tera::Context;

use crate::admin::Actor;
use crate::error::AppError;
use crate::web::session::{Admin, client_address, page_context};
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// Every admin page's route (one line per area).
pub fn admin_routes(table: &mut RouteTable) {
    table
        .at("/admin", |r| r.route(get().to(overview)))
        .at("/admin/audit", |r| r.route(get().to(audit::show_audit)))
        .at("/admin/audit/export", |r| r.route(get().to(audit::export_audit)));
    codes::routes(table);
    outbox::routes(table);
    enrolments::routes(table);
    people::routes(table);
    reports::routes(table);
}

/// One entry of the admin navigation: a page that exists, in the order admins read them.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct NavItem {
    /// What a page passes to [`admin_context`] to be marked as the current one.
    pub section: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// The admin navigation. Add a line when a page exists on your branch (never a link to a page
/// that does not): People, Enrolments, Access codes, Reports, Outbox, Audit log.
pub const NAV: &[NavItem] = &[
    NavItem { section: "overview", href: "/admin", label: "Overview" },
    NavItem { section: "people", href: "/admin/people", label: "People" },
    NavItem { section: "enrolments", href: "/admin/enrolments", label: "Enrolments" },
    NavItem { section: "codes", href: "/admin/codes", label: "Access codes" },
    NavItem { section: "reports", href: "/admin/reports", label: "Reports" },
    NavItem { section: "outbox", href: "/admin/outbox", label: "Outbox" },
    NavItem { section: "audit", href: "/admin/audit", label: "Audit log" },
];

/// The context every admin page starts from: the site's page context, the admin navigation
/// and which entry is the current page (`section`, one of [`NAV`]'s).
pub fn admin_context(req: &HttpRequest, section: &str) -> Context {
    let mut context = page_context(req);
    context.insert("admin_nav", NAV);
    context.insert("admin_section", section);
    context
}

/// Who is acting, from where: for the audit entry an admin service writes with its change.
pub fn actor(admin: &Admin, req: &HttpRequest) -> Actor {
    Actor::person(admin.0.id, client_address(req))
}

/// `GET /admin`: the numbers an admin checks first (learners, active enrolments, mail waiting
/// or failed) and the way to each area.
pub async fn overview(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let overview = state.admin.overview().await?;
    let mut context = admin_context(&req, "overview");
    context.insert("overview", &overview);
    state.page("admin/overview.html", &context)
}
