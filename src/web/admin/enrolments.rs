//! `/admin/enrolments`: the list with filters and keyset pages, enrolling one person by email,
//! bulk actions on a selection, the CSV import (dry run first) and the CSV export. Handlers
//! parse, call one service method and render; the service audits every change.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::admin::csv_export::Sheet;
use crate::admin::enrolments::{
    BulkAction, Cursor, ExportPlan, ImportReport, ListQuery, ListedEnrollment, MAX_IMPORT_BYTES,
    MAX_IMPORT_LABEL, PendingInvitation, RawRow, Single,
};
use crate::content::Catalog;
use crate::error::{AppError, FieldProblem};
use crate::web::admin::csv::{self, Batch};
use crate::web::admin::{actor, admin_context};
use crate::web::session::{Admin, CsrfForm, verify_csrf};
use crate::web::state::AppState;
use crate::web::{RouteTable, get, multipart};

/// The enrolment pages' routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/admin/enrolments", |r| r.route(get().to(list)))
        .at("/admin/enrolments/enrol", |r| r.route(web::post().to(enrol)))
        .at("/admin/enrolments/bulk", |r| r.route(web::post().to(bulk)))
        .at("/admin/enrolments/import", |r| {
            r.route(get().to(show_import)).route(web::post().to(import))
        })
        .at("/admin/enrolments/export", |r| r.route(get().to(export)));
}

/// What the page says after a form redirected back to it (post/redirect/get).
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    #[serde(default)]
    done: String,
    #[serde(default)]
    changed: String,
}

fn flash_text(flash: &Flash) -> Option<String> {
    let changed = flash.changed.parse::<usize>().unwrap_or(0);
    let text = match flash.done.as_str() {
        "enrolled" => "Enrolled. They were told by email that something new is waiting.".to_owned(),
        "invited" => {
            "Invitation sent. The enrolment starts when they create their account.".to_owned()
        }
        "already" => "They were already enrolled; nothing changed.".to_owned(),
        "bulk" => format!("Done: {changed} changed."),
        _ => return None,
    };
    Some(text)
}

/// A listed enrolment as the table shows it.
#[derive(Debug, Serialize)]
struct RowView {
    id: i64,
    email: String,
    display_name: String,
    course_title: String,
    state: &'static str,
    enrolled: String,
    expires: String,
    last_active: String,
    completed: String,
    done: String,
    percent: u32,
}

fn shown(at: Option<NaiveDateTime>) -> String {
    at.map_or_else(String::new, |at| at.format("%Y-%m-%d %H:%M").to_string())
}

impl From<&ListedEnrollment> for RowView {
    fn from(e: &ListedEnrollment) -> Self {
        Self {
            id: e.id,
            email: e.email.clone(),
            display_name: e.display_name.clone(),
            course_title: e.course_title.clone(),
            state: e.state,
            enrolled: shown(Some(e.enrolled_at)),
            expires: shown(e.expires_at),
            last_active: shown(e.last_activity_at),
            completed: shown(e.completed_at),
            done: format!("{} of {}", e.lessons_done, e.lessons_total),
            percent: e.percent,
        }
    }
}

#[derive(Debug, Serialize)]
struct InvitationView<'a> {
    id: i64,
    email: &'a str,
    display_name: &'a str,
    course: &'a str,
    invited: String,
    link_expires: String,
    link_expired: bool,
}

impl<'a> From<&'a PendingInvitation> for InvitationView<'a> {
    fn from(i: &'a PendingInvitation) -> Self {
        Self {
            id: i.id,
            email: &i.email,
            display_name: &i.display_name,
            course: &i.course,
            invited: shown(Some(i.invited_at)),
            link_expires: shown(Some(i.link_expires_at)),
            link_expired: i.link_expired,
        }
    }
}

#[derive(Debug, Serialize)]
struct CourseOption<'a> {
    slug: &'a str,
    title: &'a str,
}

fn course_options(catalog: &Catalog) -> Vec<CourseOption<'_>> {
    catalog.courses().iter().map(|c| CourseOption { slug: &c.slug, title: &c.title }).collect()
}

/// The list's query string with `after` replaced: the next page's link.
fn next_href(query: &ListQuery, next: &str) -> String {
    let mut with_next = query.clone();
    with_next.after = next.to_owned();
    format!("/admin/enrolments?{}", encode(&with_next))
}

fn encode(query: &ListQuery) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query.pairs()).finish()
}

