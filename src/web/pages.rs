//! The one step from a rendered template to an HTML response; rendering itself is
//! [`crate::templates`], which knows nothing of HTTP.

use actix_web::HttpResponse;
use tera::Context;

use crate::error::AppError;
use crate::web::state::AppState;

impl AppState {
    /// Renders `pages/…` as a full `200 OK` HTML page.
    pub fn page(&self, name: &str, context: &Context) -> Result<HttpResponse, AppError> {
        let body = self.templates.render(name, context)?;
        Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
    }
}
