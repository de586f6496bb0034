//! The Discretion page under the account: what keeps Mend out of sight (the quick exit on every
//! page, neutral tab titles) and the learner's one switch for titles. A form that works without
//! JavaScript; saving goes back to the page (post/redirect/get).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::web::forms::{FormFeedback, SavedQuery};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;

/// Where the Discretion page lives (the account and notifications pages link here).
pub const DISCRETION_PAGE: &str = "/account/discretion";

/// The form: an unticked checkbox is not sent, so a missing field means "off".
#[derive(Debug, Deserialize)]
pub struct DiscretionForm {
    #[serde(default)]
    discreet_titles: Option<String>,
}

/// `GET /account/discretion`: the quick exit explained, and the switch for neutral titles.
pub async fn show_discretion(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(&req);
    let values = json!({ "discreet_titles": user.discreet_titles, "saved": query.saved.is_some() });
    FormFeedback::fresh(values).insert_into(&mut context);
    state.page("pages/account/discretion.html", &context)
}

/// `POST /account/discretion`: stores the choice (nothing is written when it is the same).
pub async fn save_discretion(
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<DiscretionForm>,
) -> Result<HttpResponse, AppError> {
    state.accounts.set_discreet_titles(user.id, form.discreet_titles.is_some()).await?;
    Ok(see_other(&format!("{DISCRETION_PAGE}?saved=1")))
}
