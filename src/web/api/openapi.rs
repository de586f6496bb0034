//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' annotations so it
//! cannot drift from the code.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::web::api::{auth, learning, me};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Mend API", description = "Errors are application/problem+json."),
    paths(
        auth::register,
        auth::login,
        auth::logout,
        auth::me,
        auth::request_reset,
        auth::confirm_reset,
        me::verify,
        me::sessions,
        me::revoke_session,
        me::export,
        me::delete,
        learning::list_courses,
        learning::show_course,
        learning::enroll,
        learning::show_lesson,
        learning::complete_lesson,
        learning::uncomplete_lesson,
        learning::pause,
        learning::resume,
        learning::my_progress
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme: a session JWT in `Authorization: Bearer`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT");
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme.build()));
    }
}

/// `GET /api/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
