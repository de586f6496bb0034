//! `/admin/people`: finding accounts and acting on one. Handlers parse the query or form,
//! call one [`Console`](crate::admin::Console) method and render or redirect (303 with a
//! notice code, never user text, in the query).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::admin::people::{Outcome, PAGE_SIZE, PeoplePage, Person, PersonDetail};
use crate::db::models::people::PeopleFilter;
use crate::domain::account::Role;
use crate::domain::ids::UserId;
use crate::domain::search;
use crate::error::AppError;
use crate::web::admin::{actor, admin_context};
use crate::web::pages::see_other;
use crate::web::session::{Admin, CsrfForm};
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The People pages and actions.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/admin/people", |r| r.route(get().to(list_people)))
        .at("/admin/people/{id}", |r| r.route(get().to(show_person)))
        .at("/admin/people/{id}/role", |r| r.route(web::post().to(change_role)))
        .at("/admin/people/{id}/deactivate", |r| r.route(web::post().to(deactivate)))
        .at("/admin/people/{id}/reactivate", |r| r.route(web::post().to(reactivate)))
        .at("/admin/people/{id}/confirmation", |r| r.route(web::post().to(resend_confirmation)))
        .at("/admin/people/{id}/password-reset", |r| r.route(web::post().to(send_reset_link)))
        .at("/admin/people/{id}/delete", |r| r.route(web::post().to(delete_person)));
}

/// The search and filters as the form (and the API) send them; all optional, parsed by
/// [`PeopleQuery::parse`] so a bad value is a 422 naming its field.
#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct PeopleQuery {
    /// Part of an email address or name, any case, accents ignored.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// `yes` / `true` or `no` / `false`.
    #[serde(default)]
    pub confirmed: Option<String>,
    /// `active` or `deactivated`.
    #[serde(default)]
    pub status: Option<String>,
    /// A date (`2026-03-01`) or RFC 3339 time: used a session at or after it.
    #[serde(default)]
    pub seen_since: Option<String>,
    /// A date or RFC 3339 time: no session used at or after it (never signed in included).
    #[serde(default)]
    pub not_seen_since: Option<String>,
    /// The keyset cursor: list accounts with a lower id than this.
    #[serde(default)]
    pub before: Option<String>,
}

/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

impl PeopleQuery {
    /// The storage filter and cursor this query asks for.
    pub fn parse(&self) -> Result<(PeopleFilter, Option<i64>), AppError> {
        let filter = PeopleFilter {
            text: text(self.q.as_deref())?,
            role: blank(self.role.as_deref())
                .map(|r| r.parse::<Role>().map(|r| r.as_str().to_owned()))
                .transpose()
                .map_err(|_| invalid("role", "must be learner, author or admin"))?,
            confirmed: yes_no(self.confirmed.as_deref(), "confirmed")?,
            deactivated: match blank(self.status.as_deref()) {
                None => None,
                Some("active") => Some(false),
                Some("deactivated") => Some(true),
                Some(_) => return Err(invalid("status", "must be active or deactivated")),
            },
            seen_since: instant(self.seen_since.as_deref(), "seen_since")?,
            not_seen_since: instant(self.not_seen_since.as_deref(), "not_seen_since")?,
        };
        let before = blank(self.before.as_deref())
            .map(str::parse::<i64>)
            .transpose()
            .map_err(|_| invalid("before", "must be an account id from the previous page"))?;
        Ok((filter, before))
    }

    /// This query's link to the page after `before` (filters kept, cursor replaced).
    fn link(&self, path: &str, before: Option<i64>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("q", &self.q),
            ("role", &self.role),
            ("confirmed", &self.confirmed),
            ("status", &self.status),
            ("seen_since", &self.seen_since),
            ("not_seen_since", &self.not_seen_since),
        ];
        for (name, value) in fields {
            if let Some(value) = blank(value.as_deref()) {
                query.append_pair(name, value);
            }
        }
        if let Some(id) = before {
            query.append_pair("before", &id.to_string());
        }
        let encoded = query.finish();
        if encoded.is_empty() { path.to_owned() } else { format!("{path}?{encoded}") }
    }
}

fn blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn invalid(field: &'static str, message: &str) -> AppError {
    AppError::InvalidField { field, message: message.to_owned() }
}

fn text(value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(value) = blank(value) else { return Ok(None) };
    if value.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid("q", "is too long (at most 200 characters)"));
    }
    Ok(Some(search::fold(value)).filter(|folded| !folded.is_empty()))
}

fn yes_no(value: Option<&str>, field: &'static str) -> Result<Option<bool>, AppError> {
    match blank(value) {
        None => Ok(None),
        Some("yes" | "true") => Ok(Some(true)),
        Some("no" | "false") => Ok(Some(false)),
        Some(_) => Err(invalid(field, "must be yes or no")),
    }
}

