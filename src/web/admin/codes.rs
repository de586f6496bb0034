//! `/admin/codes`: the access codes of `code` courses, with their uses and what is left, a
//! form to make one (random or chosen), and a button to disable or re-enable each. Thin: the
//! checks and the audit entry are in [`crate::admin::codes`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::admin::ConsoleError;
use crate::admin::codes::{CodeRequest, CodeView};
use crate::content::{Catalog, Enrollment as Policy};
use crate::error::{AppError, FieldProblem};
use crate::web::admin::{actor, admin_context};
use crate::web::forms::FormFeedback;
use crate::web::pages::see_other;
use crate::web::session::{Admin, CsrfForm};
use crate::web::state::AppState;
use crate::web::views::Moment;
use crate::web::{RouteTable, get};

/// The codes pages' routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/admin/codes", |r| r.route(get().to(list)).route(web::post().to(create)))
        .at("/admin/codes/{id}/{action:disable|enable}", |r| r.route(web::post().to(toggle)));
}

/// `?course=…&before=…&created=…` on the listing.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Only this course's codes.
    #[serde(default)]
    pub course: Option<String>,
    /// Keyset cursor: codes with an id below this.
    #[serde(default)]
    pub before: Option<i64>,
    /// The code just made, to say so.
    #[serde(default)]
    created: Option<i64>,
}

/// The create form as typed: every field is text until checked.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CreateForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    course: String,
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    note: String,
}

/// A course a code can be made for, for the form's list.
#[derive(Debug, Serialize)]
struct CourseOption {
    slug: String,
    title: String,
}

fn code_courses(catalog: &Catalog) -> Vec<CourseOption> {
    catalog
        .courses()
        .iter()
        .filter(|c| c.enrollment == Policy::Code)
        .map(|c| CourseOption { slug: c.slug.clone(), title: c.title.clone() })
        .collect()
}

/// Reads the form's text fields into a request, naming the first one that is not a number or
/// a date.
fn request_from(form: &CreateForm) -> Result<CodeRequest, ConsoleError> {
    let max_uses = match form.max_uses.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| ConsoleError::Invalid {
            field: "max_uses",
            message: "Enter a whole number of uses from 1, or leave it empty for no limit.".into(),
        })?),
    };
    let expires_on = match form.expires_on.trim() {
        "" => None,
        text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ConsoleError::Invalid {
                field: "expires_on",
                message: "Enter the last day as a date, like 2026-12-31.".into(),
            }
        })?),
    };
    Ok(CodeRequest {
        code: Some(form.code.clone()),
        course: form.course.clone(),
        max_uses,
        expires_on,
        note: form.note.clone(),
    })
}

/// `GET /admin/codes`: the listing (newest first, 50 a page) and the create form.
pub async fn list(
    Admin(admin): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let feedback = FormFeedback::fresh(json!({ "form": CreateForm::default() }));
    render(&req, &state, &query, admin.time_zone, &feedback, StatusCode::OK).await
}

/// A code in the listing, with when it stops working in the admin's own zone.
#[derive(Debug, Serialize)]
struct CodeRow<'a> {
    #[serde(flatten)]
    code: &'a CodeView,
    expires: Option<Moment>,
}

/// The listing and the form; `zone` is the admin's, for when each code stops working.
async fn render(
    req: &HttpRequest,
    state: &AppState,
    query: &ListQuery,
    zone: Tz,
    feedback: &FormFeedback,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let page = state.admin.list_codes(query.course.clone(), query.before).await?;
    let now = state.clock.now();
    let rows: Vec<CodeRow<'_>> = page
        .codes
        .iter()
        .map(|code| CodeRow { code, expires: code.expires_at.map(|at| Moment::new(at, now, zone)) })
        .collect();
    let mut context = admin_context(req, "codes");
    context.insert("codes", &rows);
    context.insert("next_before", &page.next_before);
    context.insert("courses", &code_courses(&catalog));
    context.insert("course_filter", &query.course);
    context.insert("created", &query.created);
    feedback.insert_into(&mut context);
    state.page_with_status("admin/codes.html", status, &context)
}

/// `POST /admin/codes`: makes a code, then back to the listing (or the form again with what
/// was wrong, 422).
pub async fn create(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let made = match request_from(&form) {
        Ok(request) => state.admin.create_code(actor(&admin, &req), &catalog, request).await,
        Err(error) => Err(error),
    };
    match made {
        Ok(code) => Ok(see_other(&format!("/admin/codes?created={}", code.id))),
        Err(ConsoleError::Invalid { field, message }) => {
            let problem = FieldProblem { field: field.to_owned(), message };
            let feedback = FormFeedback::with_errors(json!({ "form": form }), vec![problem]);
            let query = ListQuery::default();
            let (zone, status) = (admin.0.time_zone, StatusCode::UNPROCESSABLE_ENTITY);
            render(&req, &state, &query, zone, &feedback, status).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /admin/codes/{id}/disable` or `/enable`: back to the listing.
pub async fn toggle(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<crate::web::account::NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let enabled = action == "enable";
    state.admin.set_code_enabled(actor(&admin, &req), id, enabled).await?;
    Ok(see_other("/admin/codes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_numbers_and_dates_are_checked_by_field() {
        let form = CreateForm { max_uses: "ten".into(), ..CreateForm::default() };
        assert!(matches!(
            request_from(&form),
            Err(ConsoleError::Invalid { field: "max_uses", .. })
        ));
        let form = CreateForm { expires_on: "31/12/2026".into(), ..CreateForm::default() };
        assert!(matches!(
            request_from(&form),
            Err(ConsoleError::Invalid { field: "expires_on", .. })
        ));
        let form = CreateForm {
            max_uses: " 5 ".into(),
            expires_on: "2026-12-31".into(),
            ..CreateForm::default()
        };
        let request = request_from(&form).unwrap();
        assert_eq!(request.max_uses, Some(5));
        assert_eq!(request.expires_on, NaiveDate::from_ymd_opt(2026, 12, 31));
    }
}
