//! `/admin/outbox`: queued, sent, failed and cancelled mail with filters and keyset pages; one
//! message's headers and bodies (the HTML body only as escaped source, never rendered in the
//! admin's origin); retry a failed message, cancel a queued one. Thin: the rules and the audit
//! entries are in [`crate::admin::mail`].

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::admin::mail::MessageSummary;
use crate::db::models::outbox::{Filter, STATUSES};
use crate::domain::drip::start_of_local_day;
use crate::error::AppError;
use crate::web::account::NoFields;
use crate::web::admin::{actor, admin_context};
use crate::web::pages::see_other;
use crate::web::session::{Admin, CsrfForm};
use crate::web::state::AppState;
use crate::web::views::Moment;
use crate::web::{RouteTable, get};

/// The outbox pages' routes.
pub fn routes(table: &mut RouteTable) {
    table
        .at("/admin/outbox", |r| r.route(get().to(list)))
        .at("/admin/outbox/{id}", |r| r.route(get().to(show)))
        .at("/admin/outbox/{id}/{action:retry|cancel}", |r| r.route(web::post().to(act)));
}

/// The listing's filters as typed (`?kind=&status=&since=&until=&recipient=&before=`), shared
/// with the admin API. Empty fields leave the filter open.
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// An exact kind, e.g. `verify_email`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `pending`, `sent`, `failed` or `cancelled`.
    #[serde(default)]
    pub status: Option<String>,
    /// Queued on or after this day (`YYYY-MM-DD`): in the admin's zone on the page, a UTC day
    /// in the API (as the audit log's).
    #[serde(default)]
    pub since: Option<String>,
    /// Queued on or before this day (`YYYY-MM-DD`, inclusive): in the admin's zone on the
    /// page, a UTC day in the API.
    #[serde(default)]
    pub until: Option<String>,
    /// Part of the recipient's address (case does not matter).
    #[serde(default)]
    pub recipient: Option<String>,
    /// Keyset cursor from the previous page's `next_before`.
    #[serde(default)]
    pub before: Option<i64>,
}

fn present(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn day(field: &str, value: Option<&String>) -> Result<Option<NaiveDate>, AppError> {
    present(value)
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::BadInput {
                field: Some(field.to_owned()),
                message: format!("{field} must be a date like 2026-03-02"),
            })
        })
        .transpose()
}

impl OutboxQuery {
    /// The storage filter, days read in `zone` (on the page the admin's, the days the listing
    /// shows), or 422 naming the field that is not a status or a date.
    pub fn filter(&self, zone: Tz) -> Result<Filter, AppError> {
        let status = present(self.status.as_ref()).map(str::to_owned);
        if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
            return Err(AppError::BadInput {
                field: Some("status".into()),
                message: "status must be pending, sent, failed or cancelled".into(),
            });
        }
        let start = |day: NaiveDate| start_of_local_day(zone, day).naive_utc();
        let since = day("since", self.since.as_ref())?.map(start);
        let until = day("until", self.until.as_ref())?.and_then(|d| d.succ_opt()).map(start);
        Ok(Filter {
            kind: present(self.kind.as_ref()).map(str::to_owned),
            status,
            since,
            until,
            recipient_contains: present(self.recipient.as_ref()).map(str::to_lowercase),
        })
    }

    /// The same filters with another cursor, as a query string for the next page's link.
    fn next_page(&self, before: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("kind", &self.kind),
            ("status", &self.status),
            ("since", &self.since),
            ("until", &self.until),
            ("recipient", &self.recipient),
        ];
        for (name, value) in fields {
            if let Some(value) = present(value.as_ref()) {
                query.append_pair(name, value);
            }
        }
        query.append_pair("before", &before.to_string());
        query.finish()
    }
}

/// A message in the listing, with when it was queued in the admin's own zone.
#[derive(Debug, Serialize)]
struct MessageRow<'a> {
    #[serde(flatten)]
    message: &'a MessageSummary,
    queued: Moment,
}

/// When a message was queued, is due again and was sent, in the admin's own zone.
#[derive(Debug, Serialize)]
struct Delivery {
    queued: Moment,
    next_attempt: Moment,
    sent: Option<Moment>,
}

