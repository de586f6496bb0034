//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' annotations so it
//! cannot drift from the code.

use actix_web::HttpResponse;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ProblemType;
use crate::web::api::{
    admin, auth, checkins, learning, me, notifications, partner, reflections, tracks, worksheets,
};
use crate::web::downloads;

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
        notifications::show,
        notifications::save,
        learning::list_courses,
        learning::show_course,
        learning::enroll,
        learning::show_lesson,
        learning::complete_lesson,
        learning::uncomplete_lesson,
        learning::pause,
        learning::resume,
        learning::my_progress,
        tracks::show,
        tracks::save,
        downloads::download_blank,
        worksheets::list,
        worksheets::show,
        worksheets::save,
        worksheets::finish,
        worksheets::revisions,
        worksheets::restore,
        worksheets::sign,
        worksheets::share,
        worksheets::unshare,
        crate::web::worksheets::download_filled,
        reflections::list,
        reflections::show,
        reflections::answer,
        checkins::list,
        checkins::save_today,
        checkins::patterns,
        checkins::export,
        partner::show,
        partner::invite,
        partner::end,
        partner::accept,
        partner::decline,
        partner::partner_progress,
        partner::share_progress,
        partner::unshare_progress,
        admin::codes::list,
        admin::codes::create,
        admin::codes::disable,
        admin::codes::enable,
        admin::outbox::list,
        admin::outbox::show,
        admin::outbox::retry,
        admin::outbox::cancel,
        admin::audit::list,
        admin::enrolments::list,
        admin::enrolments::enrol,
        admin::enrolments::import,
        admin::enrolments::export,
        admin::users::list_users,
        admin::users::show_user,
        admin::users::update_user,
        admin::users::delete_user,
        admin::users::resend_confirmation,
        admin::users::send_reset_link,
        admin::reports::show,
        admin::reports::nudge
    ),
    modifiers(&BearerAuth, &ProblemTypes)
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

/// Lists every problem `type` URI, with its status and title, on the `Problem` schema, so a
/// client can match on the kind of failure instead of parsing the wording.
struct ProblemTypes;

impl Modify for ProblemTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else {
            return;
        };
        let lines: Vec<String> = ProblemType::ALL
            .iter()
            .map(|kind| format!("- `{}` ({}): {}", kind.uri, kind.status.as_u16(), kind.title))
            .collect();
        let uris = ProblemType::ALL.iter().map(|kind| kind.uri).chain(["about:blank"]);
        let kind = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(uris))
            .description(Some(format!(
                "What went wrong, stable across releases (`about:blank`: only the status is \
                 known):\n{}",
                lines.join("\n")
            )));
        problem.properties.insert("type".to_owned(), kind.into());
    }
}

/// `GET /api/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