/// `GET /admin/enrolments`
pub async fn list(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let query = query.into_inner();
    let mut context = admin_context(&req, "enrolments");
    let mut status = StatusCode::OK;
    match state.enrolments.list(Arc::clone(&catalog), &query).await {
        Ok(page) => {
            let rows: Vec<RowView> = page.enrollments.iter().map(RowView::from).collect();
            context.insert("rows", &rows);
            context.insert("next_href", &page.next.as_deref().map(|n| next_href(&query, n)));
        }
        Err(error) => {
            let (field, message) = match AppError::from(error) {
                AppError::InvalidField { field, message } => (field, message),
                other => return Err(other),
            };
            status = StatusCode::UNPROCESSABLE_ENTITY;
            let problem = FieldProblem { field: field.to_owned(), message };
            context.insert("error_summary", &[problem]);
            context.insert("rows", &Vec::<RowView>::new());
        }
    }
    let course = Some(query.course.clone()).filter(|c| !c.is_empty());
    let pending = state.enrolments.pending_invitations(course).await?;
    let invitations: Vec<InvitationView<'_>> = pending.iter().map(InvitationView::from).collect();
    context.insert("invitations", &invitations);
    context.insert("query", &query);
    context.insert(
        "export_href",
        &format!(
            "/admin/enrolments/export?{}",
            encode(&ListQuery { after: String::new(), ..query.clone() })
        ),
    );
    context.insert("courses", &course_options(&catalog));
    context.insert("flash", &flash_text(&flash));
    state.page_with_status("admin/enrolments.html", status, &context)
}

/// The enrol-one form.
#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    email: String,
    #[serde(default)]
    name: String,
    course: String,
    /// The last day of access (`YYYY-MM-DD`), empty for no end.
    #[serde(default)]
    expires_on: String,
}

/// `POST /admin/enrolments/enrol`: enrols, or invites someone without an account.
pub async fn enrol(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<EnrolForm>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let row = RawRow {
        line: 0,
        email: form.email,
        name: form.name,
        course: form.course,
        expires_at: form.expires_on,
    };
    let done =
        match state.enrolments.enrol_by_email(&catalog, row, "form", actor(&admin, &req)).await? {
            Single::Enrolled => "enrolled",
            Single::Invited => "invited",
            Single::AlreadyEnrolled => "already",
        };
    Ok(see_other(&format!("/admin/enrolments?done={done}")))
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// A bulk action on the rows ticked in the list: `e<id>` for enrolments, `i<id>` for
/// invitations.
#[derive(Debug, Deserialize)]
pub struct BulkForm {
    action: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    until: String,
    #[serde(flatten)]
    picked: HashMap<String, String>,
}

fn picked(form: &BulkForm, prefix: char) -> Vec<i64> {
    let mut ids: Vec<i64> =
        form.picked.keys().filter_map(|key| key.strip_prefix(prefix)?.parse().ok()).collect();
    ids.sort_unstable();
    ids
}

fn bulk_action(form: &BulkForm) -> Result<BulkAction, AppError> {
    let invalid =
        |field, message: &str| AppError::InvalidField { field, message: message.to_owned() };
    Ok(match form.action.as_str() {
        "revoke" => BulkAction::Revoke,
        "extend_days" => BulkAction::ExtendDays(
            form.days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| invalid("days", "Enter a number of days from 1 to 3650."))?,
        ),
        "extend_to" => {
            let day = chrono::NaiveDate::parse_from_str(form.until.trim(), "%Y-%m-%d")
                .map_err(|_| invalid("until", "Use a date like 2026-12-31."))?;
            let end =
                day.succ_opt().ok_or_else(|| invalid("until", "Use a date like 2026-12-31."))?;
            BulkAction::ExtendTo(end.and_time(NaiveTime::MIN))
        }
        "resend" => BulkAction::ResendInvitation,
        "withdraw" => BulkAction::WithdrawInvitation,
        _ => return Err(invalid("action", "Choose an action.")),
    })
}

/// `POST /admin/enrolments/bulk`: applies the chosen action to the ticked rows, or downloads
/// them as CSV.
pub async fn bulk(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    if form.action == "export" {
        let ids = picked(&form, 'e');
        if ids.is_empty() {
            return Err(AppError::InvalidField {
                field: "selection",
                message: "Select at least one enrolment first.".into(),
            });
        }
        let plan =
            state.enrolments.export_plan(state.catalog()?, &ListQuery::default(), Some(ids))?;
        return Ok(stream_export(&state, "enrolments-selection.csv", plan));
    }
    let action = bulk_action(&form)?;
    let prefix = if matches!(action, BulkAction::ResendInvitation | BulkAction::WithdrawInvitation)
    {
        'i'
    } else {
        'e'
    };
    let outcome = state.enrolments.bulk(action, picked(&form, prefix), actor(&admin, &req)).await?;
    Ok(see_other(&format!("/admin/enrolments?done=bulk&changed={}", outcome.changed)))
}

/// The export's columns, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "email",
    "name",
    "course",
    "state",
    "enrolled_at",
    "expires_at",
    "percent",
    "lessons_done",
    "lessons_total",
    "last_activity_at",
    "completed_at",
];

