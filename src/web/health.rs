//! Probes for process managers and load balancers.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::state::AppState;

/// Liveness: the process is up and answering. Deliberately checks nothing else, so a database
/// outage does not get healthy instances killed.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
}

/// Readiness: the database answers and is migrated. A load balancer sends traffic only while
/// this says 200.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(Readiness { status: "ready", database: "ok" }),
        Err(error) => {
            tracing::warn!(%error, "not ready: database");
            HttpResponse::ServiceUnavailable()
                .json(Readiness { status: "not ready", database: "unreachable" })
        }
    }
}
