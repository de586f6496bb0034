//! The one step from a rendered template to an HTML response; rendering itself is
//! [`crate::templates`], which knows nothing of HTTP.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use tera::Context;

use crate::error::AppError;
use crate::web::state::AppState;

impl AppState {
    /// Renders `pages/…` as a full `200 OK` HTML page.
    pub fn page(&self, name: &str, context: &Context) -> Result<HttpResponse, AppError> {
        self.page_with_status(name, StatusCode::OK, context)
    }

    /// Renders `pages/…` with another status: a form shown again with its errors (422), a
    /// link that no longer works (400).
    pub fn page_with_status(
        &self,
        name: &str,
        status: StatusCode,
        context: &Context,
    ) -> Result<HttpResponse, AppError> {
        let body = self.templates.render(name, context)?;
        Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
    }
}

/// A `303 See Other` to `location`: where a form post sends the browser next.
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// `page` with `?next=` set to `next` (a local path), so that page can send the learner back.
pub(crate) fn returning(page: &str, next: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("{page}?next={encoded}")
}