fn export_cells(e: &ListedEnrollment) -> Vec<String> {
    let at = |t: Option<NaiveDateTime>| {
        t.map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    vec![
        e.email.clone(),
        e.display_name.clone(),
        e.course.clone(),
        e.state.to_owned(),
        at(Some(e.enrolled_at)),
        at(e.expires_at),
        e.percent.to_string(),
        e.lessons_done.to_string(),
        e.lessons_total.to_string(),
        at(e.last_activity_at),
        at(e.completed_at),
    ]
}

/// Streams `plan`'s rows as CSV, one batch per unit of work.
fn stream_export(state: &AppState, filename: &str, plan: ExportPlan) -> HttpResponse {
    let sheet = Sheet::new(EXPORT_COLUMNS);
    csv::stream(state, filename, sheet, move |conn, cursor: Option<Cursor>| {
        let (rows, next) = plan.batch(conn, cursor)?;
        Ok(Batch { rows: rows.iter().map(export_cells).collect(), next })
    })
}

/// `GET /admin/enrolments/export?…`: the enrolments the list's filters match, as CSV.
pub async fn export(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut query = query.into_inner();
    query.after.clear();
    let plan = state.enrolments.export_plan(state.catalog()?, &query, None)?;
    let name = if query.course.is_empty() {
        "enrolments".to_owned()
    } else {
        format!("enrolments-{}", query.course)
    };
    Ok(stream_export(&state, &format!("{name}.csv"), plan))
}

/// `GET /admin/enrolments/import`: the upload form (a dry run by default).
pub async fn show_import(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let mut context = admin_context(&req, "enrolments");
    context.insert("limit", MAX_IMPORT_LABEL);
    state.page("admin/enrolments_import.html", &context)
}

/// Reads a request body up to `limit` bytes; more is 413 naming the file limit. The rest of
/// an oversized body is read and dropped (up to a bound), so the client gets the answer rather
/// than a connection reset halfway through its upload.
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, AppError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadInput {
            field: None,
            message: "the upload broke off".into(),
        })?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit.saturating_mul(4) {
            break;
        }
        if seen <= limit {
            body.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(body)
}

fn too_large() -> AppError {
    AppError::UploadTooLarge {
        detail: format!("The file is larger than the {MAX_IMPORT_LABEL} limit."),
    }
}

/// Refuses a body whose declared length is far over `limit` before reading any of it.
pub fn check_length(req: &HttpRequest, limit: usize) -> Result<(), AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    match declared {
        Some(length) if length > limit.saturating_mul(4) => Err(too_large()),
        _ => Ok(()),
    }
}

/// Room for the form's other fields and part headers around the file.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The rows a preview shows: every problem row, and the first of the others.
const PREVIEW_ROWS: usize = 500;

/// `POST /admin/enrolments/import` (multipart: `csrf_token`, `dry_run`, and the file as `file`,
/// or the previewed text as `csv` when committing): previews or commits.
pub async fn import(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let limit = MAX_IMPORT_BYTES + FORM_OVERHEAD;
    check_length(&req, limit)?;
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let unreadable = || AppError::BadInput {
        field: Some("file".into()),
        message: "Upload the file with the form on this page.".into(),
    };
    let boundary = multipart::boundary(content_type).ok_or_else(unreadable)?;
    let body = read_limited(payload, limit).await?;
    let parts = multipart::parse(&body, &boundary).ok_or_else(unreadable)?;
    let field = |name: &str| parts.iter().find(|p| p.name == name).map(|p| p.data.as_slice());
    let token = field("csrf_token").and_then(|t| std::str::from_utf8(t).ok()).unwrap_or("");
    if !verify_csrf(&req, token) {
        return Err(AppError::Forbidden("missing or wrong CSRF token"));
    }
    let dry_run = field("dry_run").is_none_or(|v| v != b"false");
    let file = field("file")
        .filter(|f| !f.is_empty())
        .or_else(|| field("csv"))
        .unwrap_or_default()
        .to_vec();
    if file.is_empty() {
        return Err(AppError::InvalidField {
            field: "file",
            message: "Choose a CSV file to upload.".into(),
        });
    }
    let text = String::from_utf8_lossy(&file).into_owned();
    let report =
        state.enrolments.import(state.catalog()?, file, dry_run, actor(&admin, &req)).await?;
    report_page(&req, &state, &report, &text)
}

fn report_page(
    req: &HttpRequest,
    state: &AppState,
    report: &ImportReport,
    text: &str,
) -> Result<HttpResponse, AppError> {
    let mut context = admin_context(req, "enrolments");
    let problems = report.rows.iter().filter(|r| r.problem.is_some());
    let others = report.rows.iter().filter(|r| r.problem.is_none()).take(PREVIEW_ROWS);
    let mut shown: Vec<_> = problems.chain(others).collect();
    shown.sort_by_key(|r| r.line);
    context.insert("report", report);
    context.insert("shown", &shown);
    context.insert("hidden_rows", &(report.rows.len() - shown.len()));
    context.insert("changes", &report.counts.changes());
    if report.dry_run {
        context.insert("csv", text);
    }
    state.page("admin/enrolments_report.html", &context)
}
