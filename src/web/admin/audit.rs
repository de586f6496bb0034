//! `/admin/audit`: who did what, to which record, when and from where. Filters (actor, action,
//! target, dates in the admin's own zone), keyset pages (newest first, stable while new
//! entries arrive) and a streamed CSV of everything the filter matches. The JSON twin is
//! [`crate::web::api::admin::audit`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::admin::audit::{self as service, Listed, PAGE_SIZE, Search};
use crate::admin::csv_export::Sheet;
use crate::db::DbError;
use crate::db::models::audit::Filter;
use crate::domain::drip::start_of_local_day;
use crate::error::{AppError, FieldProblem};
use crate::web::admin::admin_context;
use crate::web::admin::csv::{BATCH_ROWS, Batch, stream};
use crate::web::forms::FormFeedback;
use crate::web::session::Admin;
use crate::web::state::AppState;

/// The filter as it arrives in the query string (every field optional, all text, so nothing
/// fails before it can be named).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    /// An account's email address or id.
    pub actor: Option<String>,
    /// An action (`user.role_changed`) or a prefix ending in `.` (`user.`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// First day, `YYYY-MM-DD`, in the admin's time zone.
    pub from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`, in the admin's time zone.
    pub to: Option<String>,
    /// Where the page starts (from the previous page's "Older entries" link).
    pub after: Option<String>,
}

/// `Some` trimmed text, or `None` when the field is absent or blank.
fn given(field: Option<&String>) -> Option<&str> {
    field.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn invalid(field: &'static str, message: &str) -> AppError {
    AppError::InvalidField { field, message: message.to_owned() }
}

/// Dotted lowercase words, as action and target names are written.
fn is_name(text: &str, dots: bool) -> bool {
    text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (dots && c == '.'))
}

fn day(field: &'static str, text: Option<&String>) -> Result<Option<NaiveDate>, AppError> {
    given(text)
        .map(|t| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| invalid(field, "Enter a date as YYYY-MM-DD, e.g. 2026-03-02."))
        })
        .transpose()
}

impl AuditQuery {
    /// The search this query asks for, dates read in `zone`; 422 naming the first bad field.
    pub fn parse(&self, zone: Tz) -> Result<Search, AppError> {
        let action = given(self.action.as_ref());
        if action.is_some_and(|a| !is_name(a, true)) {
            return Err(invalid("action", "Enter an action such as user.role_changed or user."));
        }
        let target_type = given(self.target_type.as_ref());
        if target_type.is_some_and(|t| !is_name(t, false)) {
            return Err(invalid("target_type", "Enter a record kind such as user or enrollment."));
        }
        let target_id = given(self.target_id.as_ref());
        if target_id.is_some_and(|t| t.chars().count() > 64) {
            return Err(invalid("target_id", "A record id is at most 64 characters."));
        }
        let actor = given(self.actor.as_ref());
        if actor.is_some_and(|a| a.chars().count() > 254) {
            return Err(invalid("actor", "Enter an email address or an account number."));
        }
        let (from, to) = (day("from", self.from.as_ref())?, day("to", self.to.as_ref())?);
        if matches!((from, to), (Some(from), Some(to)) if from > to) {
            return Err(invalid("to", "The last day is before the first day."));
        }
        let until = to.and_then(|t| t.succ_opt()).map(|t| start_of_local_day(zone, t));
        let after = given(self.after.as_ref())
            .map(|a| {
                service::parse_cursor(a).ok_or_else(|| {
                    invalid(
                        "after",
                        "This page link is not valid; start again from the newest entries.",
                    )
                })
            })
            .transpose()?;
        let filter = Filter {
            actor_id: None,
            action: action.map(str::to_owned),
            target_type: target_type.map(str::to_owned),
            target_id: target_id.map(str::to_owned),
            since: from.map(|f| start_of_local_day(zone, f).naive_utc()),
            until: until.map(|u| u.naive_utc()),
        };
        Ok(Search { actor: actor.map(str::to_owned), filter, after })
    }

    /// What was typed, for the form shown again (every field a string).
    fn values(&self) -> serde_json::Value {
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        serde_json::json!({
            "actor": text(&self.actor),
            "action": text(&self.action),
            "target_type": text(&self.target_type),
            "target_id": text(&self.target_id),
            "from": text(&self.from),
            "to": text(&self.to),
        })
    }

    /// This query's filter (no page position) as a query string, for the CSV link and the
    /// next page's link.
    fn filter_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target_type", &self.target_type),
            ("target_id", &self.target_id),
            ("from", &self.from),
            ("to", &self.to),
        ];
        for (name, value) in fields {
            if let Some(value) = given(value.as_ref()) {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

/// One entry as the console shows it.
#[derive(Debug, Serialize)]
struct EntryView {
    /// In the admin's zone, to the second.
    when: String,
    /// RFC 3339, for `<time datetime>`.
    iso: String,
    actor_name: Option<String>,
    actor_email: Option<String>,
    /// Said when the entry has no named actor.
    actor_note: &'static str,
    action: String,
    target_type: String,
    target_id: String,
    detail: String,
    ip: Option<String>,
}

fn utc(at: chrono::NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// Who an entry names, when it has no account to name.
fn actor_note(listed: &Listed) -> &'static str {
    match (listed.entry.actor_id, &listed.actor) {
        (_, Some(_)) => "",
        (Some(_), None) => "An account since deleted",
        (None, None) if listed.entry.action == "account.deleted" => "The account holder",
        (None, None) => "Operator (command line)",
    }
}

fn view(listed: Listed, zone: Tz) -> EntryView {
    let at = utc(listed.entry.created_at);
    let note = actor_note(&listed);
    let Listed { entry, actor } = listed;
    EntryView {
        when: at.with_timezone(&zone).format("%-d %b %Y, %H:%M:%S").to_string(),
        iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        actor_name: actor.as_ref().map(|a| a.display_name.clone()),
        actor_email: actor.map(|a| a.email),
        actor_note: note,
        action: entry.action,
        target_type: entry.target_type,
        target_id: entry.target_id,
        detail: entry.detail,
        ip: entry.ip,
    }
}

/// `GET /admin/audit`: one page of entries matching the filter. A bad filter shows the form
/// again with the field named (422), and no entries.
pub async fn show_audit(
    Admin(admin): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let mut context = admin_context(&req, "audit");
    context.insert("zone", admin.time_zone.name());
    let values = query.values();
    let search = match query.parse(admin.time_zone) {
        Ok(search) => search,
        Err(AppError::InvalidField { field, message }) => {
            let problem = FieldProblem { field: field.to_owned(), message };
            FormFeedback::with_errors(values, vec![problem]).insert_into(&mut context);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return state.page_with_status("admin/audit.html", status, &context);
        }
        Err(other) => return Err(other),
    };
    FormFeedback::fresh(values).insert_into(&mut context);
    let paged = search.after.is_some();
    let page = state.admin.audit_page(search, PAGE_SIZE).await?;
    let filter = query.filter_query();
    let next = page.next.map(|cursor| {
        let after = service::encode_cursor(cursor);
        let sep = if filter.is_empty() { "" } else { "&" };
        format!("/admin/audit?{filter}{sep}after={after}")
    });
    let entries: Vec<EntryView> =
        page.entries.into_iter().map(|l| view(l, admin.time_zone)).collect();
    context.insert("entries", &entries);
    context.insert("next", &next);
    context.insert("paged", &paged);
    context.insert("filter_query", &filter);
    state.page("admin/audit.html", &context)
}

/// The columns of the audit export, in order.
const COLUMNS: &[&str] = &[
    "id",
    "time_utc",
    "actor_id",
    "actor_email",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "detail",
    "ip",
];

fn csv_row(listed: Listed) -> Vec<String> {
    let Listed { entry, actor } = listed;
    vec![
        entry.id.to_string(),
        utc(entry.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        entry.actor_id.map(|id| id.to_string()).unwrap_or_default(),
        actor.as_ref().map(|a| a.email.clone()).unwrap_or_default(),
        actor.map(|a| a.display_name).unwrap_or_default(),
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.detail,
        entry.ip.unwrap_or_default(),
    ]
}

/// `GET /admin/audit/export`: every entry the filter matches (page position ignored), newest
/// first, as a streamed CSV (see [`crate::admin::csv_export`]).
pub async fn export_audit(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let mut search = query.parse(admin.time_zone)?;
    search.after = None;
    let filename = format!("mend-audit-{}.csv", state.clock.now().format("%Y-%m-%d"));
    let fetch = move |conn: &mut crate::db::DbConnection, after| {
        let search = Search { after, ..search.clone() };
        let page = service::search(conn, &search, BATCH_ROWS).map_err(DbError::from)?;
        let rows = page.entries.into_iter().map(csv_row).collect();
        Ok::<_, AppError>(Batch { rows, next: page.next })
    };
    Ok(stream(&state, &filename, Sheet::new(COLUMNS), fetch))
}
