//! The admin API under `/api/v1/admin`: the console's operations for scripts and integrations.
//! Every handler takes [`crate::web::session::Admin`] first (401 without a session, 403 for
//! learners and authors, as `application/problem+json`), and every route and status is in the
//! OpenAPI document. Each area adds its routes with one line in [`admin_api_routes`].

pub mod audit;
pub mod codes;
pub mod enrolments;
pub mod outbox;
pub mod reports;
pub mod users;

use crate::web::{RouteTable, get};

/// Every admin API route (one line per area).
pub fn admin_api_routes(table: &mut RouteTable) {
    table.at("/api/v1/admin/audit", |r| r.route(get().to(audit::list)));
    codes::routes(table);
    outbox::routes(table);
    enrolments::routes(table);
    users::routes(table);
    reports::routes(table);
}
