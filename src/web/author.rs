//! Pages for course authors.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::content;
use crate::error::AppError;
use crate::web::session::{Author, page_context};
use crate::web::state::AppState;

/// `/author/status`: the last compile's outcome and every diagnostic, so an author whose edit did
/// not go live can see why. Authors and admins only.
pub async fn status(
    _author: Author,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let status = state.catalog.status();
    let diagnostics: Vec<String> =
        status.iter().flat_map(|s| &s.diagnostics).map(ToString::to_string).collect();
    let errors = status.as_deref().map_or(0, |s| content::error_count(&s.diagnostics));
    let mut context = page_context(&req);
    context.insert("status", &status.as_deref());
    context.insert("diagnostics", &diagnostics);
    context.insert("errors", &errors);
    context.insert("warnings", &(diagnostics.len() - errors));
    state.page("pages/author_status.html", &context)
}