impl Delivery {
    fn of(message: &MessageSummary, now: DateTime<Utc>, zone: Tz) -> Self {
        Self {
            queued: Moment::new(message.created_at, now, zone),
            next_attempt: Moment::new(message.next_attempt_at, now, zone),
            sent: message.sent_at.map(|at| Moment::new(at, now, zone)),
        }
    }
}

/// `GET /admin/outbox`: the filter form and one page of messages, newest first, queued times
/// in the admin's own zone.
pub async fn list(
    Admin(admin): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = state.admin.list_outbox(query.filter(admin.time_zone)?, query.before).await?;
    let now = state.clock.now();
    let rows: Vec<MessageRow<'_>> = page
        .messages
        .iter()
        .map(|message| MessageRow {
            message,
            queued: Moment::new(message.created_at, now, admin.time_zone),
        })
        .collect();
    let mut context = admin_context(&req, "outbox");
    context.insert("messages", &rows);
    context.insert("query", &query);
    context.insert("statuses", &STATUSES);
    context.insert("next_query", &page.next_before.map(|before| query.next_page(before)));
    state.page("admin/outbox.html", &context)
}

/// `?done=retried|cancelled` after an action.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// The sender every message goes out from, as the worker parses it.
pub fn sender(state: &AppState) -> Result<lettre::message::Mailbox, AppError> {
    crate::mail::message::sender(&state.settings).map_err(|e| AppError::Internal(Box::new(e)))
}

/// `GET /admin/outbox/{id}`: the headers as sent, the delivery state (times in the admin's own
/// zone) and both bodies.
pub async fn show(
    Admin(admin): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    done: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let message = state.admin.outbox_message(id.into_inner(), sender(&state)?).await?;
    let delivery = Delivery::of(&message.summary, state.clock.now(), admin.time_zone);
    let mut context = admin_context(&req, "outbox");
    context.insert("message", &message);
    context.insert("delivery", &delivery);
    let done = done.into_inner().done.filter(|d| d == "retried" || d == "cancelled");
    context.insert("done", &done);
    state.page("admin/outbox_message.html", &context)
}

/// `POST /admin/outbox/{id}/retry` or `/cancel`: back to the message (409 with the reason
/// when its state does not allow it).
pub async fn act(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let actor = actor(&admin, &req);
    let done = if action == "retry" {
        state.admin.retry_message(actor, id).await?;
        "retried"
    } else {
        state.admin.cancel_message(actor, id).await?;
        "cancelled"
    };
    Ok(see_other(&format!("/admin/outbox/{id}?done={done}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_ones_name_their_field() {
        let query = OutboxQuery {
            status: Some("failed".into()),
            since: Some("2026-03-01".into()),
            until: Some("2026-03-02".into()),
            recipient: Some(" Sam@Example ".into()),
            kind: Some(String::new()),
            before: None,
        };
        let filter = query.filter(Tz::UTC).unwrap();
        assert_eq!(filter.status.as_deref(), Some("failed"));
        assert_eq!(filter.recipient_contains.as_deref(), Some("sam@example"));
        assert_eq!(filter.kind, None);
        assert_eq!(filter.until.unwrap().to_string(), "2026-03-03 00:00:00");
        let auckland = query.filter(chrono_tz::Pacific::Auckland).unwrap();
        assert_eq!(auckland.since.unwrap().to_string(), "2026-02-28 11:00:00", "midnight there");
        assert_eq!(auckland.until.unwrap().to_string(), "2026-03-02 11:00:00");
        let bad = OutboxQuery { status: Some("lost".into()), ..OutboxQuery::default() };
        assert!(
            matches!(bad.filter(Tz::UTC), Err(AppError::BadInput { field: Some(f), .. }) if f == "status")
        );
        let bad = OutboxQuery { since: Some("yesterday".into()), ..OutboxQuery::default() };
        assert!(
            matches!(bad.filter(Tz::UTC), Err(AppError::BadInput { field: Some(f), .. }) if f == "since")
        );
    }
}