/// A date (midnight UTC) or an RFC 3339 instant.
fn instant(value: Option<&str>, field: &'static str) -> Result<Option<NaiveDateTime>, AppError> {
    let Some(value) = blank(value) else { return Ok(None) };
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0));
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|at| Some(at.naive_utc()))
        .map_err(|_| invalid(field, "must be a date like 2026-03-01"))
}

/// A person as a table row shows them: dates already written out.
#[derive(Debug, Serialize)]
struct PersonRow<'a> {
    id: i64,
    email: &'a str,
    display_name: &'a str,
    role: &'a str,
    confirmed: bool,
    deactivated: bool,
    last_seen: String,
    joined: String,
}

fn row(person: &Person) -> PersonRow<'_> {
    PersonRow {
        id: person.id,
        email: &person.email,
        display_name: &person.display_name,
        role: &person.role,
        confirmed: person.confirmed,
        deactivated: person.deactivated_at.is_some(),
        last_seen: person.last_seen_at.map_or_else(|| "Never".to_owned(), when),
        joined: day(person.created_at),
    }
}

/// "2 March 2026, 09:00 UTC"
fn when(at: NaiveDateTime) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

fn day(at: NaiveDateTime) -> String {
    at.format("%-d %B %Y").to_string()
}

/// `GET /admin/people`: search and filters, newest accounts first, 50 a page.
pub async fn list_people(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, before) = query.parse()?;
    let PeoplePage { people, next_before } =
        state.admin.search_people(filter, before, PAGE_SIZE).await?;
    let rows: Vec<PersonRow<'_>> = people.iter().map(row).collect();
    let mut context = admin_context(&req, "people");
    context.insert("people", &rows);
    context.insert("query", &query);
    context.insert("roles", &Role::ALL.map(Role::as_str));
    if let Some(next) = next_before {
        context.insert("next_href", &query.link("/admin/people", Some(next)));
    }
    if before.is_some() {
        context.insert("first_href", &query.link("/admin/people", None));
    }
    insert_notice(&mut context, &req);
    state.page("admin/people.html", &context)
}

/// The account id in the path; anything else is simply not a person (404).
pub(crate) fn person_id(path: &str) -> Result<UserId, AppError> {
    path.parse::<i64>().map(UserId::from).map_err(|_| AppError::NotFound)
}

/// `GET /admin/people/{id}`: profile, enrolments with progress, sessions, mail and audit.
pub async fn show_person(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let detail = state.admin.person(id, state.catalog.current()).await?;
    let detail = detail.ok_or(AppError::NotFound)?;
    let mut context = admin_context(&req, "people");
    context.insert("person", &row(&detail.person));
    context.insert("detail", &detail_view(&detail));
    context.insert("roles", &Role::ALL.map(Role::as_str));
    insert_notice(&mut context, &req);
    state.page("admin/person.html", &context)
}

/// What the person page lists, dates written out.
fn detail_view(detail: &PersonDetail) -> serde_json::Value {
    let enrollments: Vec<serde_json::Value> = detail
        .enrollments
        .iter()
        .map(|e| {
            serde_json::json!({
                "course_title": e.course_title,
                "status": e.status,
                "enrolled": day(e.enrolled_at),
                "expires": e.expires_at.map(day),
                "completed": e.completed_at.map(day),
                "last_activity": e.last_activity_at.map(when),
                "done": e.lessons_done,
                "total": e.lessons_total,
                "percent": e.percent,
            })
        })
        .collect();
    let sessions: Vec<serde_json::Value> = detail
        .sessions
        .iter()
        .map(|s| {
            serde_json::json!({
                "device": s.device, "live": s.live,
                "created": when(s.created_at), "last_seen": when(s.last_seen_at),
            })
        })
        .collect();
    let mail: Vec<serde_json::Value> = detail
        .mail
        .iter()
        .map(|m| {
            serde_json::json!({
                "kind": m.kind, "status": m.status, "attempts": m.attempts,
                "created": when(m.created_at), "sent": m.sent_at.map(when),
            })
        })
        .collect();
    let audit: Vec<serde_json::Value> = detail
        .audit
        .iter()
        .map(|a| {
            serde_json::json!({
                "action": a.action, "actor_id": a.actor_id, "detail": a.detail,
                "ip": a.ip, "at": when(a.created_at),
            })
        })
        .collect();
    serde_json::json!({
        "time_zone": detail.person.time_zone,
        "enrollments": enrollments,
        "sessions": sessions,
        "mail": mail,
        "audit": audit,
    })
}

