//! Public pages.

use actix_web::{HttpResponse, web};
use tera::Context;

use crate::error::AppError;
use crate::state::AppState;

/// The front page.
pub async fn home(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.templates.page("pages/home.html", &Context::new())
}
