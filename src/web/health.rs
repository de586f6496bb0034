//! Probes for process managers and load balancers.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::web::state::AppState;

/// Liveness: the process is up and answering. Deliberately checks nothing else, so a database
/// outage does not get healthy instances killed.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    catalog: &'static str,
}

/// Readiness: the database answers and is migrated, and a course catalog is loaded. A load
/// balancer sends traffic only while this says 200.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(error) => {
            tracing::warn!(%error, "not ready: database");
            "unreachable"
        }
    };
    let catalog = if state.catalog.current().is_some() { "ok" } else { "not loaded" };
    let readiness = Readiness { status: "ready", database, catalog };
    if database == "ok" && catalog == "ok" {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(Readiness { status: "not ready", ..readiness })
    }
}