/// The notice a redirect asked for, by code (the query never carries text to show).
fn insert_notice(context: &mut tera::Context, req: &HttpRequest) {
    let code = web::Query::<NoticeQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().notice);
    let text = match code.as_deref() {
        Some("role") => "The role was changed.",
        Some("deactivated") => "The account is deactivated and every session was signed out.",
        Some("reactivated") => "The account is active again.",
        Some("confirmation") => "A new confirmation link is on its way.",
        Some("reset") => "A password-reset link is on its way.",
        Some("deleted") => "The account and its data were erased.",
        Some("unchanged") => "Nothing changed: the account was already like that.",
        _ => return,
    };
    context.insert("notice", text);
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn back_to(id: UserId, outcome: Outcome, notice: &str) -> HttpResponse {
    let notice = if outcome == Outcome::AlreadySo { "unchanged" } else { notice };
    see_other(&format!("/admin/people/{}?notice={notice}", id.get()))
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /admin/people/{id}/role`
pub async fn change_role(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let role: Role = form.role.parse()?;
    let outcome = state.admin.change_role(actor(&admin, &req), id, role).await?;
    Ok(back_to(id, outcome, "role"))
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /admin/people/{id}/deactivate`
pub async fn deactivate(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let outcome = state.admin.deactivate(actor(&admin, &req), id).await?;
    Ok(back_to(id, outcome, "deactivated"))
}

/// `POST /admin/people/{id}/reactivate`
pub async fn reactivate(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    let outcome = state.admin.reactivate(actor(&admin, &req), id).await?;
    Ok(back_to(id, outcome, "reactivated"))
}

/// `POST /admin/people/{id}/confirmation`
pub async fn resend_confirmation(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    state.admin.resend_confirmation(&state.accounts, actor(&admin, &req), id).await?;
    Ok(back_to(id, Outcome::Done, "confirmation"))
}

/// `POST /admin/people/{id}/password-reset`
pub async fn send_reset_link(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    state.admin.send_reset_link(&state.accounts, actor(&admin, &req), id).await?;
    Ok(back_to(id, Outcome::Done, "reset"))
}

/// The delete form: a ticked box says the admin means it.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /admin/people/{id}/delete`: the same erasure as self-service deletion.
pub async fn delete_person(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = person_id(&path)?;
    if form.confirm.as_deref() != Some("yes") {
        return Err(invalid("confirm", "Tick the box to confirm the account should be erased."));
    }
    state.admin.delete_person(&state.accounts, actor(&admin, &req), id).await?;
    Ok(see_other("/admin/people?notice=deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> PeopleQuery {
        let encoded =
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        web::Query::<PeopleQuery>::from_query(&encoded).map(web::Query::into_inner).unwrap()
    }

    #[test]
    fn filters_are_parsed_and_folded() {
        let (filter, before) = query(&[
            ("q", "  ZOË "),
            ("role", "author"),
            ("confirmed", "no"),
            ("status", "deactivated"),
            ("seen_since", "2026-03-01"),
            ("not_seen_since", "2026-04-01T12:00:00+02:00"),
            ("before", "42"),
        ])
        .parse()
        .unwrap();
        assert_eq!(filter.text.as_deref(), Some("zoe"));
        assert_eq!(filter.role.as_deref(), Some("author"));
        assert_eq!((filter.confirmed, filter.deactivated), (Some(false), Some(true)));
        assert_eq!(filter.seen_since.unwrap().to_string(), "2026-03-01 00:00:00");
        assert_eq!(filter.not_seen_since.unwrap().to_string(), "2026-04-01 10:00:00");
        assert_eq!(before, Some(42));
    }

    #[test]
    fn empty_fields_leave_the_filter_open_and_bad_ones_name_the_field() {
        let (filter, before) = query(&[("q", ""), ("role", " "), ("before", "")]).parse().unwrap();
        assert!(filter.text.is_none() && filter.role.is_none() && before.is_none());
        for (field, value) in [("role", "owner"), ("confirmed", "maybe"), ("before", "x")] {
            match query(&[(field, value)]).parse() {
                Err(AppError::InvalidField { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{field}={value}: {other:?}"),
            }
        }
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert!(query(&[("q", &long)]).parse().is_err());
    }

    #[test]
    fn page_links_keep_the_filters_and_replace_the_cursor() {
        let q = query(&[("q", "ana & bo"), ("role", "learner"), ("before", "9")]);
        assert_eq!(
            q.link("/admin/people", Some(5)),
            "/admin/people?q=ana+%26+bo&role=learner&before=5"
        );
        assert_eq!(q.link("/admin/people", None), "/admin/people?q=ana+%26+bo&role=learner");
        assert_eq!(PeopleQuery::default().link("/admin/people", None), "/admin/people");
    }
}
